/**
 * The health gates against the rules of a safe rolling restart (Strimzi's canRoll, Kafka's
 * min.insync.replicas semantics): before a stop nothing is offline, nothing is
 * under-replicated, and for every partition with a replica on the broker, removing that
 * replica from the ISR (when it is in it) keeps |ISR| >= min.insync.replicas. Topics whose
 * replication factor is <= min.insync.replicas can never pass that test: they are
 * reported, never waited on. After a start: registered, back in every ISR, no URPs.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../src/cluster/port.js';
import {
  beforeStopFindings,
  caughtUpFindings,
  type GateFinding,
  minIsrOf,
  offlinePartitions,
  underReplicatedPartitions,
} from '../../src/engine/gates.js';
import { healthyCluster, partition, snapshot } from '../helpers/snapshots.js';

const BROKER_MIN_ISR = 2;
const labels = (ps: Array<{ topic: string; partition: number }>): string[] => ps.map((p) => `${p.topic}-${p.partition}`).sort();
const blocking = (fs: GateFinding[]): GateFinding[] => fs.filter((f) => f.blocking);
const gatesOf = (fs: GateFinding[]): string[] => fs.map((f) => `${f.gate}${f.blocking ? '' : ' (report)'}`).sort();
const minIsrFindings = (fs: GateFinding[]): GateFinding[] => fs.filter((f) => f.gate === 'min-isr-holds-without-broker');

describe('a healthy cluster', () => {
  const healthy = healthyCluster();

  it('has no offline and no under-replicated partitions', () => {
    expect(offlinePartitions(healthy)).toEqual([]);
    expect(underReplicatedPartitions(healthy)).toEqual([]);
  });

  it.each([1, 2, 3])('lets broker %i stop and counts it as caught up', (id) => {
    expect(beforeStopFindings(healthy, id, BROKER_MIN_ISR)).toEqual([]);
    expect(caughtUpFindings(healthy, id)).toEqual([]);
  });
});

describe('the counterfactual min.insync.replicas test (one partition, broker min ISR 2 unless said)', () => {
  interface Case {
    what: string;
    replicas: number[];
    isr: number[];
    stop: number;
    /** Topic override of min.insync.replicas. */
    override?: string;
    /** Expected min-isr finding: none, blocking, or reported only. */
    expected: 'none' | 'blocks' | 'reported';
  }
  const CASES: Case[] = [
    { what: 'full ISR of 3, stopping a member leaves 2', replicas: [1, 2, 3], isr: [1, 2, 3], stop: 1, expected: 'none' },
    { what: 'ISR [1,2], stopping 1 leaves 1', replicas: [1, 2, 3], isr: [1, 2], stop: 1, expected: 'blocks' },
    { what: 'ISR [1,2], stopping 2 leaves 1', replicas: [1, 2, 3], isr: [1, 2], stop: 2, expected: 'blocks' },
    { what: 'ISR [1,2], stopping 3 (a replica not in the ISR) leaves 2', replicas: [1, 2, 3], isr: [1, 2], stop: 3, expected: 'none' },
    {
      what: 'ISR [2] already below min ISR, broker 1 holds an out-of-sync replica',
      replicas: [1, 2, 3],
      isr: [2],
      stop: 1,
      expected: 'blocks',
    },
    { what: 'broker holds no replica of the partition', replicas: [2, 3, 4], isr: [2, 3], stop: 1, expected: 'none' },
    {
      what: 'RF 4 with min ISR 3, full ISR, stopping one leaves 3',
      replicas: [1, 2, 3, 4],
      isr: [1, 2, 3, 4],
      stop: 4,
      override: '3',
      expected: 'none',
    },
    {
      what: 'RF 4 with min ISR 3, ISR of 3, stopping a member leaves 2',
      replicas: [1, 2, 3, 4],
      isr: [1, 2, 3],
      stop: 3,
      override: '3',
      expected: 'blocks',
    },
    {
      what: 'override min ISR 1 beats the broker default 2: ISR [1,2], stopping 1 leaves 1',
      replicas: [1, 2, 3],
      isr: [1, 2],
      stop: 1,
      override: '1',
      expected: 'none',
    },
    {
      what: 'override min ISR 3 beats the broker default 2 on RF 3',
      replicas: [1, 2, 3],
      isr: [1, 2, 3],
      stop: 1,
      override: '3',
      expected: 'reported',
    },
    { what: 'RF 2 with min ISR 2, full ISR', replicas: [1, 2], isr: [1, 2], stop: 1, expected: 'reported' },
    { what: 'RF 2 with min ISR 2, ISR [2], stopping the out-of-sync replica', replicas: [1, 2], isr: [2], stop: 1, expected: 'reported' },
    { what: 'RF 2 with min ISR 2, ISR [1], stopping the last in-sync replica', replicas: [1, 2], isr: [1], stop: 1, expected: 'reported' },
    { what: 'RF 1 with min ISR 1', replicas: [1], isr: [1], stop: 1, override: '1', expected: 'reported' },
  ];

  it.each(CASES)('$what → $expected', ({ replicas, isr, stop, override, expected }) => {
    const cluster = snapshot([1, 2, 3, 4], [partition('t-0', replicas, isr)], override === undefined ? {} : { t: override });
    const found = minIsrFindings(beforeStopFindings(cluster, stop, BROKER_MIN_ISR));
    if (expected === 'none') {
      expect(found).toEqual([]);
      return;
    }
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ blocking: expected === 'blocks', partitions: ['t-0'] });
    expect(found[0]?.message).toContain(`broker ${stop}`);
  });
});

