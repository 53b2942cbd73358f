/**
 * A real ZooKeeper → KRaft migration (issue 16): Kafka 3.9.2 (resolved from Maven Central) in
 * ZooKeeper mode, three brokers, and three KRaft controllers installed but not started by
 * `sandbox up --kraft-controllers 3`; `kafka-ops upgrade --migrate-to-kraft` over the real sshd
 * under a live acks=all VerifiableProducer and a VerifiableConsumer. What is asserted is read from
 * the real processes: the controllers' logs and Kafka's own quorum tool, the configuration each
 * running JVM logged at its last start, and ZooKeeper stopped at the end.
 *
 * Opt-in (KAFKA_OPS_MIGRATION_REVERT_E2E=1), not yet run green: the way back: the CLI SIGKILLed in roll 1, `status` and `resume`
 * to dual-write mode, declined at roll 2, then `abort --revert` takes the cluster back to
 * ZooKeeper mode (Kafka 3.9's documented revert) before the migration is run again to the end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxDown } from '../../src/sandbox/down.js';
import { isAlive, readPidFile } from '../../src/sandbox/processes.js';
import { readState, type SandboxState } from '../../src/sandbox/state.js';
import { sandboxUp, type SandboxUpResult } from '../../src/sandbox/up.js';
import { BIN, runCli } from '../helpers/cli.js';
import { killPtyChildren } from '../helpers/pty.js';
import { SANDBOX_HOOK_TIMEOUT_MS, takeSandboxSlot } from '../helpers/sandbox.js';
import { describeLoss, stopAllClients, VerifiableConsumer, VerifiableProducer } from '../helpers/verifiable.js';

const root = resolve(import.meta.dirname, '../..');
const ENV = { NODE_ENV: 'production', NO_COLOR: '1' };
const RELEASE = '3.9.2';
const enabled = process.env.KAFKA_OPS_MIGRATION_REVERT_E2E === '1';

let releaseSlot: (() => void) | undefined;
let up: SandboxUpResult;
let state: SandboxState;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-migration-revert-'));
const sandboxDir = join(dir, 'sandbox');
const stateDir = join(dir, 'state');

const nodes = () => [...state.brokers, ...(state.controllers ?? [])];
const pids = () => Object.fromEntries(nodes().map((n) => [n.id, readPidFile(n.pidFile)]));
const bootstrap = () => up.brokers.map((b) => `127.0.0.1:${b.port}`).join(',');

/** The configuration a node's JVM logged at its last start ("KafkaConfig values:" … one `key = value` per line). */
function loggedConfig(logFile: string): Record<string, string> {
  const text = readFileSync(logFile, 'utf8');
  const start = text.lastIndexOf('KafkaConfig values:');
  expect(start, `${logFile} logged its config`).toBeGreaterThanOrEqual(0);
  const out: Record<string, string> = {};
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (!line.startsWith('\t')) break;
    const m = /^\t(\S+) = (.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

const journalAll = () =>
  existsSync(join(stateDir, 'sandbox', 'journal.jsonl'))
    ? readFileSync(join(stateDir, 'sandbox', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { at: string; event: string; phase?: string; broker?: number; detail?: Record<string, unknown> })
    : [];
/** The entries of the last run (from its `run.start`). */
const journal = () => {
  const all = journalAll();
  return all.slice(Math.max(0, all.map((e) => e.event).lastIndexOf('run.start')));
};

beforeAll(async () => {
  if (!enabled) return;
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  releaseSlot = await takeSandboxSlot();
  up = await sandboxUp({ dir: sandboxDir, brokers: 3, partitions: 3, releases: { from: RELEASE, to: RELEASE }, kraftControllers: 3 });
  state = readState(up.statePath) as SandboxState;
  console.log(`sandbox up took ${(up.elapsedMs / 1000).toFixed(1)} s`);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  if (!enabled) return;
  killPtyChildren();
  await stopAllClients();
  try {
    await sandboxDown(sandboxDir, { purge: false });
  } finally {
    releaseSlot?.();
  }
}, 180_000);

describe.runIf(enabled)(`reverting a real ZooKeeper → KRaft migration on ${RELEASE} before finalize`, () => {
  it('the way back: CLI SIGKILLed in roll 1, status, resume to dual-write, interrupted before roll 2, abort --revert: ZooKeeper mode, nothing lost', async () => {
    const started = Date.now();
    const clients = { home: state.installs.from.dir, bootstrapFlag: '--bootstrap-server' as const };
    const producer = new VerifiableProducer(bootstrap(), up.topic.name, 100, clients);
    const consumer = new VerifiableConsumer(bootstrap(), up.topic.name, 'migration-revert', clients);
    await new Promise((r) => setTimeout(r, 3000));

    // 1. The CLI killed (SIGKILL: no handler runs) once roll 1 has restarted its first broker.
    const beforeCrash = pids();
    const cli = spawn(
      process.execPath,
      [BIN, 'upgrade', '--migrate-to-kraft', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes', '--json'],
      { env: { ...process.env, ...ENV }, stdio: 'ignore' },
    );
    const exited = new Promise<void>((r) => cli.on('exit', () => r()));
    for (;;) {
      if (journalAll().some((e) => e.event === 'step.done' && e.phase === 'migrate-brokers')) break;
      expect(cli.exitCode, 'the migration ended before its first broker of roll 1 was done').toBeNull();
      await new Promise((r) => setTimeout(r, 100));
    }
    cli.kill('SIGKILL');
    await exited;
    const firstDone = journalAll().find((e) => e.event === 'step.done' && e.phase === 'migrate-brokers')?.broker as number;
    const crashedMs = Date.now() - started;

    // 2. status: a crashed migration, where it stopped, and both ways on.
    const status = await runCli(['status', '-i', up.inventoryPath, '--state-dir', stateDir, '--json'], { env: ENV });
    expect(status.code, status.stderr).toBe(0);
    const view = status.json.result ?? status.json;
    expect(view.state).toBe('crashed');
    expect(view.run).toMatchObject({ kind: 'migration', phase: 'migrate-brokers' });
    expect(view.run.brokersDone).toContain(firstDone);
    expect(view.next).toContain('kafka-ops resume');
    expect(view.next).toContain('kafka-ops abort --revert');

    // 3. resume (a real terminal): roll 1 goes on from the next broker, the metadata migrates; "no" at roll 2.
    const beforeResume = pids();
    const resume = spawn(process.execPath, [BIN, 'resume', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes'], {
      env: { ...process.env, ...ENV },
      stdio: 'ignore',
    });
    const resumeExit = new Promise<number | null>((r) => resume.on('exit', (code) => r(code)));
    for (;;) {
      if (journal().some((e) => e.event === 'phase.done' && e.phase === 'await-migration')) break;
      expect(resume.exitCode, 'the resume ended before the metadata was migrated').toBeNull();
      await new Promise((r) => setTimeout(r, 100));
    }
    resume.kill('SIGINT');
    expect(await resumeExit).not.toBe(0);
    expect(journal().filter((e) => e.event === 'step.stop.done' && e.phase === 'kraft-brokers')).toEqual([]);
    const afterResume = pids();
    for (const id of [firstDone, 3000, 3001, 3002])
      expect(afterResume[id], `node ${id} not restarted by the resume`).toBe(beforeResume[id]);
    // The other brokers restarted (by the resume, or one already stopped by the killed run); the first one done left alone.
    for (const b of state.brokers.filter((x) => x.id !== firstDone))
      expect(afterResume[b.id], `broker ${b.id}`).not.toBe(beforeCrash[b.id]);
    expect(journal().filter((e) => e.event === 'step.stop.done' && e.broker === firstDone)).toEqual([]);
    expect(journal().some((e) => e.event === 'phase.done' && e.phase === 'await-migration')).toBe(true);
    const resumedMs = Date.now() - started - crashedMs;

    // 4. abort --revert: controllers stopped, /controller and /migration deleted, brokers rolled back, metadata logs deleted.
    const controllerPids = (state.controllers ?? []).map((c) => readPidFile(c.pidFile) as number);
    const reverted = await runCli(['abort', '--revert', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes', '--json'], { env: ENV });
    expect(reverted.code, `${reverted.stdout}\n${reverted.stderr}`).toBe(0);
    const result = reverted.json.result ?? reverted.json;
    expect(result).toMatchObject({ reverted: true, point: 'brokers-in-migration', warnings: [] });
    expect(result.znodes.migration).toMatch(/kraft_metadata_offset|kraftMetadataOffset/);
    expect(result.znodes.controller).toMatch(/kraftControllerEpoch/);
    expect([1, 2, 3]).toContain(result.controller.brokerId);
    expect(result.roll.run.steps.filter((s: { outcome: string }) => s.outcome === 'restarted').length).toBe(3);
    expect(controllerPids.filter((pid) => isAlive(pid))).toEqual([]);
    for (const c of state.controllers ?? []) expect(result.controllers.find((x: { id: number }) => x.id === c.id)?.movedTo).toBeTruthy();
    const revertedMs = Date.now() - started - crashedMs - resumedMs;

    await new Promise((r) => setTimeout(r, 3000));
    await producer.stop();
    await consumer.waitFor(producer.acked, 60_000);
    await consumer.stop();

    // ZooKeeper mode again, read from the processes: a broker holds /controller, every JVM started without the migration.
    const zkShell = execFileSync(
      join(state.installs.from.dir, 'bin', 'zookeeper-shell.sh'),
      [state.zookeeper.connect, 'get', '/controller'],
      {
        encoding: 'utf8',
        timeout: 120_000,
        stdio: 'pipe',
      },
    );
    const controller = JSON.parse(/\{.*"brokerid".*\}/.exec(zkShell)?.[0] ?? '{}') as Record<string, unknown>;
    expect([1, 2, 3]).toContain(controller.brokerid);
    expect(controller.kraftControllerEpoch).toBeUndefined();
    for (const b of state.brokers) {
      const config = loggedConfig(b.logFile);
      expect(config['zookeeper.metadata.migration.enable'], `broker ${b.id}`).toBe('false');
      expect(config['process.roles'], `broker ${b.id}`).toBe('[]');
      expect(config['controller.quorum.voters'], `broker ${b.id}`).toBe('[]');
      expect(isAlive(readPidFile(b.pidFile))).toBe(true);
    }
    const described = execFileSync(
      join(state.installs.from.dir, 'bin', 'kafka-topics.sh'),
      ['--bootstrap-server', bootstrap(), '--describe', '--topic', up.topic.name],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(described.match(/Leader: [123]\b/g)?.length).toBe(up.topic.partitions);
    expect(producer.acked.size).toBeGreaterThan(300);
    const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
    expect(describeLoss(lost, producer, consumer)).toEqual([]);
    console.log(
      `the way back took ${((Date.now() - started) / 1000).toFixed(1)} s: to the crash ${(crashedMs / 1000).toFixed(1)} s, resume to dual-write ${(resumedMs / 1000).toFixed(1)} s, abort --revert ${(revertedMs / 1000).toFixed(1)} s`,
    );
  }, 900_000);
});
