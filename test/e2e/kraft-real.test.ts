/**
 * A real KRaft upgrade: Kafka 3.9.2 → 4.4.0 (resolved from Maven Central) on three dedicated
 * controllers (a static quorum) and three brokers started by `kafka-ops sandbox up --mode
 * kraft`, driven over the real sshd with the releases' own kafka-features.sh and
 * kafka-metadata-quorum.sh, under a live acks=all VerifiableProducer and a VerifiableConsumer.
 * One cluster for the file: the scenarios follow each other as an operator's would (dry run,
 * upgrade, a second run), each reading what the one before left. The same upgrade over TLS +
 * SASL/SCRAM-SHA-512, on combined nodes, is test/e2e/kraft-combined-sasl.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeaturesDescribe, parseQuorumReplication, parseQuorumStatus, finalizedFeaturesOf } from '../../src/cluster/kraft-output.js';
import { describeQuorum } from '../../src/cluster/kafka-wire.js';
import type { QuorumReplica } from '../../src/cluster/kraft-port.js';
import { kraftSandboxDown, kraftSandboxUp, type KraftSandboxState, type KraftSandboxUpResult } from '../../src/sandbox/kraft-sandbox.js';
import { isAlive, readPidFile } from '../../src/sandbox/processes.js';
import { runCli } from '../helpers/cli.js';
import { kraftReleaseHomes } from '../helpers/kraft-releases.js';
import { SANDBOX_HOOK_TIMEOUT_MS, takeSandboxSlot } from '../helpers/sandbox.js';
import { describeLoss, stopAllClients, VerifiableConsumer, VerifiableProducer } from '../helpers/verifiable.js';
import { loggedRelease, runningRelease } from '../helpers/broker-logs.js';

const root = resolve(import.meta.dirname, '../..');
const ENV = { NODE_ENV: 'production', NO_COLOR: '1' };
const FROM = '3.9.2';
const TO = '4.4.0';

let releaseSlot: (() => void) | undefined;
let up: KraftSandboxUpResult;
let state: KraftSandboxState;
let homes: { from: string; to: string };
let inventory: string;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-kraft-real-'));
const sandboxDir = join(dir, 'sandbox');
const stateDir = join(dir, 'state');

const nodeIds = () => state.nodes.map((n) => n.id);
const pidOf = (id: number) => readPidFile(state.nodes.find((n) => n.id === id)?.pidFile as string);
const pids = () => Object.fromEntries(nodeIds().map((id) => [id, pidOf(id)]));
const bootstrap = () => up.brokers.map((b) => `127.0.0.1:${b.port}`).join(',');

/** A release's own tool, run as an operator would from the install. */
function tool(home: string, name: string, args: string[]): string {
  return execFileSync(join(home, 'bin', name), ['--bootstrap-server', bootstrap(), ...args], { encoding: 'utf8', timeout: 120_000 });
}

const journal = () =>
  readFileSync(join(stateDir, 'sandbox-kraft', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; broker?: number; detail?: Record<string, unknown> });

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  homes = await kraftReleaseHomes(FROM, TO);
  releaseSlot = await takeSandboxSlot();
  up = await kraftSandboxUp({
    dir: sandboxDir,
    controllers: 3,
    brokers: 3,
    partitions: 6,
    kafkaHomes: [homes.from, homes.to],
  });
  inventory = up.inventoryPath;
  state = JSON.parse(readFileSync(up.statePath, 'utf8')) as KraftSandboxState;
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopAllClients();
  try {
    if (state) await kraftSandboxDown(state, { purge: false });
  } finally {
    releaseSlot?.();
  }
}, 180_000);

