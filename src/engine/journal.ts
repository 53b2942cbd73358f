/**
 * The durable record of a run, one directory per cluster under the state dir:
 *   plan.yaml      the plan being applied (resume applies it again)
 *   journal.jsonl  one line per sub-step transition, fsynced as it is written
 *   lock           the pid holding the cluster, so two runs never overlap
 * Resume does not trust the journal for what is done (the hosts say that); the journal
 * says where a run stopped and why, and which gates were confirmed.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';

export interface JournalEntry {
  at: string;
  event: string;
  phase?: string;
  broker?: number;
  detail?: Record<string, unknown>;
}

export class Journal {
  readonly dir: string;
  constructor(stateDir: string, cluster: string) {
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

  append(entry: Omit<JournalEntry, 'at'>, now: Date = new Date()): void {
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

  /** Take the cluster lock; a lock whose process is gone is taken over. */
  lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockFile, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(this.lockFile, 'utf8').trim());
        if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
          throw new UserError(`Another kafka-ops run (pid ${holder}) is working on this cluster.`, {
            code: 'CLUSTER_LOCKED',
            action: `Wait for it to finish, or stop it (Ctrl-C) and use \`kafka-ops resume\`. Lock: ${this.lockFile}`,
          });
        }
        rmSync(this.lockFile, { force: true });
      }
    }
  }

  unlock(): void {
    rmSync(this.lockFile, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // EPERM: alive, another user's
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
