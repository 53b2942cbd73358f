/**
 * Operator-facing behaviour of the built CLI that needs no cluster: bad input files and the
 * run-control commands (status, unlock) on a state dir, as real processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { thisProcess } from '../../src/store/lock-holder.js';
import { runCli } from '../helpers/cli.js';
import { waitForDist } from '../helpers/faults.js';
import { VALID_INVENTORY, useScratchDir } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('operator-cli');
const inventory = scratch.write('inventory.yaml', VALID_INVENTORY);
const cli = async (args: string[]) => {
  await waitForDist();
  return runCli(args, { timeoutMs: 60_000 });
};

/** A state dir whose journal holds a roll that halted on broker 2 after broker 1 was done. */
function haltedRun(name: string): { stateDir: string; journal: string; lock: string } {
  const stateDir = join(scratch.dir, name);
  mkdirSync(join(stateDir, 'test'), { recursive: true });
  const lines = [
    { at: '2026-12-02T18:00:00.000Z', event: 'run.start', detail: { kind: 'roll', from: '0.10.2.1', to: '0.10.2.1', run: 'r-1' } },
    { at: '2026-12-02T18:00:01.000Z', event: 'preflight.ok', detail: { brokers: [1, 2] } },
    { at: '2026-12-02T18:00:02.000Z', event: 'phase.start', phase: 'config' },
    { at: '2026-12-02T18:00:03.000Z', event: 'step.config', phase: 'config', broker: 1 },
    { at: '2026-12-02T18:00:05.000Z', event: 'step.done', phase: 'config', broker: 1 },
    { at: '2026-12-02T18:00:06.000Z', event: 'step.config', phase: 'config', broker: 2 },
    { at: '2026-12-02T18:00:07.000Z', event: 'step.stop.done', phase: 'config', broker: 2 },
    { at: '2026-12-02T18:00:09.000Z', event: 'halt', phase: 'config', broker: 2, detail: { reason: 'start-timeout' } },
    {
      at: '2026-12-02T18:00:09.500Z',
      event: 'run.stopped',
      detail: {
        kind: 'halted',
        code: 'START_TIMEOUT',
        message: 'Broker 2 did not register within 120 s.',
        action: 'Look at its server.log.',
      },
    },
  ];
  const journal = join(stateDir, 'test', 'journal.jsonl');
  writeFileSync(journal, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(join(stateDir, 'test', 'plan.yaml'), 'placeholder: the commands here never read it\n');
  return { stateDir, journal, lock: join(stateDir, 'test', 'lock') };
}

/** A pid that existed and has exited (a provably gone lock holder). */
const exitedPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));
/** A process of this host and boot that is alive (a lock holder provably running). */
function livePid(): number {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}
const holder = (over: Record<string, unknown>) => JSON.stringify({ ...thisProcess(), command: 'kafka-ops roll --set x=1', ...over });

describe('bad input files', () => {
  it('a YAML alias bomb in an inventory is bad input: exit 2 with file and line, not a bug (70)', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const bomb = scratch.write('bomb.yaml', `${VALID_INVENTORY}\n${levels.join('\n')}\n`);
    const aliasLine = VALID_INVENTORY.split('\n').length + 2;
    const result = await runCli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', bomb]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${bomb}:${aliasLine}:`);
    expect(result.stderr).not.toContain('bug');
  });
});

