/**
 * Operator mistakes refused before any restart, on ONE real sandbox (ZooKeeper, 3 brokers,
 * sshd), driven as the built CLI: a misspelt `--set` key, a per-broker key given one value
 * for all, a value that fails lint in `--dry-run`; each exits with the code the real run has
 * and leaves every broker's process and server.properties as they were.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { acquireZooKeeperLock, readZooKeeperLock } from '../../src/cluster/zookeeper-lock.js';
import { thisProcess } from '../../src/store/lock-holder.js';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { collect, isAlive, waitForDist, waitHealthy, waitJournal } from '../helpers/faults.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';

let sandbox: TestSandbox;
const zookeeper = () => (parse(readFileSync(sandbox.inventory, 'utf8')) as { state: { zookeeper: string } }).state.zookeeper;

beforeAll(async () => {
  sandbox = await startSandbox('operator-safety', 3);
  await waitHealthy(sandbox.dir, 60_000);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  if (!sandbox) return;
  const pids = Object.values(sandbox.pids()).filter((p): p is number => p !== undefined);
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
}, 180_000);

/** Runs `roll` on the sandbox and checks that nothing was touched. */
async function refusedRoll(args: string[]): Promise<CliResult> {
  await waitForDist();
  const [pids, configs] = [sandbox.pids(), sandbox.configs()];
  const stateDir = args.includes('--state-dir') ? [] : ['--state-dir', sandbox.stateDir];
  const result = await runCli(['roll', '--inventory', sandbox.inventory, ...stateDir, ...args], { timeoutMs: 180_000 });
  expect(sandbox.pids()).toEqual(pids);
  expect(sandbox.configs()).toEqual(configs);
  return result;
}

