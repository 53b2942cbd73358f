/**
 * The built CLI's live tree on a real run: `kafka-ops upgrade --to 0.9 --json` on the
 * sandbox (real ZooKeeper, brokers and sshd), on a real pseudo-terminal, with every
 * question answered by typing "y" into the prompt inside the tree. Stdout (a file) must
 * hold only the result document; the terminal shows phases → brokers → sub-steps.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/sandbox/processes.js';
import { hasScript, killPtyChildren, lastFrame, onPty, plain, quote } from '../helpers/pty.js';
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js';

const bin = resolve(import.meta.dirname, '../../bin/run.js');
let sandbox: TestSandbox | undefined;

beforeAll(async () => {
  if (hasScript) sandbox = await startSandbox('progress');
}, 240_000);

afterAll(async () => {
  expect(killPtyChildren()).toEqual([]);
  if (!sandbox) return;
  const pids = Object.values(sandbox.pids()).filter((p): p is number => p !== undefined);
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
}, 120_000);

describe.skipIf(!hasScript)('kafka-ops upgrade on a terminal', () => {
  it('draws the tree on the terminal, takes typed answers inside it, and keeps stdout to the JSON result', { timeout: 420_000 }, async () => {
    const box = sandbox as TestSandbox;
    const out = join(box.dir, 'result.json');
    const typed: string[] = [];
    const run = await onPty(
      `node ${quote(bin)} upgrade --to 0.9 --inventory ${quote(box.inventory)} --state-dir ${quote(box.stateDir)} --json > ${quote(out)}`,
      (drawn) => {
        const prompt = /\? ([^\n]+?) \((Y\/n|y\/N)\)/.exec(drawn);
        if (!prompt?.[1]) return undefined;
        typed.push(prompt[1]);
        return 'y\r';
      },
      {},
      400_000,
    );
    const screen = plain(run.screen);
    expect(run.code, screen.slice(-3000)).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    expect(result.run.status).toBe('completed');
    // At least the question before the first restart was asked, inside the tree, and answered by the keys typed.
    expect(typed[0]).toMatch(/^Start the rolling restart of cluster/);
    expect(screen).toMatch(/^ {2}✔ Start the rolling restart of cluster .*\? yes/m);
    // Phases at the left, brokers two in, sub-steps four in, as they happened.
    expect(screen).toMatch(/^\S+ swap-binaries: /m);
    expect(screen).toMatch(/^ {2}\S+ broker \d \(/m);
    expect(screen).toMatch(/^ {4}\S+ sending SIGINT to pid \d+/m);
    expect(screen).toMatch(/^ {4}\S+ registered after \d+\.\d s/m);
    // The last frame: every rolling phase done.
    const frame = lastFrame(run.screen);
    for (const phase of ['swap-binaries', 'bump-ibp']) expect(frame.find((l) => l.includes(`${phase}:`))).toMatch(/^✔ /);
  });
});