describe('beforeStopFindings on a 3-broker RF 3 cluster with broker 3 out of one ISR', () => {
  const cluster = snapshot(
    [1, 2, 3],
    [partition('orders-0', [1, 2, 3], [1, 2]), partition('orders-1', [2, 3, 1]), partition('orders-2', [3, 1, 2])],
  );

  it.each([1, 2])('blocks stopping broker %i: orders-0 would drop below 2, and it is under-replicated', (id) => {
    const findings = beforeStopFindings(cluster, id, BROKER_MIN_ISR);
    expect(gatesOf(findings)).toEqual(['min-isr-holds-without-broker', 'no-under-replicated-partitions']);
    expect(findings.every((f) => f.blocking && f.partitions.join() === 'orders-0')).toBe(true);
  });

  it('blocks stopping broker 3 only for the under-replicated partition (its replica is not in the ISR)', () => {
    const findings = beforeStopFindings(cluster, 3, BROKER_MIN_ISR);
    expect(findings).toEqual([
      expect.objectContaining({ gate: 'no-under-replicated-partitions', blocking: true, partitions: ['orders-0'] }),
    ]);
  });
});

describe('topics whose replication factor is <= min.insync.replicas', () => {
  // RF 2 with min.insync.replicas 2: acks=all producers fail during any restart of one of
  // its brokers, and no amount of waiting changes that. The gate must let the roll go on.
  const cluster = (isr: number[]): ClusterSnapshot =>
    snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3]), partition('pairs-0', [1, 2], isr)], { pairs: '2' });

  it.each([1, 2])('are reported, not blocking, when broker %i stops in a healthy cluster', (id) => {
    const findings = beforeStopFindings(cluster([1, 2]), id, 1);
    expect(blocking(findings)).toEqual([]);
    expect(findings).toEqual([expect.objectContaining({ gate: 'min-isr-holds-without-broker', blocking: false, partitions: ['pairs-0'] })]);
  });

  it('are not reported for a broker that holds none of their replicas', () => {
    expect(beforeStopFindings(cluster([1, 2]), 3, 1)).toEqual([]);
  });

  it.each([[[1]], [[2]], [[1, 2]]])('never make the min-isr gate block, whatever the ISR (%j)', (isr) => {
    for (const id of [1, 2, 3]) {
      expect(minIsrFindings(beforeStopFindings(cluster(isr), id, 1)).filter((f) => f.blocking)).toEqual([]);
    }
  });

  it('reported alongside a blocking partition of another topic, each in its own finding', () => {
    const mixed = snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3], [1, 2], 1), partition('pairs-0', [1, 2])], { pairs: '2' });
    const found = minIsrFindings(beforeStopFindings(mixed, 1, BROKER_MIN_ISR));
    expect(found.map((f) => [f.blocking, f.partitions])).toEqual(
      expect.arrayContaining([
        [true, ['orders-0']],
        [false, ['pairs-0']],
      ]),
    );
    expect(found).toHaveLength(2);
  });
});

describe('offline partitions', () => {
  const CASES: Array<{ what: string; replicas: number[]; leader: number; isr: number[]; offline: boolean }> = [
    { what: 'leader -1 (no leader)', replicas: [1, 2, 3], leader: -1, isr: [1, 2], offline: true },
    { what: 'leader 4, not registered', replicas: [4, 2, 3], leader: 4, isr: [4], offline: true },
    { what: 'empty ISR', replicas: [1, 2, 3], leader: 1, isr: [], offline: true },
    { what: 'registered leader, one follower down', replicas: [4, 2, 3], leader: 2, isr: [2, 3], offline: false },
  ];

  it.each(CASES)('$what → offline: $offline', ({ replicas, leader, isr, offline }) => {
    const cluster = snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3]), partition('t-0', replicas, isr, leader)]);
    expect(labels(offlinePartitions(cluster))).toEqual(offline ? ['t-0'] : []);
    const gate = beforeStopFindings(cluster, 1, BROKER_MIN_ISR).find((f) => f.gate === 'no-offline-partitions');
    if (offline) expect(gate).toMatchObject({ blocking: true, partitions: ['t-0'] });
    else expect(gate).toBeUndefined();
  });

  it('blocks stopping any broker, even one with no replica of the offline partition', () => {
    const cluster = snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3]), partition('t-0', [2], [2], -1)]);
    expect(blocking(beforeStopFindings(cluster, 1, BROKER_MIN_ISR)).map((f) => f.gate)).toContain('no-offline-partitions');
  });
});

