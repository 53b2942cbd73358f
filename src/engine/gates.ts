/**
 * The health gates of a rolling restart, as pure functions of a cluster snapshot.
 * Before a stop: nothing offline, nothing under-replicated, and stopping this broker
 * takes no partition below its topic's min.insync.replicas (Strimzi's canRoll test).
 * After a start: registered, every replica of the broker back in the ISR, and nothing
 * under-replicated anywhere.
 */
import type { ClusterSnapshot, PartitionState } from '../cluster/port.js';

export interface GateFinding {
  gate:
    | 'no-offline-partitions'
    | 'no-under-replicated-partitions'
    | 'min-isr-holds-without-broker'
    | 'leadership-settled'
    | 'registered'
    | 'isr-caught-up';
  /** Blocking findings hold the roll; the others are reported only. */
  blocking: boolean;
  message: string;
  partitions: string[];
  /** A finding that holds for a known time: when it is worth checking again (clock ms). */
  recheckAtMs?: number;
}

/** `<topic>-<partition>`, as Kafka's tools name a partition. */
export const partitionLabel = (p: Pick<PartitionState, 'topic' | 'partition'>): string => `${p.topic}-${p.partition}`;

export function minIsrOf(snapshot: ClusterSnapshot, topic: string, brokerDefault: number): number {
  return minIsrFrom(snapshot.topics.find((t) => t.name === topic)?.config['min.insync.replicas'], brokerDefault);
}

function minIsrFrom(value: string | undefined, brokerDefault: number): number {
  const parsed = value === undefined ? NaN : Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : brokerDefault;
}

/** minIsrOf for every topic at once: one pass over the topics instead of one per partition. */
function minIsrByTopic(snapshot: ClusterSnapshot, brokerDefault: number): (topic: string) => number {
  const byTopic = new Map(snapshot.topics.map((t) => [t.name, minIsrFrom(t.config['min.insync.replicas'], brokerDefault)]));
  return (topic) => byTopic.get(topic) ?? brokerDefault;
}

/** A snapshot's partitions as the gates look them up, each list in snapshot order. */
export interface PartitionIndex {
  offline: readonly PartitionState[];
  underReplicated: readonly PartitionState[];
  /** broker → the partitions it holds a replica of */
  byReplica: ReadonlyMap<number, readonly PartitionState[]>;
  /** broker → the partitions it leads */
  byLeader: ReadonlyMap<number, readonly PartitionState[]>;
  /** broker → the partitions whose first (preferred) replica it is */
  byPreferred: ReadonlyMap<number, readonly PartitionState[]>;
}

const NONE: readonly PartitionState[] = [];
const indexes = new WeakMap<ClusterSnapshot, PartitionIndex>();

function push<K>(map: Map<K, PartitionState[]>, key: K, p: PartitionState): void {
  const list = map.get(key);
  if (list) list.push(p);
  else map.set(key, [p]);
}

/**
 * One pass over the snapshot, kept with it (snapshots are read-only): every gate check and the
 * leadership gate then look at one broker's partitions, not the cluster's, which at 100k
 * partitions is the difference between a fraction of a second and milliseconds per check.
 */
export function partitionIndex(snapshot: ClusterSnapshot): PartitionIndex {
  const known = indexes.get(snapshot);
  if (known) return known;
  const live = new Set(snapshot.brokers);
  const offline: PartitionState[] = [];
  const underReplicated: PartitionState[] = [];
  const byReplica = new Map<number, PartitionState[]>();
  const byLeader = new Map<number, PartitionState[]>();
  const byPreferred = new Map<number, PartitionState[]>();
  for (const p of snapshot.partitions) {
    if (p.leader < 0 || !live.has(p.leader) || p.isr.length === 0) offline.push(p);
    if (p.isr.length < p.replicas.length) underReplicated.push(p);
    for (const r of p.replicas) push(byReplica, r, p);
    push(byLeader, p.leader, p);
    if (p.replicas.length > 0) push(byPreferred, p.replicas[0] as number, p);
  }
  const index = { offline, underReplicated, byReplica, byLeader, byPreferred };
  indexes.set(snapshot, index);
  return index;
}

