/**
 * The leadership-settled pre-stop gate on its own: what holds a stop and until when.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../src/cluster/port.js';
import { autoRebalanceOf, CONTROLLER_FIRST_REBALANCE_CHECK_MS, LeadershipTracker, rebalanceMoves } from '../../src/engine/leadership.js';
import { leadershipRulesFor, lowestProtocol } from '../../src/plan/leadership-rules.js';

const T0 = 1_800_000_000_000;
const QUIET = 2000;
const LEAD = 4000;
const SLACK = 10_000;
/** Broker 1 leads none of the partitions it prefers: the controller's check would give t-0 back. */
const IMBALANCED = { leaders: [2, 2, 3] };
const DEFAULT_REBALANCE = autoRebalanceOf({});
/** The broker whose stop is asked about, where it does not matter which. */
const STOPPING = 3;

function snapshot(over: Partial<ClusterSnapshot> & { leaders?: number[]; epochs?: number[] } = {}): ClusterSnapshot {
  const leaders = over.leaders ?? [1, 2, 3];
  return {
    brokers: [1, 2, 3],
    controller: 1,
    // Partition p prefers broker p + 1: leaders [1, 2, 3] are balanced.
    partitions: leaders.map((leader, partition) => ({
      topic: 't',
      partition,
      replicas: [0, 1, 2].map((i) => ((partition + i) % 3) + 1),
      isr: [1, 2, 3],
      leader,
      ...(over.epochs ? { leaderEpoch: over.epochs[partition] } : {}),
    })),
    topics: [],
    ...over,
  };
}

const tracker = () => new LeadershipTracker({ quietMs: QUIET, leadMs: LEAD, slackMs: SLACK });

describe('autoRebalanceOf', () => {
  it('is Kafka default (on, every 300 s) when server.properties says nothing', () => {
    expect(DEFAULT_REBALANCE).toEqual({ enabled: true, intervalMs: 300_000, imbalancePercent: 10 });
  });
  it('reads auto.leader.rebalance.enable, leader.imbalance.check.interval.seconds and leader.imbalance.per.broker.percentage', () => {
    expect(
      autoRebalanceOf({
        'auto.leader.rebalance.enable': 'False',
        'leader.imbalance.check.interval.seconds': '60',
        'leader.imbalance.per.broker.percentage': '50',
      }),
    ).toEqual({
      enabled: false,
      intervalMs: 60_000,
      imbalancePercent: 50,
    });
    expect(autoRebalanceOf({ 'leader.imbalance.check.interval.seconds': 'soon' }).intervalMs).toBe(300_000);
  });
});

describe('rebalanceMoves (the controller leader-imbalance check)', () => {
  it('moves nothing on a balanced cluster', () => {
    expect(rebalanceMoves(snapshot(), 10)).toEqual([]);
  });
  it('gives a broker back the partitions it prefers, where it is in the ISR, once it leads too few of them', () => {
    expect(rebalanceMoves(snapshot(IMBALANCED), 10)).toEqual(['t-0']);
    const outOfIsr = snapshot(IMBALANCED);
    outOfIsr.partitions[0]!.isr = [2, 3];
    expect(rebalanceMoves(outOfIsr, 10)).toEqual([]);
  });
  it('leaves a broker alone while its share not led is within the percentage, and skips brokers not registered', () => {
    // Six partitions prefer broker 1; it leads five: 1/6 = 17 % not led.
    const many: ClusterSnapshot = {
      brokers: [1, 2],
      partitions: [0, 1, 2, 3, 4, 5].map((p) => ({ topic: 'm', partition: p, replicas: [1, 2], isr: [1, 2], leader: p === 0 ? 2 : 1 })),
      topics: [],
    };
    expect(rebalanceMoves(many, 20)).toEqual([]);
    expect(rebalanceMoves(many, 10)).toEqual(['m-0']);
    expect(rebalanceMoves({ ...many, brokers: [2] }, 10)).toEqual([]);
  });
});

