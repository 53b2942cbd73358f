/** A real sandbox cluster for an e2e test file: up in beforeAll, always down in afterAll. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sandboxDown, sandboxUp, type SandboxUpResult } from '../../src/sandbox/sandbox.js';
import { isAlive, readPidFile } from '../../src/sandbox/processes.js';

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

export async function startSandbox(name: string, partitions = 6): Promise<TestSandbox> {
  const dir = mkdtempSync(join(tmpdir(), `kafka-ops-${name}-`));
  const up = await sandboxUp({ dir, brokers: 3, partitions, kafkaHomes: [] });
  const inventory = parse(readFileSync(up.inventoryPath, 'utf8')) as { brokers: Array<{ id: number; configPath: string; run: { pidFile: string } }> };
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
      await sandboxDown(dir, { purge: false });
    },
  };
  return sandbox;
}
