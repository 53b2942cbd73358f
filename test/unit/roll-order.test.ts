/**
 * The rolling engine's order on a ZooKeeper-mode cluster, with in-memory ports: the plan's
 * order is only where it starts. Before every broker the engine re-reads the cluster: the
 * active controller goes last even when it moved during the phase, and a broker found down
 * (left stopped by a killed run) goes first, since every other broker's pre-stop gate would
 * wait on the under-replication it causes.
 *
 * The simulation: three brokers, one topic of three partitions replicated on all of them,
 * partition p preferring broker p + 1; a running broker is in every ISR, a stopped one in none;
 * a stopped broker's leaderships go to the next running replica; a stopped controller hands the
 * role to the lowest running broker; `moveControllerAfter` moves it elsewhere once a given
 * broker is back (a ZooKeeper session expiry, say). A new controller gives every partition
 * back to its preferred leader 6 s after it took over (Kafka's 5 s, plus its start-up).
 */
import { describe, expect, it } from 'vitest';
import { CONTROLLER_FIRST_REBALANCE_CHECK_MS } from '../../src/engine/leadership.js';
import { applyPlan, DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import { memoryCluster, memoryRollPlan } from '../helpers/memory-engine.js';

const IDS = [1, 2, 3];

interface Simulation {
  controller: number;
  down?: number;
  moveControllerAfter?: { broker: number; to: number };
  /** Leader of each partition at the start (default: its preferred replica, or the next running one). */
  leaders?: number[];
}

function simulate(sim: Simulation) {
  const cluster = memoryCluster({
    ids: IDS,
    partitions: 3,
    replicasOf: (p) => [0, 1, 2].map((i) => IDS[(p + i) % 3]!),
    topicConfig: { 'min.insync.replicas': '2' },
    rebalanceAfterControllerMoveMs: 6000,
    ...sim,
  });
  return { ...cluster, deps: cluster.deps() };
}

/** A roll planned while `plannedController` was the controller: the plan's order puts it last. */
const rollPlan = (plannedController: number) => memoryRollPlan(IDS, plannedController);

describe('the order of a roll, decided again before every broker', () => {
  it('keeps the controller last, as planned, while it stays where it is', async () => {
    const sim = simulate({ controller: 1 });
    const plan = rollPlan(1);
    expect(plan.order).toEqual([2, 3, 1]);
    await applyPlan(plan, sim.deps);
    expect(sim.log).toEqual(['stop 2', 'start 2', 'stop 3', 'start 3', 'stop 1', 'start 1']);
  });

  it('puts the new controller last when the role moves during the phase', async () => {
    // Planned with 1 as controller (order 2, 3, 1); once broker 2 is back, broker 3 becomes controller.
    const sim = simulate({ controller: 1, moveControllerAfter: { broker: 2, to: 3 } });
    await applyPlan(rollPlan(1), sim.deps);
    expect(sim.restarted()).toEqual([2, 1, 3]);
  });

  it('holds the stop after a controller move until the new controller has made its first automatic leader rebalance, and the quiet period after it', async () => {
    // t-0 (preferred: broker 1) starts on broker 3, so the rebalance gives it to broker 1, the next to stop.
    const sim = simulate({ controller: 1, moveControllerAfter: { broker: 2, to: 3 }, leaders: [3, 2, 3] });
    const report = await applyPlan(rollPlan(1), sim.deps);
    expect(sim.restarted()).toEqual([2, 1, 3]);
    const { quietMs } = DEFAULT_ENGINE_OPTIONS.leadershipSettle;
    // The controller moved when broker 2 came back, and gave leaderships back 6 s later; broker 1 is the next stop.
    const [movedAt] = sim.controllerMoves;
    expect(movedAt).toBeGreaterThan(sim.stoppedAt[2]!);
    const [rebalancedAt] = sim.rebalances;
    expect(rebalancedAt! - movedAt!).toBeGreaterThanOrEqual(6000);
    expect(sim.leaderMoves).toContainEqual({ at: rebalancedAt, to: 1 });
    expect(sim.stoppedAt[1]! - rebalancedAt!).toBeGreaterThanOrEqual(quietMs);
    // No broker was stopped within the quiet period after a leadership moved to it.
    for (const [id, stop] of Object.entries(sim.stoppedAt)) {
      expect(sim.leaderMoves.filter((m) => m.to === Number(id) && m.at < stop && stop - m.at < quietMs)).toEqual([]);
    }
    // The hold shows as pre-stop time in broker 1's report, not in broker 2's.
    const added = (id: number) => report.steps.find((s) => s.broker === id)!.addedMs!;
    expect(added(1)).toBeGreaterThanOrEqual(CONTROLLER_FIRST_REBALANCE_CHECK_MS);
    expect(added(2)).toBeLessThan(quietMs);
  });

  it('follows the controller it finds at the start, not the one the plan was made with', async () => {
    const sim = simulate({ controller: 2 });
    await applyPlan(rollPlan(1), sim.deps);
    expect(sim.restarted()).toEqual([3, 1, 2]);
  });

  it('takes a broker that is down first, then the rest with the controller last', async () => {
    const sim = simulate({ controller: 1, down: 3 });
    await applyPlan(rollPlan(1), sim.deps);
    // Broker 3 is not running: nothing to stop, it is started with the new config first.
    expect(sim.log).toEqual(['start 3', 'stop 2', 'start 2', 'stop 1', 'start 1']);
  });
});
