/**
 * The engine's questions and progress on the terminal: --yes answers every question with
 * its default (and says so), no terminal and no --yes is an error rather than a hang, and
 * under --json stdout carries only the result document: progress goes to stderr.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/ports.js';
import { ExitCode, UserError } from '../../src/errors.js';
import { engineIO, formatEvent } from '../../src/ui/engine-io.js';
import { Output } from '../../src/ui/output.js';
import { MemoryStream } from '../helpers/snapshots.js';

function terminal(json: boolean) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  return { stdout, stderr, output: new Output({ json }, stdout, stderr) };
}

const EVENTS: EngineEvent[] = [
  { code: 'phase.start', phase: 'pin-versions', message: 'pinning versions' },
  { code: 'step.start', phase: 'pin-versions', broker: 2, message: 'stopping' },
  { code: 'gate.wait', broker: 2, message: 'waiting for the ISR' },
  { code: 'warning', message: 'log recovery in progress' },
];

describe('engineIO.confirm', () => {
  it.each([true, false])('with --yes returns the default (%s) without prompting, and prints the answer', async (defaultAnswer) => {
    const { stdout, stderr, output } = terminal(false);
    const io = engineIO(output, { yes: true, interactive: false });
    await expect(io.confirm('Continue after the canary?', defaultAnswer)).resolves.toBe(defaultAnswer);
    expect(stdout.text).toContain('Continue after the canary?');
    expect(stdout.text).toContain(defaultAnswer ? 'yes' : 'no');
    expect(stdout.text.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr.text).toBe('');
  });

  it('with --yes answers even on a terminal, without asking', async () => {
    const { stdout, output } = terminal(false);
    // interactive: true would import inquirer and wait for a keypress; --yes must win first.
    await expect(engineIO(output, { yes: true, interactive: true }).confirm('Bump IBP?', true)).resolves.toBe(true);
    expect(stdout.text).toContain('Bump IBP?');
  });

  it('with neither --yes nor a terminal rejects with NEEDS_ANSWER (exit 2) naming the question', async () => {
    const { output } = terminal(false);
    const error: unknown = await engineIO(output, { yes: false, interactive: false })
      .confirm('Continue after the canary?', true)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('NEEDS_ANSWER');
    expect((error as UserError).exitCode).toBe(ExitCode.badInput);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toContain('Continue after the canary?');
    expect((error as UserError).action).toMatch(/--yes/);
  });
});

describe('under --json', () => {
  it('writes nothing at all to stdout: events and --yes answers go to stderr', async () => {
    const { stdout, stderr, output } = terminal(true);
    const io = engineIO(output, { yes: true, interactive: false });
    for (const event of EVENTS) io.event(event);
    await io.confirm('Continue?', true);
    expect(stdout.text).toBe('');
    const lines = stderr.text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(EVENTS.length + 1);
    for (const event of EVENTS) expect(stderr.text).toContain(event.message);
  });

  it('writes nothing to stdout when the question cannot be answered either', async () => {
    const { stdout, output } = terminal(true);
    await expect(engineIO(output, { yes: false, interactive: false }).confirm('Continue?', true)).rejects.toBeInstanceOf(UserError);
    expect(stdout.text).toBe('');
  });
});

describe('without --json', () => {
  it('prints events as progress lines on stdout', () => {
    const { stdout, stderr, output } = terminal(false);
    const io = engineIO(output, { yes: false, interactive: false });
    for (const event of EVENTS) io.event(event);
    expect(stdout.text.split('\n').filter(Boolean)).toHaveLength(EVENTS.length);
    expect(stderr.text).toBe('');
  });
});

describe('formatEvent', () => {
  it.each(EVENTS)('says where ($phase, broker $broker) and what ($message)', (event) => {
    const line = formatEvent(event);
    expect(line).toContain(event.message);
    if (event.phase) expect(line).toContain(event.phase);
    if ('broker' in event && event.broker !== undefined) expect(line).toContain(`broker ${event.broker}`);
    expect(line).not.toContain('\n');
  });
});
