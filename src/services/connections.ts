/** Opening the adapters an inventory names: broker hosts and the cluster-state reader. */
import type { ClusterState } from '../cluster/port.js';
import { UserError } from '../errors.js';
import type { BrokerHost } from '../hosts/port.js';
import type { Inventory } from '../inventory/model.js';

export interface Connections {
  host(brokerId: number): Promise<BrokerHost>;
  cluster(): Promise<ClusterState>;
  close(): Promise<void>;
}

export function openConnections(inventory: Inventory): Connections {
  const hosts = new Map<number, Promise<BrokerHost>>();
  let cluster: Promise<ClusterState> | undefined;
  return {
    host(brokerId) {
      let host = hosts.get(brokerId);
      if (!host) {
        host = connectHost(inventory, brokerId);
        hosts.set(brokerId, host);
      }
      return host;
    },
    cluster() {
      cluster ??= connectCluster(inventory);
      return cluster;
    },
    async close() {
      const all = [...hosts.values()].map((h) => h.then((x) => x.close()).catch(() => undefined));
      if (cluster) all.push(cluster.then((c) => c.close()).catch(() => undefined));
      await Promise.all(all);
    },
  };
}

async function connectHost(inventory: Inventory, brokerId: number): Promise<BrokerHost> {
  const spec = inventory.brokers.find((b) => b.id === brokerId);
  if (!spec) throw new TypeError(`broker ${brokerId} is not in the inventory`);
  // Each adapter refuses a bad setup (access, update strategy, grace period...) while connecting,
  // and the engine connects every broker it will restart before it touches the first one.
  const executor = inventory.executor;
  if (executor.kind === 'kubernetes') return (await import('../hosts/kubernetes.js')).connectKubernetes(spec, executor, inventory.source);
  if (executor.kind === 'marathon') return (await import('../hosts/marathon.js')).connectMarathon(spec, executor, inventory.source);
  const [{ connectSsh }, { ShellBrokerHost }] = await Promise.all([import('../hosts/ssh.js'), import('../hosts/shell-host.js')]);
  return new ShellBrokerHost(await connectSsh(spec, executor), spec);
}

async function connectCluster(inventory: Inventory): Promise<ClusterState> {
  const connect = inventory.state.zookeeper;
  if (!connect) {
    throw new UserError('The inventory gives no ZooKeeper connect string (`state.zookeeper`); reading the cluster through bootstrap servers is not available in this version.', {
      code: 'NO_CLUSTER_STATE',
      action: 'Add `state.zookeeper: host:2181[/chroot]` to the inventory.',
      location: { file: inventory.source },
    });
  }
  const { ZooKeeperClusterState } = await import('../cluster/zookeeper.js');
  return ZooKeeperClusterState.connect(connect, { timeoutMs: 15_000 });
}
