/**
 * What a halted run's --json error document says of the run (src/store/run-view.ts read back
 * from its journal, printed by src/ui/output.ts): the steps done, the broker it stopped at and
 * mid-step, why; valid against error.v1, and the same facts on stderr for the person reading.
 */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/engine/ports.js';
import { InfrastructureError } from '../../src/errors.js';
import type { StoppedRunResult } from '../../src/results.js';
import { unfinishedRun } from '../../src/store/journal.js';
import { lastRun } from '../../src/store/run-view.js';
import { Output } from '../../src/ui/output.js';
import { schemaErrors } from '../helpers/schemas.js';

let second = 0;
const entry = (event: string, more: Partial<JournalEntry> = {}): JournalEntry => ({
  at: `2026-12-03T06:00:${String(second++).padStart(2, '0')}Z`,
  event,
  ...more,
});

const halted: JournalEntry[] = [
  // An earlier run that completed: not this run's.
  entry('run.start', { detail: { kind: 'roll', run: 'old' } }),
  entry('step.done', { phase: 'config', broker: 3 }),
  entry('run.done'),
  entry('run.start', { detail: { kind: 'upgrade', from: '2.8', to: '3.0', run: 'r1' } }),
  entry('phase.start', { phase: 'swap' }),
  entry('step.already-done', { phase: 'swap', broker: 1 }),
  entry('step.start', { phase: 'swap', broker: 2 }),
  entry('step.done', { phase: 'swap', broker: 2 }),
  entry('step.start', { phase: 'swap', broker: 3 }),
  entry('step.stopped', { phase: 'swap', broker: 3 }),
  entry('run.stopped', {
    detail: { kind: 'infrastructure', code: 'CATCH_UP_TIMEOUT', message: 'Broker 3 did not catch up.', action: 'Look.' },
  }),
];

function captured(json: boolean, error: InfrastructureError): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  const sink = (k: 'stdout' | 'stderr') => ({ write: (chunk: string) => ((out[k] += chunk), true) }) as unknown as NodeJS.WritableStream;
  new Output({ json }, sink('stdout'), sink('stderr')).error(error);
  return out;
}

describe('a stopped run read back from its journal', () => {
  const run = lastRun(halted);

  it('is the last run only: its steps done in order, where it stopped, the broker mid-step and why', () => {
    expect(run?.ended).toBeUndefined();
    expect(run?.view).toMatchObject({ kind: 'upgrade', from: '2.8', to: '3.0', id: 'r1', phase: 'swap', broker: 3, brokersDone: [2] });
    expect(run?.view.stepsDone).toEqual([
      { phase: 'swap', broker: 1, outcome: 'already-done' },
      { phase: 'swap', broker: 2, outcome: 'restarted' },
    ]);
    expect(run?.view.brokerMidStep).toEqual({ broker: 3, phase: 'swap', lastSubStep: 'stopped' });
    expect(run?.view.stopped).toEqual({
      kind: 'infrastructure',
      code: 'CATCH_UP_TIMEOUT',
      message: 'Broker 3 did not catch up.',
      action: 'Look.',
    });
  });

  it('is printed beside the error: a valid error.v1 document under --json, and a line before the error on stderr', () => {
    const error = new InfrastructureError('Broker 3 did not catch up.', { code: 'CATCH_UP_TIMEOUT', action: 'Look.', retriable: false });
    const result: StoppedRunResult = {
      dryRun: false,
      cluster: 'prod',
      kind: 'upgrade',
      from: '2.8',
      to: '3.0',
      journal: '/s/prod/journal.jsonl',
      run: run!.view,
    };
    error.result = result;
    const json = captured(true, error);
    const doc = JSON.parse(json.stdout);
    expect(schemaErrors('error.v1.schema.json', doc)).toEqual([]);
    expect(doc).toMatchObject({ exitCode: 3, error: { code: 'CATCH_UP_TIMEOUT' }, result: { cluster: 'prod', run: { broker: 3 } } });
    // A result that is not what a run says is refused by the schema (the test can fail).
    expect(
      schemaErrors('error.v1.schema.json', { ...doc, result: { ...doc.result, run: { ...doc.result.run, stepsDone: 'none' } } }),
    ).not.toEqual([]);
    const human = captured(false, error);
    expect(human.stdout).toBe('');
    expect(human.stderr).toBe(
      'Stopped at phase swap, broker 3. Restarted before it: 2 (swap); broker 3 stopped mid-step, after stopped. Journal: /s/prod/journal.jsonl\n' +
        'Error: Broker 3 did not catch up.\n  What to do: Look.\n',
    );
    expect(json.stderr).toBe(human.stderr);
  });

  it('an error of no run has no result', () => {
    const doc = JSON.parse(captured(true, new InfrastructureError('down', { code: 'X', action: 'a', retriable: false })).stdout);
    expect(doc.result).toBeUndefined();
    expect(schemaErrors('error.v1.schema.json', doc)).toEqual([]);
  });
});

