/** Opening the adapters an inventory names: broker hosts and the cluster-state reader. */
import type { KraftFeatures, KraftQuorum, MigrationTools } from '../cluster/kraft-port.js';
import type { ClusterState } from '../cluster/port.js';
import { UserError } from '../errors.js';
import type { BrokerHost } from '../hosts/port.js';
import { ReleaseConfigKeys } from '../hosts/shell/release-config-keys.js';
import type { Inventory } from '../inventory/model.js';
import type { ClusterSources } from '../engine/ports.js';

/** The adapters an inventory names, opened on first use; `kraft()` is a connection of its own. */
export interface Connections extends ClusterSources {
  /** ZooKeeper → KRaft migration: its tools on the controllers of `migration.controllers` (a connection of its own). */
  migration(): Promise<MigrationTools>;
  close(): Promise<void>;
}

export function openConnections(inventory: Inventory): Connections {
  const hosts = new Map<number, Promise<BrokerHost>>();
  const releaseKeys = new ReleaseConfigKeys();
  let cluster: Promise<ClusterState> | undefined;
  let kraft: Promise<KraftQuorum & KraftFeatures & { close(): Promise<void> }> | undefined;
  let migration: Promise<MigrationTools> | undefined;
  return {
    host(brokerId) {
      let host = hosts.get(brokerId);
      if (!host) {
        host = connectHost(inventory, brokerId, releaseKeys);
        hosts.set(brokerId, host);
      }
      return host;
    },
    cluster() {
      cluster ??= connectCluster(inventory);
      return cluster;
    },
    kraft() {
      kraft ??= connectKraftTools(inventory, (id) => this.host(id));
      return kraft;
    },
    migration() {
      migration ??= connectMigrationTools(inventory);
      return migration;
    },
    async close() {
      const all = [...hosts.values()].map((h) => h.then((x) => x.close()).catch(() => undefined));
      if (migration) all.push(migration.then((m) => m.close()).catch(() => undefined));
      if (kraft) all.push(kraft.then((k) => k.close()).catch(() => undefined));
      if (cluster) all.push(cluster.then((c) => c.close()).catch(() => undefined));
      await Promise.all(all);
    },
  };
}

async function connectHost(inventory: Inventory, brokerId: number, releaseKeys: ReleaseConfigKeys): Promise<BrokerHost> {
  const spec = inventory.brokers.find((b) => b.id === brokerId);
  if (!spec) throw new TypeError(`broker ${brokerId} is not in the inventory`);
  // Each adapter refuses a bad setup (access, update strategy, grace period...) while connecting,
  // and the engine connects every broker it will restart before it touches the first one.
  const executor = inventory.executor;
  if (executor.kind === 'kubernetes') return (await import('../hosts/kubernetes.js')).connectKubernetes(spec, executor, inventory.source);
  if (executor.kind === 'marathon') return (await import('../hosts/marathon.js')).connectMarathon(spec, executor, inventory.source);
  const [{ connectSsh }, { ShellBrokerHost }] = await Promise.all([import('../hosts/ssh/ssh.js'), import('../hosts/shell/shell-host.js')]);
  return new ShellBrokerHost(await connectSsh(spec, executor), spec, releaseKeys);
}

/** Which reader the inventory asks for: its explicit choice, else ZooKeeper when given (every ZooKeeper-mode release), else the admin API. */
export function chooseReader(state: Inventory['state']): 'zookeeper' | 'admin' | undefined {
  if (state.reader) return state.reader;
  if (state.zookeeper) return 'zookeeper';
  return state.bootstrapServers ? 'admin' : undefined;
}

