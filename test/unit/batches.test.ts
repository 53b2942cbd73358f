import { describe, expect, it } from 'vitest';
import type { ClusterSnapshot, PartitionState } from '../../src/cluster/port.js';
import { batchStopFindings, chooseBatches, describeBatches, type BatchSize } from '../../src/engine/batches.js';
import { UserError } from '../../src/errors.js';
import { batchOf, durationMsOf } from '../../src/ui/flags.js';

const part = (topic: string, partition: number, replicas: number[], isr = replicas): PartitionState => ({
  topic,
  partition,
  replicas,
  isr,
  leader: isr[0] ?? -1,
});

function snap(partitions: PartitionState[], brokers: number[], controller?: number, minIsr: Record<string, string> = {}): ClusterSnapshot {
  const topics = [...new Set(partitions.map((p) => p.topic))].map((name) => ({
    name,
    config: minIsr[name] ? { 'min.insync.replicas': minIsr[name] } : {},
  }));
  return { brokers, ...(controller !== undefined ? { controller } : {}), partitions, topics };
}

/** Rack-aware placement: each partition gets one replica on each of `rf` racks, rotating. */
function rackAware(
  brokersPerRack: number,
  racks: number,
  partitions: number,
): { partitions: PartitionState[]; racks: Map<number, string> } {
  const rackOf = new Map<number, string>();
  const byRack: number[][] = [];
  let id = 1;
  for (let r = 0; r < racks; r++) {
    byRack.push([]);
    for (let i = 0; i < brokersPerRack; i++) {
      rackOf.set(id, `r${r}`);
      byRack[r]!.push(id++);
    }
  }
  const ps: PartitionState[] = [];
  for (let p = 0; p < partitions; p++) {
    const replicas = byRack.map((ids, r) => ids[(p + r) % ids.length]!);
    ps.push(part('t', p, replicas));
  }
  return { partitions: ps, racks: rackOf };
}

/** The rule, written out from its definition, independent of the implementation. */
function oracleSafe(s: ClusterSnapshot, set: number[], brokerMinIsr: number): boolean {
  return s.partitions.every((p) => {
    const topicMin = Number(s.topics.find((t) => t.name === p.topic)?.config['min.insync.replicas'] ?? brokerMinIsr);
    const inSet = p.replicas.filter((r) => set.includes(r)).length;
    if (inSet === 0) return true;
    if (p.replicas.length <= topicMin) return inSet <= 1;
    return p.isr.filter((r) => !set.includes(r)).length >= topicMin;
  });
}

function checkChoice(s: ClusterSnapshot, brokers: number[], minIsr: number, size: BatchSize, racks?: Map<number, string>) {
  const choice = chooseBatches({ snapshot: s, brokers, brokerMinIsr: minIsr, size, ...(racks ? { racks } : {}) });
  const all = choice.batches.flatMap((b) => b.brokers);
  // every broker exactly once
  expect([...all].sort((a, b) => a - b)).toEqual([...brokers].sort((a, b) => a - b));
  const limit = size === 'auto' ? Infinity : size;
  for (const b of choice.batches) {
    expect(b.brokers.length).toBeLessThanOrEqual(limit);
    if (b.brokers.length > 1) expect(oracleSafe(s, b.brokers, minIsr)).toBe(true);
    if (b.brokers.includes(s.controller ?? NaN)) expect(b.brokers).toEqual([s.controller]);
  }
  if (brokers.includes(s.controller ?? NaN)) expect(choice.batches.at(-1)).toEqual({ brokers: [s.controller], controller: true });
  // maximal: no two non-controller batches (both under the limit) could have been one
  const plain = choice.batches.filter((b) => !b.controller);
  for (let i = 0; i < plain.length; i++)
    for (let j = i + 1; j < plain.length; j++) {
      const union = [...plain[i]!.brokers, ...plain[j]!.brokers];
      if (union.length <= limit) expect(oracleSafe(s, union, minIsr)).toBe(false);
    }
  // degrades to ones exactly when no pair of non-controller brokers is safe
  const others = brokers.filter((b) => b !== s.controller);
  const anyPair = others.some((a, i) => others.slice(i + 1).some((b) => oracleSafe(s, [a, b], minIsr)));
  if (limit > 1 && others.length > 1) expect(choice.degraded !== undefined).toBe(!anyPair);
  return choice;
}

