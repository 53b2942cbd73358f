/**
 * The KRaft reads kafka-ops makes in-process over Kafka's protocol (cluster/kafka-wire.ts)
 * instead of starting a tool JVM on the tools node:
 * - each node's supported metadata.version range, asked of the node's own running process
 *   (ApiVersions on the listener its server.properties names), so a node whose install link
 *   was flipped but whose process still runs the old binary reads as what it runs;
 * - the quorum's replication state (DescribeQuorum through a broker of `state.bootstrapServers`).
 * Where the protocol cannot be spoken from here (a SASL listener, no address), the caller's
 * fallback answers, and the reason is kept in `source`.
 */
import type { Inventory, BrokerSpec, StateSettings, TlsSettings } from '../inventory/model.js';
import { parseProperties } from '../config/properties.js';
import type { BrokerHost } from '../hosts/port.js';
import { metadataVersionOfLevel } from '../plan/versions.js';
import { describeQuorum, supportedFeatures, type WireEndpoint, type WireQuorum } from './kafka-wire.js';
import type { NodeFeatureSupport, QuorumReplica, QuorumStatus } from './kraft-port.js';

const DEFAULT_PROTOCOLS: Record<string, string> = {
  PLAINTEXT: 'PLAINTEXT',
  SSL: 'SSL',
  SASL_PLAINTEXT: 'SASL_PLAINTEXT',
  SASL_SSL: 'SASL_SSL',
};

/** `NAME://host:port` entries of a listeners value. */
function listenersOf(value: string | undefined): Array<{ name: string; host: string; port: number }> {
  return (value ?? '')
    .split(',')
    .map((l) => /^\s*([A-Za-z0-9_]+):\/\/\[?([^\]]*?)\]?:(\d+)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: (m[1] as string).toUpperCase(), host: m[2] as string, port: Number(m[3]) }));
}

/**
 * Where this node's own process answers the protocol, from its server.properties: a broker's
 * first non-controller listener (its advertised address when it has one), a controller-only
 * node's controller listener. Throws (a reason) when it cannot be spoken to from here.
 */
export function nodeEndpoint(spec: BrokerSpec, config: string, tls: TlsSettings | undefined): WireEndpoint {
  const props = parseProperties(config);
  const controllerNames = new Set((props['controller.listener.names'] ?? '').split(',').map((n) => n.trim().toUpperCase()));
  const roles = (props['process.roles'] ?? '').split(',').map((r) => r.trim());
  const listeners = listenersOf(props.listeners);
  const advertised = listenersOf(props['advertised.listeners']);
  const chosen = roles.includes('broker')
    ? listeners.find((l) => !controllerNames.has(l.name))
    : listeners.find((l) => controllerNames.has(l.name));
  if (!chosen) throw new Error(`no ${roles.includes('broker') ? 'broker' : 'controller'} listener in ${spec.configPath}`);
  const address = (roles.includes('broker') && advertised.find((l) => l.name === chosen.name)) || chosen;
  const map = Object.fromEntries(
    (props['listener.security.protocol.map'] ?? '')
      .split(',')
      .map((e) => e.split(':').map((x) => x.trim().toUpperCase()))
      .filter((e) => e.length === 2),
  ) as Record<string, string>;
  const protocol = map[chosen.name] ?? DEFAULT_PROTOCOLS[chosen.name];
  if (protocol !== 'PLAINTEXT' && protocol !== 'SSL') throw new Error(`listener ${chosen.name} is ${protocol ?? 'of an unknown protocol'}`);
  const host = address.host === '' || address.host === '0.0.0.0' || address.host === '::' ? spec.host : address.host;
  return { host, port: address.port, ...(protocol === 'SSL' ? { tls: tls ?? { rejectUnauthorized: true } } : {}) };
}

/**
 * Each node's supported metadata.version range, read from its running process. A node that
 * cannot be asked is answered by `fallback` (its binary), with the reason in `source`.
 */
