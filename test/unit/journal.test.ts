/**
 * The run journal and the cluster lock, on a real file system: one JSON line per entry,
 * read back in order; a line torn by a crash mid-write is skipped and does not swallow
 * the next entry; the lock keeps a second run off the cluster while its holder lives and
 * is taken over once the holder is gone.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FileJournal, unfinishedRun } from '../../src/store/journal.js';
import { currentBootId } from '../../src/store/lock-holder.js';
import { ExitCode } from '../../src/errors.js';
import { useScratchDir, userErrorOf } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('journal');
let clusters = 0;
/** A journal for a cluster of its own, so tests do not share files. */
const freshJournal = (): FileJournal => new FileJournal(scratch.dir, `cluster-${++clusters}`);
const lockFileOf = (journal: FileJournal): string => join(journal.dir, 'lock');

describe('Journal entries', () => {
  it('starts empty', () => {
    expect(freshJournal().entries()).toEqual([]);
  });

  it('writes one JSON line per entry and reads them back in order', () => {
    const journal = freshJournal();
    const t0 = new Date('2024-05-01T10:00:00.000Z');
    journal.append({ event: 'run.start' }, t0);
    journal.append({ event: 'step.start', phase: 'pin-versions', broker: 2 }, new Date(t0.getTime() + 1000));
    journal.append(
      { event: 'step.done', phase: 'pin-versions', broker: 2, detail: { shutdown: 'controlled' } },
      new Date(t0.getTime() + 2000),
    );

    const lines = readFileSync(journal.file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['run.start', 'step.start', 'step.done']);
    expect(journal.entries()).toEqual([
      { at: '2024-05-01T10:00:00.000Z', event: 'run.start' },
      { at: '2024-05-01T10:00:01.000Z', event: 'step.start', phase: 'pin-versions', broker: 2 },
      { at: '2024-05-01T10:00:02.000Z', event: 'step.done', phase: 'pin-versions', broker: 2, detail: { shutdown: 'controlled' } },
    ]);
  });

  it('keeps entries across instances (resume reads what the stopped run wrote)', () => {
    const journal = freshJournal();
    journal.append({ event: 'run.start' });
    const again = new FileJournal(scratch.dir, journal.dir.split('/').at(-1) as string);
    again.append({ event: 'run.resume' });
    expect(again.entries().map((e) => e.event)).toEqual(['run.start', 'run.resume']);
  });

  it('skips a torn last line instead of failing', () => {
    const journal = freshJournal();
    journal.append({ event: 'run.start' });
    appendFileSync(journal.file, '{"at":"2024-05-01T10:00:0'); // crash mid-write: no newline
    expect(journal.entries().map((e) => e.event)).toEqual(['run.start']);
  });

  it('keeps an entry appended after a torn line (the resumed run’s first entry is not lost)', () => {
    const journal = freshJournal();
    journal.append({ event: 'run.start' });
    appendFileSync(journal.file, '{"at":"2024-05-01T10:00:0');
    journal.append({ event: 'run.resume' });
    expect(journal.entries().map((e) => e.event)).toEqual(['run.start', 'run.resume']);
  });
});

const lockPidOf = (journal: FileJournal): number => (JSON.parse(readFileSync(lockFileOf(journal), 'utf8')) as { pid: number }).pid;

