/** A real sandbox cluster for an e2e test file: up in beforeAll, always down in afterAll. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FileJournal } from '../../src/store/journal.js';
import { KafkaOpsError } from '../../src/errors.js';
import { sandboxDown } from '../../src/sandbox/down.js';
import { sandboxUp, type SandboxUpResult } from '../../src/sandbox/up.js';
import { isAlive, readPidFile, sleep } from '../../src/sandbox/processes.js';

/**
 * Test files run two at a time (vitest.config.ts), but only one real Kafka sandbox runs on the
 * machine at once: its four JVMs would starve another's on two cores and turn timing into
 * flakes. The slot is the cluster lock kafka-ops itself uses (pid-stamped, a dead holder's lock
 * taken over), so a worker killed mid-file never blocks the rest. The sequencer
 * (test/sequencer.ts) keeps the other worker busy with files that need no sandbox meanwhile.
 */
export async function takeSandboxSlot(): Promise<() => void> {
  const slot = new FileJournal(join(tmpdir(), 'kafka-ops-test-slots'), 'real-kafka-sandbox');
  for (;;) {
    try {
      slot.lock();
      return () => slot.unlock();
    } catch (error) {
      if (!(error instanceof KafkaOpsError && error.code === 'CLUSTER_LOCKED')) throw error;
    }
    await sleep(250);
  }
}

/**
 * Tear the sandbox in `dir` down if this test process or the vitest run above it goes first:
 * an interrupted run (Ctrl-C, SIGTERM) skips afterAll, and the sandbox's processes are detached
 * (test/helpers/sandbox-watchdog.mjs). Returns the function a normal teardown calls once down.
 */
export function guardSandbox(dir: string): () => void {
  const owners = [process.pid, process.ppid].filter((pid) => pid > 1).map(String);
  const watchdog = spawn(process.execPath, [join(import.meta.dirname, 'sandbox-watchdog.mjs'), dir, ...owners], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return () => watchdog.kill('SIGTERM');
}

/** beforeAll bound of a file that starts a sandbox: it may first wait for another file's sandbox to go. */
export const SANDBOX_HOOK_TIMEOUT_MS = 600_000;

export interface TestSandbox {
  dir: string;
  up: SandboxUpResult;
  inventory: string;
  stateDir: string;
  brokerIds: number[];
  pidOf(id: number): number | undefined;
  pids(): Record<number, number | undefined>;
  configOf(id: number): string;
  configs(): Record<number, string>;
  bootstrap(): string;
  down(): Promise<void>;
}

/**
 * `releases`: real releases from Maven Central (cached by scripts/warm-releases.mjs); default: the embedded 0.9.0.1.
 * `shape`: brokers (default 3) and racks (`sandbox up --racks`).
 */
export async function startSandbox(
  name: string,
  partitions = 6,
  releases?: { from: string; to: string },
  shape: { brokers?: number; racks?: number } = {},
): Promise<TestSandbox> {
  const dir = mkdtempSync(join(tmpdir(), `kafka-ops-${name}-`));
  const releaseSlot = await takeSandboxSlot();
  const unguard = guardSandbox(dir);
  let up: SandboxUpResult;
  try {
    up = await sandboxUp({
      dir,
      brokers: shape.brokers ?? 3,
      partitions,
      kafkaHomes: [],
      ...(shape.racks ? { racks: shape.racks } : {}),
      ...(releases ? { releases } : {}),
    });
  } catch (error) {
    await sandboxDown(dir, { purge: false }).catch(() => undefined);
    unguard();
    releaseSlot();
    throw error;
  }
  const inventory = parse(readFileSync(up.inventoryPath, 'utf8')) as {
    brokers: Array<{ id: number; configPath: string; run: { pidFile: string } }>;
  };
  const broker = (id: number) => inventory.brokers.find((b) => b.id === id) as (typeof inventory.brokers)[number];
  const ids = inventory.brokers.map((b) => b.id);
  const sandbox: TestSandbox = {
    dir,
    up,
    inventory: up.inventoryPath,
    stateDir: join(dir, 'state'),
    brokerIds: ids,
    pidOf: (id) => {
      const pid = readPidFile(broker(id).run.pidFile);
      return pid !== undefined && isAlive(pid) ? pid : undefined;
    },
    pids: () => Object.fromEntries(ids.map((id) => [id, sandbox.pidOf(id)])),
    configOf: (id) => readFileSync(broker(id).configPath, 'utf8'),
    configs: () => Object.fromEntries(ids.map((id) => [id, sandbox.configOf(id)])),
    bootstrap: () => up.brokers.map((b) => `127.0.0.1:${b.port}`).join(','),
    down: async () => {
      try {
        await sandboxDown(dir, { purge: false });
      } finally {
        unguard();
        releaseSlot();
      }
    },
  };
  return sandbox;
}
