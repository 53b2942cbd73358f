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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../src/cluster/port.js';
import { FileJournal } from '../../src/store/journal.js';
import { CONTROLLER_FIRST_REBALANCE_CHECK_MS } from '../../src/engine/leadership.js';
import type { EngineDeps } from '../../src/engine/ports.js';
import { applyPlan, DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import type { BrokerHost, HostFacts } from '../../src/hosts/port.js';
import { buildRollPlan } from '../../src/plan/roll.js';
import { templateInventory } from '../helpers/plan-templates.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-roll-order-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const inventory = templateInventory('0.10.2.1', '0.11.0.3');
const IDS = [1, 2, 3];
const BASE_CONFIG = 'zookeeper.connect=zk:2181\nlog.dirs=/data\n';

interface Simulation {
  controller: number;
  down?: number;
  moveControllerAfter?: { broker: number; to: number };
  /** Leader of each partition at the start (default: its preferred replica, or the next running one). */
  leaders?: number[];
}

function simulate(sim: Simulation) {
  let now = 1_000_000;
  let controller = sim.controller;
  // When the controller took over, as ZooKeeper tells it (long before the run, to begin with,
  // and clear of its periodic rebalance checks, every 300 s from 5 s after it took over).
  let controllerSince = now - 1_000_000;
  let rebalanceDueAt: number | undefined;
  const controllerMoves: number[] = [];
  const leaderMoves: Array<{ at: number; to: number }> = [];
  const rebalances: number[] = [];
  const setController = (id: number) => {
    if (id !== controller) {
      controllerMoves.push((controllerSince = now));
      rebalanceDueAt = now + 6000;
    }
    controller = id;
  };
  const log: string[] = [];
  const stoppedAt: Record<number, number> = {};
  const nodes = new Map(
    IDS.map((id) => [id, { running: id !== sim.down, startedAt: 0, configAt: 0, config: `broker.id=${id}\n${BASE_CONFIG}` }]),
  );
  const node = (id: number) => nodes.get(id) as NonNullable<ReturnType<typeof nodes.get>>;
  const running = () => IDS.filter((id) => node(id).running);
  const replicasOf = (p: number) => [0, 1, 2].map((i) => IDS[(p + i) % 3]!);
  const leaders = sim.leaders ? [...sim.leaders] : [0, 1, 2].map((p) => replicasOf(p).find((id) => node(id).running) ?? -1);
  const moveLeader = (p: number, to: number) => {
    if (leaders[p] === to) return;
    leaders[p] = to;
    leaderMoves.push({ at: now, to });
  };
  const rebalanceIfDue = () => {
    if (rebalanceDueAt === undefined || now < rebalanceDueAt) return;
    rebalanceDueAt = undefined;
    rebalances.push(now);
    for (const p of [0, 1, 2]) if (node(replicasOf(p)[0]!).running) moveLeader(p, replicasOf(p)[0]!);
  };

  const host = (id: number): BrokerHost => ({
    brokerId: id,
    facts: async (): Promise<HostFacts> => ({
      ...(node(id).running ? { process: { pid: 100 + id, ignoredSignals: [], startedAtMs: node(id).startedAt } } : {}),
      linkTarget: inventory.brokers[0]!.installs['0.10.2.1'] as string,
      installs: {},
      configModifiedAtMs: node(id).configAt,
    }),
    readConfig: async () => node(id).config,
    async writeConfig(content) {
      Object.assign(node(id), { config: content, configAt: ++now });
      return '/backup';
    },
    activateRelease: async () => undefined,
    async stop() {
      stoppedAt[id] = now;
      node(id).running = false;
      for (const p of [0, 1, 2]) if (leaders[p] === id) moveLeader(p, replicasOf(p).find((r) => node(r).running) ?? -1);
      if (controller === id) setController(Math.min(...running()));
      log.push(`stop ${id}`);
      return { exited: true, shutdown: 'controlled', evidence: [], elapsedMs: 5, exitMs: 5 };
    },
    kill: async () => undefined,
    async start() {
      Object.assign(node(id), { running: true, startedAt: ++now });
      log.push(`start ${id}`);
      if (sim.moveControllerAfter?.broker === id) setController(sim.moveControllerAfter.to);
    },
    close: async () => undefined,
  });

  const cluster: ClusterState = {
    snapshot: async () => {
      rebalanceIfDue();
      return {
        brokers: running(),
        controller,
        controllerSinceMs: controllerSince,
        partitions: [0, 1, 2].map((partition) => ({
          topic: 't',
          partition,
          leader: leaders[partition]!,
          replicas: replicasOf(partition),
          isr: running(),
        })),
        topics: [{ name: 't', config: { 'min.insync.replicas': '2' } }],
      };
    },
    changed: async () => {
      now += 50;
    },
    close: async () => undefined,
  };

  const deps: EngineDeps = {
    inventory,
    cluster,
    host: async (id) => host(id),
    io: { event: () => undefined, confirm: async () => true },
    journal: new FileJournal(join(root, `state-${Math.random()}`), inventory.cluster),
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    interrupted: new AbortController().signal,
    options: { ...DEFAULT_ENGINE_OPTIONS, healthyCheckIntervalMs: 10, maxPollMs: 100 },
  };
  return {
    deps,
    log,
    stoppedAt,
    controllerMoves,
    leaderMoves,
    rebalances,
    restarted: () => log.filter((l) => l.startsWith('start')).map((l) => Number(l.split(' ')[1])),
  };
}

/** A roll planned while `plannedController` was the controller: the plan's order puts it last. */
function rollPlan(plannedController: number) {
  const observed = {
    source: 'hosts' as const,
    controller: plannedController,
    brokers: IDS.map((id) => ({ id, release: '0.10.2.1', installDir: null, config: {} })),
  };
  return buildRollPlan(inventory, observed, { set: { 'num.io.threads': '9' }, unset: [] }, Object.fromEntries(IDS.map((id) => [id, {}])));
}

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
