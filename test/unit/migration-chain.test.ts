/**
 * A ZooKeeper → KRaft migration continued to 4.x in one plan (issue 16 item 6): the migration's
 * five phases, then the KRaft binary roll (controllers first, brokers next, the active controller
 * last at run time) and the finalize of metadata.version by an explicit feature level.
 */
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { buildChainedPlan, CHAIN_PHASES, chainKraftInventory, type ChainObservation } from '../../src/plan/chain.js';
import { assumedPlan } from '../../src/plan/build.js';
import type { MigrationObservation } from '../../src/plan/migration.js';
import type { Plan } from '../../src/plan/model.js';
import { previewLines } from '../../src/plan/preview.js';
import { loadPlanFile, planToYaml } from '../../src/store/plan-file.js';
import { useScratchDir, userErrorOf } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('migration-chain');

const inventoryText = (
  installs = '    "3.9.2": /opt/kafka_2.13-3.9.2\n    "4.4.0": /opt/kafka_2.13-4.4.0\n',
  bootstrap = true,
) => `cluster: zk
state:
  zookeeper: zk1:2181/kafka
${bootstrap ? '  bootstrapServers: [b1:9092, b2:9092, b3:9092]\n' : ''}executor:
  kind: ssh
defaults:
  configPath: /etc/kafka/server.properties
  installLink: /opt/kafka
  installs:
${installs}  run:
    systemd: kafka.service
  logFile: /opt/kafka/logs/server.log
brokers:
  - { id: 1, host: b1 }
  - { id: 2, host: b2 }
  - { id: 3, host: b3 }
migration:
  controllers:
    - { id: 3000, host: c1, listener: "c1:9093", logDir: /var/lib/kraft }
    - { id: 3001, host: c2, listener: "c2:9093", logDir: /var/lib/kraft }
    - { id: 3002, host: c3, listener: "c3:9093", logDir: /var/lib/kraft }
`;

const inventory = (text = inventoryText()) => loadInventory(scratch.write('inventory.yaml', text));
const OLD = '/opt/kafka_2.13-3.9.2';
const NEW = '/opt/kafka_2.13-4.4.0';
const NODES = [3000, 3001, 3002, 1, 2, 3];

function zkObserved(): MigrationObservation {
  return {
    source: 'hosts',
    brokers: [1, 2, 3].map((id) => ({
      id,
      release: '3.9.2',
      config: { 'broker.id': String(id), 'zookeeper.connect': 'zk1:2181/kafka', 'inter.broker.protocol.version': '3.9' },
    })),
    controllers: [3000, 3001, 3002].map((id) => ({ id, config: null, running: false })),
    clusterId: 'AbCdEfGhIjKlMnOpQrStUv',
  };
}

const onOld: ChainObservation = { installDirs: Object.fromEntries(NODES.map((id) => [id, OLD])) };
const phase = (plan: Plan, id: string) => plan.phases.find((p) => p.id === id) as Plan['phases'][number];
const chained = () => buildChainedPlan(inventory(), zkObserved(), onOld, { to: '4.4' });

