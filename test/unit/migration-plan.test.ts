/**
 * ZooKeeper → KRaft migration plans against Kafka 3.9's documented procedure: controllers
 * provisioned in migration mode, brokers rolled with the flag, the migration awaited, brokers
 * rolled as KRaft brokers, controllers finalized (the point of no return), revert steps before it.
 */
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { buildMigrationPlan, MIGRATION_FLAG, MIGRATION_PHASES, type MigrationObservation } from '../../src/plan/migration.js';
import type { Plan } from '../../src/plan/model.js';
import { previewLines } from '../../src/plan/preview.js';
import { loadPlanFile, planToYaml } from '../../src/store/plan-file.js';
import { useScratchDir, userErrorOf } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('migration-plan');

const INVENTORY = `cluster: zk
state:
  zookeeper: zk1:2181/kafka
executor:
  kind: ssh
defaults:
  configPath: /etc/kafka/server.properties
  installLink: /opt/kafka
  installs:
    "3.9.2": /opt/kafka_2.13-3.9.2
  run:
    systemd: kafka.service
  logFile: /opt/kafka/logs/server.log
brokers:
  - id: 1
    host: b1
  - id: 2
    host: b2
  - id: 3
    host: b3
migration:
  controllers:
    - id: 3000
      host: c1
      listener: c1:9093
      logDir: /var/lib/kraft
    - id: 3001
      host: c2
      listener: c2:9093
      logDir: /var/lib/kraft
    - id: 3002
      host: c3
      listener: c3:9093
      logDir: /var/lib/kraft
`;

const inventory = () => loadInventory(scratch.write('inventory.yaml', INVENTORY));
const VOTERS = '3000@c1:9093,3001@c2:9093,3002@c3:9093';

function zkBroker(id: number, extra: Record<string, string> = {}): MigrationObservation['brokers'][number] {
  return {
    id,
    release: '3.9.2',
    config: {
      'broker.id': String(id),
      listeners: `PLAINTEXT://b${id}:9092`,
      'zookeeper.connect': 'zk1:2181/kafka',
      'zookeeper.session.timeout.ms': '6000',
      'inter.broker.protocol.version': '3.9',
      ...extra,
    },
  };
}

function observed(over: Partial<MigrationObservation> = {}): MigrationObservation {
  return {
    source: 'hosts',
    brokers: [1, 2, 3].map((id) => zkBroker(id)),
    controllers: [3000, 3001, 3002].map((id) => ({ id, config: null, running: false })),
    clusterId: 'AbCdEfGhIjKlMnOpQrStUv',
    ...over,
  };
}

const phase = (plan: Plan, id: string) => plan.phases.find((p) => p.id === id) as Plan['phases'][number];

