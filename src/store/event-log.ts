/**
 * `--log-file PATH`: every event of a run as one JSON object a line (JSONL), each with its time:
 * the run's start and end (or the error it stopped on), every engine event, every journal entry
 * (with its details), every question and its answer, every notice. Appended (a resume adds to the same file), created 0600, never
 * through a symlink. Secrets never reach it: values under a secret key are redacted
 * (config/secret-keys.ts) and every value a secret reference (`@env:NAME`, `@file:PATH`)
 * resolved to is replaced wherever it appears, in any string.
 */
import { closeSync, writeSync } from 'node:fs';
import { REDACTED, redactSecrets } from '../config/secret-keys.js';
import { UserError } from '../errors.js';
import type { Journal } from '../engine/ports.js';
import type { EngineIOSession } from '../io-host.js';
import { openForAppend, assertNotLink } from './safe-write.js';

export class EventLog {
  private fd: number | undefined;
  /** Longest first, so a secret that contains another is replaced whole. */
  private readonly secrets: string[];

  private constructor(
    readonly file: string,
    fd: number,
    secrets: readonly string[],
    private readonly now: () => Date,
  ) {
    this.fd = fd;
    this.secrets = [...new Set(secrets.filter((s) => s !== ''))].sort((a, b) => b.length - a.length);
  }

  /** Opens `file` to append; a path that cannot be written is bad input (exit 2), said before anything is touched. */
  static open(file: string, secrets: readonly string[] = [], now: () => Date = () => new Date()): EventLog {
    try {
      assertNotLink(file);
      return new EventLog(file, openForAppend(file), secrets, now);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`Cannot write the log file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, {
        code: 'LOG_FILE_UNWRITABLE',
        action: 'Pass a --log-file path in a directory that exists and is writable by this user. Nothing was touched.',
        location: { file },
      });
    }
  }

  /** One line: `{"at": ISO time, "type": type, ...fields}`, redacted. A line that cannot be written is dropped: the run matters more. */
  write(type: string, fields: Record<string, unknown> = {}): void {
    if (this.fd === undefined) return;
    const line = this.scrub(JSON.stringify(redactSecrets({ at: this.now().toISOString(), type, ...fields })));
    try {
      writeSync(this.fd, `${line}\n`);
    } catch {
      // A full disk must not stop a rolling restart half-way; the journal is the run's record.
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /** Every secret value, as it sits in the JSON text (escaped), replaced by REDACTED. */
  private scrub(json: string): string {
    let text = json;
    for (const secret of this.secrets) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      text = text.split(escaped).join(REDACTED);
    }
    return text;
  }
}

/** The run's journal, with every entry (its details: the changes of a step, a gate's answer) also written to `log`. */
export function loggedJournal(journal: Journal, log: EventLog): Journal {
  return {
    append(entry) {
      journal.append(entry);
      log.write('journal', { ...entry });
    },
    entries: () => journal.entries(),
  };
}

/** The engine's IO of a run, with every event, question, answer and notice also written to `log`. */
export function loggedIO(io: EngineIOSession, log: EventLog): EngineIOSession {
  return {
    event(event) {
      log.write('event', { ...event });
      io.event(event);
    },
    async confirm(question, defaultAnswer) {
      log.write('question', { question, default: defaultAnswer });
      const answer = await io.confirm(question, defaultAnswer);
      log.write('answer', { question, answer });
      return answer;
    },
    notice(message) {
      log.write('notice', { message });
      io.notice(message);
    },
    close: (error) => io.close(error),
  };
}
