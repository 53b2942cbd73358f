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

/**
 * Where the kernel takes the local ports of outgoing connections (Linux's
 * ip_local_port_range; 32768 where it cannot be read).
 */
export function ephemeralPortStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 1024 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST_SANDBOX_PORT = 20_000;

function listenOn(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * `count` distinct free TCP ports on 127.0.0.1, all held open together (no duplicates), taken
 * below the ephemeral range: a broker's port there is free while the broker restarts, and any
 * outgoing connection on the machine may take it as its local port meanwhile, so the broker
 * then fails to bind. Random picks keep two sandboxes started at once apart.
 */
export async function freePorts(count: number): Promise<number[]> {
  const high = Math.max(ephemeralPortStart(), LOWEST_SANDBOX_PORT + 1_000);
  const servers: net.Server[] = [];
  try {
    for (let attempt = 0; servers.length < count; attempt++) {
      if (attempt > count * 50)
        throw new InfrastructureError(`No ${count} free TCP ports on 127.0.0.1 between ${LOWEST_SANDBOX_PORT} and ${high}.`, {
          code: 'SANDBOX_NO_FREE_PORTS',
          retriable: true,
          action: 'Stop what listens there (ss -ltn), or old sandboxes (kafka-ops sandbox down), and try again.',
        });
      const port = LOWEST_SANDBOX_PORT + Math.floor(Math.random() * (high - LOWEST_SANDBOX_PORT));
      if (servers.some((s) => (s.address() as net.AddressInfo).port === port)) continue;
      const server = await listenOn(port);
      if (server) servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** Last `lines` lines of a text file, '' when it cannot be read. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