describe('a run stopped at a gate (a question between phases, no broker restarted)', () => {
  const beforeGate: JournalEntry[] = [
    entry('run.start', { detail: { kind: 'upgrade', from: '0.10.2', to: '0.11.0', run: 'g1' } }),
    entry('preflight.ok'),
    entry('phase.start', { phase: 'bump-ibp' }),
    ...[1, 2, 3].flatMap((broker) => [
      entry('step.start', { phase: 'bump-ibp', broker }),
      entry('step.done', { phase: 'bump-ibp', broker }),
    ]),
    entry('phase.done', { phase: 'bump-ibp' }),
    entry('gate.asked', { phase: 'upgrade-clients' }),
  ];
  const declined = [
    ...beforeGate,
    entry('halt', { phase: 'upgrade-clients', detail: { reason: 'declined' } }),
    entry('run.stopped', { detail: { kind: 'halt', code: 'DECLINED', message: 'Stopped at your answer to: Upgrade the clients?' } }),
  ];
  // No terminal to ask on and no --yes: the question fails before any answer is journaled.
  const unanswered = [
    ...beforeGate,
    entry('run.stopped', { detail: { kind: 'user', code: 'NEEDS_ANSWER', message: 'An answer is needed' } }),
  ];

  it.each([
    ['declined', declined],
    ['not answerable', unanswered],
  ])('(%s) is said to have stopped at the gate, not at the last broker of the phase before it', (_what, entries) => {
    const view = lastRun(entries)!.view;
    expect(view).toMatchObject({ phase: 'upgrade-clients', gate: true, brokersDone: [1, 2, 3] });
    expect(view.broker).toBeUndefined();
    const error = new InfrastructureError('Stopped.', { code: 'DECLINED', action: 'Resume when ready.', retriable: false });
    error.result = { dryRun: false, cluster: 'prod', kind: 'upgrade', journal: '/s/prod/journal.jsonl', run: view };
    const { stderr, stdout } = { ...captured(false, error), stdout: captured(true, error).stdout };
    expect(stderr.split('\n')[0]).toBe(
      'Stopped at the gate upgrade-clients. Restarted before it: 1 (bump-ibp), 2 (bump-ibp), 3 (bump-ibp). Journal: /s/prod/journal.jsonl',
    );
    expect(schemaErrors('error.v1.schema.json', JSON.parse(stdout))).toEqual([]);
    // Stopped between phases: a new upgrade is not refused as replacing a half-done run.
    expect(unfinishedRun(entries)).toBeUndefined();
  });

  it('a run stopped at a broker after a gate was passed names that broker and no gate', () => {
    const view = lastRun([
      ...beforeGate,
      entry('gate.confirmed', { phase: 'upgrade-clients' }),
      entry('phase.start', { phase: 'bump-lmfv' }),
      entry('step.start', { phase: 'bump-lmfv', broker: 2 }),
      entry('run.stopped', { detail: { kind: 'interrupted', code: 'INTERRUPTED' } }),
    ])!.view;
    expect(view).toMatchObject({ phase: 'bump-lmfv', broker: 2 });
    expect(view.gate).toBeUndefined();
  });
});
