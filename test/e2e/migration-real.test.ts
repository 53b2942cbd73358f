/**
 * A real ZooKeeper → KRaft migration (issue 16): Kafka 3.9.2 (resolved from Maven Central) in
 * ZooKeeper mode, three brokers, and three KRaft controllers installed but not started by
 * `sandbox up --kraft-controllers 3`; `kafka-ops upgrade --migrate-to-kraft` over the real sshd
 * under a live acks=all VerifiableProducer and a VerifiableConsumer. What is asserted is read from
 * the real processes: the controllers' logs and Kafka's own quorum tool, the configuration each
 * running JVM logged at its last start, and ZooKeeper stopped at the end.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuorumReplication, parseQuorumStatus } from '../../src/cluster/kraft-output.js';
import { MIGRATION_COMPLETED_LINE, MIGRATION_PHASES } from '../../src/plan/migration.js';
import { sandboxDown } from '../../src/sandbox/down.js';
import { isAlive, readPidFile, signal, waitGone } from '../../src/sandbox/processes.js';
import { readState, type SandboxState } from '../../src/sandbox/state.js';
import { sandboxUp, type SandboxUpResult } from '../../src/sandbox/up.js';
import { runCli } from '../helpers/cli.js';
import { SANDBOX_HOOK_TIMEOUT_MS, takeSandboxSlot } from '../helpers/sandbox.js';
import { describeLoss, stopAllClients, VerifiableConsumer, VerifiableProducer } from '../helpers/verifiable.js';

const root = resolve(import.meta.dirname, '../..');
const ENV = { NODE_ENV: 'production', NO_COLOR: '1' };
const RELEASE = '3.9.2';

let releaseSlot: (() => void) | undefined;
let up: SandboxUpResult;
let state: SandboxState;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-migration-real-'));
const sandboxDir = join(dir, 'sandbox');
const stateDir = join(dir, 'state');

const nodes = () => [...state.brokers, ...(state.controllers ?? [])];
const pids = () => Object.fromEntries(nodes().map((n) => [n.id, readPidFile(n.pidFile)]));
const bootstrap = () => up.brokers.map((b) => `127.0.0.1:${b.port}`).join(',');
const controllerListeners = () => (state.controllers ?? []).map((c) => `127.0.0.1:${c.port}`).join(',');

function quorumTool(args: string[]): string {
  return execFileSync(
    join(state.installs.from.dir, 'bin', 'kafka-metadata-quorum.sh'),
    ['--bootstrap-controller', controllerListeners(), ...args],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
}

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

const journal = () =>
  readFileSync(join(stateDir, 'sandbox', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; phase?: string; broker?: number; detail?: Record<string, unknown> });

interface StepFigures {
  phase: string;
  broker: number;
  outcome: string;
  stopMs?: number;
  startMs?: number;
  catchUpMs?: number;
  addedMs?: number;
  totalMs?: number;
}
/** Where the run's time went: each phase's wall time (journal) and each node's stop / start / catch-up / added. */
function figures(steps: StepFigures[]): string {
  const s = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);
  const entries = journal();
  const at = (event: string, phase: string) => entries.find((e) => e.event === event && e.phase === phase) as { at?: string } | undefined;
  const phases = MIGRATION_PHASES.map((p) => {
    const [a, b] = [at('phase.start', p)?.at, at('phase.done', p)?.at];
    return `${p} ${a && b ? s(Date.parse(b) - Date.parse(a)) : '-'}`;
  });
  const rows = steps.map(
    (x) =>
      `${x.phase} ${x.broker} ${x.outcome} stop ${s(x.stopMs)} start ${s(x.startMs)} catch-up ${s(x.catchUpMs)} added ${s(x.addedMs)} total ${s(x.totalMs)}`,
  );
  return [phases.join(' | '), ...rows].join('\n');
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  releaseSlot = await takeSandboxSlot();
  up = await sandboxUp({ dir: sandboxDir, brokers: 3, partitions: 3, releases: { from: RELEASE, to: RELEASE }, kraftControllers: 3 });
  state = readState(up.statePath) as SandboxState;
  console.log(`sandbox up took ${(up.elapsedMs / 1000).toFixed(1)} s`);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopAllClients();
  try {
    await sandboxDown(sandboxDir, { purge: false });
  } finally {
    releaseSlot?.();
  }
}, 180_000);

