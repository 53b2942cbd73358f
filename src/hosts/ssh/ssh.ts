/**
 * `CommandRunner` over SSH (ssh2), with OpenSSH-compatible host key checking.
 *
 * ssh2's quirks stay in here: a channel's `close` only fires once its streams are read,
 * the exit status arrives on `exit` (or not at all when the connection drops), and the
 * host key callback runs before authentication, so a key learnt with `accept-new` is
 * only written to known_hosts once the session is fully up.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { BugError, InfrastructureError, UserError } from '../../errors.js';
import type { BrokerSpec, HostKeyPolicy, SshExecutorSettings } from '../../inventory/model.js';
import { commandTimeoutError, signalExitCode, type CommandRunner, type RunOptions, type RunResult } from '../shell/runner.js';
import { ShellSession } from './shell-session.js';

// ---------------------------------------------------------------------------------------
// known_hosts

export interface HostKey {
  /** Key type as written in known_hosts, e.g. `ssh-ed25519`, `ssh-rsa`. */
  type: string;
  /** The key blob (what known_hosts holds in base64). */
  blob: Buffer;
}

export interface KnownHostsEntry {
  marker?: 'cert-authority' | 'revoked';
  /** Comma-separated host patterns, or one hashed `|1|salt|hash` entry. */
  hosts: string;
  key: HostKey;
  /** 1-based line number in the file. */
  line: number;
}

/** Entries of an OpenSSH known_hosts file; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostsEntry['marker'];
    if (fields[0] === '@cert-authority' || fields[0] === '@revoked') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, type, base64] = fields;
    if (hosts === undefined || type === undefined || base64 === undefined) return;
    entries.push({ ...(marker ? { marker } : {}), hosts, key: { type, blob: Buffer.from(base64, 'base64') }, line: index + 1 });
  });
  return entries;
}

/** The name OpenSSH looks up in known_hosts: `host`, or `[host]:port` off port 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatches(pattern: string, name: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 'i').test(name);
}

/** Whether the host field of a known_hosts line matches `name` (hashed entries and `!` negations included). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH key blob (its first length-prefixed string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

export type HostKeyVerdict =
  { status: 'known'; line: number } | { status: 'unknown' } | { status: 'changed'; line: number } | { status: 'revoked'; line: number };

/** What known_hosts says about `key` presented by `name` (see `knownHostsName`). */
export function checkHostKey(entries: readonly KnownHostsEntry[], name: string, key: HostKey): HostKeyVerdict {
  const sameKey = (e: KnownHostsEntry) => e.key.type === key.type && e.key.blob.equals(key.blob);
  const revoked = entries.find((e) => e.marker === 'revoked' && sameKey(e));
  if (revoked) return { status: 'revoked', line: revoked.line };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name));
  const known = forHost.find(sameKey);
  if (known) return { status: 'known', line: known.line };
  const changed = forHost.find((e) => e.key.type === key.type);
  if (changed) return { status: 'changed', line: changed.line };
  return { status: 'unknown' };
}

/** Host key algorithms to offer so that the server presents a key type known_hosts already has (as OpenSSH does). */
function preferredHostKeyAlgorithms(entries: readonly KnownHostsEntry[], name: string): string[] | undefined {
  const supported = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const types = new Set(entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.key.type));
  const algorithms = supported.filter((a) => types.has(a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a));
  return algorithms.length > 0 ? algorithms : undefined;
}

async function readKnownHosts(file: string): Promise<KnownHostsEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UserError(`Cannot read the known_hosts file ${file}: ${(error as Error).message}`, {
      code: 'SSH_KNOWN_HOSTS_UNREADABLE',
      action: 'Fix the path or the permissions of executor.knownHosts in the inventory.',
      cause: error,
    });
  }
}

/** Appends to each known_hosts file one at a time, so that parallel connections learning a host add it once. */
const knownHostsAppends = new Map<string, Promise<void>>();