export async function runningFeatureSupport(
  inventory: Inventory,
  host: (id: number) => Promise<BrokerHost>,
  nodes: readonly number[],
  fallback: (nodes: readonly number[]) => Promise<NodeFeatureSupport[]>,
): Promise<NodeFeatureSupport[]> {
  return Promise.all(
    nodes.map(async (node): Promise<NodeFeatureSupport> => {
      const spec = inventory.brokers.find((b) => b.id === node);
      if (!spec) throw new TypeError(`node ${node} is not in the inventory`);
      let why: string;
      try {
        const endpoint = nodeEndpoint(spec, await (await host(node)).readConfig(), inventory.state.tls);
        const range = (await supportedFeatures(endpoint))['metadata.version'];
        const source = `ApiVersions of ${endpoint.host}:${endpoint.port}`;
        if (!range) return { node, source: `${source} (no metadata.version among its supported features)` };
        const min = metadataVersionOfLevel(range.min);
        const max = metadataVersionOfLevel(range.max);
        if (min && max) return { node, metadataVersion: { min, max }, source };
        why = `${source}: levels ${range.min} … ${range.max}, not all known to kafka-ops`;
      } catch (error) {
        why = `ApiVersions: ${(error as Error).message}`;
      }
      const [binary] = await fallback([node]);
      return { ...(binary as NodeFeatureSupport), source: `${binary?.source ?? 'binary'} (${why})` };
    }),
  );
}

/** DescribeQuorum through the first of `bootstrap` that answers; undefined when none can be spoken to from here. */
export async function wireQuorum(bootstrap: readonly WireEndpoint[]): Promise<WireQuorum | undefined> {
  for (const endpoint of bootstrap) {
    try {
      return await describeQuorum(endpoint);
    } catch {
      /* restarting, not a broker, or a controller that is not the leader: the next one */
    }
  }
  return undefined;
}

export async function wireReplication(bootstrap: readonly WireEndpoint[]): Promise<QuorumReplica[] | undefined> {
  return (await wireQuorum(bootstrap))?.replicas;
}

/**
 * `describe --status` from a DescribeQuorum answer, computed as the tool does (MaxFollowerLag and
 * MaxFollowerLagTimeMs over the voters that follow); the cluster id is not in the answer.
 */
export function quorumStatusOf(quorum: WireQuorum): QuorumStatus {
  const leader = quorum.replicas.find((r) => r.status === 'Leader');
  const followers = quorum.replicas.filter((r) => r.status === 'Follower');
  const caughtUp = [leader, ...followers].filter((r): r is QuorumReplica => r !== undefined).map((r) => r.lastCaughtUpTimestamp);
  return {
    leaderId: quorum.leaderId,
    leaderEpoch: quorum.leaderEpoch,
    highWatermark: quorum.highWatermark,
    maxFollowerLag: Math.max(0, ...followers.map((r) => r.lag)),
    maxFollowerLagTimeMs: leader && caughtUp.length > 0 ? leader.lastCaughtUpTimestamp - Math.min(...caughtUp) : -1,
    voters: quorum.replicas.filter((r) => r.status !== 'Observer').map((r) => r.nodeId),
    observers: quorum.replicas.filter((r) => r.status === 'Observer').map((r) => r.nodeId),
  };
}

/**
 * A migration's new controllers, spoken to directly (DescribeQuorum on the CONTROLLER listener,
 * which a migration plans PLAINTEXT; 3.9 controllers answer it, the leader with the quorum):
 * the ZooKeeper-mode brokers of a migration cannot answer it.
 */
export function migrationControllerEndpoints(inventory: Inventory): WireEndpoint[] {
  return (inventory.migration?.controllers ?? []).flatMap((c) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(c.listener.trim());
    return m ? [{ host: m[1] as string, port: Number(m[2]) }] : [];
  });
}

/** The brokers of `state.bootstrapServers` as protocol endpoints; none under SASL (not spoken in-process: the tool is run). */
export function bootstrapEndpoints(state: StateSettings): WireEndpoint[] {
  if (state.sasl) return [];
  return (state.bootstrapServers ?? []).flatMap((entry) => {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry.trim());
    return m ? [{ host: m[1] as string, port: Number(m[2]), ...(state.tls ? { tls: state.tls } : {}) }] : [];
  });
}
