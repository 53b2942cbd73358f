/**
 * A real OpenSSH sshd on 127.0.0.1 for the sandbox and the end-to-end tests.
 *
 * Everything lives in one directory the caller owns: host key, user key, authorized_keys,
 * known_hosts, sshd_config, pid file, log and a JSON state file. Nothing in /etc/ssh or
 * ~/.ssh is read or changed (sshd runs with `-f` our config, which has no Include).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { InfrastructureError, UserError } from '../errors.js';
import { freePorts, isAlive } from './processes.js';

const SSHD = '/usr/sbin/sshd';
const run = promisify(execFile);

export interface SshdHandle {
  port: number;
  pid: number;
  dir: string;
  knownHostsFile: string;
  userKeyFile: string;
  user: string;
  /** The known_hosts line of this sshd: `[127.0.0.1]:PORT ssh-ed25519 AAAA...`. */
  hostKeyLine: string;
}

const STATE_FILE = 'sshd.json';
const PID_FILE = 'sshd.pid';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolveAccepts(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}

async function keygen(file: string, comment: string): Promise<string> {
  if (!existsSync(file)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

export function readSshdHandle(dir: string): SshdHandle | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as SshdHandle;
  } catch {
    return undefined;
  }
}

function readPid(dir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, PID_FILE), 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return readSshdHandle(dir)?.pid;
  }
}

function isOurSshd(pid: number, configFile: string): boolean {
  try {
    // sshd rewrites its title to "sshd: /usr/sbin/sshd -f CONFIG ... [listener] ...".
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmdline.includes('sshd') && cmdline.includes(configFile);
  } catch {
    return false;
  }
}

function sshdConfig(dir: string, port: number): string {
  return [
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    `HostKey ${join(dir, 'host_ed25519_key')}`,
    `PidFile ${join(dir, PID_FILE)}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    'X11Forwarding no',
    'PrintMotd no',
    'MaxSessions 32',
    'MaxStartups 50:30:100',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

export async function startSshd(dirArg: string): Promise<SshdHandle> {
  const dir = resolve(dirArg);
  if (!existsSync(SSHD)) {
    throw new UserError(`${SSHD} is missing: the sandbox needs Debian's OpenSSH server.`, {
      code: 'SSHD_MISSING',
      action: 'Install it: apt-get install -y openssh-server',
    });
  }
  // sshd_config has no quoting that every OpenSSH version understands, and % starts a token.
  if (/[\s"'%#\\]/.test(dir)) {
    throw new UserError(`The sshd sandbox directory must not contain whitespace, quotes, %, # or \\: ${dir}`, {
      code: 'SSHD_DIR_UNSUPPORTED',
      action: 'Choose a plain directory path for the sandbox.',
    });
  }
  const existing = readSshdHandle(dir);
  if (existing && isAlive(existing.pid)) {
    if (await accepts(existing.port)) return existing;
    await stopSshd(dir);
  }

  await mkdir(dir, { recursive: true });
  // Privilege separation directory; Debian's unit creates it, a bare container does not have it.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = await keygen(join(dir, 'host_ed25519_key'), 'kafka-ops-sandbox-host');
  const userKey = await keygen(join(dir, 'id_ed25519'), 'kafka-ops-sandbox-user');
  await writeFile(join(dir, 'authorized_keys'), `${userKey}\n`, { mode: 0o600 });
  const [type, blob] = hostKey.split(/\s+/);
  const configFile = join(dir, 'sshd_config');
  const logFile = join(dir, 'sshd.log');

  let lastError = '';
  // The port was free when picked, but someone may take it before sshd binds: retry with another.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [port] = (await freePorts(1)) as [number];
    await writeFile(configFile, sshdConfig(dir, port));
    await rm(join(dir, PID_FILE), { force: true });
    await rm(logFile, { force: true });
    try {
      await run(SSHD, ['-t', '-f', configFile]);
      // Without -D sshd daemonizes: the parent returns once the child is detached.
      await run(SSHD, ['-f', configFile, '-E', logFile]);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
      throw new InfrastructureError(`sshd refused to start: ${stderr.trim()}`, {
        code: 'SSHD_START_FAILED',
        action: `Look at ${configFile} and ${logFile}.`,
        retriable: false,
        cause: error,
      });
    }
    const up = await waitFor(async () => readPid(dir) !== undefined && (await accepts(port)), 10_000);
    const pid = readPid(dir);
    if (up && pid !== undefined) {
      const handle: SshdHandle = {
        port,
        pid,
        dir,
        knownHostsFile: join(dir, 'known_hosts'),
        userKeyFile: join(dir, 'id_ed25519'),
        user: userInfo().username,
        hostKeyLine: `[127.0.0.1]:${port} ${type} ${blob}`,
      };
      await writeFile(handle.knownHostsFile, `${handle.hostKeyLine}\n`);
      await writeFile(join(dir, STATE_FILE), `${JSON.stringify(handle, null, 2)}\n`);
      return handle;
    }
    lastError = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : 'no log';
    await stopSshd(dir);
  }
  throw new InfrastructureError(`sshd did not start listening on 127.0.0.1: ${lastError}`, {
    code: 'SSHD_START_FAILED',
    action: `Look at ${logFile}.`,
    retriable: true,
  });
}

/** Processes whose parent is `pid` (sshd's per-connection children). */
async function childrenOf(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export async function stopSshd(dirArg: string): Promise<void> {
  const dir = resolve(dirArg);
  const pid = readPid(dir);
  if (pid === undefined || !isAlive(pid)) return;
  // A stale pid file must not make us kill an unrelated process that reused the pid.
  if (!isOurSshd(pid, join(dir, 'sshd_config'))) return;
  // The listener exiting leaves open sessions running: end those too.
  for (const child of await childrenOf(pid)) signal(child, 'SIGTERM');
  signal(pid, 'SIGTERM');
  if (await waitFor(() => !isAlive(pid), 5_000)) return;
  signal(pid, 'SIGKILL');
  if (await waitFor(() => !isAlive(pid), 2_000)) return;
  throw new InfrastructureError(`sshd (pid ${pid}) did not exit after SIGTERM and SIGKILL.`, {
    code: 'SSHD_STOP_FAILED',
    action: `Look at process ${pid} (ps -o pid,stat,cmd -p ${pid}).`,
    retriable: true,
  });
}
