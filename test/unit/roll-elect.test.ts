/**
 * --elect-preferred-leaders on in-memory ports: three (or six) brokers, one topic whose partition
 * p prefers broker 1 + (p % n). A stopped broker's leaderships go to the next running replica;
 * the reader's election request is pending for a while, then moves each named partition back
 * to its preferred replica. The engine asks after each broker or batch is caught up, for the
 * partitions that broker prefers, and waits until they are back (bounded: a warning, not a halt).
 */
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/engine/roll.js';
import { ELECTION_TIMEOUT_MS } from '../../src/engine/elect.js';
import type { EngineOptions } from '../../src/engine/ports.js';
import { memoryCluster, SIX_OVER_THREE_RACKS, type MemoryClusterOptions } from '../helpers/memory-engine.js';

const three = (p: number) => [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)];

function simulate(extra: Partial<MemoryClusterOptions> = {}, options: Partial<EngineOptions> = {}) {
  const ids = [1, 2, 3];
  const sim = memoryCluster({ ids, controller: 3, partitions: 6, replicasOf: three, election: { delayMs: 200 }, ...extra });
  const events: Array<{ code: string; message: string }> = [];
  const base = sim.deps(options);
  const deps = { ...base, io: { ...base.io, event: (e: { code: string; message: string }) => void events.push(e) } };
  return { ...sim, run: () => applyPlan(sim.rollPlan(3), deps), events };
}

describe('--elect-preferred-leaders', () => {
  it('after each broker is caught up, moves back the leaderships it prefers, before the next broker stops', async () => {
    const sim = simulate({}, { electPreferredLeaders: true });
    const report = await sim.run();
    // Broker 1 prefers partitions 0 and 3, 2 prefers 1 and 4; the controller (3) goes last.
    expect(sim.log).toEqual(['stop 1', 'start 1', 'elect 0,3', 'stop 2', 'start 2', 'elect 1,4', 'stop 3', 'start 3', 'elect 2,5']);
    expect(sim.imbalanced()).toEqual([]);
    expect(report.leaderElection).toMatchObject({ elected: true, requests: 3, moved: 6, notBack: 0, before: 0, after: 0, partitions: 6 });
    expect(report.warnings).toEqual([]);
    const done = sim.journal.entries().filter((e) => e.event === 'elect.done');
    expect(done.map((e) => e.detail?.notBack)).toEqual([0, 0, 0]);
  });

  it('a batch gets one election for the partitions its members prefer', async () => {
    const sim = memoryCluster({ ...SIX_OVER_THREE_RACKS, election: { delayMs: 100 } });
    const report = await applyPlan(sim.rollPlan(6), sim.deps({ batch: 'auto', electPreferredLeaders: true }));
    expect(sim.stopGroups()).toEqual([[1, 2], [3, 4], [5], [6]]);
    // Brokers 1 and 2 prefer every partition (p % 2): the first batch's election names all twelve.
    expect(sim.elections[0]?.partitions).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(sim.log.indexOf('elect 0,1,2,3,4,5,6,7,8,9,10,11')).toBeLessThan(sim.log.indexOf('stop 3'));
    expect(sim.imbalanced()).toEqual([]);
    expect(report.leaderElection?.after).toBe(0);
  });

  it('a leadership not back in time warns and the roll goes on', async () => {
    const sim = simulate({ election: { delayMs: 100, stuck: [3] } }, { electPreferredLeaders: true });
    const report = await sim.run();
    expect(sim.restarted()).toEqual([1, 2, 3]);
    expect(sim.elections).toHaveLength(3);
    expect(report.warnings).toEqual([
      expect.stringMatching(
        /broker\(s\) 1: 1 of 2 partition\(s\) not led by their preferred replica after 60 s \(t-3\)\. The roll goes on/,
      ),
    ]);
    expect(report.leaderElection).toMatchObject({ requests: 3, moved: 6, notBack: 1, after: sim.imbalanced().length });
    const done = sim.journal.entries().find((e) => e.event === 'elect.done');
    expect(done?.detail).toMatchObject({ brokers: [1], partitions: 2, asked: true, notBack: 1 });
  });

  it('an election the controller never carries out warns; the pending request then holds the next stop (leadership gate)', async () => {
    const sim = simulate({ election: { delayMs: -1 } }, { electPreferredLeaders: true });
    await expect(sim.run()).rejects.toMatchObject({
      code: 'GATE_TIMEOUT',
      message: expect.stringMatching(/preferred replica election is in progress/),
    });
    expect(sim.restarted()).toEqual([1]);
    expect(sim.journal.entries().find((e) => e.event === 'elect.done')?.detail).toMatchObject({ asked: true, notBack: 2 });
  });

  it('waits for an election another operator left pending, then asks', async () => {
    const sim = simulate(
      { election: { delayMs: 100, pendingUntil: 1_000_000 + ELECTION_TIMEOUT_MS / 2 } },
      { electPreferredLeaders: true },
    );
    const report = await sim.run();
    expect(sim.elections[0]!.at).toBeGreaterThanOrEqual(1_000_000 + ELECTION_TIMEOUT_MS / 2);
    expect(report.warnings).toEqual([]);
    expect(sim.imbalanced()).toEqual([]);
  });

  it('is on by default when a broker has auto.leader.rebalance.enable=false', async () => {
    const sim = simulate({ configOf: (id) => (id === 2 ? 'auto.leader.rebalance.enable=false\n' : '') });
    const report = await sim.run();
    expect(sim.elections).toHaveLength(3);
    expect(report.leaderElection?.reason).toBe('auto.leader.rebalance.enable=false on broker(s) 2');
    expect(sim.imbalanced()).toEqual([]);
  });

  it('is off by default when the controller rebalances by itself, and with --no-elect-preferred-leaders', async () => {
    const auto = simulate();
    const report = await auto.run();
    expect(auto.elections).toEqual([]);
    expect(report.leaderElection).toBeUndefined();
    // The restarts moved leaderships away and nothing moved them back.
    expect(auto.imbalanced().length).toBeGreaterThan(0);

    const no = simulate({ configOf: () => 'auto.leader.rebalance.enable=false\n' }, { electPreferredLeaders: false });
    await no.run();
    expect(no.elections).toEqual([]);
    expect(no.journal.entries().find((e) => e.event === 'elect.decided')?.detail).toMatchObject({
      on: false,
      reason: '--no-elect-preferred-leaders',
    });
  });

  it('with a reader that cannot ask: the flag is an error before any restart, the default is off', async () => {
    const flagged = simulate({ election: undefined }, { electPreferredLeaders: true });
    await expect(flagged.run()).rejects.toMatchObject({ code: 'ELECTION_UNSUPPORTED', exitCode: 2 });
    expect(flagged.log).toEqual([]);

    const quiet = simulate({ election: undefined, configOf: () => 'auto.leader.rebalance.enable=false\n' });
    const report = await quiet.run();
    expect(quiet.restarted()).toEqual([1, 2, 3]);
    expect(report.leaderElection).toBeUndefined();
    expect(quiet.journal.entries().find((e) => e.event === 'elect.decided')?.detail?.reason).toMatch(/cannot ask for an election/);
  });
});