describe('LeadershipTracker', () => {
  it('holds nothing on a cluster whose leaders stay put and whose controller is old', () => {
    const t = tracker();
    const s = snapshot({ controllerSinceMs: T0 - 60_000 });
    t.observe(s, T0);
    t.observe(s, T0 + 500);
    expect(t.hold(s, T0 + 500, DEFAULT_REBALANCE, STOPPING)).toBeUndefined();
  });

  it('after the moves of its own stop, holds only the broker a leadership moved to, for the quiet period from when it was seen', () => {
    const t = tracker();
    t.observe(snapshot(), T0);
    const moved = snapshot({ leaders: [2, 2, 3] });
    t.duringOwnStop(true);
    t.observe(moved, T0 + 1000);
    t.duringOwnStop(false);
    expect(t.hold(moved, T0 + 1000 + QUIET - 1, DEFAULT_REBALANCE, 2)).toMatchObject({
      untilMs: T0 + 1000 + QUIET,
      message: expect.stringContaining('leadership of t-0 (now on broker 2) changed'),
    });
    expect(t.hold(moved, T0 + 1000 + QUIET, DEFAULT_REBALANCE, 2)).toBeUndefined();
    // Brokers whose partitions kept their leader: their stops move none of those that just moved.
    expect(t.hold(moved, T0 + 1001, DEFAULT_REBALANCE, 3)).toBeUndefined();
    expect(t.hold(moved, T0 + 1001, DEFAULT_REBALANCE, 1)).toBeUndefined();
  });

  it('after an election kafka-ops did not make, holds every stop for the quiet period: such elections come in batches', () => {
    const t = tracker();
    t.observe(snapshot(), T0);
    const moved = snapshot({ leaders: [2, 2, 3] });
    t.observe(moved, T0 + 1000);
    for (const broker of [1, 2, 3]) expect(t.hold(moved, T0 + 1001, DEFAULT_REBALANCE, broker)?.untilMs).toBe(T0 + 1000 + QUIET);
    expect(t.hold(moved, T0 + 1000, DEFAULT_REBALANCE, 3)?.message).toContain('an election kafka-ops did not make');
    expect(t.hold(moved, T0 + 1000 + QUIET, DEFAULT_REBALANCE, 3)).toBeUndefined();
    // A leader epoch bump alone (the controller shrinking an ISR) is no election.
    const shrunk = snapshot({ leaders: [2, 2, 3], epochs: [1, 1, 1] });
    const u = tracker();
    u.observe(snapshot({ leaders: [2, 2, 3], epochs: [0, 0, 0] }), T0);
    u.observe(shrunk, T0 + 1000);
    expect(u.hold(shrunk, T0 + 1001, DEFAULT_REBALANCE, 3)?.message).toContain('t-2 (now on broker 3)');
    expect(u.hold(shrunk, T0 + 1001, DEFAULT_REBALANCE, 1)).toBeUndefined();
  });

  it('sees a leader that moved away and back between two reads by its epoch', () => {
    const t = tracker();
    t.observe(snapshot({ epochs: [4, 4, 4] }), T0);
    const back = snapshot({ epochs: [6, 4, 4] });
    t.observe(back, T0 + 200);
    expect(t.hold(back, T0 + 300, DEFAULT_REBALANCE, 1)?.untilMs).toBe(T0 + 200 + QUIET);
  });

  it('holds while a preferred replica election or a reassignment requested through ZooKeeper is pending, with no end time', () => {
    const t = tracker();
    const s = snapshot({ leadershipChangesPending: ['preferred replica election'] });
    t.observe(s, T0);
    expect(t.hold(s, T0, DEFAULT_REBALANCE, STOPPING)).toEqual({ message: 'a preferred replica election is in progress.' });
  });

  it('after a controller change seen during the run, holds while its first rebalance check would move leaders, until its moves are seen', () => {
    const t = tracker();
    t.observe(snapshot({ ...IMBALANCED, controllerSinceMs: T0 - 1_000_000 }), T0);
    // The new controller's node carries ZooKeeper's time; the change is timed when seen here.
    const moved = snapshot({ ...IMBALANCED, controller: 2, controllerSinceMs: T0 - 3_000_000 });
    t.observe(moved, T0 + 10_000);
    const check = T0 + 10_000 + CONTROLLER_FIRST_REBALANCE_CHECK_MS;
    expect(t.hold(moved, T0 + 10_000, DEFAULT_REBALANCE, STOPPING)).toMatchObject({
      untilMs: check + SLACK,
      message: expect.stringContaining('give 1 partition(s) back'),
    });
    expect(t.hold(moved, check + 2000, DEFAULT_REBALANCE, STOPPING)?.untilMs).toBe(check + SLACK);
    // The check came late (its controller was busy starting): its moves end that hold, the quiet period follows.
    const balanced = snapshot({ controller: 2, controllerSinceMs: T0 - 3_000_000 });
    t.observe(balanced, check + 2500);
    expect(t.hold(balanced, check + 2500, DEFAULT_REBALANCE, 3)?.untilMs).toBe(check + 2500 + QUIET);
    expect(t.hold(balanced, check + 2500 + QUIET, DEFAULT_REBALANCE, 3)).toBeUndefined();
  });

  it('takes a leader change seen once the check is due as the check, but not one seen in the same read as the new controller', () => {
    const t = tracker();
    t.observe(snapshot({ ...IMBALANCED, controllerSinceMs: T0 - 1_000_000 }), T0);
    // The old controller's own controlled shutdown moved leaders; the same read shows the new controller.
    const handedOver = snapshot({ leaders: [2, 2, 2], controller: 2, controllerSinceMs: T0 + 1 });
    t.observe(handedOver, T0 + 1000);
    expect(t.hold(handedOver, T0 + 1000 + QUIET, DEFAULT_REBALANCE, STOPPING)?.message).toContain('give 2 partition(s) back');
    // The check gives one partition back (the other's preferred broker is out of its ISR, say): the check came.
    const afterCheck = snapshot({ leaders: [1, 2, 2], controller: 2, controllerSinceMs: T0 + 1 });
    const checkAt = T0 + 1000 + CONTROLLER_FIRST_REBALANCE_CHECK_MS + 300;
    t.observe(afterCheck, checkAt);
    expect(t.hold(afterCheck, checkAt + QUIET - 1, DEFAULT_REBALANCE, 1)?.message).toContain('leadership of t-0 (now on broker 1) changed');
    expect(t.hold(afterCheck, checkAt + QUIET - 1, DEFAULT_REBALANCE, 2)?.message).toContain('an election kafka-ops did not make');
    expect(rebalanceMoves(afterCheck, 10)).toEqual(['t-2']);
    expect(t.hold(afterCheck, checkAt + QUIET, DEFAULT_REBALANCE, 1)).toBeUndefined();
  });

  it('gives up on a check that never came once its slack is over', () => {
    const t = tracker();
    const s = snapshot({ ...IMBALANCED, controllerSinceMs: T0 });
    t.observe(s, T0);
    const check = T0 + CONTROLLER_FIRST_REBALANCE_CHECK_MS;
    expect(t.hold(s, check + SLACK - 1, DEFAULT_REBALANCE, STOPPING)?.untilMs).toBe(check + SLACK);
    expect(t.hold(s, check + SLACK, DEFAULT_REBALANCE, STOPPING)).toBeUndefined();
  });

  it('holds nothing for a new controller whose check would move nothing', () => {
    const t = tracker();
    const s = snapshot({ controllerSinceMs: T0 });
    t.observe(s, T0);
    expect(t.hold(s, T0 + 1000, DEFAULT_REBALANCE, STOPPING)).toBeUndefined();
  });

  it('at first sight, times the controller by its node creation, never later than now', () => {
    const t = tracker();
    const s = snapshot({ ...IMBALANCED, controllerSinceMs: T0 - 1000 });
    t.observe(s, T0);
    expect(t.hold(s, T0, DEFAULT_REBALANCE, STOPPING)?.untilMs).toBe(T0 - 1000 + CONTROLLER_FIRST_REBALANCE_CHECK_MS + SLACK);
    // A ZooKeeper clock ahead of this one: taken as elected now.
    const ahead = tracker();
    const future = snapshot({ ...IMBALANCED, controllerSinceMs: T0 + 60_000 });
    ahead.observe(future, T0);
    expect(ahead.hold(future, T0, DEFAULT_REBALANCE, STOPPING)?.untilMs).toBe(T0 + CONTROLLER_FIRST_REBALANCE_CHECK_MS + SLACK);
  });

  it('keeps clear of the periodic checks: from the lead time before one until its slack is over', () => {
    const t = tracker();
    const since = T0;
    const s = snapshot({ ...IMBALANCED, controllerSinceMs: since });
    t.observe(s, since);
    const rebalance = { enabled: true, intervalMs: 60_000, imbalancePercent: 10 };
    const second = since + CONTROLLER_FIRST_REBALANCE_CHECK_MS + 60_000;
    expect(t.hold(s, second - LEAD - 1, rebalance, STOPPING)).toBeUndefined();
    expect(t.hold(s, second - LEAD, rebalance, STOPPING)?.untilMs).toBe(second + SLACK);
    expect(t.hold(s, second + SLACK - 1, rebalance, STOPPING)?.untilMs).toBe(second + SLACK);
    expect(t.hold(s, second + SLACK, rebalance, STOPPING)).toBeUndefined();
    const fifth = since + CONTROLLER_FIRST_REBALANCE_CHECK_MS + 4 * 60_000;
    expect(t.hold(s, fifth - 500, rebalance, STOPPING)?.untilMs).toBe(fifth + SLACK);
  });

  it('holds nothing for the controller when automatic rebalance is off, or where the source cannot tell when it took over', () => {
    const t = tracker();
    const s = snapshot({ ...IMBALANCED, controllerSinceMs: T0 });
    t.observe(s, T0);
    expect(t.hold(s, T0, { enabled: false, intervalMs: 300_000, imbalancePercent: 10 }, STOPPING)).toBeUndefined();
    const kafkajs = tracker();
    const noTime = snapshot(IMBALANCED);
    kafkajs.observe(noTime, T0);
    expect(kafkajs.hold(noTime, T0, DEFAULT_REBALANCE, STOPPING)).toBeUndefined();
  });
});