describe(`a real KRaft ${FROM} → ${TO} upgrade (3 controllers, 3 brokers)`, () => {
  let leader: number;

  it('the sandbox runs the FROM release everywhere, metadata.version 3.9-IV0 and kraft.version 0 read with the real tool', () => {
    for (const id of nodeIds()) expect(runningRelease(pidOf(id) as number), `node ${id}`).toBe(FROM);
    const features = finalizedFeaturesOf(parseFeaturesDescribe(tool(homes.from, 'kafka-features.sh', ['describe'])));
    expect(features).toEqual({ metadataVersion: '3.9-IV0', kraftVersion: 0 });
    leader = parseQuorumStatus(tool(homes.from, 'kafka-metadata-quorum.sh', ['describe', '--status'])).leaderId;
    expect([1, 2, 3]).toContain(leader);
  });

  it('the dry run reads the real quorum: controllers first, the active controller last, finalize by level naming the feature', async () => {
    const run = await runCli(['upgrade', '--dry-run', '--to', '4.4', '-i', inventory, '--state-dir', stateDir, '--json'], {
      env: ENV,
    });
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json.plan;
    const controllers = [1, 2, 3].filter((id) => id !== leader);
    expect(plan.order).toEqual([...controllers, 4, 5, 6, leader]);
    expect(plan.phases[1].finalize.command.slice(-3)).toEqual(['upgrade', '--feature', 'metadata.version=33']);
    expect(plan.phases[1].finalize.to).toBe('4.4-IV2');
  });

  it('check reports a seeded RF=1 topic and a caught-up quorum; verify --at 4.4 fails on every node and on metadata.version', async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const admin = new Kafka({ brokers: bootstrap().split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic: 'rf-one', numPartitions: 1, replicationFactor: 1 }] });
      const check = await runCli(['check', '--to', '4.4', '-i', inventory, '--json'], { env: ENV });
      const findings = (check.json?.findings ?? []) as Array<{ id: string; severity: string; topic?: string }>;
      expect(
        findings.filter((f) => f.severity !== 'info').map((f) => `${f.id}:${f.severity}:${f.topic ?? ''}`),
        check.stderr,
      ).toEqual(['topic-replication-factor:warning:rf-one']);
      expect(check.json.checks.find((c: { id: string }) => c.id === 'quorum-caught-up').status).toBe('passed');
    } finally {
      await admin.deleteTopics({ topics: ['rf-one'] }).catch(() => undefined);
      await admin.disconnect();
    }
    const verify = await runCli(['verify', '--at', '4.4', '-i', inventory, '--json'], { env: ENV });
    expect(verify.code, verify.stderr).toBe(1);
    const errors = (verify.json.findings as Array<{ id: string; broker?: number }>).map((f) => `${f.id}:${f.broker ?? ''}`);
    expect(errors).toEqual([...nodeIds().map((id) => `running-release:${id}`), 'metadata-version:']);
  });

  // One producer and one consumer live across the three runs below (a held roll, its resume, the last broker).
  let producer: VerifiableProducer;
  let consumer: VerifiableConsumer;
  let before: Record<number, number | undefined>;
  const controllers = () => [1, 2, 3].filter((id) => id !== leader);
  const stoppedInOrder = () =>
    journal()
      .filter((e) => e.event === 'step.stop.begin')
      .map((e) => e.broker);

  it('a controller paused after its roll holds the roll before the active controller (read from the real quorum), restarts nothing else, halts at --quorum-timeout', async () => {
    const clients = { home: homes.from, bootstrapFlag: '--bootstrap-server' as const };
    producer = new VerifiableProducer(bootstrap(), up.topic.name, 100, clients);
    consumer = new VerifiableConsumer(bootstrap(), up.topic.name, 'kraft-real', clients);
    await new Promise((r) => setTimeout(r, 5000));
    before = pids();
    // The operator leaves broker 6 on 3.9: its step of the reviewed plan is marked skipped.
    const dry = await runCli(['upgrade', '--dry-run', '--to', '4.4', '-i', inventory, '--json'], { env: ENV });
    const plan = dry.json.plan;
    const step6 = plan.phases[0].steps.find((st: { broker: number }) => st.broker === 6);
    Object.assign(step6, { skipped: true, reason: 'left on 3.9 by the operator' });
    const planFile = join(dir, 'plan-without-6.yaml');
    writeFileSync(planFile, JSON.stringify(plan));

    const [first] = controllers() as [number];
    let paused: number | undefined;
    const run = runCli(
      ['upgrade', '--plan', planFile, '-i', inventory, '--state-dir', stateDir, '--yes', '--quorum-timeout', '15s', '--json'],
      { env: ENV },
    );
    try {
      // Once the brokers' roll has begun, the first controller (already on 4.4) is paused: the
      // active controller, last, must then not stop (only it and one follower would be caught up).
      for (let i = 0; i < 600 && paused === undefined; i++) {
        if (
          existsSync(join(stateDir, 'sandbox-kraft', 'journal.jsonl')) &&
          journal().some((e) => e.event === 'step.done' && e.broker === 4)
        ) {
          paused = pidOf(first) as number;
          process.kill(paused, 'SIGSTOP');
        } else await new Promise((r) => setTimeout(r, 500));
      }
      const done = await run;
      expect(paused, 'broker 4 was rolled').toBeDefined();
      expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(4);
      expect(done.stderr + done.stdout).toMatch(/QUORUM_NOT_CAUGHT_UP/);
      expect(done.stderr + done.stdout).toMatch(new RegExp(`Controller ${leader} is not safe to stop after 15 s`));
      const halt = journal()
        .filter((e) => e.event === 'halt')
        .at(-1);
      expect(halt?.broker).toBe(leader);
      expect(String((halt?.detail?.findings as string[])[0])).toMatch(new RegExp(`behind: ${first} \\(lag`));
      expect(stoppedInOrder()).toEqual([...controllers(), 4, 5]);
      expect(pidOf(leader)).toBe(before[leader]);
      expect(pidOf(6)).toBe(before[6]);
    } finally {
      if (paused !== undefined) process.kill(paused, 'SIGCONT');
      await run;
    }
  }, 540_000);

  it('after SIGCONT, resume rolls the active controller, then refuses the finalize: node 6 still supports 3.9-IV0 at most (its own ApiVersions answer)', async () => {
    const run = await runCli(['resume', '-i', inventory, '--state-dir', stateDir, '--yes'], { env: ENV });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(4);
    expect(
      journal()
        .filter((e) => e.event === 'halt')
        .at(-1)?.detail?.reason,
    ).toBe('feature-unsupported');
    expect(run.stderr).toMatch(/node 6 \(3\.0-IV1 … 3\.9-IV0, from ApiVersions of 127\.0\.0\.1:\d+\)/);
    expect(stoppedInOrder()).toEqual([...controllers(), 4, 5, leader]);
    expect(pidOf(6)).toBe(before[6]);
    expect(runningRelease(pidOf(6) as number)).toBe(FROM);
    const features = finalizedFeaturesOf(parseFeaturesDescribe(tool(homes.to, 'kafka-features.sh', ['describe'])));
    expect(features).toEqual({ metadataVersion: '3.9-IV0', kraftVersion: 0 });
  }, 540_000);

  it(`upgrade --yes then restarts broker 6 only and finalizes: every node restarted once with a controlled shutdown, runs 4.4.0, no acked message lost`, async () => {
    const run = await runCli(['upgrade', '--to', '4.4', '-i', inventory, '--state-dir', stateDir, '--yes'], { env: ENV });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    await producer.stop();
    await consumer.waitFor(producer.acked, 60_000);
    await consumer.stop();

    const events = journal();
    expect(stoppedInOrder()).toEqual([...controllers(), 4, 5, leader, 6]);
    const shutdowns = events.filter((e) => e.event === 'step.stop.done').map((e) => `${e.broker}:${String(e.detail?.shutdown)}`);
    expect(shutdowns).toEqual(stoppedInOrder().map((id) => `${id}:controlled`));

    for (const n of state.nodes) {
      const pid = pidOf(n.id) as number;
      expect(pid, `node ${n.id} restarted`).not.toBe(before[n.id]);
      expect(isAlive(pid)).toBe(true);
      expect(runningRelease(pid), `node ${n.id} process`).toBe(TO);
      expect(loggedRelease(n.logFile), `node ${n.id} log`).toBe(TO);
    }
    const features = finalizedFeaturesOf(parseFeaturesDescribe(tool(homes.to, 'kafka-features.sh', ['describe'])));
    expect(features).toEqual({ metadataVersion: '4.4-IV2', kraftVersion: 0 });

    expect(producer.acked.size).toBeGreaterThan(500);
    const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
    expect(describeLoss(lost, producer, consumer)).toEqual([]);
  }, 540_000);

  it('the in-process DescribeQuorum reads the real quorum as kafka-metadata-quorum.sh describe --replication prints it', async () => {
    const byTool = parseQuorumReplication(tool(homes.to, 'kafka-metadata-quorum.sh', ['describe', '--replication']));
    const wire = await describeQuorum({ host: '127.0.0.1', port: up.brokers[0]?.port as number });
    const shape = (rows: QuorumReplica[]) => rows.map((r) => `${r.nodeId}:${r.status}`).sort();
    expect(shape(wire.replicas)).toEqual(shape(byTool));
    expect(wire.leaderId).toBe(byTool.find((r) => r.status === 'Leader')?.nodeId);
    for (const r of wire.replicas) expect(r.lastCaughtUpTimestamp, `node ${r.nodeId}`).toBeGreaterThan(0);
  });

  it(`verify --at 4.4 passes after the upgrade`, async () => {
    const verify = await runCli(['verify', '--at', '4.4', '-i', inventory, '--json'], { env: ENV });
    expect(verify.code, JSON.stringify(verify.json?.findings ?? verify.stderr)).toBe(0);
    expect(verify.json.checks.map((c: { id: string; status: string }) => `${c.id}:${c.status}`)).toContain('metadata-version:passed');
  });

  it(`a second run restarts nothing and changes nothing`, async () => {
    const before = pids();
    const run = await runCli(['upgrade', '--to', '4.4', '-i', inventory, '--state-dir', stateDir, '--yes'], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/0 restart\(s\)/);
    expect(pids()).toEqual(before);
  }, 180_000);
});
