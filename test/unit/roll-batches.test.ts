/**
 * The rolling engine with --batch, on in-memory ports: six brokers over three racks, one topic
 * of twelve partitions with rack-aware placement (one replica per rack), RF 3, min ISR 2. A
 * running broker is in the ISR of its partitions, a stopped one in none; a stopped broker's
 * leaderships go to the next running replica. Every snapshot the engine reads is checked: no
 * partition below min ISR, ever.
 */
import { describe, expect, it } from 'vitest';
import type { BatchSize } from '../../src/engine/batches.js';
import { applyPlan } from '../../src/engine/roll.js';
import { memoryCluster } from '../helpers/memory-engine.js';
import { previewLines } from '../../src/plan/preview.js';
import { previewBatches } from '../../src/services/upgrade-service.js';

const IDS = [1, 2, 3, 4, 5, 6];
/** Rack of broker id: r0 = 1,2; r1 = 3,4; r2 = 5,6. */
const rackOf = (id: number) => `r${Math.floor((id - 1) / 2)}`;

function simulate(opts: { controller: number; racks: boolean; placement?: (p: number) => number[] }) {
  const sim = memoryCluster({
    ids: IDS,
    controller: opts.controller,
    partitions: 12,
    replicasOf: opts.placement ?? ((p: number) => [1 + (p % 2), 3 + ((p + 1) % 2), 5 + (Math.floor(p / 2) % 2)]),
    configOf: (id) => `min.insync.replicas=2\n${opts.racks ? `broker.rack=${rackOf(id)}\n` : ''}`,
    watchMinIsr: 2,
  });
  return { ...sim, deps: (batch: BatchSize) => sim.deps({ batch }) };
}

describe('a roll in batches', () => {
  it('--batch auto with racks: one batch per rack, the controller alone last, never below min ISR', async () => {
    const sim = simulate({ controller: 6, racks: true });
    const report = await applyPlan(sim.rollPlan(6), sim.deps('auto'));
    expect(sim.stopGroups()).toEqual([[1, 2], [3, 4], [5], [6]]);
    expect(
      report.steps
        .filter((s) => s.outcome === 'restarted')
        .map((s) => s.broker)
        .sort(),
    ).toEqual(IDS);
    expect(sim.belowMinIsr).toEqual([]);
    const chosen = sim.journal.entries().filter((e) => e.event === 'batch.start');
    expect(chosen.map((e) => e.detail?.brokers)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('without racks the placement alone still finds safe batches', async () => {
    const sim = simulate({ controller: 6, racks: false });
    await applyPlan(sim.rollPlan(6), sim.deps('auto'));
    expect(sim.belowMinIsr).toEqual([]);
    expect(sim.stopGroups().length).toBeLessThanOrEqual(4);
    expect(sim.stopGroups().at(-1)).toEqual([6]);
  });

  it('--pause-between pauses after each batch caught up, not after the last', async () => {
    const sim = simulate({ controller: 6, racks: true });
    const deps = sim.deps('auto');
    await applyPlan(sim.rollPlan(6), { ...deps, options: { ...deps.options, pauseBetweenMs: 30_000 } });
    expect(sim.journal.entries().filter((e) => e.event === 'pause')).toHaveLength(3);
  });

  it('--batch 1 is one at a time, as before', async () => {
    const sim = simulate({ controller: 6, racks: true });
    await applyPlan(sim.rollPlan(6), sim.deps(1));
    expect(sim.stopGroups()).toEqual([[1], [2], [3], [4], [5], [6]]);
  });

  it('a placement where every pair shares a partition degrades to ones, with the reason journaled', async () => {
    // The first twelve 3-subsets of the six brokers in order: together they hold every pair.
    const triples: number[][] = [];
    for (let a = 1; a <= 6; a++) for (let b = a + 1; b <= 6; b++) for (let c = b + 1; c <= 6; c++) triples.push([a, b, c]);
    const pairs = triples.slice(0, 12);
    const sim = simulate({ controller: 6, racks: true, placement: (p) => pairs[p]! });
    await applyPlan(sim.rollPlan(6), sim.deps('auto'));
    expect(sim.belowMinIsr).toEqual([]);
    expect(sim.stopGroups().every((g) => g.length === 1)).toBe(true);
    const chosen = sim.journal.entries().find((e) => e.event === 'batch.chosen');
    expect(chosen?.detail?.degraded).toMatch(/No two brokers may stop together/);
  });
});

describe('the dry run shows the batches the engine chooses', () => {
  const previewOf = async (sim: ReturnType<typeof simulate>, size: BatchSize) => {
    const deps = sim.deps(size);
    const plan = sim.rollPlan(6);
    return { plan, deps, preview: await previewBatches(plan, { cluster: async () => deps.cluster, host: deps.host }, size) };
  };

  it('from the placement now, by the same function: the preview equals the run’s first choice', async () => {
    const sim = simulate({ controller: 6, racks: true });
    const { plan, deps, preview } = await previewOf(sim, 'auto');
    expect(sim.log).toEqual([]); // the preview touched nothing
    await applyPlan(plan, deps);
    const first = sim.journal.entries().find((e) => e.event === 'batch.chosen');
    expect(preview?.batches?.map((b) => b.brokers)).toEqual(first?.detail?.batches);
    expect(preview?.batches?.map((b) => b.brokers)).toEqual([[1, 2], [3, 4], [5], [6]]);
    const lines = previewLines(plan, preview).join('\n');
    expect(lines).toContain(
      `Batches (--batch auto), phase ${plan.phases[0]!.id}, from the replica placement now: [1,2] [3,4] [5] [6] (controller, last)`,
    );
    expect(lines).toMatch(/broker 5 apart from 1,2: t-\d+ would keep 1 in-sync replica\(s\) \(ISR [\d,]+\), below min.insync.replicas 2/);
  });

  it('a placement where no two brokers may stop together: batches of one, and why', async () => {
    const triples: number[][] = [];
    for (let a = 1; a <= 6; a++) for (let b = a + 1; b <= 6; b++) for (let c = b + 1; c <= 6; c++) triples.push([a, b, c]);
    const sim = simulate({ controller: 6, racks: true, placement: (p) => triples[p]! });
    const { plan, preview } = await previewOf(sim, 'auto');
    expect(preview?.batches?.every((b) => b.brokers.length === 1)).toBe(true);
    const lines = previewLines(plan, preview);
    expect(lines.join('\n')).toMatch(/No two brokers may stop together: t-\d+ would keep 1 in-sync replica/);
    expect(lines.filter((l) => /^ {4}broker \d apart from/.test(l))).toHaveLength(4);
  });

  it('--batch 1 adds nothing to the preview', async () => {
    const { plan, preview } = await previewOf(simulate({ controller: 6, racks: true }), 1);
    expect(preview).toBeUndefined();
    expect(previewLines(plan, preview)).toEqual(previewLines(plan));
  });
});