/**
 * Adds `name`'s key to `file` (accept-new), unless the file already holds that key for it: parallel
 * connections to one host each learn the key, and the file must get one line, not one per connection.
 */
export function appendKnownHost(file: string, name: string, key: HostKey): Promise<void> {
  const previous = knownHostsAppends.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => appendOnce(file, name, key));
  knownHostsAppends.set(file, next);
  void next.finally(() => knownHostsAppends.get(file) === next && knownHostsAppends.delete(file)).catch(() => undefined);
  return next;
}

async function appendOnce(file: string, name: string, key: HostKey): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  let prefix = '';
  try {
    const current = await readFile(file, 'utf8');
    if (checkHostKey(parseKnownHosts(current), name, key).status === 'known') return;
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch {
    // Missing file: appendFile creates it.
  }
  await appendFile(file, `${prefix}${name} ${key.type} ${key.blob.toString('base64')}\n`, { mode: 0o644 });
}

// ---------------------------------------------------------------------------------------
// the runner

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  agent: boolean;
  knownHosts: string;
  hostKeyPolicy: HostKeyPolicy;
  connectTimeoutMs: number;
}

/** sshd allows 10 sessions per connection by default (MaxSessions); stay below it. */
const MAX_CHANNELS = 8;
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export class SshRunner implements CommandRunner {
  private client?: Promise<Client>;
  private closed = false;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Rejecters of the commands in flight, so a dropped connection fails them at once. */
  private readonly inFlight = new Set<(error: Error) => void>();
  /** The long-lived shell most commands run in (see shell-session.ts); undefined when it could not start. */
  private session?: Promise<ShellSession | undefined>;

  constructor(readonly target: SshTarget) {}

  private get where(): string {
    return `${this.target.user}@${this.target.host}:${this.target.port}`;
  }

  /** Opens the connection now (otherwise the first `run` does); reconnects after a drop. */
  async connect(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<Client> {
    if (this.closed)
      throw new BugError(`SSH runner for ${this.where} used after close()`, { code: 'RUNNER_CLOSED', action: 'Report this bug.' });
    if (!this.client) {
      this.client = this.open();
      this.client.catch(() => (this.client = undefined));
    }
    return this.client;
  }

  private async credentials(): Promise<Pick<ConnectConfig, 'privateKey' | 'agent'>> {
    const { identityFile, agent } = this.target;
    const credentials: Pick<ConnectConfig, 'privateKey' | 'agent'> = {};
    if (agent) {
      const socket = process.env.SSH_AUTH_SOCK;
      if (!socket) {
        throw new UserError(`SSH agent requested for ${this.where}, but SSH_AUTH_SOCK is not set.`, {
          code: 'SSH_AGENT_MISSING',
          action: 'Start an agent and add the key (eval "$(ssh-agent)"; ssh-add), or set ssh.identityFile instead of ssh.agent.',
        });
      }
      credentials.agent = socket;
    }
    const candidates = identityFile ? [identityFile] : agent ? [] : DEFAULT_IDENTITIES.map((n) => join(homedir(), '.ssh', n));
    for (const file of candidates) {
      try {
        const info = await stat(file);
        // As OpenSSH: a private key of ours that others may read or write is not used ("UNPROTECTED PRIVATE KEY FILE").
        if (info.isFile() && info.uid === process.getuid?.() && (info.mode & 0o077) !== 0) {
          throw new UserError(
            `The SSH identity file ${file} for ${this.where} is accessible by others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}): a private key must be readable by its owner only.`,
            {
              code: 'SSH_IDENTITY_PERMISSIONS',
              action: `chmod 600 ${file} (and consider the key leaked if others could read it), then run again.`,
            },
          );
        }
        credentials.privateKey = await readFile(file);
        break;
      } catch (error) {
        if (error instanceof UserError) throw error;
        if (identityFile) {
          throw new UserError(`Cannot read the SSH identity file ${file} for ${this.where}: ${(error as Error).message}`, {
            code: 'SSH_IDENTITY_UNREADABLE',
            action: 'Fix ssh.identityFile in the inventory (path and permissions).',
            cause: error,
          });
        }
      }
    }
    if (!credentials.agent && !credentials.privateKey) {
      throw new UserError(`No SSH credentials for ${this.where}: no identityFile, agent disabled and no default key in ~/.ssh.`, {
        code: 'SSH_NO_CREDENTIALS',
        action: 'Set ssh.identityFile or ssh.agent: true in the inventory.',
      });
    }
    return credentials;
  }

  private async open(): Promise<Client> {
    const { host, port, user, knownHosts, hostKeyPolicy, connectTimeoutMs } = this.target;
    const name = knownHostsName(host, port);
    const entries = await readKnownHosts(knownHosts);
    const credentials = await this.credentials();
    const ssh2 = await import('ssh2');
    const client = new ssh2.default.Client();
    let refusal: InfrastructureError | undefined;
    let learnt: HostKey | undefined;

    const hostVerifier = (blob: Buffer): boolean => {
      const key = { type: blobKeyType(blob), blob };
      const verdict = checkHostKey(entries, name, key);
      if (verdict.status === 'known') return true;
      if (verdict.status === 'unknown' && hostKeyPolicy === 'accept-new') {
        learnt = key;
        return true;
      }
      refusal = hostKeyError(verdict, this.target, key);
      return false;
    };
    const algorithms = preferredHostKeyAlgorithms(entries, name);
    const config: ConnectConfig = {
      host,
      port,
      username: user,
      readyTimeout: connectTimeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier,
      ...credentials,
      ...(algorithms ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } } : {}),
    };

    // ssh2 can emit `error` more than once for one connection (a garbled or stalled handshake:
    // "Bad packet length", then its ready timeout or "Connection lost"): a listener stays for the
    // client's whole life, or the second one kills the process with a stack trace.
    client.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        client.removeAllListeners('ready');
        // destroy, not end: a peer that stalls or talks garbage gets no polite goodbye to wait for.
        client.destroy();
        reject(refusal ?? connectError(error, this.target));
      };
      client.on('error', fail);
      client.once('close', () => fail(Object.assign(new Error('connection closed during the handshake'), { code: 'ECONNRESET' })));
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        client.removeListener('error', fail);
        client.removeAllListeners('close');
        resolve();
      });
      try {
        client.connect(config);
      } catch (error) {
        // ssh2 parses the private key synchronously in connect().
        reject(
          new UserError(`The SSH identity for ${this.where} cannot be used: ${(error as Error).message}`, {
            code: 'SSH_IDENTITY_INVALID',
            action: 'Use an unencrypted key file, or load the key into ssh-agent and set ssh.agent: true.',
            cause: error,
          }),
        );
      }
    });

    // After the handshake: a dropped connection fails the commands in flight; the next run() reconnects.
    client.on('close', () => {
      this.client = undefined;
      const lost = new InfrastructureError(`The SSH connection to ${this.where} was lost.`, {
        code: 'SSH_CONNECTION_LOST',
        action: `Check that ${this.target.host} is up and reachable, then retry.`,
        retriable: true,
      });
      for (const rejectRun of this.inFlight) rejectRun(lost);
    });
    if (learnt) await appendKnownHost(knownHosts, name, learnt);
    return client;
  }

  private async acquire(): Promise<void> {
    if (this.active >= MAX_CHANNELS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  async run(commandLine: string, options: RunOptions = {}): Promise<RunResult> {
    const client = await this.connection();
    const inSession = await this.runInIdleSession(client, commandLine, options);
    if (inSession) return inSession;
    await this.acquire();
    try {
      return await this.exec(client, commandLine, options);
    } finally {
      this.release();
    }
  }

  /**
   * Runs the command in the session when it is idle, else returns undefined. A busy session (a
   * broker stop can wait minutes) does not hold up other commands: they get a channel of their own.
   */
  private async runInIdleSession(client: Client, commandLine: string, options: RunOptions): Promise<RunResult | undefined> {
    if (this.session) {
      const current = await this.session;
      if (current && !current.alive) this.session = undefined;
    }
    this.session ??= this.openSession(client);
    const session = await this.session;
    // Checked and claimed in one synchronous stretch, so two callers never share it.
    return session?.alive && !session.busy ? session.run(commandLine, options) : undefined;
  }

  private openSession(client: Client): Promise<ShellSession | undefined> {
    return new Promise<ShellSession | undefined>((resolve) => {
      // `exec sh`: the login shell reads its rc files once, then gives way to a plain sh.
      client.exec('exec sh', (error, stream) => {
        if (error) {
          resolve(undefined);
          return;
        }
        const pipes = {
          stdin: stream,
          stdout: stream,
          stderr: stream.stderr,
          destroy: () => {
            try {
              stream.signal('KILL');
              stream.close();
            } catch {
              // the channel may already be gone
            }
          },
        };
        // Without a working session every command still runs, one channel each.
        ShellSession.start(pipes, this.where).then(resolve, () => resolve(undefined));
      });
    });
  }

  private exec(client: Client, commandLine: string, options: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let timer: NodeJS.Timeout | undefined;
      const settle = (error: Error | undefined, result?: RunResult) => {
        if (!this.inFlight.delete(fail)) return;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(result as RunResult);
      };
      const fail = (error: Error) => settle(error);
      this.inFlight.add(fail);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          // OpenSSH >= 7.9 honours the signal request; close() frees the channel either way.
          try {
            channel?.signal('KILL');
            channel?.close();
          } catch {
            // the channel may already be gone
          }
          fail(commandTimeoutError(this.where, options.timeoutMs ?? 0));
        }, options.timeoutMs);
      }
      client.exec(commandLine, (error, stream) => {
        if (error) {
          fail(
            new InfrastructureError(`Could not open an SSH channel to ${this.where}: ${error.message}`, {
              code: 'SSH_CHANNEL_FAILED',
              action: `Check sshd on ${this.target.host} (MaxSessions, load) and retry.`,
              retriable: true,
              cause: error,
            }),
          );
          return;
        }
        channel = stream;
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let code: number | undefined;
        stream.on('data', (chunk: Buffer) => stdout.push(chunk));
        stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        stream.on('exit', (exitCode: number | null, signal?: string) => {
          code = exitCode ?? (signal ? signalExitCode(signal) : undefined);
        });
        stream.on('close', () => {
          if (code === undefined) {
            fail(
              new InfrastructureError(`A command on ${this.where} ended without an exit status (connection or sshd trouble).`, {
                code: 'SSH_NO_EXIT_STATUS',
                action: `Check sshd on ${this.target.host}, then retry.`,
                retriable: true,
              }),
            );
            return;
          }
          settle(undefined, {
            code,
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
          });
        });
        stream.end(options.stdin ?? '');
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    (await this.session?.catch(() => undefined))?.close();
    this.session = undefined;
    const pending = this.client;
    this.client = undefined;
    const client = await pending?.catch(() => undefined);
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }
}

