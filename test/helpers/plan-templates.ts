/**
 * The upgrades `plans/` ships templates for, and the example cluster they are built
 * for (three brokers over SSH, one install directory per release). Pure.
 */
import type { BrokerSpec, Inventory } from '../../src/inventory/model.js';
import { assumedPlan } from '../../src/plan/build.js';
import type { Plan } from '../../src/plan/model.js';

/** [from release installed, to release installed]. */
export const TEMPLATE_UPGRADES: ReadonlyArray<readonly [string, string]> = [
  ['0.8.2.2', '0.9.0.1'],
  ['0.10.2.2', '0.11.0.3'],
  ['0.11.0.3', '1.1.1'],
  ['1.1.1', '2.0.1'],
  ['2.0.1', '2.8.2'],
  ['2.8.2', '3.0.2'],
];

/** KRaft upgrades with templates: [from release installed, to release installed]. */
export const KRAFT_TEMPLATE_UPGRADES: ReadonlyArray<readonly [string, string]> = [
  ['3.6.2', '3.9.1'],
  ['3.9.1', '4.0.0'],
];

const family = (release: string): string =>
  release
    .split('.')
    .slice(0, release.startsWith('0.') ? 3 : 2)
    .join('.');

export function templateInventory(fromRelease: string, toRelease: string): Inventory {
  const installs = {
    [fromRelease]: `/opt/kafka_2.12-${fromRelease}`,
    [toRelease]: `/opt/kafka_2.12-${toRelease}`,
  };
  const broker = (id: number): BrokerSpec => ({
    id,
    host: `kafka${id}.example.com`,
    ssh: { port: 22, user: 'kafka', agent: false },
    configPath: '/etc/kafka/server.properties',
    installLink: '/opt/kafka',
    installs,
    run: { kind: 'systemd', unit: 'kafka.service' },
    logFile: '/opt/kafka/logs/server.log',
    stop: { signal: 'SIGINT', timeoutSeconds: 300 },
    startTimeoutSeconds: 600,
  });
  return {
    source: 'examples/inventory.yaml',
    cluster: 'example',
    state: { zookeeper: 'zk1.example.com:2181/kafka' },
    executor: { kind: 'ssh', knownHosts: '~/.ssh/known_hosts', hostKeyPolicy: 'strict', connectTimeoutSeconds: 15 },
    brokers: [broker(1), broker(2), broker(3)],
  };
}

/**
 * The KRaft example cluster: three dedicated controllers (1-3) and three brokers (4-6),
 * the tools run on controller 1 against the brokers' listener.
 */
export function templateKraftInventory(fromRelease: string, toRelease: string): Inventory {
  const base = templateInventory(fromRelease, toRelease);
  const installs = { [fromRelease]: `/opt/kafka_2.13-${fromRelease}`, [toRelease]: `/opt/kafka_2.13-${toRelease}` };
  const node = (id: number, role: 'controller' | 'broker') => ({
    ...(base.brokers[0] as BrokerSpec),
    id,
    host: role === 'controller' ? `controller${id}.example.com` : `kafka${id}.example.com`,
    configPath: role === 'controller' ? '/etc/kafka/controller.properties' : '/etc/kafka/broker.properties',
    installs,
    roles: [role],
  });
  const { state: _zookeeper, ...rest } = base;
  return {
    ...rest,
    state: {},
    mode: 'kraft',
    kraft: { bootstrapServer: 'kafka4.example.com:9092', toolsNode: 1 },
    brokers: [node(1, 'controller'), node(2, 'controller'), node(3, 'controller'), node(4, 'broker'), node(5, 'broker'), node(6, 'broker')],
  };
}

export function templatePlans(): Array<{ file: string; plan: Plan }> {
  const zookeeper = TEMPLATE_UPGRADES.map(([fromRelease, toRelease]) => {
    const from = family(fromRelease);
    const to = family(toRelease);
    const inventory = templateInventory(fromRelease, toRelease);
    return { file: `${from}-to-${to}.yaml`, plan: assumedPlan(inventory, from, to) };
  });
  const kraft = KRAFT_TEMPLATE_UPGRADES.map(([fromRelease, toRelease]) => {
    const from = family(fromRelease);
    const to = family(toRelease);
    return { file: `${from}-to-${to}-kraft.yaml`, plan: assumedPlan(templateKraftInventory(fromRelease, toRelease), from, to) };
  });
  return [...zookeeper, ...kraft];
}