describe('under-replicated partitions', () => {
  it('are the partitions whose ISR is smaller than their replica list, on any broker', () => {
    const cluster = snapshot(
      [1, 2, 3],
      [partition('a-0', [1, 2, 3]), partition('a-1', [1, 2, 3], [1, 3]), partition('b-0', [2, 3], [3]), partition('c-0', [3])],
    );
    expect(labels(underReplicatedPartitions(cluster))).toEqual(['a-1', 'b-0']);
  });
});

describe('minIsrOf', () => {
  const CASES: Array<{ what: string; override?: string; expected: number }> = [
    { what: 'no override → broker default', expected: 2 },
    { what: 'override 3 beats the default', override: '3', expected: 3 },
    { what: 'override 1 beats the default', override: '1', expected: 1 },
    { what: 'non-numeric override falls back', override: 'two', expected: 2 },
    { what: 'zero falls back', override: '0', expected: 2 },
    { what: 'negative falls back', override: '-1', expected: 2 },
    { what: 'fraction falls back', override: '1.5', expected: 2 },
    { what: 'empty falls back', override: '', expected: 2 },
  ];

  it.each(CASES)('$what ($override) → $expected', ({ override, expected }) => {
    const cluster = snapshot([1, 2, 3], [partition('t-0', [1, 2, 3])], override === undefined ? {} : { t: override });
    expect(minIsrOf(cluster, 't', 2)).toBe(expected);
  });

  it('reads only the named topic’s override', () => {
    const cluster = snapshot([1, 2, 3], [partition('t-0', [1, 2, 3]), partition('u-0', [1, 2, 3])], { u: '3' });
    expect(minIsrOf(cluster, 't', 2)).toBe(2);
    expect(minIsrOf(cluster, 'u', 2)).toBe(3);
    expect(minIsrOf(cluster, 'unknown', 2)).toBe(2);
  });

  it('an invalid override makes the gate use the broker default', () => {
    // ISR [1,2] of RF 3: with the default 2, stopping 1 leaves 1 < 2 → blocks.
    const cluster = snapshot([1, 2, 3], [partition('t-0', [1, 2, 3], [1, 2])], { t: 'all' });
    expect(minIsrFindings(beforeStopFindings(cluster, 1, 2))).toEqual([expect.objectContaining({ blocking: true })]);
  });
});

describe('caughtUpFindings', () => {
  it('reports only "registered" for a broker that is not registered, whatever else is wrong', () => {
    const cluster = snapshot([2, 3], [partition('orders-0', [1, 2, 3], [2, 3], 2), partition('orders-1', [1, 2, 3], [2, 3], 3)]);
    const findings = caughtUpFindings(cluster, 1);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ gate: 'registered', blocking: true, partitions: [] });
  });

  it('reports "isr-caught-up" with every partition whose ISR is still missing the broker', () => {
    const cluster = snapshot(
      [1, 2, 3],
      [partition('orders-0', [1, 2, 3], [2, 3]), partition('orders-1', [2, 3, 1], [2, 3]), partition('orders-2', [3, 1, 2])],
    );
    const findings = caughtUpFindings(cluster, 1);
    expect(findings.find((f) => f.gate === 'isr-caught-up')).toMatchObject({ blocking: true, partitions: ['orders-0', 'orders-1'] });
    // Those partitions are also under-replicated: the cluster-wide gate says so too.
    expect(gatesOf(findings)).toEqual(['isr-caught-up', 'no-under-replicated-partitions']);
  });

  it('reports another broker’s under-replicated partition, but not as this broker’s ISR', () => {
    const cluster = snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3]), partition('other-0', [2, 3], [2])]);
    const findings = caughtUpFindings(cluster, 1);
    expect(findings).toEqual([
      expect.objectContaining({ gate: 'no-under-replicated-partitions', blocking: true, partitions: ['other-0'] }),
    ]);
  });

  it('counts a broker with no replicas at all as caught up once registered', () => {
    expect(caughtUpFindings(snapshot([1, 2, 3, 4], [partition('orders-0', [1, 2, 3])]), 4)).toEqual([]);
  });
});

describe('a broker that is no longer registered (its own shutdown under way)', () => {
  it('may be stopped: the under-replication it causes itself does not hold its gate', () => {
    // Broker 3 left the cluster: out of every ISR, so every partition is under-replicated.
    const cluster = snapshot([1, 2], [partition('orders-0', [1, 2, 3], [1, 2]), partition('orders-1', [3, 1, 2], [1, 2], 1)]);
    expect(blocking(beforeStopFindings(cluster, 1, BROKER_MIN_ISR)).map((f) => f.gate)).toContain('no-under-replicated-partitions');
    expect(beforeStopFindings(cluster, 3, BROKER_MIN_ISR)).toEqual([]);
  });
});
