/** `kafka-ops upgrade`: pick the plan (file or built), then preview or apply it. */
import { UserError } from '../errors.js';
import type { Plan } from '../plan/model.js';
import { loadPlanFile } from '../plan/plan-file.js';
import { planFromFlags, type PlanRequest } from './plan-service.js';

export interface UpgradeRequest extends PlanRequest {
  plan?: string;
  dryRun: boolean;
}

export interface UpgradeResult {
  dryRun: boolean;
  plan: Plan;
}

export async function upgrade(request: UpgradeRequest): Promise<UpgradeResult> {
  if (request.plan && request.to) {
    throw new UserError('--plan and --to both given.', { code: 'USAGE', action: 'Give either a plan file (--plan) or a target (--to), not both.' });
  }
  const plan = request.plan ? loadPlanFile(request.plan) : planFromFlags(request);
  if (request.dryRun) return { dryRun: true, plan };
  throw new UserError('Applying a plan needs the rolling executor, which is not built yet.', {
    code: 'NOT_AVAILABLE',
    action: 'Use --dry-run to preview the plan.',
  });
}
