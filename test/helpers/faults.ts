/**
 * Fault injection on a running sandbox for test/e2e/faults.test.ts: starting a broker the
 * wrong way (SIGINT ignored) and the right way, waiting on the cluster and on the journal
 * of a running CLI, and inventory copies with one thing changed.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { launchCommandLine } from '../../src/hosts/shell/launch.js';
import { ignoredSignalsOf, isAlive, readPidFile, sleep, waitGone } from '../../src/sandbox/processes.js';
import { sandboxStatus, type SandboxStatus } from '../../src/sandbox/status.js';

export interface RawBroker {
  id: number;
  configPath: string;
  installLink: string;
  installs?: Record<string, string>;
  run: { command: string[]; pidFile: string; outputFile: string };
}

export interface RawInventory {
  defaults: { installs: Record<string, string>; startTimeoutSeconds?: number; [k: string]: unknown };
  brokers: RawBroker[];
  [k: string]: unknown;
}

export function readInventory(file: string): RawInventory {
  return parse(readFileSync(file, 'utf8')) as RawInventory;
}

/** Writes a copy of `source` changed by `edit` to `target`; returns `target`. */
export function inventoryCopy(source: string, target: string, edit: (inventory: RawInventory) => void): string {
  const inventory = readInventory(source);
  edit(inventory);
  writeFileSync(target, stringify(inventory, { lineWidth: 0 }));
  return target;
}

export function brokerOf(inventory: RawInventory, id: number): RawBroker {
  const broker = inventory.brokers.find((b) => b.id === id);
  if (!broker) throw new Error(`no broker ${id} in the inventory`);
  return broker;
}

/** Polls `condition` every `everyMs` until true; throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Every process alive, every broker registered, no partition under-replicated or offline. */
export function healthy(status: SandboxStatus): boolean {
  const c = status.cluster;
  return (
    status.up &&
    c !== undefined &&
    c.missingBrokers.length === 0 &&
    c.underReplicatedCount === 0 &&
    c.offline.length === 0 &&
    c.partitions > 0
  );
}

export async function waitHealthy(dir: string, timeoutMs: number): Promise<SandboxStatus> {
  let last: SandboxStatus | undefined;
  try {
    return await waitFor(
      'the sandbox to be up with every ISR full',
      timeoutMs,
      async () => {
        last = await sandboxStatus(dir);
        return healthy(last) ? last : undefined;
      },
      500,
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last status: ${JSON.stringify({ processes: last?.processes, cluster: last?.cluster && { ...last.cluster, underReplicated: last.cluster.underReplicated.slice(0, 3) }, clusterError: last?.clusterError })}`,
    );
  }
}

function sh(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Starts the broker the way the real-world bug happens: a non-interactive `sh` runs it as a
 * background job, so it inherits SIGINT as ignored. Returns its pid (also written to its pid file).
 */
export async function launchIgnoringSigint(broker: RawBroker): Promise<number> {
  const { pidFile, outputFile, command } = broker.run;
  const script = `"$@" </dev/null >>'${outputFile}' 2>&1 & echo $! > '${pidFile}'`;
  const result = await sh(['-c', script, 'sh', ...command]);
  if (result.code !== 0) throw new Error(`starting broker ${broker.id} failed: ${result.stderr}`);
  const pid = readPidFile(pidFile);
  if (pid === undefined) throw new Error(`no pid in ${pidFile}`);
  return pid;
}

/** Starts the broker as kafka-ops and the sandbox do (launchCommandLine: SIGINT reset to default). */
export async function launchProperly(broker: RawBroker): Promise<number> {
  const { pidFile, outputFile, command } = broker.run;
  const result = await sh(['-c', launchCommandLine({ command, pidFile, outputFile })]);
  const pid = Number(result.stdout.trim());
  if (result.code !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`launching broker ${broker.id} failed: ${result.stderr}`);
  return pid;
}

/** SigIgn of a live process as a number (bit 0x2 = SIGINT). */
export function sigIgnMask(pid: number): bigint | undefined {
  const match = /^SigIgn:\s+([0-9a-f]+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? BigInt(`0x${match[1]}`) : undefined;
}

export function ignoresSigint(pid: number): boolean {
  return ignoredSignalsOf(pid)?.includes('SIGINT') ?? false;
}

/** Sends `signal` and waits until the process is gone; throws if it is still there after `timeoutMs`. */
export async function stopPid(pid: number, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  const left = await waitGone([pid], timeoutMs);
  if (left.length > 0) throw new Error(`pid ${pid} still alive ${timeoutMs} ms after ${signal}`);
}

export function cmdlineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** The pid runs the broker JVM itself (past the launcher's nohup/env stages, which share its pid). */
export function isBrokerJvm(pid: number): boolean {
  const argv = cmdlineOf(pid);
  return /(^|\/)java$/.test(argv[0] ?? '') && argv.includes('kafka.Kafka');
}

/**
 * Another engineer's \`npm run build\` empties dist/ for a few seconds; a CLI started then
 * fails to load its command. Wait (bounded) until the commands are there.
 */
export async function waitForDist(): Promise<void> {
  const root = new URL('../../', import.meta.url);
  const needed = ['dist/commands/roll.js', 'dist/commands/resume.js', 'dist/commands/upgrade.js', 'oclif.manifest.json'].map(
    (f) => new URL(f, root),
  );
  await waitFor('dist/ to be built', 120_000, () => needed.every((f) => existsSync(f)));
}

export interface JournalLine {
  at: string;
  event: string;
  phase?: string;
  broker?: number;
  detail?: Record<string, unknown>;
}

/** Complete journal lines written after byte `offset`. */
export function journalSince(file: string, offset: number): JournalLine[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file).subarray(offset).toString('utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as JournalLine];
      } catch {
        return [];
      }
    });
}

export function fileSize(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** Waits until the journal (after `offset`) has a line matching `match`; fails early if `child` exits first. */
export async function waitJournal(
  file: string,
  offset: number,
  timeoutMs: number,
  child: ChildProcess,
  what: string,
  match: (lines: JournalLine[]) => JournalLine | undefined,
): Promise<JournalLine> {
  return waitFor(
    `journal: ${what}`,
    timeoutMs,
    () => {
      const found = match(journalSince(file, offset));
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) before ${what}`);
      return undefined;
    },
    50,
  );
}

/** Collects a spawned CLI's output and exit. */
export function collect(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; json: any }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, json });
    });
  });
}

export { isAlive };
