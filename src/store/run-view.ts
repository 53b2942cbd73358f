/** Where the last run of a cluster stands, read back from its journal (status, abort, and a run that stops). */
import type { JournalEntry } from '../engine/ports.js';
import type { RunView } from '../results.js';

/** The last run in a journal: from its `run.start` on, with what it did and how it ended. */
export function lastRun(
  entries: readonly JournalEntry[],
): { view: RunView; ended?: 'completed' | 'aborted'; stopped?: JournalEntry } | undefined {
  const startAt = entries.map((e) => e.event).lastIndexOf('run.start');
  if (startAt < 0) return undefined;
  const start = entries[startAt] as JournalEntry;
  const run = entries.slice(startAt);
  const ended = run.some((e) => e.event === 'run.aborted') ? 'aborted' : run.some((e) => e.event === 'run.done') ? 'completed' : undefined;
  const stopped = run.filter((e) => e.event === 'run.stopped').at(-1);
  const work = run.filter((e) => e.event !== 'run.stopped' && e.event !== 'run.aborted');
  const last = work.at(-1) as JournalEntry;
  const brokersDone = [...new Set(run.filter((e) => e.event === 'step.done' && e.broker !== undefined).map((e) => e.broker as number))];
  const stepsDone = run
    .filter((e) => (e.event === 'step.done' || e.event === 'step.already-done') && e.broker !== undefined)
    .map((e) => ({
      phase: e.phase ?? '',
      broker: e.broker as number,
      outcome: e.event === 'step.done' ? ('restarted' as const) : ('already-done' as const),
    }));
  // A broker whose last step entry is a sub-step short of `done`: its config, install or process was being changed.
  const lastStep = work.filter((e) => e.event.startsWith('step.') && e.broker !== undefined).at(-1);
  const midStep =
    lastStep && !['step.done', 'step.already-done'].includes(lastStep.event)
      ? { broker: lastStep.broker as number, ...(lastStep.phase ? { phase: lastStep.phase } : {}), lastSubStep: lastStep.event.slice(5) }
      : undefined;
  const detail = stopped?.detail ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const phase = work.filter((e) => e.phase !== undefined).at(-1)?.phase;
  // The broker of that phase only: a run stopped at a gate (which restarts none) did not stop at the last broker before it.
  const broker = work.filter((e) => e.broker !== undefined && e.phase === phase).at(-1)?.broker;
  const atGate = work.some((e) => e.phase === phase && (e.event === 'gate.asked' || e.event === 'gate.confirmed'));
  const view: RunView = {
    ...(str(start.detail?.kind) ? { kind: str(start.detail?.kind) } : {}),
    ...(str(start.detail?.from) ? { from: str(start.detail?.from) } : {}),
    ...(str(start.detail?.to) ? { to: str(start.detail?.to) } : {}),
    ...(str(start.detail?.run) ? { id: str(start.detail?.run) } : {}),
    startedAt: start.at,
    last,
    ...(phase !== undefined ? { phase } : {}),
    ...(atGate ? { gate: true } : {}),
    ...(broker !== undefined ? { broker } : {}),
    brokersDone,
    stepsDone,
    ...(midStep && ended !== 'completed' ? { brokerMidStep: midStep } : {}),
    ...(stopped
      ? {
          stopped: {
            ...(str(detail.kind) ? { kind: str(detail.kind) } : {}),
            ...(str(detail.code) ? { code: str(detail.code) } : {}),
            ...(str(detail.message) ? { message: str(detail.message) } : {}),
            ...(str(detail.action) ? { action: str(detail.action) } : {}),
          },
        }
      : {}),
  };
  return { view, ...(ended ? { ended } : {}), ...(stopped ? { stopped } : {}) };
}
