/**
 * `--brokers`: a run restricted to some brokers (plan/subset.ts), on the planner and on the
 * rolling engine with in-memory ports: only those brokers restart, the others stay as they are,
 * and a phase that needs every broker done first waits for a run that includes the rest.
 */
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/engine/roll.js';
import { UserError } from '../../src/errors.js';
import { assumedPlan } from '../../src/plan/build.js';
import { previewLines } from '../../src/plan/preview.js';
import { restrictPlan } from '../../src/plan/subset.js';
import { parseBrokerList } from '../../src/ui/flags.js';
import { memoryCluster } from '../helpers/memory-engine.js';
import { templateInventory } from '../helpers/plan-templates.js';

const upgradePlan = () => assumedPlan(templateInventory('0.10.2.1', '0.11.0.3'), '0.10.2', '0.11.0');
const restartsOf = (plan: ReturnType<typeof upgradePlan>) =>
  Object.fromEntries(plan.phases.map((p) => [p.id, p.skipped ? 'skipped' : p.steps.filter((s) => !s.skipped).map((s) => s.broker)]));

describe('restrictPlan', () => {
  it('restarts only the subset; the IBP bump, client gate and LMFV bump wait for the rest', () => {
    const full = upgradePlan();
    expect(full.order).toEqual([1, 2, 3]);
    const plan = restrictPlan(full, [1, 3]);
    expect(restartsOf(plan)).toEqual({
      'pin-versions': [1, 3],
      'swap-binaries': [1, 3],
      'bump-ibp': 'skipped',
      'upgrade-clients': 'skipped',
      'bump-lmfv': 'skipped',
    });
    expect(plan.subset).toEqual({ brokers: [1, 3], others: [2] });
    expect(plan.estimate.restarts).toBe(4);
    expect(plan.phases.find((p) => p.id === 'bump-ibp')?.reason).toMatch(/broker\(s\) 2 are outside --brokers 1,3/);
    const text = previewLines(plan).join('\n');
    expect(text).toContain('Note: Restricted to brokers 1,3 (--brokers): broker(s) 2 stay as they are.');
    expect(text).toContain('broker 2 (kafka2.example.com): no restart — Not in --brokers 1,3: stays as it is.');
  });

  it('once the others are done with the earlier phases, the later ones run on the subset too', () => {
    const full = upgradePlan();
    // Broker 2 already pinned and swapped (its steps skipped as done, as a plan read from the hosts has them).
    const done = {
      ...full,
      phases: full.phases.map((p) =>
        p.id === 'pin-versions' || p.id === 'swap-binaries'
          ? { ...p, steps: p.steps.map((s) => (s.broker === 2 ? { ...s, skipped: true, reason: 'done' } : s)) }
          : p,
      ),
    };
    expect(restartsOf(restrictPlan(done, [1, 3]))['bump-ibp']).toEqual([1, 3]);
  });

  it('every broker named is the whole plan; unknown ids and migrations are refused', () => {
    const full = upgradePlan();
    expect(restrictPlan(full, [1, 2, 3])).toBe(full);
    expect(() => restrictPlan(full, [1, 7])).toThrow(/--brokers names 7, not in cluster/);
    expect(() => restrictPlan({ ...full, kind: 'migration' }, [1])).toThrow(UserError);
    expect(parseBrokerList('3, 1,3')).toEqual([1, 3]);
    expect(() => parseBrokerList('1,x')).toThrow(/expected broker ids separated by commas/);
    expect(() => parseBrokerList('')).toThrow(UserError);
  });
});

describe('a restricted roll on the engine', () => {
  it('restarts brokers 1 and 3 only; broker 2 is reported skipped and keeps its config', async () => {
    const sim = memoryCluster({ ids: [1, 2, 3], controller: 3, partitions: 3, replicasOf: () => [1, 2, 3] });
    const deps = sim.deps();
    const config2 = await (await deps.host(2)).readConfig();
    const report = await applyPlan(restrictPlan(sim.rollPlan(3), [1, 3]), deps);
    expect(sim.restarted()).toEqual([1, 3]);
    expect(report.steps.map((s) => [s.broker, s.outcome])).toEqual([
      [2, 'skipped'],
      [1, 'restarted'],
      [3, 'restarted'],
    ]);
    expect(await (await deps.host(2)).readConfig()).toBe(config2);
  });
});
