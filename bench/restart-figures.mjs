// Shared by the rolling benchmarks: per-restart figures of a run report, and their medians.
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms) => (ms / 1000).toFixed(2).padStart(7);

/**
 * Prints each restarted step's stop / start / catch-up / added time (and, of the added time,
 * what the leadership-settled gate held on purpose), then the medians.
 */
export function printRestarts(run) {
  const steps = run.steps.filter((s) => s.outcome === 'restarted');
  console.log('phase           broker   stop s  start s  catch-up s  added s   held s  total s');
  for (const s of steps) {
    console.log(
      `${s.phase.padEnd(15)} ${String(s.broker).padStart(6)} ${sec(s.stopMs)} ${sec(s.startMs)} ${sec(s.catchUpMs)}     ${sec(s.addedMs)} ${sec(s.heldMs ?? 0)} ${sec(s.totalMs)}`,
    );
  }
  const m = (k) => median(steps.map((s) => s[k] ?? 0));
  const overhead = median(steps.map((s) => s.addedMs - (s.heldMs ?? 0)));
  const held = steps.reduce((sum, s) => sum + (s.heldMs ?? 0), 0);
  console.log(
    `median over ${steps.length} restarts: stop ${sec(m('stopMs'))} s, start ${sec(m('startMs'))} s, catch-up ${sec(m('catchUpMs'))} s, added by kafka-ops ${sec(m('addedMs'))} s (target < 1 s)`,
  );
  console.log(`  of the added time: held by the leadership gate ${sec(held)} s in all; the rest (overhead) median ${sec(overhead)} s`);
}

/**
 * The whole upgrade against the brokers' own time: `wallMs` (the CLI's run, start-up and
 * plan included) over the sum of every restart's stop + start + catch-up.
 */
export function printWhole(run, wallMs) {
  const steps = run.steps.filter((s) => s.outcome === 'restarted');
  const sum = (k) => steps.reduce((t, s) => t + (s[k] ?? 0), 0);
  const own = sum('stopMs') + sum('startMs') + sum('catchUpMs');
  const held = sum('heldMs');
  const steps_ = sum('totalMs');
  console.log(
    `sums over ${steps.length} restarts: brokers' own ${sec(own)} s (stop ${sec(sum('stopMs'))}, start ${sec(sum('startMs'))}, catch-up ${sec(sum('catchUpMs'))}), added ${sec(sum('addedMs'))} s (held ${sec(held)})`,
  );
  console.log(
    `whole upgrade wall time ${sec(wallMs)} s (steps ${sec(steps_)} s, outside the steps ${sec(wallMs - steps_)} s): ${(wallMs / own).toFixed(2)}× the brokers' own time (target <= 1.15×)`,
  );
}

/**
 * Where the time outside the brokers' steps went, from the run's journal: the CLI's start-up,
 * reading the cluster and planning (before run.start), the checks before the first restart
 * (run.start → preflight.ok), each phase's start (→ its first step), and the end.
 */
export function printOutside(startedAt, wallMs, journalText) {
  const entries = journalText
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map((e) => ({ ...e, t: Date.parse(e.at) }));
  const first = (event) => entries.find((e) => e.event === event);
  const start = first('run.start');
  const ok = first('preflight.ok');
  const done = first('run.done');
  if (!start || !ok || !done) return;
  const parts = [
    ['start-up, cluster read, plan', start.t - startedAt],
    ['checks before the first restart', ok.t - start.t],
  ];
  for (const phase of entries.filter((e) => e.event === 'phase.start')) {
    const next = entries.find((e) => e.t >= phase.t && e !== phase && e.phase === phase.phase && e.broker !== undefined);
    if (next) parts.push([`${phase.phase}: phase start → its first step`, next.t - phase.t]);
  }
  parts.push(['after the run (report, exit)', startedAt + wallMs - done.t]);
  console.log('outside the steps:');
  for (const [what, ms] of parts) console.log(`  ${sec(ms)} s  ${what}`);
}
