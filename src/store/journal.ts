/**
 * The durable record of a run, one directory per cluster under the state dir:
 *   plan.yaml      the plan being applied (resume applies it again)
 *   journal.jsonl  one line per sub-step transition, fsynced as it is written
 *   lock           who holds the cluster here (host, boot, pid, user, command, since), so two runs never overlap
 * Resume does not trust the journal for what is done (the hosts say that); the journal
 * says where a run stopped and why, and which gates were confirmed.
 */
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { describeHolder, livenessOf, parseHolder, thisProcess, type LockHolder } from './lock-holder.js';
import { InfrastructureError, UserError } from '../errors.js';
import { redactSecrets } from '../config/secret-keys.js';
import type { Plan } from '../plan/model.js';
import { writePlanFile } from './plan-file.js';
import { assertNotLink, openForAppend } from './safe-write.js';
import type { EngineClock, Journal, JournalEntry } from '../engine/ports.js';

/**
 * The default state dir: absolute and the same from any working directory, in the user's state
 * directory (XDG: `$XDG_STATE_HOME`, else ~/.local/state); each cluster gets its own folder in it.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'kafka-ops');
}

/** Whether the journal's last run stopped after touching something and was neither finished nor aborted. */
const BETWEEN_PHASES = new Set(['preflight.ok', 'phase.done', 'gate.asked', 'gate.confirmed']);

export function unfinishedRun(entries: readonly JournalEntry[], planDigest?: string): JournalEntry | undefined {
  const start = entries.map((e) => e.event).lastIndexOf('run.start');
  if (start < 0) return undefined;
  // The same plan again replaces nothing: every step is re-checked on its host, as a resume would
  // (the documented way on after the client gate: the same upgrade with --clients-upgraded).
  if (planDigest !== undefined && entries[start]?.detail?.plan === planDigest) return undefined;
  const run = entries.slice(start);
  if (run.some((e) => e.event === 'run.done' || e.event === 'run.aborted')) return undefined;
  if (!run.some((e) => e.event === 'preflight.ok')) return undefined; // halted before any restart: nothing to finish
  const last = run.filter((e) => e.event !== 'run.stopped').at(-1);
  // Stopped between phases at a question (the client gate, the first restart): no broker is mid-step,
  // and a new plan is built from what the hosts run now, so it replaces nothing half done.
  if (last && (BETWEEN_PHASES.has(last.event) || (last.event === 'halt' && last.detail?.reason === 'declined'))) return undefined;
  return last;
}