function hostKeyError(verdict: HostKeyVerdict, target: SshTarget, key: HostKey): InfrastructureError {
  const { host, port, knownHosts } = target;
  const name = knownHostsName(host, port);
  const presented = `${key.type} key ${fingerprint(key.blob)}`;
  if (verdict.status === 'changed' || verdict.status === 'revoked') {
    const what = verdict.status === 'changed' ? 'has CHANGED' : 'is REVOKED';
    return new InfrastructureError(
      `The SSH host key of ${host} port ${port} ${what}: the host presented ${presented}, but ${knownHosts} line ${verdict.line} ` +
        `${verdict.status === 'changed' ? `holds a different ${key.type} key for ${name}` : 'marks it @revoked'}. ` +
        'Someone may be intercepting the connection (man-in-the-middle), or the host was reinstalled.',
      {
        code: verdict.status === 'changed' ? 'SSH_HOST_KEY_CHANGED' : 'SSH_HOST_KEY_REVOKED',
        action:
          `Verify the fingerprint ${fingerprint(key.blob)} on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). ` +
          `Only if it is legitimate, remove the old entry with: ssh-keygen -R '${name}' -f '${knownHosts}'`,
        retriable: false,
      },
    );
  }
  return new InfrastructureError(`The SSH host key of ${host} port ${port} is not in ${knownHosts} (the host presented ${presented}).`, {
    code: 'SSH_HOST_KEY_UNKNOWN',
    action:
      `Verify the fingerprint on the host, then add the key to ${knownHosts} (e.g. ssh-keyscan -p ${port} ${host}), ` +
      'or set executor.hostKeyPolicy: accept-new to trust a host on first connection.',
    retriable: false,
  });
}

