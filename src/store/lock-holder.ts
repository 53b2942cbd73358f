/**
 * Who holds a cluster lock, and whether that holder is provably gone. A lock records the
 * holder's host, boot, pid, user, command and start time: a pid alone means nothing in another
 * pid namespace (a container sharing the state volume) or after a reboot, so a lock is judged
 * stale only on the host and boot that wrote it, by `kill(pid, 0)` (no /proc needed: macOS).
 */
import { readFileSync } from 'node:fs';
import { hostname, uptime, userInfo } from 'node:os';

export interface LockHolder {
  host: string;
  /** Linux's boot id, else the boot time to the minute (`boot@<epoch minutes>`). */
  bootId: string;
  pid: number;
  user: string;
  command: string;
  /** ISO time the lock was taken. */
  since: string;
}

export function currentBootId(): string {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    if (id) return id;
  } catch {
    // not Linux: the boot time stands in for it
  }
  return `boot@${Math.round((Date.now() / 1000 - uptime()) / 60)}`;
}

/** This process as a lock holder. */
export function thisProcess(now: Date = new Date()): LockHolder {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): the environment's name stands
  }
  return {
    host: hostname(),
    bootId: currentBootId(),
    pid: process.pid,
    user,
    command: ['kafka-ops', ...process.argv.slice(2).map(redactArg)].join(' '),
    since: now.toISOString(),
  };
}

/** `--set ssl.key.password=x` is stored and shown as `ssl.key.password=***`. */
function redactArg(arg: string): string {
  return arg.replace(/^((?:--set=)?[^=]*(?:password|secret|jaas|token|credential)[^=]*)=.*$/i, '$1=***');
}

/** A lock file's text → holder; a bare pid (older kafka-ops, test slots) is a holder on this host and boot. */
export function parseHolder(text: string): LockHolder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return pid > 0 ? { ...thisProcess(), pid, command: '', user: '', since: '' } : undefined;
  }
  try {
    const data = JSON.parse(trimmed) as Partial<LockHolder>;
    if (typeof data.pid !== 'number' || !Number.isInteger(data.pid) || data.pid <= 0 || typeof data.host !== 'string') return undefined;
    return {
      host: data.host,
      bootId: String(data.bootId ?? ''),
      pid: data.pid,
      user: String(data.user ?? ''),
      command: String(data.command ?? ''),
      since: String(data.since ?? ''),
    };
  } catch {
    return undefined;
  }
}

export type Liveness = 'alive' | 'gone' | 'unknown';

/**
 * `gone` only when provable: same host and boot and no such process (or a zombie), or same
 * host and another boot (rebooted since). A holder on another host (or container) is `unknown`:
 * never taken over: the operator removes it by hand.
 */
export function livenessOf(
  holder: LockHolder,
  self: Pick<LockHolder, 'host' | 'bootId'> = thisProcess(),
  statusOf: ProcStatus = procStatus,
): Liveness {
  if (holder.host !== self.host) return 'unknown';
  if (holder.bootId && holder.bootId !== self.bootId) return 'gone';
  return pidAlive(holder.pid, statusOf) ? 'alive' : 'gone';
}

/** A process's /proc status text; undefined where there is none (macOS, BSD: no /proc at all). */
export type ProcStatus = (pid: number) => string | undefined;

function procStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** `kill(pid, 0)` says whether it exists, on every platform; /proc, where there is one, only tells a zombie apart. */
export function pidAlive(pid: number, statusOf: ProcStatus = procStatus): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie still answers kill(0); where /proc exists, it says so.
  const status = statusOf(pid);
  return status === undefined || !/^State:\s+Z/m.test(status);
}

/** "pid 123 of alice on host-a (kafka-ops roll ...), since 2026-12-02T19:00:00Z" */
export function describeHolder(holder: LockHolder): string {
  const who = `pid ${holder.pid}${holder.user ? ` of ${holder.user}` : ''} on ${holder.host}`;
  return `${who}${holder.command ? ` (${holder.command})` : ''}${holder.since ? `, since ${holder.since}` : ''}`;
}
