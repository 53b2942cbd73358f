/**
 * KRaft versions and plans against Kafka's KRaft upgrade procedure (docs/upgrade.html 3.3
 * through 4.1, MetadataVersion.java): roll the new binaries node by node (controllers first,
 * then brokers, the active controller last), then finalize metadata.version once with
 * `kafka-features.sh upgrade --metadata`. 4.0 has no ZooKeeper mode.
 */
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { assumedPlan, buildUpgradePlan } from '../../src/plan/build.js';
import { kraftNodeOrder } from '../../src/plan/kraft.js';
import { buildRollPlan } from '../../src/plan/roll.js';
import type { Plan } from '../../src/plan/model.js';
import { assertPlanRules } from '../../src/store/plan-file.js';
import { KRAFT_TEMPLATE_UPGRADES, templateKraftInventory } from '../helpers/plan-templates.js';
import { parseYaml } from '../../src/files/yaml-document.js';
import { planToYaml } from '../../src/store/plan-file.js';
import {
  compareMetadataVersion,
  metadataChangesBetween,
  metadataFeatureLevel,
  metadataVersionOfLevel,
  parseRelease,
  resolveMetadataVersion,
  supportedMetadataVersions,
} from '../../src/plan/versions.js';
import { observedState, useScratchDir, userErrorOf } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('kraft-plan');

describe('metadata.version table (MetadataVersion.java)', () => {
  it.each([
    ['3.3', '3.3-IV3', 7],
    ['3.6', '3.6-IV2', 14],
    ['3.7', '3.7-IV4', 19],
    ['3.8', '3.8-IV0', 20],
    ['3.9', '3.9-IV0', 21],
    ['3.9.1', '3.9-IV0', 21],
    ['4.0', '4.0-IV3', 25],
    ['4.1', '4.1-IV1', 27],
    ['4.0-IV1', '4.0-IV1', 23],
    // Read from the released jars (MetadataVersion.LATEST_PRODUCTION of 4.2.2, 4.3.2, 4.4.0).
    ['4.2', '4.2-IV1', 29],
    ['4.3', '4.3-IV0', 30],
    ['4.4', '4.4-IV2', 33],
  ])('%s resolves to %s (feature level %i)', (value, id, level) => {
    expect(resolveMetadataVersion(value)).toBe(id);
    expect(metadataFeatureLevel(value)).toBe(level);
    expect(metadataVersionOfLevel(level)).toBe(id);
  });

  it.each(['3.9-IV1', '4.5', '4.4-IV3', '2.8', 'x'])('%s is not a metadata.version kafka-ops knows', (value) => {
    expect(resolveMetadataVersion(value)).toBeUndefined();
  });

  it.each([
    ['3.6.2', '3.0-IV1', '3.6-IV2'],
    ['3.9.1', '3.0-IV1', '3.9-IV0'],
    ['4.0.0', '3.3-IV3', '4.0-IV3'],
    ['4.1.0', '3.3-IV3', '4.1-IV1'],
  ])('the %s binaries support %s … %s', (release, min, max) => {
    expect(supportedMetadataVersions(release)).toEqual({ min, max });
  });

  it('lists the versions with metadata changes between two levels (what makes a downgrade unsafe)', () => {
    expect(metadataChangesBetween('3.9-IV0', '4.0-IV3')).toEqual(['4.0-IV1']);
    expect(metadataChangesBetween('3.6-IV2', '3.9-IV0')).toEqual(['3.7-IV0', '3.7-IV2']);
    expect(metadataChangesBetween('3.8-IV0', '3.9-IV0')).toEqual([]);
    expect(compareMetadataVersion('3.9', '4.0-IV0')).toBeLessThan(0);
  });

  it('4.x parses as a release, so that a ZooKeeper cluster gets the real reason it cannot go there', () => {
    expect(parseRelease('4.0', '--to')).toBe('4.0');
    expect(userErrorOf(() => parseRelease('5.0', '--to')).code).toBe('UNKNOWN_VERSION');
  });
});

const expectedOrder = (plan: Plan) => plan.phases.map((p) => `${p.id}:${p.kind}`);