describe('chooseBatches', () => {
  it('batch 1 is one broker at a time, the controller last', () => {
    const s = snap([part('t', 0, [1, 2, 3])], [1, 2, 3], 2);
    expect(chooseBatches({ snapshot: s, brokers: [1, 2, 3], brokerMinIsr: 2, size: 1 }).batches).toEqual([
      { brokers: [1] },
      { brokers: [3] },
      { brokers: [2], controller: true },
    ]);
  });

  it('6 brokers over 3 racks, RF 3, min ISR 2: one batch per rack, the controller alone last', () => {
    const { partitions, racks } = rackAware(2, 3, 12);
    const s = snap(partitions, [1, 2, 3, 4, 5, 6], 6);
    const choice = checkChoice(s, [1, 2, 3, 4, 5, 6], 2, 'auto', racks);
    expect(choice.batches).toEqual([{ brokers: [1, 2] }, { brokers: [3, 4] }, { brokers: [5] }, { brokers: [6], controller: true }]);
    expect(choice.degraded).toBeUndefined();
  });

  it('racks are a hint, not the proof: a partition with two replicas on one rack keeps them apart', () => {
    const { partitions, racks } = rackAware(2, 3, 6);
    partitions.push(part('skewed', 0, [1, 2, 3])); // 1 and 2 share rack r0
    const s = snap(partitions, [1, 2, 3, 4, 5, 6], undefined, { skewed: '2' });
    const choice = checkChoice(s, [1, 2, 3, 4, 5, 6], 2, 'auto', racks);
    expect(choice.batches.find((b) => b.brokers.includes(1))?.brokers).not.toContain(2);
    expect(choice.apart.find((c) => c.broker === 2)?.partition).toBe('skewed-0');
    expect(describeBatches(choice)).toMatch(
      /^\[1,6\] \[2,5\] \[3,4\]; apart: 2 not with 1: skewed-0 would keep 1 in-sync replica\(s\) \(ISR 1,2,3\)/,
    );
  });

  it('every pair shares a partition at RF 3 / min ISR 2 over 3 brokers: batches of one, with the reason', () => {
    const s = snap([part('t', 0, [1, 2, 3])], [1, 2, 3]);
    const choice = checkChoice(s, [1, 2, 3], 2, 'auto');
    expect(choice.batches.map((b) => b.brokers)).toEqual([[1], [2], [3]]);
    expect(choice.degraded).toMatch(/No two brokers may stop together: t-0 would keep 1 in-sync replica/);
    expect(choice.apart).toHaveLength(2);
  });

  it('a numeric size caps the batch', () => {
    const s = snap([part('t', 0, [1, 2, 3, 4, 5])], [1, 2, 3, 4, 5], undefined, { t: '1' });
    const choice = checkChoice(s, [1, 2, 3, 4, 5], 1, 2);
    expect(choice.batches.map((b) => b.brokers)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('RF <= min ISR: at most one replica per batch; an out-of-sync replica does not count', () => {
    const s = snap([part('a', 0, [1, 2]), part('b', 0, [3, 4, 5], [3, 4])], [1, 2, 3, 4, 5], undefined, { a: '2', b: '1' });
    const choice = checkChoice(s, [1, 2, 3, 4, 5], 2, 'auto');
    expect(choice.batches.find((b) => b.brokers.includes(1))?.brokers).not.toContain(2);
    // b-0 keeps 4 in sync with 3 and 5 down
    expect(choice.batches.some((b) => b.brokers.includes(3) && b.brokers.includes(5))).toBe(true);
  });

  it('random placements against the oracle', () => {
    let seed = 17;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const n = 2 + rnd(7);
      const brokers = Array.from({ length: n }, (_, i) => i + 1);
      const partitions: PartitionState[] = [];
      const count = rnd(12);
      for (let p = 0; p < count; p++) {
        const rf = 1 + rnd(Math.min(n, 4));
        const pool = [...brokers];
        const replicas = Array.from({ length: rf }, () => pool.splice(rnd(pool.length), 1)[0]!);
        const isr = replicas.filter((_, i) => i === 0 || rnd(5) > 0);
        partitions.push(part(`t${rnd(3)}`, p, replicas, isr));
      }
      const minIsr: Record<string, string> = {};
      for (const t of ['t0', 't1', 't2']) if (rnd(2)) minIsr[t] = String(1 + rnd(3));
      const racks = new Map(brokers.map((b) => [b, `r${rnd(3)}`]));
      const controller = rnd(3) ? 1 + rnd(n) : undefined;
      const s = snap(partitions, brokers, controller, minIsr);
      const size: BatchSize = rnd(3) ? 'auto' : 1 + rnd(3);
      checkChoice(s, brokers, 1 + rnd(2), size, rnd(2) ? racks : undefined);
    }
  });
});

describe('batchStopFindings', () => {
  it('ignores under-replication caused by the batch itself, blocks on one caused by another broker', () => {
    const { partitions } = rackAware(2, 3, 12);
    // broker 1 of the batch {1,2} already stopped: out of every ISR
    const stopped = partitions.map((p) =>
      part(
        p.topic,
        p.partition,
        p.replicas,
        p.isr.filter((r) => r !== 1),
      ),
    );
    expect(batchStopFindings(snap(stopped, [2, 3, 4, 5, 6]), new Set([1, 2]), 2)).toEqual([]);
    const other = partitions.map((p) =>
      part(
        p.topic,
        p.partition,
        p.replicas,
        p.isr.filter((r) => r !== 3),
      ),
    );
    const findings = batchStopFindings(snap(other, [1, 2, 4, 5, 6]), new Set([1, 2]), 2);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/^6 partition\(s\) are under-replicated/),
      expect.stringMatching(/below min.insync.replicas 2/),
    ]);
  });

  it('blocks a set that would take a partition below min ISR', () => {
    const s = snap([part('t', 0, [1, 2, 3])], [1, 2, 3]);
    const [f] = batchStopFindings(s, new Set([1, 3]), 2);
    expect(f?.message).toBe('Stopping brokers 1,3 together: t-0 would keep 1 in-sync replica(s) (ISR 1,2,3), below min.insync.replicas 2.');
    expect(f?.blocking).toBe(true);
  });
});

describe('--batch', () => {
  it('takes auto or a positive whole number, and says what it expects otherwise', () => {
    expect(batchOf('auto')).toBe('auto');
    expect(batchOf('3')).toBe(3);
    expect(() => batchOf('0')).toThrow(/--batch 0: expected auto or a positive whole number/);
    expect(() => batchOf('two')).toThrow(UserError);
  });
});

describe('--pause-between', () => {
  it('reads ms, s, m, h (seconds when bare), and says what it expects otherwise', () => {
    expect([durationMsOf('500ms'), durationMsOf('30s'), durationMsOf('5m'), durationMsOf('1h'), durationMsOf('7')]).toEqual([
      500, 30_000, 300_000, 3_600_000, 7000,
    ]);
    expect(() => durationMsOf('soon')).toThrow(/--pause-between soon: expected a duration/);
  });
});
