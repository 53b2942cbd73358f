/**
 * Issue 14: a client-upgrade confirmation belongs to one run of one plan. A `gate.confirmed`
 * left in the journal by an earlier run (another plan, or the same plan run again) must not
 * answer the gate of the current one; a resume of the same run keeps it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../src/cluster/port.js';
import type { EngineDeps } from '../../src/engine/ports.js';
import { applyPlan, DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import { HaltError, UserError } from '../../src/errors.js';
import type { Plan } from '../../src/plan/model.js';
import { assumedPlan } from '../../src/plan/build.js';
import { FileJournal } from '../../src/store/journal.js';
import { planDigest } from '../../src/store/plan-digest.js';
import { lastRun } from '../../src/store/run-view.js';
import { loadPlanFile, writePlanFile } from '../../src/store/plan-file.js';
import { templateInventory } from '../helpers/plan-templates.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-gate-binding-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const inventory = templateInventory('0.10.2.1', '0.11.0.3');

/** A real (assumed) upgrade plan whose rolling phases are all done: only the client gate is left to pass. */
function gatePlan(canary = false): Plan {
  const plan = assumedPlan(inventory, '0.10.2', '0.11.0', canary);
  for (const phase of plan.phases) {
    if (phase.kind !== 'roll') continue;
    phase.skipped = true;
    for (const step of phase.steps) step.skipped = true;
  }
  expect(plan.phases.some((p) => p.kind === 'gate' && !p.skipped)).toBe(true);
  return plan;
}

const noCluster = new Proxy({} as ClusterState, {
  get: () => () => Promise.reject(new Error('a gate-only plan reads no cluster')),
});

/** The engine's dependencies for a run `runId` of `plan` (no id: a caller that binds no run). */
function deps(journal: FileJournal, plan: Plan, runId: string | undefined, clientsUpgraded: boolean, asked: string[]): EngineDeps {
  return {
    inventory,
    cluster: noCluster,
    host: () => Promise.reject(new Error('a gate-only plan touches no host')),
    // What --yes answers at the client gate: no.
    io: { event: () => undefined, confirm: async (question) => (asked.push(question), false) },
    journal,
    clock: { now: () => 0, sleep: async () => undefined },
    interrupted: new AbortController().signal,
    options: { ...DEFAULT_ENGINE_OPTIONS, clientsUpgraded },
    ...(runId === undefined ? {} : { run: { id: runId, planDigest: planDigest(plan) } }),
  };
}

describe('a client-gate confirmation is bound to its run and plan', () => {
  it('a confirmation of run A (plan p1) does not answer run B of plan p2 (the canary variant) in the same state dir', async () => {
    const journal = new FileJournal(join(root, 'state-1'), inventory.cluster);
    const asked: string[] = [];
    await applyPlan(gatePlan(), deps(journal, gatePlan(), 'run-a', true, asked));
    expect(asked).toEqual([]);
    await expect(applyPlan(gatePlan(true), deps(journal, gatePlan(true), 'run-b', false, asked))).rejects.toMatchObject({
      code: 'DECLINED',
    });
    expect(asked).toHaveLength(1);
  });

  it('nor a new run of the very same plan, nor a run without an id', async () => {
    const journal = new FileJournal(join(root, 'state-2'), inventory.cluster);
    await applyPlan(gatePlan(), deps(journal, gatePlan(), 'run-a', true, []));
    await expect(applyPlan(gatePlan(), deps(journal, gatePlan(), 'run-c', false, []))).rejects.toBeInstanceOf(HaltError);
    await expect(applyPlan(gatePlan(), deps(journal, gatePlan(), undefined, false, []))).rejects.toBeInstanceOf(HaltError);
  });

  it('a resume of the same run of the same plan keeps its confirmation; the journal records run and plan digest', async () => {
    const journal = new FileJournal(join(root, 'state-3'), inventory.cluster);
    const plan = gatePlan();
    await applyPlan(plan, deps(journal, plan, 'run-a', true, []));
    // The resume applies the plan as stored in plan.yaml: the digest survives the YAML round trip.
    writePlanFile(plan, journal.planFile);
    const stored = loadPlanFile(journal.planFile);
    expect(planDigest(stored)).toBe(planDigest(plan));
    const asked: string[] = [];
    await applyPlan(stored, deps(journal, stored, 'run-a', false, asked));
    expect(asked).toEqual([]);
    const confirmations = journal.entries().filter((e) => e.event === 'gate.confirmed');
    expect(confirmations.map((e) => e.detail)).toEqual([
      { run: 'run-a', plan: planDigest(plan), by: 'flag' },
      { run: 'run-a', plan: planDigest(plan), by: 'earlier-answer' },
    ]);
  });
});

describe('a run stopped at the client gate is read back as stopped at the gate (issue 13)', () => {
  it.each([
    ['declined', undefined],
    ['no terminal to ask on', new UserError('An answer is needed', { code: 'NEEDS_ANSWER', action: 'pass --yes' })],
  ])('(%s): the journal names the gate, and no broker', async (_what, failure) => {
    const journal = new FileJournal(join(root, `state-stopped-${failure ? 'unanswered' : 'declined'}`), inventory.cluster);
    const plan = gatePlan();
    const given = deps(journal, plan, 'run-s', false, []);
    const io = failure ? { ...given.io, confirm: () => Promise.reject(failure) } : given.io;
    await expect(applyPlan(plan, { ...given, io })).rejects.toMatchObject({ code: failure ? 'NEEDS_ANSWER' : 'DECLINED' });
    const gate = plan.phases.find((p) => p.kind === 'gate' && !p.skipped)!;
    const view = lastRun(journal.entries())!.view;
    expect(view).toMatchObject({ phase: gate.id, gate: true });
    expect(view.broker).toBeUndefined();
  });
});