describe.each(KRAFT_TEMPLATE_UPGRADES)('KRaft template %s → %s', (fromRelease, toRelease) => {
  const inventory = templateKraftInventory(fromRelease, toRelease);
  const from = fromRelease.split('.').slice(0, 2).join('.');
  const to = toRelease.split('.').slice(0, 2).join('.');
  const plan = assumedPlan(inventory, from, to);

  it('is a binary roll then a finalize, and nothing of the ZooKeeper procedure', () => {
    expect(plan.mode).toBe('kraft');
    expect(expectedOrder(plan)).toEqual(['swap-binaries:roll', 'finalize-metadata-version:finalize']);
    expect(JSON.stringify(plan)).not.toContain('inter.broker.protocol.version');
  });

  it('rolls every node once, controllers (1-3) before brokers (4-6), with the quorum gate', () => {
    const roll = plan.phases[0];
    expect(roll?.steps.map((s) => [s.broker, s.roles])).toEqual([
      [1, ['controller']],
      [2, ['controller']],
      [3, ['controller']],
      [4, ['broker']],
      [5, ['broker']],
      [6, ['broker']],
    ]);
    expect(roll?.steps.every((s) => s.install?.release === toRelease && !s.skipped)).toBe(true);
    expect(roll?.gates).toContain('quorum-majority-without-controller');
    expect(roll?.strategy).toBe('serial-canary');
    expect(plan.estimate.restarts).toBe(6);
  });

  it("finalizes the target release's latest metadata.version by its level with --feature on the tools node, as a point of no return", () => {
    const finalize = plan.phases[1];
    const target = resolveMetadataVersion(to) as string;
    expect(finalize?.finalize).toEqual({
      feature: 'metadata.version',
      from: null,
      to: target,
      node: 1,
      host: 'controller1.example.com',
      command: [
        '/opt/kafka/bin/kafka-features.sh',
        '--bootstrap-server',
        'kafka4.example.com:9092',
        'upgrade',
        '--feature',
        `metadata.version=${metadataFeatureLevel(target)}`,
      ],
    });
    expect(finalize?.steps).toEqual([]);
    expect(finalize?.pointOfNoReturn).toMatch(/downgrade/);
    expect(finalize?.gates).toEqual(['metadata-version-supported-everywhere']);
  });

  it('warns that --release-version would also raise kraft.version', () => {
    expect(plan.notes.join(' ')).toMatch(/--release-version.*kraft\.version/);
  });

  it('passes the plan-file rules after a YAML round trip', () => {
    const text = planToYaml(plan);
    expect(() => assertPlanRules(parseYaml(text, 'p.yaml', 'plan'), plan)).not.toThrow();
  });
});

describe('KRaft node order', () => {
  const inventory = templateKraftInventory('3.9.1', '4.0.0');
  it.each([
    [undefined, [1, 2, 3, 4, 5, 6]],
    [2, [1, 3, 4, 5, 6, 2]],
    [3, [1, 2, 4, 5, 6, 3]],
  ])('active controller %s → %j', (active, order) => {
    expect(kraftNodeOrder(inventory.brokers, active)).toEqual(order);
  });

  it('combined nodes count as controllers and go before broker-only nodes', () => {
    const nodes = [
      { ...inventory.brokers[3]!, id: 10, roles: ['broker' as const] },
      { ...inventory.brokers[0]!, id: 20, roles: ['controller' as const, 'broker' as const] },
      { ...inventory.brokers[0]!, id: 5, roles: ['broker' as const] },
    ];
    expect(kraftNodeOrder(nodes, 20)).toEqual([5, 10, 20]);
    expect(kraftNodeOrder(nodes)).toEqual([20, 5, 10]);
  });
});

describe('KRaft plans from what the hosts report', () => {
  const inventory = templateKraftInventory('3.9.1', '4.0.0');

  it('puts the observed active controller last and skips nodes already on the target', () => {
    const observed = observedState(inventory, '3.9.1', {
      controller: 2,
      overrides: { 1: { release: '4.0.0', installDir: '/opt/kafka_2.13-4.0.0' } },
    });
    const plan = buildUpgradePlan(inventory, { ...observed, metadataVersion: '3.9-IV0' }, { to: '4.0' });
    expect(plan.order).toEqual([1, 3, 4, 5, 6, 2]);
    expect(plan.phases[0]?.steps.filter((s) => s.skipped).map((s) => s.broker)).toEqual([1]);
    expect(plan.phases[1]?.finalize?.from).toBe('3.9-IV0');
    expect(plan.controller.note).toMatch(/Node 2 is the active controller/);
  });

  it('a re-run on a finished cluster restarts nothing and does not finalize again', () => {
    const observed = observedState(inventory, '4.0.0', { controller: 1 });
    const plan = buildUpgradePlan(inventory, { ...observed, metadataVersion: '4.0-IV3' }, { to: '4.0' });
    expect(plan.phases.map((p) => p.skipped)).toEqual([true, true]);
    expect(plan.estimate.restarts).toBe(0);
  });

  it('binaries rolled but metadata.version not raised: only the finalize runs', () => {
    const observed = observedState(inventory, '4.0.0');
    const plan = buildUpgradePlan(inventory, { ...observed, metadataVersion: '3.9-IV0' }, { to: '4.0' });
    expect(plan.phases.map((p) => p.skipped)).toEqual([true, false]);
  });
});

