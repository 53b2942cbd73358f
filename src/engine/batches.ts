/**
 * Parallel batches, safe by construction (pure functions of a cluster snapshot).
 *
 * The rule: stopping every broker of a batch at once keeps every partition at or above its
 * topic's min.insync.replicas and online. For a set S and a partition p whose ISR holds members
 * of S: |ISR(p) \ S| >= minIsr(p). A partition whose replication factor is <= min.insync.replicas
 * loses availability on any restart (the single-broker gate only warns about it): a batch may
 * hold at most one of its replicas, so it never goes offline because of the batch.
 *
 * It is computed from the real replica placement at the moment a batch is chosen, and the same
 * function is the pre-stop gate over the set. `broker.rack` only orders the search (brokers of
 * one rack are tried together first: with rack-aware placement they share no partition); it is
 * never the proof. The controller goes alone and last. A batch of one is always allowed here:
 * whether one broker may stop is the single-broker gate's business (gates.ts).
 */
import type { ClusterSnapshot, PartitionState } from '../cluster/port.js';
import { partitionIndex, partitionLabel, partitionsOf } from './gates.js';

/** `1` = one broker at a time (the default), a number = at most that many, `auto` = as many as are safe. */
export type BatchSize = number | 'auto';

export interface BatchConflict {
  /** The broker that could not join. */
  broker: number;
  /** The brokers of the batch it could not join. */
  with: number[];
  partition: string;
  message: string;
}

export interface Batch {
  brokers: number[];
  /** The controller, alone and last. */
  controller?: boolean;
}

export interface BatchChoice {
  batches: Batch[];
  /** Why brokers are apart: per broker, the first batch it could not join and the partition that says no. */
  apart: BatchConflict[];
  /** Set when batching was asked for but no two brokers may stop together. */
  degraded?: string;
}

export interface BatchInput {
  snapshot: ClusterSnapshot;
  /** The brokers to place, in the order a one-at-a-time run would take them. */
  brokers: readonly number[];
  /** min.insync.replicas where a topic does not override it. */
  brokerMinIsr: number;
  size: BatchSize;
  /** broker id → broker.rack (a hint only). */
  racks?: ReadonlyMap<number, string>;
}

/** min.insync.replicas per topic (override or the broker default). */
export function minIsrLookup(snapshot: ClusterSnapshot, brokerDefault: number): (topic: string) => number {
  const byTopic = new Map<string, number>();
  for (const t of snapshot.topics) {
    const v = Number(t.config['min.insync.replicas']);
    if (Number.isInteger(v) && v > 0) byTopic.set(t.name, v);
  }
  return (topic) => byTopic.get(topic) ?? brokerDefault;
}

/** Why stopping `set` at once is unsafe for `p`, or undefined when it is safe. */
export function partitionVerdict(p: PartitionState, set: ReadonlySet<number>, minIsr: number): string | undefined {
  if (p.replicas.length <= minIsr) {
    const down = p.replicas.filter((r) => set.has(r));
    if (down.length > 1)
      return `${partitionLabel(p)} has replication factor ${p.replicas.length} <= min.insync.replicas ${minIsr}: brokers ${down.join(',')} hold replicas of it`;
    return undefined;
  }
  const left = p.isr.filter((r) => !set.has(r));
  if (left.length < minIsr)
    return `${partitionLabel(p)} would keep ${left.length} in-sync replica(s) (ISR ${p.isr.join(',')}), below min.insync.replicas ${minIsr}`;
  return undefined;
}

/** The first partition that says no to stopping `set` at once (undefined = safe). */
export function setConflict(
  snapshot: ClusterSnapshot,
  set: ReadonlySet<number>,
  minIsrOf: (topic: string) => number,
): { partition: string; message: string } | undefined {
  const index = partitionIndex(snapshot);
  const seen = new Set<PartitionState>();
  for (const b of [...set].sort((x, y) => x - y)) {
    for (const p of partitionsOf(index.byReplica, b)) {
      if (seen.has(p)) continue;
      seen.add(p);
      const message = partitionVerdict(p, set, minIsrOf(p.topic));
      if (message) return { partition: partitionLabel(p), message };
    }
  }
  return undefined;
}

/**
 * Groups `brokers` into batches: first fit, the batches tried same-rack first, each candidate
 * checked with the set rule against the snapshot. Deterministic for one input.
 */