describe('buildMigrationPlan', () => {
  it("has Kafka's five phases in order, only the last one a point of no return, revert steps before it", () => {
    const plan = buildMigrationPlan(inventory(), observed());
    expect(plan.kind).toBe('migration');
    expect(plan.phases.map((p) => p.id)).toEqual([...MIGRATION_PHASES]);
    expect(plan.phases.map((p) => Boolean(p.pointOfNoReturn))).toEqual([false, false, false, false, true]);
    expect(plan.phases.map((p) => Boolean(p.revert?.length))).toEqual([true, true, true, true, false]);
    expect(phase(plan, 'migrate-brokers').revert?.join(' ')).toMatch(/deleteall \/controller.*delete \/migration/);
    expect(plan.order).toEqual([3000, 3001, 3002, 1, 2, 3]);
    expect(plan.estimate.restarts).toBe(9);
  });

  it("provisions each controller with the migration flag, the static quorum, ZooKeeper and the cluster's id", () => {
    const provision = phase(buildMigrationPlan(inventory(), observed()), 'provision-controllers');
    expect(provision.provision).toEqual({
      clusterId: 'AbCdEfGhIjKlMnOpQrStUv',
      logDirs: { '3000': '/var/lib/kraft', '3001': '/var/lib/kraft', '3002': '/var/lib/kraft' },
    });
    const changes = provision.steps[1]?.changes ?? {};
    const to = Object.fromEntries(Object.entries(changes).map(([k, c]) => [k, c.to]));
    expect(to).toEqual({
      'process.roles': 'controller',
      'node.id': '3001',
      'controller.quorum.voters': VOTERS,
      'controller.listener.names': 'CONTROLLER',
      listeners: 'CONTROLLER://c2:9093',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': '/var/lib/kraft',
      [MIGRATION_FLAG]: 'true',
      'zookeeper.connect': 'zk1:2181/kafka',
    });
  });

  it('rolls the brokers into migration mode, then as KRaft brokers without any ZooKeeper key or the IBP', () => {
    const plan = buildMigrationPlan(inventory(), observed());
    expect(phase(plan, 'migrate-brokers').steps[0]?.changes).toEqual({
      [MIGRATION_FLAG]: { from: null, to: 'true' },
      'controller.quorum.voters': { from: null, to: VOTERS },
      'controller.listener.names': { from: null, to: 'CONTROLLER' },
      'listener.security.protocol.map': {
        from: null,
        to: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      },
    });
    expect(phase(plan, 'kraft-brokers').steps[2]?.changes).toEqual({
      'process.roles': { from: null, to: 'broker' },
      'node.id': { from: null, to: '3' },
      'broker.id': { from: '3', to: null },
      'zookeeper.connect': { from: 'zk1:2181/kafka', to: null },
      'zookeeper.session.timeout.ms': { from: '6000', to: null },
      [MIGRATION_FLAG]: { from: 'true', to: null },
      'inter.broker.protocol.version': { from: '3.9', to: null },
    });
    expect(phase(plan, 'finalize-migration').steps.map((s) => Object.keys(s.changes))).toEqual([
      [MIGRATION_FLAG, 'zookeeper.connect'],
      [MIGRATION_FLAG, 'zookeeper.connect'],
      [MIGRATION_FLAG, 'zookeeper.connect'],
    ]);
  });

  it('finalizes a controller whose properties file exists but is empty (not provisioned yet) from its planned config', () => {
    const controllers = [3000, 3001, 3002].map((id) => ({ id, config: {}, running: false }));
    const plan = buildMigrationPlan(inventory(), observed({ controllers }));
    expect(phase(plan, 'finalize-migration').skipped).toBe(false);
    expect(phase(plan, 'finalize-migration').steps.every((s) => Object.keys(s.changes).length === 2)).toBe(true);
  });

  it('keeps an existing listener.security.protocol.map and adds CONTROLLER to it once', () => {
    const brokers = [1, 2, 3].map((id) => zkBroker(id, { 'listener.security.protocol.map': 'INTERNAL:SSL,EXTERNAL:SASL_SSL' }));
    const plan = buildMigrationPlan(inventory(), observed({ brokers }));
    expect(phase(plan, 'migrate-brokers').steps[0]?.changes['listener.security.protocol.map']?.to).toBe(
      'CONTROLLER:PLAINTEXT,INTERNAL:SSL,EXTERNAL:SASL_SSL',
    );
  });

  it('plans from where the hosts are: brokers in migration mode skip roll 1; all KRaft and finalized skips everything', () => {
    const migrating = [1, 2, 3].map((id) => zkBroker(id, { [MIGRATION_FLAG]: 'true', 'controller.quorum.voters': VOTERS }));
    const first = buildMigrationPlan(inventory(), observed({ brokers: migrating }));
    expect(phase(first, 'migrate-brokers').skipped).toBe(true);
    expect(phase(first, 'kraft-brokers').skipped).toBe(false);

    const kraft = [1, 2, 3].map((id) => ({ id, release: '3.9.2', config: { 'process.roles': 'broker', 'node.id': String(id) } }));
    const controllers = [3000, 3001, 3002].map((id) => ({ id, config: { 'process.roles': 'controller' }, running: true }));
    const done = buildMigrationPlan(inventory(), observed({ brokers: kraft, controllers }));
    expect(done.phases.every((p) => p.skipped)).toBe(true);
    expect(done.estimate.restarts).toBe(0);
  });

  it.each([
    ['a broker on 3.8', [zkBroker(1, {}), { ...zkBroker(2), release: '3.8.1' }, zkBroker(3)], /Broker 2 runs Kafka 3.8.1/],
    [
      'an IBP below 3.9',
      [zkBroker(1, { 'inter.broker.protocol.version': '3.8' }), zkBroker(2), zkBroker(3)],
      /Broker 1 has inter.broker.protocol.version=3.8/,
    ],
  ])('refuses %s (exit 2, nothing touched)', (_name, brokers, message) => {
    const error = userErrorOf(() => buildMigrationPlan(inventory(), observed({ brokers })));
    expect(error.code).toBe('MIGRATION_PRECONDITION');
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });

  it('refuses an inventory without controllers, or with an even number of them', () => {
    const without = loadInventory(scratch.write('no-controllers.yaml', INVENTORY.slice(0, INVENTORY.indexOf('migration:'))));
    expect(userErrorOf(() => buildMigrationPlan(without, observed())).message).toMatch(/odd number of KRaft controllers.*found 0/);
    const even = loadInventory(scratch.write('two.yaml', INVENTORY.slice(0, INVENTORY.indexOf('    - id: 3002'))));
    expect(userErrorOf(() => buildMigrationPlan(even, observed())).message).toMatch(/found 2/);
  });
});

describe('migration inventory', () => {
  it('refuses a controller id that a broker has, located in the file', () => {
    const file = scratch.write('dup.yaml', INVENTORY.replace('- id: 3001', '- id: 2'));
    const error = userErrorOf(() => loadInventory(file));
    expect(error.code).toBe('INVENTORY_MIGRATION');
    expect(error.where).toMatch(/dup\.yaml:\d+:\d+/);
  });

  it('refuses a controller without its listener (schema)', () => {
    const error = userErrorOf(() => loadInventory(scratch.write('nolistener.yaml', INVENTORY.replace('      listener: c2:9093\n', ''))));
    expect(error.message).toMatch(/listener/);
  });
});

describe('migration plan file and preview', () => {
  it('round-trips through a plan file, and a file with a reordered phase is refused', () => {
    const plan = buildMigrationPlan(inventory(), observed());
    const file = scratch.write('migrate.yaml', planToYaml(plan));
    expect(loadPlanFile(file)).toEqual(plan);
    const swapped = { ...plan, phases: [plan.phases[1], plan.phases[0], ...plan.phases.slice(2)] } as Plan;
    const bad = scratch.write('bad.yaml', planToYaml(swapped));
    expect(userErrorOf(() => loadPlanFile(bad)).message).toMatch(/a migration has the phases provision-controllers, migrate-brokers/);
  });

  it('names every phase, the point of no return and the revert path', () => {
    const text = previewLines(buildMigrationPlan(inventory(), observed())).join('\n');
    for (const id of MIGRATION_PHASES) expect(text).toContain(id);
    expect(text).toMatch(/⚠ point of no return: Once the controllers leave migration mode/);
    expect(text).toContain('Points of no return: finalize-migration');
    expect(text).toMatch(/Revert: possible until finalize-migration starts/);
    expect(text).toMatch(/node 3000 \[controller\] \(c1\): start/);
    expect(text).toMatch(/waits up to 600 s for "Completed migration of metadata from ZooKeeper to KRaft"/);
  });
});
