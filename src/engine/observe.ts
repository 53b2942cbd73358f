/** Reading what planning needs from the real cluster: each host's install and config, and the controller. */
import { parseProperties } from '../config/properties.js';
import { UserError } from '../errors.js';
import type { BrokerSpec, Inventory } from '../inventory/model.js';
import type { ObservedBroker, ObservedCluster } from '../plan/observed.js';
import { IBP_KEY, LMFV_KEY } from '../plan/versions.js';
import type { ClusterSources } from './ports.js';
import { settleEach } from './concurrently.js';
import { linkedRelease, type HostFacts } from '../hosts/port.js';

export interface Observation {
  observed: ObservedCluster;
  /** Each broker's whole server.properties. */
  configs: Record<number, Record<string, string>>;
}

/** What planning needs of one broker, or undefined when its install link is not one of its `installs`. */
export function observedBroker(spec: BrokerSpec, facts: HostFacts, config: Record<string, string>): ObservedBroker | undefined {
  const label = linkedRelease(spec.installs, facts);
  if (!label) return undefined;
  // The inventory's spelling of the install, so the planner compares like with like.
  return {
    id: spec.id,
    release: label,
    installDir: spec.installs[label] as string,
    config: { [IBP_KEY]: config[IBP_KEY], [LMFV_KEY]: config[LMFV_KEY] },
  };
}

export async function observeCluster(inventory: Inventory, connections: ClusterSources): Promise<Observation> {
  // ZooKeeper mode: the cluster is read while the hosts are (it needs nothing from them).
  const zkSnapshot = inventory.mode === 'kraft' ? undefined : connections.cluster().then((c) => c.snapshot());
  zkSnapshot?.catch(() => undefined); // awaited below, once the hosts' problems (reported first) are known
  // Every host at once (capped), judged in inventory order: the first problem reported is always the same one.
  const reads = await settleEach(inventory.brokers, async (spec) => {
    const host = await connections.host(spec.id);
    const [facts, text] = await Promise.all([host.facts(), host.readConfig()]);
    return { facts, text };
  });
  const brokers: ObservedBroker[] = [];
  const configs: Record<number, Record<string, string>> = {};
  inventory.brokers.forEach((spec, i) => {
    const read = reads[i] as PromiseSettledResult<{ facts: HostFacts; text: string }>;
    if (read.status === 'rejected') throw read.reason;
    const { facts, text } = read.value;
    const config = parseProperties(text);
    configs[spec.id] = config;
    const broker = observedBroker(spec, facts, config);
    if (!broker) {
      throw new UserError(
        `Cannot tell which Kafka release broker ${spec.id} runs: ${spec.installLink} points at ${facts.linkTarget ?? 'nothing'}, which is not one of its \`installs\`.`,
        {
          code: 'UNKNOWN_INSTALLED_RELEASE',
          action: `Add that directory under \`installs\` with its release.`,
          location: { file: inventory.source },
        },
      );
    }
    brokers.push(broker);
  });
  if (!zkSnapshot) {
    // KRaft: the active controller is the quorum leader, and metadata.version is read from the cluster.
    const tools = await connections.kraft();
    const [status, finalized] = await Promise.all([tools.status(), tools.finalized()]);
    const kraft = {
      ...(status.leaderId >= 0 ? { controller: status.leaderId } : {}),
      ...(finalized.metadataVersion ? { metadataVersion: finalized.metadataVersion } : {}),
    };
    return { observed: { source: 'hosts', brokers, ...kraft }, configs };
  }
  const snapshot = await zkSnapshot;
  return {
    observed: { source: 'hosts', brokers, ...(snapshot.controller === undefined ? {} : { controller: snapshot.controller }) },
    configs,
  };
}
