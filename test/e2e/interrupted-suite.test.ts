/**
 * Interrupting `npm test` leaves no broker, ZooKeeper or sshd running. A real `vitest run` of
 * one file holding a real sandbox (test/fixtures/interrupt/) is started as its own process
 * group; once its JVMs and sshd are up, it is interrupted as an operator does (Ctrl-C: SIGINT
 * to the whole group) or as CI does (SIGTERM to vitest alone), and every process of that
 * sandbox must be gone within a bound: the workers die without their afterAll hooks, so the
 * sandbox's watchdog (test/helpers/sandbox-watchdog.mjs) is what tears it down.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandMentions, isAlive } from '../../src/sandbox/processes.js';
import { SANDBOX_HOOK_TIMEOUT_MS } from '../helpers/sandbox.js';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-interrupted-suite-'));
const GONE_WITHIN_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process whose command line names `dir` (the sandbox's JVMs and sshd all do). */
function processesOf(dir: string): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && isAlive(pid) && commandMentions(pid, dir));
}

const leftovers: string[] = [];
afterAll(() => {
  // If the watchdog failed, do not leave the JVMs to the next file.
  for (const dir of leftovers) for (const pid of processesOf(dir)) process.kill(pid, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

describe('an interrupted test run leaves nothing of its sandbox running', () => {
  it.each([
    ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true],
    ['SIGTERM to vitest alone', 'SIGTERM', false],
  ] as const)(
    '%s',
    async (_what, signal, toGroup) => {
      const held = join(scratch, `${signal}.json`);
      const vitest = spawn(
        process.execPath,
        [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(root, 'test/fixtures/interrupt/vitest.config.ts')],
        { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_OPS_HELD_PIDS: held } },
      );
      let output = '';
      vitest.stdout.on('data', (c: Buffer) => (output += c.toString()));
      vitest.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const exited = new Promise<void>((r) => vitest.on('exit', () => r()));
      let done = false;
      void exited.then(() => (done = true));
      while (!existsSync(held) || readFileSync(held, 'utf8') === '') {
        if (done) throw new Error(`the held-sandbox run ended before its sandbox was up:\n${output}`);
        await sleep(200);
      }
      const { dir, pids } = JSON.parse(readFileSync(held, 'utf8')) as { dir: string; pids: number[] };
      leftovers.push(dir);
      // ZooKeeper, 3 brokers and sshd: up, and found by their directory.
      expect(pids).toHaveLength(5);
      expect(pids.filter(isAlive)).toEqual(pids);
      expect(processesOf(dir)).toEqual(expect.arrayContaining(pids));

      process.kill(toGroup ? -vitest.pid! : vitest.pid!, signal);
      const deadline = Date.now() + GONE_WITHIN_MS;
      while ((processesOf(dir).length > 0 || !done) && Date.now() < deadline) await sleep(200);
      expect(done, `vitest still running ${GONE_WITHIN_MS / 1000} s after ${signal}`).toBe(true);
      expect(processesOf(dir), `still running ${GONE_WITHIN_MS / 1000} s after ${signal}`).toEqual([]);
      expect(pids.filter(isAlive)).toEqual([]);
    },
    SANDBOX_HOOK_TIMEOUT_MS,
  );
});