/** The partitions of `brokerId` in `list` of the index (empty when it has none). */
export const partitionsOf = (list: ReadonlyMap<number, readonly PartitionState[]>, brokerId: number): readonly PartitionState[] =>
  list.get(brokerId) ?? NONE;

export function offlinePartitions(snapshot: ClusterSnapshot): PartitionState[] {
  return [...partitionIndex(snapshot).offline];
}

export function underReplicatedPartitions(snapshot: ClusterSnapshot): PartitionState[] {
  return [...partitionIndex(snapshot).underReplicated];
}

/** Findings that hold (or are reported before) stopping `brokerId`. Empty = safe to stop. */
export function beforeStopFindings(snapshot: ClusterSnapshot, brokerId: number, brokerMinIsr: number): GateFinding[] {
  // A broker no longer registered (its own shutdown under way, e.g. sent by a run that was
  // killed) serves nothing: stopping it takes nothing away, and waiting for the
  // under-replication it causes itself would never end.
  if (!snapshot.brokers.includes(brokerId)) return [];
  const findings: GateFinding[] = [];
  const offline = offlinePartitions(snapshot);
  if (offline.length > 0) {
    findings.push({
      gate: 'no-offline-partitions',
      blocking: true,
      message: `${offline.length} partition(s) have no live leader.`,
      partitions: offline.map(partitionLabel),
    });
  }
  findings.push(...underReplicatedFindings(snapshot));
  const wouldDrop: PartitionState[] = [];
  const neverSafe: PartitionState[] = [];
  const minIsrOfTopic = minIsrByTopic(snapshot, brokerMinIsr);
  for (const p of partitionsOf(partitionIndex(snapshot).byReplica, brokerId)) {
    const minIsr = minIsrOfTopic(p.topic);
    // A topic whose replication factor is <= min.insync.replicas loses availability on
    // every broker restart: waiting would never help, so it is reported, not waited on.
    if (p.replicas.length <= minIsr) {
      neverSafe.push(p);
      continue;
    }
    const isrAfter = p.isr.includes(brokerId) ? p.isr.length - 1 : p.isr.length;
    if (isrAfter < minIsr) wouldDrop.push(p);
  }
  if (wouldDrop.length > 0) {
    findings.push({
      gate: 'min-isr-holds-without-broker',
      blocking: true,
      message: `Stopping broker ${brokerId} would take ${wouldDrop.length} partition(s) below min.insync.replicas.`,
      partitions: wouldDrop.map(partitionLabel),
    });
  }
  if (neverSafe.length > 0) {
    findings.push({
      gate: 'min-isr-holds-without-broker',
      blocking: false,
      message: `${neverSafe.length} partition(s) on broker ${brokerId} have replication factor <= min.insync.replicas: producers with acks=all to them fail while it restarts.`,
      partitions: neverSafe.map(partitionLabel),
    });
  }
  return findings;
}

/** The cluster-wide under-replication finding, when there is any: it holds both a stop and a restart's end. */
function underReplicatedFindings(snapshot: ClusterSnapshot): GateFinding[] {
  const urp = underReplicatedPartitions(snapshot);
  if (urp.length === 0) return [];
  const message = `${urp.length} partition(s) are under-replicated.`;
  return [{ gate: 'no-under-replicated-partitions', blocking: true, message, partitions: urp.map(partitionLabel) }];
}

/** Findings that keep `brokerId` from counting as back and caught up. Empty = caught up. */
export function caughtUpFindings(snapshot: ClusterSnapshot, brokerId: number): GateFinding[] {
  if (!snapshot.brokers.includes(brokerId)) {
    return [{ gate: 'registered', blocking: true, message: `Broker ${brokerId} is not registered.`, partitions: [] }];
  }
  const findings: GateFinding[] = [];
  const missing = partitionsOf(partitionIndex(snapshot).byReplica, brokerId).filter((p) => !p.isr.includes(brokerId));
  if (missing.length > 0) {
    findings.push({
      gate: 'isr-caught-up',
      blocking: true,
      message: `Broker ${brokerId} is not yet in the ISR of ${missing.length} partition(s).`,
      partitions: missing.map(partitionLabel),
    });
  }
  findings.push(...underReplicatedFindings(snapshot));
  return findings;
}