describe('leadershipRulesFor (which rules the cluster needs, by the lowest IBP its brokers run)', () => {
  it.each([
    ['0.9.0', true, '0.9.0', 'no leader epochs'],
    ['0.10.2', true, '0.10.2-IV0', 'no leader epochs'],
    // 0.11.0-IV2 is where followers first ask for leader epochs (KIP-101).
    ['0.11.0-IV1', true, '0.11.0-IV1', 'no leader epochs'],
    ['0.11.0', true, '0.11.0-IV2', 'without KIP-279'],
    ['1.1', true, '1.1-IV0', 'without KIP-279'],
    ['2.0', false, '2.0-IV1', 'truncates by leader epoch'],
    ['2.8', false, '2.8-IV1', 'truncates by leader epoch'],
    ['3.9', false, '3.9-IV0', 'truncates by leader epoch'],
  ])('IBP %s: time rules %s', (ibp, on, resolved, why) => {
    const rules = leadershipRulesFor(ibp);
    expect([rules.settleAfterMoves, rules.interBrokerProtocol]).toEqual([on, resolved]);
    expect(rules.reason).toContain(why);
  });
  it('holds every rule when the IBP is not known or not a Kafka one', () => {
    for (const ibp of [undefined, '9.9', 'latest']) {
      expect(leadershipRulesFor(ibp)).toMatchObject({ settleAfterMoves: true, reason: expect.stringContaining('not known') });
    }
  });
  it('takes the lowest of the brokers, and no answer when any broker cannot tell', () => {
    expect(lowestProtocol(['3.9', '2.8', '3.0-IV1'])).toBe('2.8-IV1');
    expect(lowestProtocol(['3.9', undefined])).toBeUndefined();
    expect(lowestProtocol([])).toBeUndefined();
  });
});

