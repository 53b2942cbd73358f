/**
 * A real KRaft 3.9.2 → 4.4.0 upgrade of three combined nodes (`process.roles=broker,controller`,
 * `sandbox up --combined 3`) over TLS + SASL/SCRAM-SHA-512 (`--security sasl-ssl`): kafkajs reads
 * the cluster with SCRAM-SHA-512 over the brokers' SASL_SSL listeners and the releases' own tools
 * run with --command-config. Three JVMs, not six: the dedicated-node upgrade is kraft-real.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kraftSandboxDown, kraftSandboxUp, type KraftSandboxState, type KraftSandboxUpResult } from '../../src/sandbox/kraft-sandbox.js';
import { readPidFile } from '../../src/sandbox/processes.js';
import { runCli } from '../helpers/cli.js';
import { kraftReleaseHomes } from '../helpers/kraft-releases.js';
import { SANDBOX_HOOK_TIMEOUT_MS, takeSandboxSlot } from '../helpers/sandbox.js';
import { loggedRelease, runningRelease } from '../helpers/broker-logs.js';

const root = resolve(import.meta.dirname, '../..');
const ENV = { NODE_ENV: 'production', NO_COLOR: '1' };
const FROM = '3.9.2';
const TO = '4.4.0';

let releaseSlot: (() => void) | undefined;
let up: KraftSandboxUpResult;
let state: KraftSandboxState;
const outputs: string[] = [];
const run = async (args: string[]) => {
  const r = await runCli(args, { env: ENV });
  outputs.push(r.stdout, r.stderr);
  return r;
};
const filesUnder = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(d, e.name)) : e.isFile() ? [readFileSync(join(d, e.name), 'utf8')] : [],
  );
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-kraft-combined-'));
const stateDir = join(dir, 'state');
const pidOf = (id: number) => readPidFile(state.nodes.find((n) => n.id === id)?.pidFile as string);
const pids = () => Object.fromEntries(state.nodes.map((n) => [n.id, pidOf(n.id)]));

const journal = () =>
  readFileSync(join(stateDir, 'sandbox-kraft', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: string; broker?: number; detail?: Record<string, unknown> });

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json')))
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const homes = await kraftReleaseHomes(FROM, TO);
  releaseSlot = await takeSandboxSlot();
  up = await kraftSandboxUp({
    dir: join(dir, 'sandbox'),
    controllers: 3,
    brokers: 3,
    combined: 3,
    partitions: 6,
    kafkaHomes: [homes.from, homes.to],
    security: 'sasl-ssl',
  });
  state = JSON.parse(readFileSync(up.statePath, 'utf8')) as KraftSandboxState;
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  try {
    if (state) await kraftSandboxDown(state, { purge: false });
  } finally {
    releaseSlot?.();
  }
}, 180_000);

describe(`a real KRaft ${FROM} → ${TO} upgrade of 3 combined nodes over SASL_SSL`, () => {
  it('every node runs broker,controller on the FROM release; the inventory names them both roles', () => {
    expect(state.nodes.map((n) => n.role)).toEqual(['combined', 'combined', 'combined']);
    for (const n of state.nodes) {
      expect(runningRelease(pidOf(n.id) as number), `node ${n.id}`).toBe(FROM);
      expect(readFileSync(n.configPath, 'utf8')).toMatch(/^process\.roles=broker,controller$/m);
    }
    expect(readFileSync(up.inventoryPath, 'utf8')).toMatch(/roles:\n\s+- controller\n\s+- broker/);
  });

  it('upgrade --yes over SASL_SSL: each node restarted once with a controlled shutdown, on 4.4.0 (its JVM and its log), metadata.version finalized', async () => {
    const before = pids();
    const r = await run(['upgrade', '--to', '4.4', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes', '--json']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const events = journal();
    const stopped = events.filter((e) => e.event === 'step.stop.begin').map((e) => e.broker);
    expect([...stopped].sort()).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.event === 'step.stop.done').map((e) => String(e.detail?.shutdown))).toEqual(Array(3).fill('controlled'));
    for (const n of state.nodes) {
      const pid = pidOf(n.id) as number;
      expect(pid, `node ${n.id} restarted`).not.toBe(before[n.id]);
      expect(runningRelease(pid), `node ${n.id} process`).toBe(TO);
      expect(loggedRelease(n.logFile), `node ${n.id} log`).toBe(TO);
    }
    expect(events.some((e) => e.event === 'step.finalize')).toBe(true);
  }, 540_000);

  it('verify --at 4.4 passes over SASL_SSL', async () => {
    const verify = await run(['verify', '--at', '4.4', '-i', up.inventoryPath, '--json']);
    expect(verify.code, JSON.stringify(verify.json?.findings ?? verify.stderr)).toBe(0);
    expect(verify.json.checks.map((c: { id: string; status: string }) => `${c.id}:${c.status}`)).toContain('metadata-version:passed');
  });

  it('a second run restarts nothing', async () => {
    const before = pids();
    const r = await run(['upgrade', '--to', '4.4', '-i', up.inventoryPath, '--state-dir', stateDir, '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0 restart\(s\)/);
    expect(pids()).toEqual(before);
  }, 180_000);

  it('a wrong password is refused by the real broker (exit 3, cluster-reachable naming state.sasl); the password is in no output, inventory, plan or journal', async () => {
    const password = readFileSync(up.sasl?.passwordFile as string, 'utf8').trim();
    expect(password.length).toBeGreaterThan(16);
    const wrongFile = join(dir, 'wrong.password');
    writeFileSync(wrongFile, 'not-the-password\n', { mode: 0o600 });
    const wrong = join(dir, 'inventory-wrong-password.yaml');
    writeFileSync(wrong, readFileSync(up.inventoryPath, 'utf8').replace(up.sasl?.passwordFile as string, wrongFile));
    const r = await run(['verify', '--at', '4.4', '-i', wrong, '--json']);
    expect(r.code, r.stderr).toBe(3);
    // verify --json puts the unreachable cluster (exit 3, KAFKA_UNREACHABLE's) in its result document as cluster-reachable.
    const finding = (r.json.findings as Array<{ id: string; message: string; fix: string; location?: { file: string } }>)[0];
    expect(finding?.id).toBe('cluster-reachable');
    expect(finding?.message).toMatch(/SASL SCRAM SHA512 authentication failed/i);
    expect(finding?.fix).toMatch(/state\.sasl/);
    expect(finding?.location?.file).toBe(wrong);
    for (const text of [...outputs, readFileSync(up.inventoryPath, 'utf8'), ...filesUnder(stateDir)]) expect(text).not.toContain(password);
  });
});