describe('refusals', () => {
  const zk = loadInventory(
    scratch.write(
      'zk.yaml',
      `cluster: zk
executor: { kind: ssh }
defaults:
  configPath: /etc/kafka/server.properties
  installLink: /opt/kafka
  installs: { "3.9.1": /opt/kafka_2.13-3.9.1, "4.0.0": /opt/kafka_2.13-4.0.0 }
  run: { systemd: kafka.service }
  logFile: /opt/kafka/logs/server.log
brokers:
  - { id: 1, host: kafka1.example.com }
`,
    ),
  );
  const kraft = templateKraftInventory('3.9.1', '4.0.0');

  it('a ZooKeeper cluster cannot be planned to 4.0: it says why and points at the migration (--migrate-to-kraft)', () => {
    const error = userErrorOf(() => assumedPlan(zk, '3.9', '4.0'));
    expect(error.code).toBe('ZOOKEEPER_REMOVED');
    expect(error.message).toMatch(/no ZooKeeper mode/);
    expect(error.action).toMatch(/migrat/);
    expect(error.action).toMatch(/--migrate-to-kraft/);
  });

  it.each([
    ['3.2', '3.9', 'UNSUPPORTED_PATH'],
    ['4.0', '3.9', 'DOWNGRADE'],
    ['3.9', '3.9', 'NOTHING_TO_DO'],
    ['3.9', '4.5', 'UNKNOWN_VERSION'],
  ])('KRaft %s → %s is refused (%s)', (from, to, code) => {
    expect(userErrorOf(() => assumedPlan(kraft, from, to)).code).toBe(code);
  });

  it('bootstrapController with tools older than 3.7 is refused', () => {
    const inventory = { ...templateKraftInventory('3.5.2', '3.6.2'), kraft: { bootstrapController: 'c1:9093', toolsNode: 1 } };
    expect(userErrorOf(() => assumedPlan(inventory, '3.5', '3.6')).code).toBe('INVENTORY_KRAFT');
  });

  it('a plan file whose KRaft phases were reordered or whose finalize has steps is refused', () => {
    const plan = assumedPlan(kraft, '3.9', '4.0');
    const swapped = { ...plan, phases: [...plan.phases].reverse() };
    expect(userErrorOf(() => assertPlanRules(parseYaml(planToYaml(swapped), 'p.yaml', 'plan'), swapped)).message).toMatch(
      /swap-binaries, finalize-metadata-version/,
    );
    const withSteps = { ...plan, phases: [plan.phases[0]!, { ...plan.phases[1]!, steps: [plan.phases[0]!.steps[0]!] }] };
    expect(userErrorOf(() => assertPlanRules(parseYaml(planToYaml(withSteps), 'p.yaml', 'plan'), withSteps)).message).toMatch(
      /finalize phase .* has steps/,
    );
  });
});

describe('a rolling config change on a KRaft cluster', () => {
  const inventory = templateKraftInventory('3.9.1', '4.0.0');
  const observed = observedState(inventory, '4.0.0', { controller: 2 });
  const plan = buildRollPlan(inventory, observed, { set: { 'num.io.threads': '16' }, unset: [] }, {});

  it('uses the KRaft order and the quorum gate, on a 4.0 cluster the ZooKeeper table does not know', () => {
    expect(plan.mode).toBe('kraft');
    expect([plan.from, plan.to]).toEqual(['4.0', '4.0']);
    expect(plan.order).toEqual([1, 3, 4, 5, 6, 2]);
    expect(plan.phases[0]?.gates).toContain('quorum-majority-without-controller');
  });

  it('passes the plan-file rules, so resume can load it again', () => {
    expect(() => assertPlanRules(parseYaml(planToYaml(plan), 'p.yaml', 'plan'), plan)).not.toThrow();
  });
});