describe('Journal lock', () => {
  it('keeps a second lock from this (live) process out with CLUSTER_LOCKED, exit code 2', () => {
    const journal = freshJournal();
    journal.lock();
    try {
      expect(lockPidOf(journal)).toBe(process.pid);
      for (const attempt of [journal, new FileJournal(scratch.dir, journal.dir.split('/').at(-1) as string)]) {
        const error = userErrorOf(() => attempt.lock());
        expect(error.code).toBe('CLUSTER_LOCKED');
        expect(error.exitCode).toBe(ExitCode.badInput);
        expect(error.exitCode).toBe(2);
        expect(error.message).toContain(String(process.pid));
      }
      // The refused attempt did not take or break the lock.
      expect(lockPidOf(journal)).toBe(process.pid);
    } finally {
      journal.unlock();
    }
  });

  it('takes over a lock whose process is gone', async () => {
    const child = spawn('true');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const deadPid = child.pid as number;
    const journal = freshJournal();
    writeFileSync(lockFileOf(journal), String(deadPid));
    journal.lock();
    expect(lockPidOf(journal)).toBe(process.pid);
    journal.unlock();
  });

  it.each(['', 'not-a-pid', '0', '-5'])('takes over a lock file without a usable pid (%j)', (content) => {
    const journal = freshJournal();
    writeFileSync(lockFileOf(journal), content);
    journal.lock();
    expect(lockPidOf(journal)).toBe(process.pid);
    journal.unlock();
  });

  it('lets exactly one of several runs that race for the same stale lock win', { timeout: 60_000 }, async () => {
    // Real processes (the built module), all released at the same instant, each holding on
    // for a while so a winner's lock never goes stale during the race.
    const moduleUrl = new URL('../../dist/store/journal.js', import.meta.url).href;
    for (let round = 0; round < 3; round++) {
      const child = spawn('true');
      await once(child, 'exit');
      const journal = freshJournal();
      writeFileSync(lockFileOf(journal), String(child.pid));
      const goAt = Date.now() + 1_500;
      const script = `
        const { FileJournal } = await import(${JSON.stringify(moduleUrl)});
        const j = new FileJournal(${JSON.stringify(scratch.dir)}, ${JSON.stringify(`cluster-${clusters}`)});
        while (Date.now() < ${goAt}) {}
        let won = false;
        try { j.lock(); won = true; } catch (e) { if (e.code !== 'CLUSTER_LOCKED') throw e; }
        process.stdout.write(won ? 'won' : 'lost');
        await new Promise((r) => setTimeout(r, 6000));`; // a winner holds until every racer has tried, even on a loaded machine
      const racers = Array.from({ length: 6 }, () =>
        spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }),
      );
      const results = await Promise.all(
        racers.map(async (racer) => {
          let out = '';
          racer.stdout.on('data', (d: Buffer) => (out += d.toString()));
          await once(racer, 'exit');
          return out;
        }),
      );
      expect(
        results.filter((r) => r === 'won'),
        `round ${round}: ${results.join(',')}`,
      ).toHaveLength(1);
      expect(results.filter((r) => r === 'lost')).toHaveLength(5);
    }
  });

  it('records host, boot id, user, command and start time, and redacts secrets in the command', () => {
    const journal = freshJournal();
    const argv = process.argv;
    process.argv = [...argv.slice(0, 2), 'roll', '--set', 'ssl.key.password=hunter2'];
    try {
      journal.lock();
    } finally {
      process.argv = argv;
    }
    const holder = JSON.parse(readFileSync(lockFileOf(journal), 'utf8')) as Record<string, unknown>;
    expect(holder).toMatchObject({ host: hostname(), bootId: currentBootId(), pid: process.pid });
    expect(holder.command).toBe('kafka-ops roll --set ssl.key.password=***');
    expect(Date.parse(String(holder.since))).toBeGreaterThan(Date.now() - 60_000);
    journal.unlock();
  });

  it('never takes over a lock written on another host or container, whatever its pid (a pid means nothing there)', async () => {
    const child = spawn('true');
    await once(child, 'exit');
    const journal = freshJournal();
    const other = {
      host: 'runner-in-a-container',
      bootId: currentBootId(),
      pid: child.pid,
      user: 'ci',
      command: 'kafka-ops roll',
      since: '2026-12-02T10:00:00.000Z',
    };
    writeFileSync(lockFileOf(journal), JSON.stringify(other));
    const error = userErrorOf(() => journal.lock());
    expect(error.code).toBe('CLUSTER_LOCKED');
    expect(error.message).toContain('runner-in-a-container');
    expect(error.message).toContain('since 2026-12-02T10:00:00.000Z');
    expect(JSON.parse(readFileSync(lockFileOf(journal), 'utf8'))).toEqual(other);
  });

  it('takes over a lock of this host written before a reboot (another boot id), even if its pid is alive now', () => {
    const journal = freshJournal();
    const before = {
      host: hostname(),
      bootId: 'an-earlier-boot',
      pid: process.ppid,
      user: 'me',
      command: 'kafka-ops roll',
      since: '2026-12-01T10:00:00.000Z',
    };
    writeFileSync(lockFileOf(journal), JSON.stringify(before));
    journal.lock();
    expect(lockPidOf(journal)).toBe(process.pid);
    journal.unlock();
  });

  it('unlock() removes the lock, so the next lock() succeeds', () => {
    const journal = freshJournal();
    journal.lock();
    journal.unlock();
    expect(existsSync(lockFileOf(journal))).toBe(false);
    journal.lock();
    expect(existsSync(lockFileOf(journal))).toBe(true);
    journal.unlock();
    journal.unlock(); // unlocking twice is harmless
    expect(existsSync(lockFileOf(journal))).toBe(false);
  });
});

describe('which earlier run blocks a new one', () => {
  const at = '2026-12-02T18:00:00.000Z';
  const started = [
    { at, event: 'run.start', detail: { plan: 'digest-a' } },
    { at, event: 'preflight.ok' },
    { at, event: 'phase.start', phase: 'bump-ibp' },
  ];
  const stopped = { at, event: 'run.stopped', detail: { kind: 'halted' } };

  it('a run halted with a broker mid-step blocks a different plan, not the same plan again', () => {
    const run = [...started, { at, event: 'halt', phase: 'bump-ibp', broker: 2, detail: { reason: 'start-timeout' } }, stopped];
    expect(unfinishedRun(run, 'digest-b')).toMatchObject({ event: 'halt', broker: 2 });
    expect(unfinishedRun(run, 'digest-a')).toBeUndefined();
  });

  it('a run stopped between phases at a question (the client gate) blocks nothing', () => {
    const run = [
      ...started,
      { at, event: 'phase.done', phase: 'bump-ibp' },
      { at, event: 'halt', phase: 'upgrade-clients', detail: { reason: 'declined' } },
      stopped,
    ];
    expect(unfinishedRun(run, 'digest-b')).toBeUndefined();
  });

  it('a finished run, or one halted before its preflight passed, blocks nothing', () => {
    expect(unfinishedRun([...started, { at, event: 'run.done' }], 'digest-b')).toBeUndefined();
    expect(unfinishedRun([started[0]!, { at, event: 'halt', detail: { reason: 'preflight' } }], 'digest-b')).toBeUndefined();
  });
});
