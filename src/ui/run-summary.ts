/** The human form of an upgrade/roll/resume result. */
import { previewLines } from '../plan/preview.js';
import type { UpgradeResult } from '../results.js';
import type { Output } from './output.js';

const seconds = (ms?: number) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));

export function renderUpgradeResult(result: UpgradeResult, output: Output): void {
  if (result.dryRun || !result.run) {
    for (const line of previewLines(result.plan, result.batches)) output.line(line);
    for (const f of result.findings ?? []) output.line(`${f.blocking ? 'finding (would hold the roll now)' : 'warning'}: ${f.message}`);
    if (result.resumesAt !== undefined)
      output.line(
        result.resumesAt
          ? `\nResume starts with broker ${result.resumesAt.broker} (phase ${result.resumesAt.phase}): the first step its host does not have yet.`
          : '\nResume: every step is already done on its host; it would restart nothing.',
      );
    output.line('\nDry run: nothing was touched.');
    return;
  }
  const restarted = result.run.steps.filter((s) => s.outcome === 'restarted');
  output.line(
    `\n${result.plan.kind === 'upgrade' ? `Upgrade ${result.plan.from} → ${result.plan.to}` : 'Rolling change'} of ${result.plan.cluster} completed: ${restarted.length} restart(s).`,
  );
  output.line('phase           broker  outcome        stop s  start s  catch-up s  added s  shutdown');
  for (const s of result.run.steps) {
    output.line(
      `${s.phase.padEnd(15)} ${String(s.broker).padStart(6)}  ${s.outcome.padEnd(13)} ${seconds(s.stopMs).padStart(7)} ${seconds(s.startMs).padStart(8)} ${seconds(s.catchUpMs).padStart(11)} ${seconds(s.addedMs).padStart(8)}  ${s.shutdown ?? ''}`,
    );
  }
  const e = result.run.leaderElection;
  if (e)
    output.line(
      `Preferred leaders (${e.reason}): ${e.requests} election(s) for ${e.moved} partition(s)${e.notBack > 0 ? `, ${e.notBack} not back in time` : ''}; not on their preferred replica: ${e.before} of ${e.partitions} before, ${e.after} after.`,
    );
  for (const w of result.run.warnings) output.line(`warning: ${w}`);
  if (result.journal) output.line(`Journal: ${result.journal}`);
}