export function chooseBatches(input: BatchInput): BatchChoice {
  const { snapshot, size } = input;
  const limit = size === 'auto' ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(size));
  const controller = snapshot.controller;
  const others = input.brokers.filter((b) => b !== controller);
  const hasController = input.brokers.includes(controller ?? Number.NaN);
  const tail: Batch[] = hasController ? [{ brokers: [controller as number], controller: true }] : [];
  if (limit === 1) return { batches: [...others.map((b) => ({ brokers: [b] })), ...tail], apart: [] };

  const minIsrOf = minIsrLookup(snapshot, input.brokerMinIsr);
  const rackOf = (b: number) => input.racks?.get(b);
  // Rack order: brokers of the same rack next to each other, racks in the order first met.
  const rackRank = new Map<string | undefined, number>();
  for (const b of others) if (!rackRank.has(rackOf(b))) rackRank.set(rackOf(b), rackRank.size);
  const ordered = others
    .map((b, i) => ({ b, i }))
    .sort((x, y) => (rackRank.get(rackOf(x.b)) as number) - (rackRank.get(rackOf(y.b)) as number) || x.i - y.i)
    .map((x) => x.b);

  const batches: { brokers: number[]; rack: string | undefined }[] = [];
  const apart: BatchConflict[] = [];
  for (const b of ordered) {
    const candidates = batches
      .filter((batch) => batch.brokers.length < limit)
      .sort((x, y) => Number(x.rack !== rackOf(b)) - Number(y.rack !== rackOf(b)));
    let placed = false;
    let firstNo: BatchConflict | undefined;
    for (const batch of candidates) {
      const conflict = setConflict(snapshot, new Set([...batch.brokers, b]), minIsrOf);
      if (!conflict) {
        batch.brokers.push(b);
        placed = true;
        break;
      }
      firstNo ??= { broker: b, with: [...batch.brokers], ...conflict };
    }
    if (!placed) {
      batches.push({ brokers: [b], rack: rackOf(b) });
      if (firstNo) apart.push(firstNo);
    }
  }
  const chosen: Batch[] = [...batches.map((x) => ({ brokers: [...x.brokers].sort((p, q) => p - q) })), ...tail];
  const degraded =
    others.length > 1 && batches.length === others.length
      ? `No two brokers may stop together: ${apart[0]?.message ?? 'every pair shares a partition'}. One broker at a time.`
      : undefined;
  return { batches: chosen, apart, ...(degraded ? { degraded } : {}) };
}

/**
 * The pre-stop gate over a batch, re-checked against the live cluster before the batch stops:
 * blocking findings when stopping `set` now would take a partition below min.insync.replicas or
 * offline, or when a partition is offline or under-replicated because of a broker outside the set.
 */
export function batchStopFindings(
  snapshot: ClusterSnapshot,
  set: ReadonlySet<number>,
  brokerMinIsr: number,
): { blocking: boolean; message: string; partitions: string[] }[] {
  const index = partitionIndex(snapshot);
  const findings: { blocking: boolean; message: string; partitions: string[] }[] = [];
  const outsideUrp = index.underReplicated.filter((p) => p.replicas.some((r) => !p.isr.includes(r) && !set.has(r)));
  if (index.offline.length > 0)
    findings.push({
      blocking: true,
      message: `${index.offline.length} partition(s) have no live leader.`,
      partitions: index.offline.map(partitionLabel),
    });
  if (outsideUrp.length > 0)
    findings.push({
      blocking: true,
      message: `${outsideUrp.length} partition(s) are under-replicated.`,
      partitions: outsideUrp.map(partitionLabel),
    });
  const conflict = setConflict(snapshot, set, minIsrLookup(snapshot, brokerMinIsr));
  if (conflict)
    findings.push({
      blocking: true,
      message: `Stopping brokers ${[...set].sort((a, b) => a - b).join(',')} together: ${conflict.message}.`,
      partitions: [conflict.partition],
    });
  return findings;
}

/** What batching needs from the brokers' server.properties: min.insync.replicas (the highest counts) and broker.rack (a hint). */
export function placementHints(
  brokers: readonly number[],
  configs: readonly Record<string, string | undefined>[],
): { brokerMinIsr: number; racks: Map<number, string> } {
  const brokerMinIsr = configs.reduce((m, c) => Math.max(m, Number(c['min.insync.replicas'] ?? '1') || 1), 1);
  const racks = new Map<number, string>();
  configs.forEach((c, i) => {
    const rack = c['broker.rack'];
    const id = brokers[i];
    if (rack && id !== undefined) racks.set(id, rack);
  });
  return { brokerMinIsr, racks };
}

/**
 * The batches for `brokers` (in plan order) from the observed placement and their server.properties
 * (`configs[i]` is broker `brokers[i]`'s): what the engine chooses before a batch, and what a dry run shows.
 */
export function batchesFromPlacement(
  snapshot: ClusterSnapshot,
  brokers: readonly number[],
  configs: readonly Record<string, string | undefined>[],
  size: BatchSize,
): BatchChoice & { brokerMinIsr: number } {
  const { brokerMinIsr, racks } = placementHints(brokers, configs);
  return { ...chooseBatches({ snapshot, brokers, brokerMinIsr, size, racks }), brokerMinIsr };
}

/** One line: the batches in order, then why brokers are apart (the first reason per broker). */
export function describeBatches(choice: BatchChoice): string {
  const batches = choice.batches.map((b) => `[${b.brokers.join(',')}]${b.controller ? ' (controller, last)' : ''}`).join(' ');
  const apart = choice.apart.map((c) => `${c.broker} not with ${c.with.join(',')}: ${c.message}`);
  return apart.length > 0 ? `${batches}; apart: ${apart.join('; ')}` : batches;
}