async function connectCluster(inventory: Inventory): Promise<ClusterState> {
  const reader = chooseReader(inventory.state);
  if (reader === 'admin') {
    const { KafkaJsClusterState } = await import('../cluster/kafkajs.js');
    return KafkaJsClusterState.connect(inventory.state, { connectTimeoutMs: 10_000 });
  }
  const connect = inventory.state.zookeeper;
  if (!connect) {
    throw new UserError(
      'The inventory says neither how to reach ZooKeeper (`state.zookeeper`) nor the brokers (`state.bootstrapServers`).',
      {
        code: 'NO_CLUSTER_STATE',
        action:
          'Add `state.zookeeper: host:2181[/chroot]` (any ZooKeeper-mode Kafka) or `state.bootstrapServers: [host:9092]` (Kafka 0.10+).',
        location: { file: inventory.source },
      },
    );
  }
  const { ZooKeeperClusterState } = await import('../cluster/zookeeper.js');
  return ZooKeeperClusterState.connect(connect, { timeoutMs: 15_000 });
}

async function connectKraftTools(inventory: Inventory, host: (id: number) => Promise<BrokerHost>) {
  const settings = inventory.kraft;
  const spec = inventory.brokers.find((b) => b.id === settings?.toolsNode);
  if (!settings || !spec || inventory.executor.kind !== 'ssh') {
    throw new UserError('The KRaft tools are run over SSH on `kraft.toolsNode` of a `mode: kraft` inventory.', {
      code: 'NO_KRAFT_TOOLS',
      action: 'Set `mode: kraft`, a `kraft` section and `executor.kind: ssh` in the inventory.',
      location: { file: inventory.source },
    });
  }
  const [
    { connectSsh },
    { ShellKraftTools, binaryFeatureSupport },
    { runningFeatureSupport, wireQuorum, wireReplication, bootstrapEndpoints, migrationControllerEndpoints, quorumStatusOf },
  ] = await Promise.all([import('../hosts/ssh/ssh.js'), import('../cluster/kraft-tools.js'), import('../cluster/kraft-wire.js')]);
  const runner = await connectSsh(spec, inventory.executor);
  // A migration asks its new controllers first: every poll of a roll would otherwise start a tool JVM over SSH.
  const controllers = migrationControllerEndpoints(inventory);
  const bootstrap = [...controllers, ...bootstrapEndpoints(inventory.state)];
  const tools = new ShellKraftTools(
    runner,
    spec,
    settings,
    (nodes) => runningFeatureSupport(inventory, host, nodes, (n) => binaryFeatureSupport(inventory, host, n)),
    () => wireReplication(bootstrap),
    async () => {
      if (controllers.length === 0) return undefined;
      const quorum = await wireQuorum(controllers);
      return quorum ? quorumStatusOf(quorum) : undefined;
    },
  );
  return Object.assign(tools, { close: () => runner.close() });
}

async function connectMigrationTools(inventory: Inventory): Promise<MigrationTools> {
  const controllers = inventory.migration?.controllers ?? [];
  const connect = inventory.state.zookeeper;
  if (controllers.length === 0 || inventory.executor.kind !== 'ssh' || !connect) {
    throw new UserError(
      'A migration runs its tools over SSH on the controllers of `migration.controllers` and reads the cluster id from ZooKeeper.',
      {
        code: 'NO_MIGRATION_TOOLS',
        action: 'Give the inventory `migration.controllers`, `executor.kind: ssh` and `state.zookeeper`.',
        location: { file: inventory.source },
      },
    );
  }
  const executor = inventory.executor;
  const [{ connectSsh }, { ShellMigrationTools }, { ZooKeeperClusterState }] = await Promise.all([
    import('../hosts/ssh/ssh.js'),
    import('../cluster/migration-tools.js'),
    import('../cluster/zookeeper.js'),
  ]);
  const nodes = new Map(
    await Promise.all(controllers.map(async (spec) => [spec.id, { spec, runner: await connectSsh(spec, executor) }] as const)),
  );
  let zookeeper: ReturnType<typeof ZooKeeperClusterState.connect> | undefined;
  return new ShellMigrationTools(
    nodes,
    async () => {
      zookeeper ??= ZooKeeperClusterState.connect(connect, { timeoutMs: 15_000 });
      return (await zookeeper).clusterId();
    },
    async () => {
      if (zookeeper) await (await zookeeper).close();
    },
    async (id) => {
      const spec = inventory.brokers.find((b) => b.id === id);
      return spec && { spec, runner: await connectSsh(spec, executor) };
    },
  );
}
