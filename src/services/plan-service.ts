/** Building and checking plan files: the I/O around the pure planner. */
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { assumedPlan } from '../plan/build.js';
import type { Plan } from '../plan/model.js';
import { loadPlanFile, writePlanFile } from '../store/plan-file.js';
import { parseRelease } from '../plan/versions.js';
import type { BatchPreview } from '../plan/preview.js';
import { restrictPlan } from '../plan/subset.js';
import type { BatchSize } from '../engine/batches.js';

export interface PlanRequest {
  inventory?: string;
  from?: string;
  to?: string;
  canary?: boolean;
  output?: string;
  /** --batch: the preview says how the run will batch (plan reads no cluster, so no placement). */
  batch?: BatchSize;
  /** --brokers: the plan restarts only these (plan/subset.ts). */
  brokers?: number[] | undefined;
}

export type PlanResult = Plan & { file?: string; batches?: BatchPreview };

export function requireFlag(value: string | undefined, flag: string, env: string): string {
  if (value === undefined || value === '') {
    throw new UserError(`Missing --${flag}.`, { code: 'USAGE', action: `Pass --${flag} (or set ${env}).` });
  }
  return value;
}

export function planFromFlags(request: PlanRequest): Plan {
  const to = parseRelease(requireFlag(request.to, 'to', 'KAFKA_OPS_TO'), '--to');
  const from = parseRelease(requireFlag(request.from, 'from', 'KAFKA_OPS_FROM'), '--from');
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  return assumedPlan(inventory, from, to, request.canary);
}

export function makePlan(request: PlanRequest): PlanResult {
  const built = planFromFlags(request);
  const plan = request.brokers ? restrictPlan(built, request.brokers) : built;
  if (request.output) writeOutput(plan, request.output);
  const batches = request.batch ? batchesAtRunTime(plan, request.batch) : undefined;
  return { ...plan, ...(request.output ? { file: request.output } : {}), ...(batches ? { batches } : {}) };
}

/** The first roll phase that restarts brokers. */
export function firstRoll(plan: Plan): { phase: string; strategy: string; brokers: number[] } | undefined {
  const phase = plan.phases.find((p) => !p.skipped && p.kind === 'roll' && p.steps.some((s) => !s.skipped));
  return phase && { phase: phase.id, strategy: phase.strategy, brokers: phase.steps.filter((s) => !s.skipped).map((s) => s.broker) };
}

/** What --batch will do when the preview read no replica placement (or the cluster is KRaft). */
export function batchesAtRunTime(plan: Plan, size: BatchSize, kraft = false): BatchPreview | undefined {
  if (size === 1) return undefined;
  const roll = firstRoll(plan);
  const notes = !roll
    ? ['no phase restarts brokers.']
    : kraft
      ? ['KRaft nodes restart one at a time: the quorum gate judges one node at a time.']
      : [
          'chosen at run time from the live replica placement; this preview read no cluster (run `upgrade --dry-run --batch ...` with the inventory, without --plan or --from, to see them).',
        ];
  return { size, ...(roll ? { phase: roll.phase } : {}), notes };
}

/** `plan -o`: the plan written sealed; a path that cannot be written is bad input naming it, not a crash. */
function writeOutput(plan: Plan, file: string): void {
  try {
    writePlanFile(plan, file);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`The plan cannot be written to ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, {
      code: 'PLAN_OUTPUT_UNWRITABLE',
      action: 'Give -o a path in a directory you can write to.',
    });
  }
}

export interface ValidateResult {
  file: string;
  valid: true;
  plan: Plan;
}

/** With an inventory, also that the plan is for its cluster and its steps name its brokers on their hosts. */
export function validatePlan(file: string, inventory?: string): ValidateResult {
  return { file, valid: true, plan: loadPlanFile(file, inventory === undefined ? undefined : loadInventory(inventory)) };
}
