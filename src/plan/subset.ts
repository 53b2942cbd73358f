/**
 * `--brokers 1,3`: a run restricted to some brokers. The others' steps become skipped (they stay
 * as they are), and a phase that needs every broker to be done with the phases before it (the
 * IBP and message-format bumps, the client gate, a KRaft metadata.version finalize) is skipped
 * while a broker outside the subset still has an earlier step to run. Pure.
 */
import { UserError } from '../errors.js';
import type { Plan, PlanPhase } from './model.js';
import { estimateFor } from './steps.js';

/** Phases that are only right once every broker has finished the phases before them. */
const CLUSTER_WIDE = new Set(['bump-ibp', 'bump-lmfv', 'upgrade-clients', 'finalize-metadata-version']);

export function restrictPlan(plan: Plan, brokers: readonly number[]): Plan {
  if (plan.kind === 'migration') {
    throw new UserError('--brokers does not apply to a ZooKeeper → KRaft migration: every broker migrates.', {
      code: 'USAGE',
      action: 'Run the migration without --brokers.',
    });
  }
  const unknown = brokers.filter((b) => !plan.order.includes(b));
  if (unknown.length > 0) {
    throw new UserError(`--brokers names ${unknown.join(',')}, not in cluster ${plan.cluster} (brokers ${plan.order.join(',')}).`, {
      code: 'BAD_FLAG',
      action: 'Pass ids of the inventory.',
    });
  }
  const inSet = new Set(brokers);
  const others = plan.order.filter((b) => !inSet.has(b));
  if (others.length === 0) return plan;
  const list = brokers.join(',');
  const notDoneOutside = new Set<number>();
  const phases = plan.phases.map((phase): PlanPhase => {
    const outsidePending = phase.skipped ? [] : phase.steps.filter((s) => !s.skipped && !inSet.has(s.broker)).map((s) => s.broker);
    const waiting = [...notDoneOutside].sort((a, b) => a - b);
    for (const b of outsidePending) notDoneOutside.add(b);
    if (phase.skipped) return phase;
    if (CLUSTER_WIDE.has(phase.id) && waiting.length > 0) {
      return {
        ...phase,
        skipped: true,
        reason: `Needs every broker done with the phases before it, and broker(s) ${waiting.join(',')} are outside --brokers ${list}: run again with them (or without --brokers) to get here.`,
      };
    }
    return {
      ...phase,
      steps: phase.steps.map((s) =>
        s.skipped || inSet.has(s.broker) ? s : { ...s, skipped: true, reason: `Not in --brokers ${list}: stays as it is.` },
      ),
    };
  });
  const restarts = phases.reduce((n, p) => n + (p.skipped || p.kind === 'gate' ? 0 : p.steps.filter((s) => !s.skipped).length), 0);
  return {
    ...plan,
    phases,
    subset: { brokers: [...brokers], others },
    notes: [...plan.notes, `Restricted to brokers ${list} (--brokers): broker(s) ${others.join(',')} stay as they are.`],
    estimate: estimateFor(restarts),
  };
}