describe(`a real ZooKeeper → KRaft migration on ${RELEASE} (3 brokers, 3 new controllers)`, () => {
  it('plan --migrate-to-kraft reads the hosts: five phases, the ZooKeeper cluster id, finalize the one point of no return', async () => {
    expect(up.controllers?.map((c) => c.id)).toEqual([3000, 3001, 3002]);
    const run = await runCli(['plan', '--migrate-to-kraft', '-i', up.inventoryPath, '--json'], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json.result ?? run.json;
    expect(plan.phases.map((p: { id: string }) => p.id)).toEqual([...MIGRATION_PHASES]);
    expect(plan.phases[0].provision.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(plan.phases.map((p: { pointOfNoReturn?: string }) => Boolean(p.pointOfNoReturn))).toEqual([false, false, false, false, true]);
    expect(plan.estimate.restarts).toBe(9);
  }, 120_000);

  it('upgrade --migrate-to-kraft --yes: controllers report the migration, every broker a KRaft broker, no acked message lost', async () => {
    const clients = { home: state.installs.from.dir, bootstrapFlag: '--bootstrap-server' as const };
    const producer = new VerifiableProducer(bootstrap(), up.topic.name, 100, clients);
    const consumer = new VerifiableConsumer(bootstrap(), up.topic.name, 'migration-real', clients);
    await new Promise((r) => setTimeout(r, 5000));
    const before = pids();
    const started = Date.now();
    const run = await runCli(['upgrade', '--migrate-to-kraft', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes', '--json'], {
      env: ENV,
    });
    const elapsedMs = Date.now() - started;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    console.log(`migration took ${(elapsedMs / 1000).toFixed(1)} s\n${figures((run.json.result ?? run.json).run.steps)}`);
    await new Promise((r) => setTimeout(r, 3000));
    await producer.stop();
    await consumer.waitFor(producer.acked, 60_000);
    await consumer.stop();

    // The controllers: one logged the completed migration; the quorum has a leader among them and the brokers as observers.
    const completed = (state.controllers ?? []).filter((c) => readFileSync(c.logFile, 'utf8').includes(MIGRATION_COMPLETED_LINE));
    expect(completed.length).toBeGreaterThanOrEqual(1);
    const status = parseQuorumStatus(quorumTool(['describe', '--status']));
    expect([3000, 3001, 3002]).toContain(status.leaderId);
    expect([...status.voters].sort()).toEqual([3000, 3001, 3002]);
    const observers = parseQuorumReplication(quorumTool(['describe', '--replication']))
      .filter((r) => r.status === 'Observer')
      .map((r) => r.nodeId)
      .sort();
    expect(observers).toEqual([1, 2, 3]);

    // What each running JVM was started with, from its own log.
    for (const b of state.brokers) {
      const config = loggedConfig(b.logFile);
      expect(config['process.roles'], `broker ${b.id}`).toBe('[broker]');
      expect(config['node.id'], `broker ${b.id}`).toBe(String(b.id));
      expect(config['zookeeper.connect'], `broker ${b.id}`).toBe('null');
      expect(config['zookeeper.metadata.migration.enable'], `broker ${b.id}`).toBe('false');
      expect(isAlive(readPidFile(b.pidFile))).toBe(true);
    }
    // Each controller registered itself at its last start as no longer migration-ready (started without the
    // migration flag), and the quorum moved the migration state on to POST_MIGRATION (finalized).
    for (const c of state.controllers ?? []) {
      const log = readFileSync(c.logFile, 'utf8');
      const ready = [
        ...log.matchAll(
          new RegExp(`ControllerRegistrationRequestData\\(controllerId=${c.id}, incarnationId=[^,]+, zkMigrationReady=(true|false)`, 'g'),
        ),
      ];
      expect(
        ready.map((m) => m[1]),
        `controller ${c.id} registrations`,
      ).toEqual(['true', 'false']);
    }
    const controllerLogs = (state.controllers ?? []).map((c) => readFileSync(c.logFile, 'utf8')).join('\n');
    expect(controllerLogs).toContain('changing the migration state from MIGRATION to POST_MIGRATION');
    // Roll 1 and roll 2 restarted each broker twice, finalize each controller once; each with a controlled shutdown.
    const stops = journal()
      .filter((e) => e.event === 'step.stop.done')
      .map((e) => `${e.phase}:${e.broker}:${String(e.detail?.shutdown)}`);
    expect(stops.filter((s) => s.startsWith('migrate-brokers:')).length).toBe(3);
    expect(stops.filter((s) => s.startsWith('kraft-brokers:')).length).toBe(3);
    expect(stops.filter((s) => s.startsWith('finalize-migration:')).length).toBe(3);
    expect(stops.filter((s) => s.endsWith(':unclean'))).toEqual([]);
    for (const b of state.brokers) expect(readPidFile(b.pidFile), `broker ${b.id} restarted`).not.toBe(before[b.id]);

    expect(producer.acked.size).toBeGreaterThan(500);
    const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
    expect(describeLoss(lost, producer, consumer)).toEqual([]);
  }, 900_000);

  it('a second run restarts nothing', async () => {
    const before = pids();
    const run = await runCli(['upgrade', '--migrate-to-kraft', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes'], { env: ENV });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(pids()).toEqual(before);
  }, 180_000);

  it('with ZooKeeper stopped the cluster still serves: the topic is described through the KRaft brokers', async () => {
    const zk = readPidFile(state.zookeeper.pidFile) as number;
    signal(zk, 'SIGINT');
    expect(await waitGone([zk], 15_000)).toEqual([]);
    const described = execFileSync(
      join(state.installs.from.dir, 'bin', 'kafka-topics.sh'),
      ['--bootstrap-server', bootstrap(), '--describe', '--topic', up.topic.name],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(described.match(/Leader: [123]\b/g)?.length).toBe(up.topic.partitions);
  }, 180_000);
});