describe('plan --migrate-to-kraft --to 4.4', () => {
  it('is the migration, then the KRaft upgrade: swap-binaries (controllers first) and finalize-metadata-version', () => {
    const plan = chained();
    expect(plan.kind).toBe('migration');
    expect(plan.from).toBe('3.9');
    expect(plan.to).toBe('4.4');
    expect(plan.phases.map((p) => p.id)).toEqual([...CHAIN_PHASES]);
    const swap = phase(plan, 'swap-binaries');
    expect(swap.kind).toBe('roll');
    expect(swap.steps.map((s) => s.broker)).toEqual(NODES);
    expect(swap.steps.map((s) => s.roles)).toEqual([['controller'], ['controller'], ['controller'], ['broker'], ['broker'], ['broker']]);
    for (const s of swap.steps) {
      expect(s.install).toEqual({ link: '/opt/kafka', from: OLD, to: NEW, release: '4.4.0' });
      expect(s.changes).toEqual({});
    }
    expect(swap.gates).toContain('quorum-majority-without-controller');
    // Every roll of the migration restarts 3 nodes; the binary roll 6.
    expect(plan.estimate.restarts).toBe(3 + 3 + 3 + 6);
  });

  it('finalizes metadata.version by its level alone (never --release-version: kraft.version stays), on a controller', () => {
    const finalize = phase(chained(), 'finalize-metadata-version');
    expect(finalize.kind).toBe('finalize');
    expect(finalize.finalize).toMatchObject({ feature: 'metadata.version', to: '4.4-IV2', node: 3000, host: 'c1' });
    expect(finalize.finalize?.command).toEqual([
      '/opt/kafka/bin/kafka-features.sh',
      '--bootstrap-controller',
      'c1:9093,c2:9093,c3:9093',
      'upgrade',
      '--feature',
      'metadata.version=33',
    ]);
    expect(finalize.finalize?.command.join(' ')).not.toMatch(/release-version|kraft\.version/);
  });

  it('marks finalize-migration and the finalize as points of no return in the preview, nothing else', () => {
    const plan = chained();
    expect(plan.phases.filter((p) => p.pointOfNoReturn).map((p) => p.id)).toEqual(['finalize-migration', 'finalize-metadata-version']);
    const text = previewLines(plan).join('\n');
    expect(text).toMatch(/ZooKeeper → KRaft migration plan for cluster zk \(Kafka 3\.9, then the KRaft upgrade to 4\.4 in the same plan\)/);
    expect(text).toMatch(/Points of no return: finalize-migration, finalize-metadata-version \(marked ⚠ above\)/);
    expect(text).toMatch(/Revert: possible until finalize-migration starts/);
    expect(text).toMatch(/Phase 6\/7 {2}swap-binaries/);
    expect(text).toMatch(/Phase 7\/7 {2}finalize-metadata-version/);
  });

  it('round-trips through plan validate; a point of no return moved onto the binary roll, or a phase dropped, is refused', () => {
    const plan = chained();
    const file = scratch.write('chain.yaml', planToYaml(plan));
    expect(loadPlanFile(file)).toEqual(plan);

    const moved = { ...plan, phases: plan.phases.map((p) => (p.id === 'swap-binaries' ? { ...p, pointOfNoReturn: 'says so' } : p)) };
    const bad = userErrorOf(() => loadPlanFile(scratch.write('moved.yaml', planToYaml(moved))));
    expect(bad.code).toBe('PLAN_RULE');
    expect(bad.message).toMatch(/`swap-binaries` claims a point of no return/);

    const dropped = { ...plan, phases: plan.phases.filter((p) => p.id !== 'finalize-metadata-version') };
    expect(userErrorOf(() => loadPlanFile(scratch.write('dropped.yaml', planToYaml(dropped)))).message).toMatch(
      /a migration continued to 4\.4 has the phases provision-controllers, .*swap-binaries, finalize-metadata-version/,
    );
  });

  it('plans from the hosts on a re-run: migrated, on 4.4 and finalized skips every phase', () => {
    const kraftBrokers = [1, 2, 3].map((id) => ({ id, release: '4.4.0', config: { 'process.roles': 'broker', 'node.id': String(id) } }));
    const controllers = [3000, 3001, 3002].map((id) => ({ id, config: { 'process.roles': 'controller' }, running: true }));
    const observed = { ...zkObserved(), brokers: kraftBrokers, controllers };
    const onNew = { installDirs: Object.fromEntries(NODES.map((id) => [id, NEW])), metadataVersion: '4.4-IV2' };
    const done = buildChainedPlan(inventory(), observed, onNew, { to: '4.4' });
    expect(done.phases.filter((p) => !p.skipped).map((p) => p.id)).toEqual([]);
    expect(done.estimate.restarts).toBe(0);

    // Halfway through the binary roll: the nodes on 4.4 are skipped, metadata.version not finalized yet.
    const half = buildChainedPlan(inventory(), observed, { installDirs: { ...onOld.installDirs, 3000: NEW, 3001: NEW } }, { to: '4.4' });
    expect(
      phase(half, 'swap-binaries')
        .steps.filter((s) => !s.skipped)
        .map((s) => s.broker),
    ).toEqual([3002, 1, 2, 3]);
    expect(phase(half, 'finalize-metadata-version').skipped).toBe(false);
    expect(half.phases.slice(0, 5).every((p) => p.skipped)).toBe(true);
  });

  it('refuses a node without a 4.4 install, an inventory without state.bootstrapServers and a --to that is not 4.x', () => {
    const noInstall = userErrorOf(() =>
      buildChainedPlan(inventory(inventoryText('    "3.9.2": /opt/kafka_2.13-3.9.2\n')), zkObserved(), onOld, { to: '4.4' }),
    );
    expect(noInstall.code).toBe('MIGRATION_PRECONDITION');
    expect(noInstall.message).toMatch(/Broker 1 has no 4\.4 install/);
    expect(noInstall.exitCode).toBe(2);

    const noBootstrap = userErrorOf(() => buildChainedPlan(inventory(inventoryText(undefined, false)), zkObserved(), onOld, { to: '4.4' }));
    expect(noBootstrap.message).toMatch(/needs `state.bootstrapServers`/);
    expect(noBootstrap.location?.file).toMatch(/inventory\.yaml$/);

    expect(userErrorOf(() => buildChainedPlan(inventory(), zkObserved(), onOld, { to: '3.8' })).code).toBe('UNKNOWN_VERSION');
  });

  it('runs the KRaft phases on the nodes with their roles, reading the cluster through the brokers (not ZooKeeper)', () => {
    const kraft = chainKraftInventory(inventory());
    expect(kraft.mode).toBe('kraft');
    expect(kraft.state).toEqual({ bootstrapServers: ['b1:9092', 'b2:9092', 'b3:9092'] });
    expect(kraft.brokers.map((b) => [b.id, b.roles])).toEqual([
      [1, ['broker']],
      [2, ['broker']],
      [3, ['broker']],
      [3000, ['controller']],
      [3001, ['controller']],
      [3002, ['controller']],
    ]);
    expect(kraft.kraft).toEqual({ bootstrapController: 'c1:9093,c2:9093,c3:9093', toolsNode: 3000 });
    expect(chainKraftInventory(kraft).brokers).toHaveLength(6);
  });

  it('without --migrate-to-kraft, --to 4.x on ZooKeeper still refuses, naming the path 3.x → 3.9 → migrate → 4.x and the flag', () => {
    const error = userErrorOf(() => assumedPlan(inventory(), '3.8', '4.4'));
    expect(error.code).toBe('ZOOKEEPER_REMOVED');
    expect(error.action).toMatch(/3\.x → 3\.9 → migrate → 4\.4/);
    expect(error.action).toMatch(/kafka-ops upgrade --migrate-to-kraft --to 4\.4/);
  });
});