/** The journal and cluster lock on disk, timed by the run's clock (the engine's injected one). */
export class FileJournal implements Journal {
  readonly dir: string;
  constructor(
    stateDir: string,
    cluster: string,
    private readonly clock: Pick<EngineClock, 'now'> = { now: () => Date.now() },
  ) {
    this.dir = join(resolve(stateDir), cluster);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw this.unwritable('The state dir', this.dir, error);
    }
    // The cluster's folder is kafka-ops' own: not a link to somewhere else, and readable by its owner only.
    const stat = lstatSync(this.dir);
    if (stat.isSymbolicLink())
      throw new UserError(
        `The state dir ${this.dir} is a symbolic link; kafka-ops keeps a cluster's plan, journal and lock only in a directory it owns.`,
        {
          code: 'STATE_FILE_LINK',
          action: `Remove the link ${this.dir} (look at where it points first), or pass another --state-dir. Nothing was written.`,
        },
      );
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(this.dir, 0o700);
  }

  /** Writes the plan being applied (sealed, 0600, never through a link); a state dir that cannot take it is STATE_DIR_UNWRITABLE. */
  writePlan(plan: Plan): void {
    try {
      writePlanFile(plan, this.planFile);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw this.unwritable('The plan', this.planFile, error);
    }
  }

  private unwritable(what: string, path: string, error: unknown): InfrastructureError {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    return new InfrastructureError(`${what} ${path} cannot be written (${reason}).`, {
      code: 'STATE_DIR_UNWRITABLE',
      action: `Make the state dir ${this.dir} a writable directory with free space (--state-dir or KAFKA_OPS_STATE_DIR picks another), then run again or \`kafka-ops resume\`.`,
      retriable: false,
      cause: error,
    });
  }

  get planFile(): string {
    return join(this.dir, 'plan.yaml');
  }
  get file(): string {
    return join(this.dir, 'journal.jsonl');
  }
  private get lockFile(): string {
    return join(this.dir, 'lock');
  }

  /** Appends one entry, fsynced; a state dir that cannot take it (full, read-only, not a dir) is an InfrastructureError naming it. */
  append(entry: Omit<JournalEntry, 'at'>, now: Date = new Date(this.clock.now())): void {
    try {
      const lead = existsSync(this.file) && /[^\n]$/.test(readFileSync(this.file, 'utf8')) ? '\n' : ''; // end a line torn by a crash
      const fd = openForAppend(this.file);
      try {
        // A secret's value never reaches the journal (a change's from/to, any detail under a secret key).
        writeSync(fd, `${lead}${JSON.stringify(redactSecrets({ at: now.toISOString(), ...entry }))}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') assertNotLink(this.file);
      throw this.unwritable('The journal', this.file, error);
    }
  }

  entries(): JournalEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as JournalEntry];
        } catch {
          return []; // a line torn by a crash mid-write
        }
      });
  }

  /**
   * Take the local lock; a lock whose holder is provably gone (see lock-holder.ts) is taken
   * over, one on another host or container never. The lock file is created whole (written
   * first, then hard-linked into place, which fails if it exists), and a stale one is removed
   * only under a second, short-lived mutex after re-reading it, so two runs that find the same
   * stale lock cannot both win.
   */
  lock(): void {
    const deadline = this.clock.now() + LOCK_CONTENTION_MS;
    for (;;) {
      if (this.tryCreateLock()) return;
      const text = this.lockText();
      const holder = text === undefined ? undefined : parseHolder(text);
      if (holder !== undefined && livenessOf(holder) !== 'gone') throw this.lockedBy(holder);
      this.removeStaleLock(text);
      if (this.clock.now() > deadline) throw this.lockedBy(holder);
    }
  }

  /** The holder of the local lock, if any, and whether it is provably gone. */
  lockHolder(): LockHolder | undefined {
    const text = this.lockText();
    return text === undefined ? undefined : parseHolder(text);
  }

  get lockPath(): string {
    return this.lockFile;
  }

  private tryCreateLock(): boolean {
    const draft = `${this.lockFile}.${process.pid}`;
    try {
      rmSync(draft, { force: true }); // one left by a crashed run of this pid, or a link planted there
      const fd = openSync(draft, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        writeSync(fd, `${JSON.stringify(thisProcess())}\n`);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      throw this.unwritable('The lock', draft, error);
    }
    try {
      linkSync(draft, this.lockFile);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return false;
    } finally {
      rmSync(draft, { force: true });
    }
  }

  /** Removes the lock if it still reads `seen` (a gone or unreadable holder), under the break mutex. */
  private removeStaleLock(seen: string | undefined): void {
    const mutex = `${this.lockFile}.break`;
    try {
      closeSync(openSync(mutex, 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Held for microseconds by a live run; one left by a run that died there is old
      // (by the file system's clock, which is the real one, whatever clock the run is on).
      try {
        if (Date.now() - statSync(mutex).mtimeMs > STALE_MUTEX_MS) rmSync(mutex, { force: true });
      } catch {
        // gone meanwhile
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      return;
    }
    try {
      const now = this.lockText();
      const holder = now === undefined ? undefined : parseHolder(now);
      if (now === seen && (holder === undefined || livenessOf(holder) === 'gone')) rmSync(this.lockFile, { force: true });
    } finally {
      rmSync(mutex, { force: true });
    }
  }

  private lockText(): string | undefined {
    try {
      return readFileSync(this.lockFile, 'utf8');
    } catch {
      return undefined;
    }
  }

  private lockedBy(holder: LockHolder | undefined): UserError {
    return new UserError(`Another kafka-ops run${holder ? ` (${describeHolder(holder)})` : ''} is working on this cluster.`, {
      code: 'CLUSTER_LOCKED',
      action: `Wait for it to finish, or stop it (Ctrl-C) and use \`kafka-ops resume\`. \`kafka-ops status\` shows who holds it. A lock whose holder cannot be checked from here (another host or container) is never taken over by itself: once that run is gone, \`kafka-ops unlock --force\`. Lock: ${this.lockFile}`,
    });
  }

  /** Removes the local lock if this process holds it (or `force`). */
  unlock(force = false): void {
    const holder = this.lockHolder();
    if (force || holder === undefined || (holder.pid === process.pid && holder.host === thisProcess().host))
      rmSync(this.lockFile, { force: true });
  }
}

/** How long lock() keeps trying while other runs break the same stale lock. */
const LOCK_CONTENTION_MS = 5_000;
const STALE_MUTEX_MS = 10_000;