function connectError(error: Error, target: SshTarget): InfrastructureError {
  const { host, port, user } = target;
  const where = `${user}@${host}:${port}`;
  const level = (error as { level?: string }).level;
  const code = (error as NodeJS.ErrnoException).code;
  const fail = (errorCode: string, message: string, action: string, retriable: boolean) =>
    new InfrastructureError(message, { code: errorCode, action, retriable, cause: error });
  if (level === 'client-authentication') {
    return fail(
      'SSH_AUTH_FAILED',
      `SSH authentication as ${user} on ${host}:${port} failed (public key rejected).`,
      `Check ssh.user and that the public key of ${target.identityFile ?? 'your key'} is in ~${user}/.ssh/authorized_keys on ${host}.`,
      false,
    );
  }
  if (level === 'client-timeout' || code === 'ETIMEDOUT') {
    return fail(
      'SSH_CONNECT_TIMEOUT',
      `SSH connection to ${where} timed out after ${target.connectTimeoutMs} ms.`,
      `Check that ${host} is up and port ${port} is reachable (firewall), or raise executor.connectTimeoutSeconds.`,
      true,
    );
  }
  if (code === 'ECONNREFUSED') {
    return fail(
      'SSH_CONNECT_REFUSED',
      `SSH connection to ${where} was refused.`,
      `Check that sshd runs on ${host} and listens on port ${port} (ssh.port).`,
      true,
    );
  }
  if (code === 'ENOTFOUND') {
    return fail(
      'SSH_HOST_UNRESOLVED',
      `The host name ${host} does not resolve.`,
      'Fix the broker host name in the inventory or DNS.',
      false,
    );
  }
  if (level === 'handshake' || level === 'protocol') {
    return fail(
      'SSH_HANDSHAKE_FAILED',
      `SSH handshake with ${where} failed: ${error.message}`,
      `Check the sshd configuration of ${host} (algorithms, host keys).`,
      false,
    );
  }
  return fail(
    'SSH_CONNECT_FAILED',
    `SSH connection to ${where} failed: ${error.message}`,
    `Check that ${host} is up and reachable, then retry.`,
    true,
  );
}

/** A connected runner for `broker`'s host. */
export async function connectSsh(broker: BrokerSpec, executor: SshExecutorSettings): Promise<SshRunner> {
  const runner = new SshRunner({
    host: broker.host,
    port: broker.ssh.port,
    user: broker.ssh.user,
    ...(broker.ssh.identityFile === undefined ? {} : { identityFile: broker.ssh.identityFile }),
    agent: broker.ssh.agent,
    knownHosts: executor.knownHosts,
    hostKeyPolicy: executor.hostKeyPolicy,
    connectTimeoutMs: executor.connectTimeoutSeconds * 1000,
  });
  await runner.connect();
  return runner;
}
