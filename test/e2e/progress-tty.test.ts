/**
 * The UI in front of a real pseudo-terminal (util-linux `script`), through the built code:
 * the live tree is drawn on a terminal, questions inside it are answered by keys typed
 * into the pty, --json keeps stdout to the one JSON document while the tree goes to the
 * terminal on stderr, and without a terminal to ask on a needed answer exits 2 at once.
 * The run is scripted (test/helpers/progress-driver.mjs) so no Kafka cluster is needed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killPtyChildren, lastFrame, onPty, plain, quote } from '../helpers/pty.js';

const root = resolve(import.meta.dirname, '../..');
const driver = join(root, 'test/helpers/progress-driver.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-tty-'));
const QUESTIONS = [
  '? Start the rolling restart of cluster demo (phase bump-ibp, broker 1 first)? (Y/n)',
  '? Canary: broker 1 is back and caught up. Continue with the other 1 broker(s) of bump-ibp? (Y/n)',
];

/** Type `keys[i]` once the i-th question's prompt is on the screen. */
function answers(keys: string[]) {
  let asked = 0;
  return (drawn: string) => (drawn.includes(QUESTIONS[asked] ?? '\0') ? keys[asked++] : undefined);
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist/ui/progress-tree.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
});

afterAll(() => {
  expect(killPtyChildren()).toEqual([]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('on a real pseudo-terminal', () => {
  it('draws the tree and asks inside it; typed answers go through the prompt adapter', async () => {
    const run = await onPty(`node ${quote(driver)}`, answers(['y\r', 'y\r']));
    expect(run.code).toBe(0);
    const frame = lastFrame(run.screen);
    // The tree as left on the terminal: skipped phase, then the phase with its questions and brokers.
    expect(frame[0]).toMatch(/^↓ pin-versions: already pinned$/);
    expect(frame[1]).toMatch(/^✔ bump-ibp: Bump inter\.broker\.protocol\.version to 0\.10\.2 \[\d+(\.\d+)?s\]$/);
    // While it ran, the brokers and their sub-steps were drawn one level and two levels in.
    const screen = plain(run.screen);
    expect(screen).toMatch(/^ {2}\S+ broker 1 \(127\.0\.0\.1\)/m);
    expect(screen).toMatch(/^ {4}\S+ sending SIGINT to pid 4242/m);
    expect(screen).toMatch(/^ {2}✔ Start the rolling restart of cluster demo \(phase bump-ibp, broker 1 first\)\? yes/m);
    expect(screen).toMatch(/^ {2}✔ Canary: broker 1 is back and caught up\. Continue with the other 1 broker\(s\) of bump-ibp\? yes/m);
    expect(screen).toContain('Completed: 2 answer(s).');
  }, 60_000);

  it('a "no" typed at the canary halts (exit 4) and the tree keeps what was done', async () => {
    const run = await onPty(`node ${quote(driver)}`, answers(['y\r', 'n\r']));
    expect(run.code).toBe(4);
    const screen = plain(run.screen);
    expect(screen).toMatch(/Canary: broker 1 is back and caught up\. Continue with the other 1 broker\(s\) of bump-ibp\? no/);
    expect(screen).toContain('Error: Stopped at your answer to: Canary');
    expect(screen).not.toMatch(/broker 2 \(127\.0\.0\.2\)/);
  }, 60_000);

  it('Ctrl-C at a prompt inside the tree stops the run as an interruption (exit 130), not a bug', async () => {
    const run = await onPty(`node ${quote(driver)}`, answers(['\u0003']));
    expect(run.code).toBe(130);
    expect(plain(run.screen)).toContain('Error: Interrupted at the question: Start the rolling restart of cluster demo');
  }, 60_000);

  it('with --json the tree goes to the terminal on stderr and stdout holds only the JSON document', async () => {
    const out = join(scratch, 'out.json');
    const run = await onPty(`node ${quote(driver)} --json --yes > ${quote(out)}`);
    expect(run.code).toBe(0);
    const document = JSON.parse(readFileSync(out, 'utf8'));
    expect(document.answers).toHaveLength(2);
    expect(document.answers.every((a: { answer: boolean }) => a.answer)).toBe(true);
    expect(lastFrame(run.screen)[1]).toMatch(/^✔ bump-ibp/);
    expect(plain(run.screen)).toMatch(/^ {2}✔ Start the rolling restart of cluster demo .*\? yes \(--yes\)/m);
  }, 60_000);

  it('a terminal to draw on but none to answer from (stdin redirected), no --yes: exit 2 at once, the tree closed, the error under it on the terminal', async () => {
    const out = join(scratch, 'needs-answer.json');
    const run = await onPty(`node ${quote(driver)} --json < /dev/null > ${quote(out)}`);
    expect(run.code).toBe(2);
    expect(JSON.parse(readFileSync(out, 'utf8')).error).toMatchObject({ code: 'NEEDS_ANSWER', exitCode: 2 });
    expect(lastFrame(run.screen)).toEqual([
      '↓ pin-versions: already pinned',
      '✖ bump-ibp: Bump inter.broker.protocol.version to 0.10.2',
      'Error: An answer is needed and there is no terminal to ask: Start the rolling restart of cluster demo (phase bump-ibp, broker 1 first)?',
      '  What to do: Run in a terminal to answer, or pass --yes (KAFKA_OPS_YES=1) to accept the default answers, as CI should.',
    ]);
  }, 60_000);

  it('KAFKA_OPS_PROGRESS=plain keeps plain lines even on a terminal', async () => {
    const run = await onPty(`node ${quote(driver)} --yes`, undefined, { KAFKA_OPS_PROGRESS: 'plain' });
    expect(run.code).toBe(0);
    expect(plain(run.screen)).toContain('▶ [bump-ibp] Bump inter.broker.protocol.version to 0.10.2\n');
    expect(run.screen).not.toContain('\u001b[?25l');
  }, 60_000);
});

describe('without a terminal', () => {
  it('plain lines, and a needed answer without --yes exits 2 naming the question instead of waiting', async () => {
    const child = spawn(process.execPath, [driver], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(2);
    expect(stdout).toBe('⏭ [pin-versions] already pinned\n▶ [bump-ibp] Bump inter.broker.protocol.version to 0.10.2\n');
    expect(stderr).toContain('Error: An answer is needed and there is no terminal to ask: Start the rolling restart');
  });
});
