/**
 * The durable record of a run, one directory per cluster under the state dir:
 *   plan.yaml      the plan being applied (resume applies it again)
 *   journal.jsonl  one line per sub-step transition, fsynced as it is written
 *   lock           the pid holding the cluster, so two runs never overlap
 * Resume does not trust the journal for what is done (the hosts say that); the journal
 * says where a run stopped and why, and which gates were confirmed.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../hosts/local-process.js';
import { UserError } from '../errors.js';
import type { EngineClock, Journal, JournalEntry } from '../engine/ports.js';

/** The journal and cluster lock on disk, timed by the run's clock (the engine's injected one). */
export class FileJournal implements Journal {
  readonly dir: string;
  constructor(
    stateDir: string,
    cluster: string,
    private readonly clock: Pick<EngineClock, 'now'> = { now: () => Date.now() },
  ) {
    this.dir = join(stateDir, cluster);
    mkdirSync(this.dir, { recursive: true });
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

  append(entry: Omit<JournalEntry, 'at'>, now: Date = new Date(this.clock.now())): void {
    const lead = existsSync(this.file) && /[^\n]$/.test(readFileSync(this.file, 'utf8')) ? '\n' : ''; // end a line torn by a crash
    const fd = openSync(this.file, 'a');
    try {
      writeSync(fd, `${lead}${JSON.stringify({ at: now.toISOString(), ...entry })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
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
   * Take the cluster lock; a lock whose process is gone is taken over. The lock file is
   * created whole (its pid written first, then hard-linked into place, which fails if it
   * exists), and a stale one is removed only under a second, short-lived mutex after
   * re-reading it, so two runs that find the same stale lock cannot both win.
   */
  lock(): void {
    const deadline = this.clock.now() + LOCK_CONTENTION_MS;
    for (;;) {
      if (this.tryCreateLock()) return;
      const holder = this.holder();
      if (holder !== undefined && isAlive(holder)) throw this.lockedBy(holder);
      this.removeStaleLock(holder);
      if (this.clock.now() > deadline) throw this.lockedBy(holder ?? 0);
    }
  }

  private tryCreateLock(): boolean {
    const draft = `${this.lockFile}.${process.pid}`;
    writeFileSync(draft, String(process.pid));
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

  /** Removes the lock if it still names `seen` (a dead or unreadable holder), under the break mutex. */
  private removeStaleLock(seen: number | undefined): void {
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
      const now = this.holder();
      if (now === seen && (now === undefined || !isAlive(now))) rmSync(this.lockFile, { force: true });
    } finally {
      rmSync(mutex, { force: true });
    }
  }

  private holder(): number | undefined {
    try {
      return pidIn(readFileSync(this.lockFile, 'utf8'));
    } catch {
      return undefined;
    }
  }

  private lockedBy(holder: number): UserError {
    return new UserError(`Another kafka-ops run${holder > 0 ? ` (pid ${holder})` : ''} is working on this cluster.`, {
      code: 'CLUSTER_LOCKED',
      action: `Wait for it to finish, or stop it (Ctrl-C) and use \`kafka-ops resume\`. Lock: ${this.lockFile}`,
    });
  }

  unlock(): void {
    rmSync(this.lockFile, { force: true });
  }
}

/** How long lock() keeps trying while other runs break the same stale lock. */
const LOCK_CONTENTION_MS = 5_000;
const STALE_MUTEX_MS = 10_000;

function pidIn(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
