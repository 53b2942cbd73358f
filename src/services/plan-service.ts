/** Building and checking plan files: the I/O around the pure planner. */
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { assumedPlan } from '../plan/build.js';
import type { Plan } from '../plan/model.js';
import { loadPlanFile, writePlanFile } from '../store/plan-file.js';
import { parseRelease } from '../plan/versions.js';

export interface PlanRequest {
  inventory?: string;
  from?: string;
  to?: string;
  canary?: boolean;
  output?: string;
}

export type PlanResult = Plan & { file?: string };

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
  const plan = planFromFlags(request);
  if (request.output) {
    try {
      writePlanFile(plan, request.output);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`The plan cannot be written to ${request.output} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, {
        code: 'PLAN_OUTPUT_UNWRITABLE',
        action: 'Give -o a path in a directory you can write to.',
      });
    }
  }
  return request.output ? { ...plan, file: request.output } : plan;
}

export interface ValidateResult {
  file: string;
  valid: true;
  plan: Plan;
}

export function validatePlan(file: string): ValidateResult {
  return { file, valid: true, plan: loadPlanFile(file) };
}