describe('status: where the last run stands, who holds the cluster, what to run next', () => {
  it('no run recorded: state none, exit 0, --json with schemaVersion and exitCode', async () => {
    const result = await cli(['status', '-i', inventory, '--state-dir', join(scratch.dir, 'empty'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json).toMatchObject({ state: 'none', cluster: 'test', schemaVersion: 1, exitCode: 0 });
  });

  it('a halted run: its phase and broker, the brokers done, the one stopped mid-step, why, and resume/abort as next', async () => {
    const { stateDir } = haltedRun('status-halted');
    const json = await cli(['status', '-i', inventory, '--state-dir', stateDir, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json.state).toBe('halted');
    expect(json.json.run).toMatchObject({ kind: 'roll', phase: 'config', broker: 2, brokersDone: [1] });
    expect(json.json.run.brokerMidStep).toEqual({ broker: 2, phase: 'config', lastSubStep: 'stop.done' });
    expect(json.json.run.stopped.code).toBe('START_TIMEOUT');
    const human = await cli(['status', '-i', inventory, '--state-dir', stateDir]);
    expect(human.stdout).toContain('Cluster test: halted');
    expect(human.stdout).toContain('START_TIMEOUT: Broker 2 did not register');
    expect(human.stdout).toContain(`kafka-ops resume -i ${inventory}`);
    expect(human.stdout).toContain(`kafka-ops abort -i ${inventory}`);
    expect(json.json.next).toContain(`\`kafka-ops resume -i ${inventory} --dry-run\` names the broker it starts with`);
  });

  it('a run holding the local lock is running, named by pid, user and host', async () => {
    const { stateDir, lock } = haltedRun('status-running');
    const pid = livePid();
    writeFileSync(lock, holder({ pid, user: 'alice' }));
    const result = await cli(['status', '-i', inventory, '--state-dir', stateDir, '--json']);
    expect(result.json.state).toBe('running');
    expect(result.json.locks.local).toMatchObject({ liveness: 'alive', holder: { pid, user: 'alice' } });
    expect(result.json.next).toContain(`pid ${pid} of alice`);
  });
});

describe('unlock: a gone holder is removed, one on another host only with --force, a running one never', () => {
  it('a lock whose holder exited is removed without --force', async () => {
    const { stateDir, lock } = haltedRun('unlock-gone');
    writeFileSync(lock, holder({ pid: exitedPid() }));
    const result = await cli(['unlock', '-i', inventory, '--state-dir', stateDir, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.removed).toHaveLength(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock held on another host exits 2 without --force, and is removed with it', async () => {
    const { stateDir, lock } = haltedRun('unlock-other-host');
    writeFileSync(lock, holder({ host: 'ci-runner-7', pid: 1 }));
    const refused = await cli(['unlock', '-i', inventory, '--state-dir', stateDir]);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('ci-runner-7');
    expect(refused.stderr).toContain('--force');
    expect(existsSync(lock)).toBe(true);
    const forced = await cli(['unlock', '-i', inventory, '--state-dir', stateDir, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Removed');
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock whose holder is running is refused even with --force', async () => {
    const { stateDir, lock } = haltedRun('unlock-alive');
    const pid = livePid();
    writeFileSync(lock, holder({ pid }));
    const result = await cli(['unlock', '-i', inventory, '--state-dir', stateDir, '--force', '--json']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.json.error.code).toBe('LOCK_HOLDER_ALIVE');
    expect(existsSync(lock)).toBe(true);
  });
});

describe('abort: discard an unfinished run after confirmation', () => {
  it('needs an answer (no terminal, no --yes: exit 2, nothing journaled); with --yes it journals run.aborted, and resume and status agree', async () => {
    const { stateDir, journal } = haltedRun('abort');
    const before = readFileSync(journal, 'utf8');
    const unanswered = await cli(['abort', '-i', inventory, '--state-dir', stateDir]);
    expect(unanswered.code, unanswered.stderr).toBe(2);
    expect(unanswered.stderr).toContain('--yes');
    expect(readFileSync(journal, 'utf8')).toBe(before);

    const aborted = await cli(['abort', '-i', inventory, '--state-dir', stateDir, '--yes', '--json']);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.json).toMatchObject({ aborted: true, exitCode: 0, schemaVersion: 1 });
    expect(aborted.json.brokers).toContain('broker(s) 1 done; broker 2 stopped mid-step');
    expect(readFileSync(journal, 'utf8').trim().split('\n').at(-1)).toContain('"run.aborted"');

    const status = await cli(['status', '-i', inventory, '--state-dir', stateDir, '--json']);
    expect(status.json.state).toBe('aborted');
    const resume = await cli(['resume', '-i', inventory, '--state-dir', stateDir, '--yes', '--json']);
    expect(resume.code).toBe(2);
    expect(resume.json.error.message).toContain('aborted');
    const again = await cli(['abort', '-i', inventory, '--state-dir', stateDir, '--yes']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('was aborted');
  });

  it('is refused while a run holds the cluster', async () => {
    const { stateDir, lock, journal } = haltedRun('abort-running');
    writeFileSync(lock, holder({ pid: livePid() }));
    const before = readFileSync(journal, 'utf8');
    const result = await cli(['abort', '-i', inventory, '--state-dir', stateDir, '--yes', '--json']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.json.error.code).toBe('CLUSTER_LOCKED');
    expect(readFileSync(journal, 'utf8')).toBe(before);
  });
});

describe('--help of every run and run-control command lists its exit codes', () => {
  it.each([
    ['upgrade', ['0', '2', '3', '4', '130']],
    ['roll', ['0', '2', '3', '4', '130']],
    ['resume', ['0', '2', '3', '4', '130']],
    ['status', ['0', '2', '130']],
    ['abort', ['0', '2', '3', '130']],
    ['unlock', ['0', '2', '3', '130']],
  ])('%s --help', async (command, codes) => {
    const help = await cli([command, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    for (const code of codes) expect(help.stdout).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
  });
});
