/** `kafka-ops upgrade`, `resume` and `roll`: pick or build the plan, then preview or apply it. */
import { existsSync } from 'node:fs';
import { kraftPreflight } from '../engine/kraft.js';
import { observeCluster } from '../engine/observe.js';
import { FileJournal } from '../store/journal.js';
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { assumedPlan, buildUpgradePlan } from '../plan/build.js';
import { loadPlanFile } from '../store/plan-file.js';
import { buildRollPlan, parseAssignments } from '../plan/roll.js';
import { parseRelease } from '../plan/versions.js';
import type { IoHost } from '../io-host.js';
import type { UpgradeResult } from '../results.js';
import { openConnections } from './connections.js';
import { requireFlag, type PlanRequest } from './plan-service.js';
import { runPlan, type RunOptions } from './run-service.js';

export interface UpgradeRequest extends PlanRequest, RunOptions {
  plan?: string;
  dryRun: boolean;
}

export async function upgrade(request: UpgradeRequest, output: IoHost): Promise<UpgradeResult> {
  if (request.plan && request.to) {
    throw new UserError('--plan and --to both given.', {
      code: 'USAGE',
      action: 'Give either a plan file (--plan) or a target (--to), not both.',
    });
  }
  const filePlan = request.plan ? loadPlanFile(request.plan) : undefined;
  const to = filePlan ? undefined : parseRelease(requireFlag(request.to, 'to', 'KAFKA_OPS_TO'), '--to');
  const from = request.from ? parseRelease(request.from, '--from') : undefined;
  if (filePlan && request.dryRun && !request.inventory) return { dryRun: true, plan: filePlan };
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  if (filePlan && filePlan.cluster !== inventory.cluster) {
    throw new UserError(`The plan is for cluster ${filePlan.cluster}, the inventory for ${inventory.cluster}.`, {
      code: 'PLAN_INVENTORY_MISMATCH',
      action: 'Use the inventory the plan was made for.',
    });
  }
  if (request.dryRun && (filePlan || from)) {
    return { dryRun: true, plan: filePlan ?? assumedPlan(inventory, from as string, to as string, request.canary) };
  }
  const connections = openConnections(inventory);
  try {
    const plan =
      filePlan ??
      buildUpgradePlan(
        inventory,
        (await observeCluster(inventory, connections)).observed,
        { to: to as string, canary: request.canary },
        from,
      );
    if (request.dryRun && inventory.mode === 'kraft')
      return { dryRun: true, plan, findings: await kraftPreflight(inventory, plan, await connections.kraft()) };
    if (request.dryRun) return { dryRun: true, plan };
    return { dryRun: false, ...(await runPlan(plan, inventory, connections, request, output)) };
  } finally {
    await connections.close();
  }
}

export interface ResumeRequest extends RunOptions {
  inventory?: string;
}

export async function resume(request: ResumeRequest, output: IoHost): Promise<UpgradeResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const journal = new FileJournal(request.stateDir, inventory.cluster);
  const last = journal.entries().at(-1);
  if (!existsSync(journal.planFile) || !last) {
    throw new UserError(`There is no run of cluster ${inventory.cluster} to resume under ${request.stateDir}.`, {
      code: 'NOTHING_TO_RESUME',
      action: 'Start one with `kafka-ops upgrade` or `kafka-ops roll`, or pass the --state-dir it used.',
    });
  }
  if (last.event === 'run.done') {
    throw new UserError(`The last run of cluster ${inventory.cluster} completed; there is nothing to resume.`, {
      code: 'NOTHING_TO_RESUME',
      action: 'Check the cluster with `kafka-ops upgrade --dry-run`.',
    });
  }
  const plan = loadPlanFile(journal.planFile);
  const connections = openConnections(inventory);
  try {
    output.info(`Resuming the ${plan.kind} of ${plan.cluster} (${plan.from} → ${plan.to}); every step is re-checked on its host first.`);
    return { dryRun: false, ...(await runPlan(plan, inventory, connections, request, output, lastRunId(journal))) };
  } finally {
    await connections.close();
  }
}

/** The id of the run the journal's last `run.start` belongs to (journals before run ids have none). */
function lastRunId(journal: FileJournal): string | undefined {
  const start = journal
    .entries()
    .filter((e) => e.event === 'run.start')
    .at(-1);
  const id = start?.detail?.run;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

export interface RollServiceRequest extends RunOptions {
  inventory?: string;
  set: string[];
  unset: string[];
  canary: boolean;
  dryRun: boolean;
}

export async function roll(request: RollServiceRequest, output: IoHost): Promise<UpgradeResult> {
  const set = parseAssignments(request.set);
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const connections = openConnections(inventory);
  try {
    const { observed, configs } = await observeCluster(inventory, connections);
    const plan = buildRollPlan(inventory, observed, { set, unset: request.unset, canary: request.canary }, configs);
    if (request.dryRun && inventory.mode === 'kraft')
      return { dryRun: true, plan, findings: await kraftPreflight(inventory, plan, await connections.kraft()) };
    if (request.dryRun) return { dryRun: true, plan };
    return { dryRun: false, ...(await runPlan(plan, inventory, connections, request, output)) };
  } finally {
    await connections.close();
  }
}
