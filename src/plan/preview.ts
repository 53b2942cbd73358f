/** The human preview of a plan, as lines of text (pure; the UI prints them). */
import { leadershipRulesFor } from './leadership-rules.js';
import type { Plan, PlanPhase, PlanStep } from './model.js';

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The batches a dry run shows (`--batch`), as plain data: computed by the engine's own function
 * (engine/batches.ts) from the replica placement read at preview time, or absent with a note.
 */
export interface BatchPreview {
  size: number | 'auto';
  /** The roll phase the batches are for: the first one that restarts brokers. */
  phase?: string;
  batches?: { brokers: number[]; controller?: boolean }[];
  /** Why brokers are apart: per broker, the first batch it could not join and the partition that says no. */
  apart?: { broker: number; with: number[]; partition: string; message: string }[];
  degraded?: string;
  /** Why there are no batches to show, or what changes them at run time. */
  notes?: string[];
}

export function batchPreviewLines(preview: BatchPreview): string[] {
  const head = `  Batches (--batch ${preview.size})`;
  if (!preview.batches) return [`${head}: ${(preview.notes ?? []).join(' ')}`];
  const lines = [
    `${head}, phase ${preview.phase ?? '?'}, from the replica placement now: ${preview.batches
      .map((b) => `[${b.brokers.join(',')}]${b.controller ? ' (controller, last)' : ''}`)
      .join(' ')}`,
  ];
  if (preview.degraded) lines.push(`    ${preview.degraded}`);
  for (const c of preview.apart ?? []) lines.push(`    broker ${c.broker} apart from ${c.with.join(',')}: ${c.message}`);
  for (const n of preview.notes ?? []) lines.push(`    ${n}`);
  return lines;
}

/**
 * What a real run says before its first question ("Start the rolling restart?"): the plan in
 * one paragraph, with the phases to run, the restarts, the points of no return and the ETA.
 */
export function planSummaryLines(plan: Plan, mode: 'new' | 'resume' = 'new'): string[] {
  const active = plan.phases.filter((p) => !p.skipped);
  const what =
    plan.kind === 'upgrade'
      ? `upgrade of cluster ${plan.cluster} ${plan.from} → ${plan.to}`
      : plan.kind === 'migration'
        ? `ZooKeeper → KRaft migration of cluster ${plan.cluster}`
        : `rolling configuration change of cluster ${plan.cluster}`;
  const noReturn = active.filter((p) => p.pointOfNoReturn).map((p) => p.id);
  return [
    `Plan: ${what}: ${active.length} of ${plan.phases.length} phases to run (${active.map((p) => p.id).join(', ') || 'none'}), ` +
      `${plan.estimate.restarts} broker restart(s), ETA about ${formatDuration(plan.estimate.seconds)} (${plan.estimate.assumption})` +
      `${mode === 'resume' ? '; steps already done on their hosts are skipped, so less remains' : ''}.`,
    `  Points of no return: ${noReturn.length > 0 ? `${noReturn.join(', ')} (no downgrade once passed; the plan preview says why)` : 'none'}.`,
  ];
}

export function previewLines(plan: Plan, batching?: BatchPreview): string[] {
  const active = plan.phases.filter((p) => !p.skipped);
  const lines = [
    plan.kind === 'upgrade'
      ? `Upgrade plan for cluster ${plan.cluster}: ${plan.from} → ${plan.to}`
      : plan.kind === 'migration'
        ? `ZooKeeper → KRaft migration plan for cluster ${plan.cluster} (Kafka ${plan.from}${plan.to === plan.from ? '' : `, then the KRaft upgrade to ${plan.to} in the same plan`})`
        : `Rolling configuration change for cluster ${plan.cluster} (on ${plan.from})`,
    `  ${active.length} of ${plan.phases.length} phases to run, ${plan.estimate.restarts} broker restarts, about ${formatDuration(plan.estimate.seconds)} (${plan.estimate.assumption}).`,
    `  Broker order: ${plan.order.join(', ')}. ${plan.controller.note}`,
    ...(batching ? batchPreviewLines(batching) : []),
    ...plan.notes.map((n) => `  Note: ${n}`),
  ];
  plan.phases.forEach((phase, index) => {
    lines.push('', ...phaseLines(phase, index + 1, plan.phases.length, leadershipLine(plan, index)));
  });
  const noReturn = plan.phases.filter((p) => !p.skipped && p.pointOfNoReturn);
  if (noReturn.length > 0) {
    lines.push('', `Points of no return: ${noReturn.map((p) => p.id).join(', ')} (marked ⚠ above).`);
  }
  if (plan.kind === 'migration') {
    const last = plan.phases.filter((p) => p.revert).at(-1);
    lines.push(
      `Revert: possible until ${plan.phases.find((p) => p.pointOfNoReturn)?.id ?? 'the last phase'} starts; each phase above lists the steps back to ZooKeeper mode${last ? ` (latest: ${last.id})` : ''}.`,
    );
  }
  return lines;
}