describe('mistakes refused before any restart, in a real run and in --dry-run alike', () => {
  it.each([['--yes'], ['--dry-run']])(
    'a misspelt --set key (%s) exits 2 naming the nearest known key',
    { timeout: 200_000 },
    async (mode) => {
      const result = await refusedRoll(['--set', 'num.io.thread=2', mode]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('did you mean num.io.threads?');
      expect(result.stderr).toContain('--allow-unknown-key');
    },
  );

  it('--allow-unknown-key lets a key of a plugin through (dry run)', { timeout: 200_000 }, async () => {
    const result = await refusedRoll(['--set', 'my.plugin.setting=on', '--allow-unknown-key', '--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.plan.phases[0].steps.filter((s: { skipped: boolean }) => !s.skipped)).toHaveLength(3);
  });

  it.each([['broker.id=7'], ['log.dirs=/data/kafka'], ['listeners=PLAINTEXT://127.0.0.1:9092']])(
    '--set %s (one value for every broker) is refused with exit 2; {id} or --allow-same-value let it through',
    { timeout: 200_000 },
    async (assignment) => {
      const refused = await refusedRoll(['--set', assignment, '--dry-run']);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain('{id}');
      expect(refused.stderr).toContain('--allow-same-value');
    },
  );

  it('--set broker.id={id} is not refused for being per-broker', { timeout: 200_000 }, async () => {
    const result = await refusedRoll(['--set', 'broker.id={id}', '--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
  });

  it('a value that fails lint exits 4 (CONFIG_LINT) in --dry-run, as the real run does', { timeout: 200_000 }, async () => {
    const dry = await refusedRoll(['--set', 'num.io.threads=abc', '--dry-run', '--json']);
    const real = await refusedRoll(['--set', 'num.io.threads=abc', '--yes', '--json']);
    expect([dry.code, real.code], dry.stderr).toEqual([4, 4]);
    expect(dry.json.error.code).toBe('CONFIG_LINT');
    expect(real.json.error.code).toBe('CONFIG_LINT');
  });
});

describe('one lock per cluster, and runs that do not replace each other', () => {
  const clusterDir = (stateDir: string) => join(stateDir, 'sandbox');

  it(
    'a run holding the ZooKeeper lock keeps a second run out whatever its state dir, naming holder and since when',
    { timeout: 200_000 },
    async () => {
      const holder = {
        ...thisProcess(),
        host: 'operator-laptop',
        user: 'alice',
        command: 'kafka-ops roll --set x=1',
        since: '2026-12-02T18:00:00.000Z',
      };
      const lock = await acquireZooKeeperLock(zookeeper(), holder);
      try {
        const result = await refusedRoll(['--set', 'num.io.threads=3', '--yes', '--state-dir', join(sandbox.dir, 'elsewhere')]);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toContain('alice on operator-laptop');
        expect(result.stderr).toContain('since 2026-12-02T18:00:00.000Z');
      } finally {
        await lock.release();
      }
      expect(await readZooKeeperLock(zookeeper())).toBeUndefined();
    },
  );

  it('a ZooKeeper lock whose holder is provably dead (this host and boot, no such pid) is taken at once, not after its session expires', async () => {
    const exited = spawnSync(process.execPath, ['-e', '']);
    expect(exited.status).toBe(0);
    const dead = await acquireZooKeeperLock(zookeeper(), { ...thisProcess(), pid: exited.pid! });
    try {
      const next = await acquireZooKeeperLock(zookeeper());
      expect((await readZooKeeperLock(zookeeper()))?.pid).toBe(process.pid);
      await next.release();
    } finally {
      await dead.release();
    }
  });

  it(
    'a local lock written in another container (same pid namespace number, other host) is not taken as stale',
    { timeout: 200_000 },
    async () => {
      const stateDir = join(sandbox.dir, 'shared-volume');
      mkdirSync(clusterDir(stateDir), { recursive: true });
      const other = {
        host: 'ci-container-2',
        bootId: thisProcess().bootId,
        pid: 1,
        user: 'ci',
        command: 'kafka-ops roll',
        since: '2026-12-02T18:30:00.000Z',
      };
      writeFileSync(join(clusterDir(stateDir), 'lock'), JSON.stringify(other));
      const result = await refusedRoll(['--set', 'num.io.threads=3', '--yes', '--state-dir', stateDir]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain('ci-container-2');
      rmSync(stateDir, { recursive: true, force: true });
    },
  );

  it('a new roll while an earlier run is unfinished is refused, pointing at resume and abort', { timeout: 200_000 }, async () => {
    const stateDir = join(sandbox.dir, 'unfinished');
    mkdirSync(clusterDir(stateDir), { recursive: true });
    const lines = [
      { at: '2026-12-02T18:00:00.000Z', event: 'run.start', detail: { kind: 'roll' } },
      { at: '2026-12-02T18:00:01.000Z', event: 'preflight.ok', detail: { brokers: [1, 2, 3] } },
      { at: '2026-12-02T18:00:09.000Z', event: 'halt', broker: 2, detail: { code: 'START_TIMEOUT' } },
    ];
    writeFileSync(join(clusterDir(stateDir), 'journal.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const result = await refusedRoll(['--set', 'num.io.threads=3', '--yes', '--state-dir', stateDir]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('kafka-ops resume');
    expect(result.stderr).toContain('kafka-ops abort');
  });
});

describe('mid-upgrade commands on a real interrupted roll: status, resume --dry-run, unlock, abort', () => {
  it(
    'after Ctrl-C past the first broker: status says interrupted, resume --dry-run names the broker it starts with and touches nothing, a ZooKeeper lock from another host needs unlock --force, abort discards the run',
    { timeout: 400_000 },
    async () => {
      await waitForDist();
      const stateDir = join(sandbox.dir, 'mid-upgrade');
      const inv = ['-i', sandbox.inventory, '--state-dir', stateDir];
      const child = spawnCli(['roll', ...inv, '--set', 'num.io.threads=9', '--yes']);
      const exited = collect(child);
      const journal = join(stateDir, 'sandbox', 'journal.jsonl');
      const first = await waitJournal(journal, 0, 300_000, child, 'the first broker done', (lines) =>
        lines.find((l) => l.event === 'step.done'),
      );
      child.kill('SIGINT');
      expect((await exited).code).toBe(130);

      const status = await runCli(['status', ...inv, '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.json.state).toBe('interrupted');
      expect(status.json.run.brokersDone).toContain(first.broker);
      expect(status.json.locks).toEqual({});

      const plan = parse(readFileSync(join(stateDir, 'sandbox', 'plan.yaml'), 'utf8')) as {
        phases: { id: string; steps: { broker: number; skipped: boolean }[] }[];
      };
      // A broker stopped when Ctrl-C came is started again with its new config (safety-start): done on its host too.
      const mid = status.json.run.brokerMidStep as { broker: number; lastSubStep: string } | undefined;
      const done = new Set<number>([...status.json.run.brokersDone, ...(mid?.lastSubStep === 'safety-start' ? [mid.broker] : [])]);
      const left = plan.phases[0]!.steps.filter((s) => !s.skipped && !done.has(s.broker)).map((s) => s.broker);
      let [pids, configs] = [sandbox.pids(), sandbox.configs()];
      const dry = await runCli(['resume', ...inv, '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.json.resumesAt.phase).toBe(plan.phases[0]!.id);
      expect(left).toContain(dry.json.resumesAt.broker);
      const human = await runCli(['resume', ...inv, '--dry-run']);
      expect(human.stdout).toContain(`Resume starts with broker ${dry.json.resumesAt.broker}`);
      expect([sandbox.pids(), sandbox.configs()]).toEqual([pids, configs]);

      // The real resume starts with that very broker (the engine's order: the controller last), and is interrupted in turn.
      const offset = readFileSync(journal).length;
      const resumed = spawnCli(['resume', ...inv, '--yes']);
      const resumedExit = collect(resumed);
      const touched = await waitJournal(journal, offset, 300_000, resumed, 'the resume changing a broker', (lines) =>
        lines.find((l) => l.event === 'step.config' || l.event === 'step.stop.begin'),
      );
      resumed.kill('SIGINT');
      const resumedResult = await resumedExit;
      expect([resumedResult.code, resumedResult.signal], resumedResult.stderr + resumedResult.stdout).toEqual([130, null]);
      expect(touched.broker).toBe(dry.json.resumesAt.broker);
      [pids, configs] = [sandbox.pids(), sandbox.configs()];

      const other = await acquireZooKeeperLock(zookeeper(), { ...thisProcess(), host: 'operator-laptop', user: 'bob' });
      try {
        const shown = await runCli(['status', ...inv, '--json']);
        expect(shown.json.state).toBe('running');
        expect(shown.json.locks.zookeeper).toMatchObject({ liveness: 'unknown', holder: { host: 'operator-laptop', user: 'bob' } });
        const refused = await runCli(['unlock', ...inv]);
        expect(refused.code, refused.stderr).toBe(2);
        expect(refused.stderr).toContain('--force');
        const forced = await runCli(['unlock', ...inv, '--force', '--json']);
        expect(forced.code, forced.stderr).toBe(0);
        expect(forced.json.removed).toHaveLength(1);
        expect(await readZooKeeperLock(zookeeper())).toBeUndefined();
      } finally {
        await other.release();
      }

      const aborted = await runCli(['abort', ...inv, '--yes', '--json']);
      expect(aborted.code, aborted.stderr).toBe(0);
      expect(aborted.json.aborted).toBe(true);
      expect((await runCli(['status', ...inv, '--json'])).json.state).toBe('aborted');
      expect([sandbox.pids(), sandbox.configs()]).toEqual([pids, configs]);
    },
  );
});
