/**
 * A real ZooKeeper → KRaft migration continued to 4.4 in one plan (issue 16, test 2): Kafka
 * 3.9.2 in ZooKeeper mode with three KRaft controllers installed but not started, and 4.4.0
 * installed beside it (`sandbox up --from 3.9.2 --to 4.4.0 --kraft-controllers 3`);
 * `kafka-ops upgrade --migrate-to-kraft --to 4.4` over the real sshd under a live acks=all
 * VerifiableProducer and a VerifiableConsumer. What is asserted is read from the real processes:
 * the jar each JVM has open, the release each node logged at its last start, and the finalized
 * features through 4.4.0's own kafka-features.sh.
 *
 * Opt-in (KAFKA_OPS_MIGRATION_CHAIN_E2E=1) until its wall time on the CI machine is measured: the
 * CI budget takes a new e2e file only at ≤ ~240 s.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizedFeaturesOf, parseFeaturesDescribe } from '../../src/cluster/kraft-output.js';
import { CHAIN_PHASES } from '../../src/plan/chain.js';
import { sandboxDown } from '../../src/sandbox/down.js';
import { isAlive, readPidFile } from '../../src/sandbox/processes.js';
import { readState, type SandboxState } from '../../src/sandbox/state.js';
import { sandboxUp, type SandboxUpResult } from '../../src/sandbox/up.js';
import { runCli } from '../helpers/cli.js';
import { SANDBOX_HOOK_TIMEOUT_MS, takeSandboxSlot } from '../helpers/sandbox.js';
import { describeLoss, stopAllClients, VerifiableConsumer, VerifiableProducer } from '../helpers/verifiable.js';
import { loggedRelease, runningRelease } from '../helpers/broker-logs.js';

const root = resolve(import.meta.dirname, '../..');
const ENV = { NODE_ENV: 'production', NO_COLOR: '1' };
const FROM = '3.9.2';
const TO = '4.4.0';
const ENABLED = process.env.KAFKA_OPS_MIGRATION_CHAIN_E2E === '1';

let releaseSlot: (() => void) | undefined;
let up: SandboxUpResult;
let state: SandboxState;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-migration-chain-'));
const sandboxDir = join(dir, 'sandbox');
const stateDir = join(dir, 'state');

const nodes = () => [...state.brokers, ...(state.controllers ?? [])];
const pids = () => Object.fromEntries(nodes().map((n) => [n.id, readPidFile(n.pidFile)]));
const bootstrap = () => up.brokers.map((b) => `127.0.0.1:${b.port}`).join(',');

const journal = () =>
  readFileSync(join(stateDir, 'sandbox', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; phase?: string; broker?: number; at?: string; detail?: Record<string, unknown> });

beforeAll(async () => {
  if (!ENABLED) return;
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  releaseSlot = await takeSandboxSlot();
  up = await sandboxUp({ dir: sandboxDir, brokers: 3, partitions: 3, releases: { from: FROM, to: TO }, kraftControllers: 3 });
  state = readState(up.statePath) as SandboxState;
  console.log(`sandbox up took ${(up.elapsedMs / 1000).toFixed(1)} s`);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  if (!ENABLED) return;
  await stopAllClients();
  try {
    await sandboxDown(sandboxDir, { purge: false });
  } finally {
    releaseSlot?.();
  }
}, 180_000);

describe.skipIf(!ENABLED)(`a real ZooKeeper ${FROM} cluster migrated to KRaft and upgraded to ${TO} in one plan`, () => {
  it('plan --migrate-to-kraft --to 4.4: the migration, then the binary roll and the finalize, both finalizes marked', async () => {
    const run = await runCli(['plan', '--migrate-to-kraft', '--to', '4.4', '-i', up.inventoryPath, '--json'], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json.result ?? run.json;
    expect(plan.phases.map((p: { id: string }) => p.id)).toEqual([...CHAIN_PHASES]);
    expect(plan.phases.filter((p: { pointOfNoReturn?: string }) => p.pointOfNoReturn).map((p: { id: string }) => p.id)).toEqual([
      'finalize-migration',
      'finalize-metadata-version',
    ]);
    expect(plan.phases[6].finalize.command.slice(-2)).toEqual(['--feature', 'metadata.version=33']);
    expect(plan.estimate.restarts).toBe(15);
  }, 120_000);

  it('upgrade --migrate-to-kraft --to 4.4 --yes: every node runs 4.4.0, metadata.version 4.4-IV2, kraft.version 0, no acked message lost', async () => {
    const clients = { home: state.installs.from.dir, bootstrapFlag: '--bootstrap-server' as const };
    const producer = new VerifiableProducer(bootstrap(), up.topic.name, 100, clients);
    const consumer = new VerifiableConsumer(bootstrap(), up.topic.name, 'migration-chain', clients);
    await new Promise((r) => setTimeout(r, 5000));
    const started = Date.now();
    const run = await runCli(
      ['upgrade', '--migrate-to-kraft', '--to', '4.4', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes', '--json'],
      { env: ENV },
    );
    const elapsedMs = Date.now() - started;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const entries = journal();
    const at = (event: string, phase: string) => entries.find((e) => e.event === event && e.phase === phase)?.at;
    console.log(
      `migration + upgrade to ${TO} took ${(elapsedMs / 1000).toFixed(1)} s: ${CHAIN_PHASES.map((p) => {
        const [a, b] = [at('phase.start', p), at('phase.done', p)];
        return `${p} ${a && b ? ((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1) : '-'}s`;
      }).join(' | ')}`,
    );
    await new Promise((r) => setTimeout(r, 3000));
    await producer.stop();
    await consumer.waitFor(producer.acked, 60_000);
    await consumer.stop();

    // The binary roll: controllers first, the brokers, then the active controller, each with a controlled shutdown.
    const swapped = entries.filter((e) => e.event === 'step.stop.done' && e.phase === 'swap-binaries');
    expect(
      swapped
        .map((e) => e.broker)
        .slice(0, 2)
        .every((id) => (id as number) >= 3000),
    ).toBe(true);
    expect(swapped.map((e) => e.broker).slice(2, 5)).toEqual([1, 2, 3]);
    expect(swapped.at(-1)?.broker).toBeGreaterThanOrEqual(3000);
    expect(swapped.map((e) => e.detail?.shutdown)).toEqual(Array(6).fill('controlled'));

    for (const n of nodes()) {
      const pid = readPidFile(n.pidFile) as number;
      expect(isAlive(pid), `node ${n.id} runs`).toBe(true);
      expect(runningRelease(pid), `node ${n.id} process`).toBe(TO);
      expect(loggedRelease(n.logFile), `node ${n.id} log`).toBe(TO);
    }
    const features = finalizedFeaturesOf(
      parseFeaturesDescribe(
        execFileSync(join(state.installs.to.dir, 'bin', 'kafka-features.sh'), ['--bootstrap-server', bootstrap(), 'describe'], {
          encoding: 'utf8',
          timeout: 120_000,
        }),
      ),
    );
    expect(features).toEqual({ metadataVersion: '4.4-IV2', kraftVersion: 0 });

    expect(producer.acked.size).toBeGreaterThan(500);
    const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
    expect(describeLoss(lost, producer, consumer)).toEqual([]);
  }, 900_000);

  it('a second run restarts nothing', async () => {
    const before = pids();
    const run = await runCli(['upgrade', '--migrate-to-kraft', '--to', '4.4', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes'], {
      env: ENV,
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(pids()).toEqual(before);
  }, 180_000);
});