function phaseLines(phase: PlanPhase, n: number, total: number, leadership: string): string[] {
  const head = `Phase ${n}/${total}  ${phase.id}  [${phase.kind}${phase.kind === 'roll' ? `, ${phase.strategy}` : ''}]  ${phase.title}`;
  const restartsOf = phase.kind === 'provision' ? 'start' : 'restart';
  if (phase.skipped) return [`${head}`, `  skipped: ${phase.reason ?? ''}`];
  const lines = [head];
  // A phase that runs can still carry a reason: why it does what it does (e.g. what happens to log.message.format.version).
  if (phase.reason) lines.push(`  why: ${phase.reason}`);
  if (phase.pointOfNoReturn) lines.push(`  ⚠ point of no return: ${phase.pointOfNoReturn}`);
  if (phase.kind === 'gate') {
    lines.push(`  confirm: ${phase.prompt ?? ''}`);
    return lines;
  }
  if (phase.kind === 'wait' && phase.wait) {
    lines.push(`  no restart; waits up to ${phase.wait.timeoutSeconds} s for ${phase.wait.until}`, `  read from ${phase.wait.source}`);
    return [...lines, ...revertLines(phase)];
  }
  if (phase.finalize) {
    const f = phase.finalize;
    lines.push(
      `  no restart; ${f.feature}: ${f.from ?? '(read at run time)'} → ${f.to}`,
      `  on node ${f.node} (${f.host}): ${f.command.join(' ')}`,
      `  checked first: ${phase.gates.join(', ')}`,
    );
    return lines;
  }
  const restarts = phase.steps.filter((s) => !s.skipped).length;
  lines.push(
    `  ${restarts} ${restartsOf}${restarts === 1 ? '' : 's'}; stop timeout ${phase.timeouts.stopSeconds} s, start timeout ${phase.timeouts.startSeconds} s; ${phase.consecutiveHealthyChecks} healthy checks in a row after each restart.`,
  );
  if (phase.gates.includes('leadership-settled')) lines.push(leadership);
  if (phase.provision) {
    lines.push(
      `  new nodes: configured, storage formatted (cluster id ${phase.provision.clusterId ?? '(read from ZooKeeper at run time)'}), started; then a quorum leader is awaited.`,
    );
  }
  if (phase.strategy === 'serial-canary') lines.push('  pauses for confirmation after the first broker (canary).');
  for (const step of phase.steps) lines.push(...stepLines(step, phase.kind === 'provision' ? 'start' : 'restart'));
  return [...lines, ...revertLines(phase)];
}

/**
 * What the leadership-settled gate is expected to hold for in this phase: the IBP is the plan's
 * `from` until its bump-ibp phase has run, `to` after it (a KRaft node's is its release's own).
 */
function leadershipLine(plan: Plan, index: number): string {
  const bumped = plan.phases.slice(0, index).some((p) => p.id === 'bump-ibp' && !p.skipped);
  const ibp = bumped ? plan.to : plan.from;
  const rules = leadershipRulesFor(ibp);
  return `  leadership-settled: ${rules.settleAfterMoves ? 'every rule holds' : 'time rules off'} (expected; decided again from the IBP the brokers run when the phase starts): ${rules.reason}.`;
}

function revertLines(phase: PlanPhase): string[] {
  if (!phase.revert) return [];
  return [`  revert (if the run stops here):`, ...phase.revert.map((r, i) => `    ${i + 1}. ${r}`)];
}

function stepLines(step: PlanStep, verb = 'restart'): string[] {
  const who = step.roles ? `  node ${step.broker} [${step.roles.join('+')}] (${step.host})` : `  broker ${step.broker} (${step.host})`;
  if (step.skipped) return [`${who}: no restart — ${step.reason ?? 'nothing to change'}`];
  const lines = [`${who}: ${verb}`];
  for (const [key, change] of Object.entries(step.changes)) {
    lines.push(`      server.properties  ${key}: ${change.from ?? '(unset)'} → ${change.to ?? '(removed)'}`);
  }
  if (step.install) {
    lines.push(
      `      install link  ${step.install.link}: ${step.install.from ?? '(current)'} → ${step.install.to}  (release ${step.install.release})`,
    );
  }
  return lines;
}
