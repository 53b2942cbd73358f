/**
 * Local processes of a sandbox: start detached (SIGINT honoured), check, signal, wait.
 * Processes are not children we can wait on (they outlive the CLI), so liveness comes
 * from /proc; an exited process may linger as a zombie (State: Z) and counts as gone.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { execa } from 'execa';
import { InfrastructureError } from '../errors.js';
import { ignoredSignals, launchCommandLine, type LaunchSpec } from '../hosts/shell/launch.js';
import { isAlive, procStatus } from '../hosts/local-process.js';

export { isAlive };

/** Signals the process ignores (from SigIgn), undefined when it is gone. */
export function ignoredSignalsOf(pid: number): string[] | undefined {
  const sigIgn = /^SigIgn:\s+([0-9a-f]+)/m.exec(procStatus(pid) ?? '')?.[1];
  return sigIgn === undefined ? undefined : ignoredSignals(sigIgn);
}

/** True when /proc/PID/cmdline mentions `marker`: guards against signalling a recycled pid. */
export function commandMentions(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .some((arg) => arg.includes(marker));
  } catch {
    return false;
  }
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `spec.command` detached through launchCommandLine (SIGINT reset to default); returns its pid. */
export async function launchDetached(spec: LaunchSpec): Promise<number> {
  const { stdout, stderr, exitCode } = await execa('sh', ['-c', launchCommandLine(spec)], { reject: false });
  const pid = Number(stdout.trim());
  if (exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new InfrastructureError(`Could not start ${spec.command[0] ?? 'process'}: ${stderr.trim() || `exit ${exitCode}`}`, {
      code: 'SANDBOX_LAUNCH_FAILED',
      retriable: false,
      action: `Check ${spec.outputFile} and that coreutils env >= 8.31 or perl is installed.`,
    });
  }
  return pid;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until none of `pids` is alive; returns the ones still alive at the deadline. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(100);
    alive = alive.filter(isAlive);
  }
  return alive;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open together, so no duplicates). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Last `lines` lines of a text file, '' when it cannot be read. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