describe('LeadershipTracker with the time rules off (IBP 2.0 on)', () => {
  it('holds no quiet period, no foreign election and no rebalance, but still a requested change in progress', () => {
    const t = tracker();
    t.useRules(leadershipRulesFor('2.8'));
    t.observe(snapshot({ controllerSinceMs: T0 - 1_000_000 }), T0);
    const moved = snapshot({ ...IMBALANCED, controller: 2, controllerSinceMs: T0 - 3_000_000 });
    t.observe(moved, T0 + 1000);
    for (const broker of [1, 2, 3]) expect(t.hold(moved, T0 + 1001, DEFAULT_REBALANCE, broker)).toBeUndefined();
    const pending = snapshot({ leadershipChangesPending: ['partition reassignment'] });
    expect(t.hold(pending, T0 + 1001, DEFAULT_REBALANCE, STOPPING)).toEqual({ message: 'a partition reassignment is in progress.' });
    // The same reads under every rule: held.
    const u = tracker();
    u.useRules(leadershipRulesFor('0.10.2'));
    u.observe(snapshot({ controllerSinceMs: T0 - 1_000_000 }), T0);
    u.observe(moved, T0 + 1000);
    expect(u.hold(moved, T0 + 1001, DEFAULT_REBALANCE, STOPPING)).toBeDefined();
  });
});
