/**
 * A state dir that stops taking journal writes while a broker is down (the disk filled up, the
 * dir vanished) must not leave the broker down: it is started and caught up, then the run halts
 * with an error naming the journal (issue 14). Real file systems: a small tmpfs filled to the
 * last byte (when this runs as root and may mount), and a state dir replaced by a file.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/engine/roll.js';
import { HaltError, InfrastructureError, KafkaOpsError } from '../../src/errors.js';
import type { BrokerHost, HostFacts } from '../../src/hosts/port.js';
import { FileJournal } from '../../src/store/journal.js';
import { brokerProcess, oneBrokerDeps, oneBrokerPlan } from '../helpers/engine-doubles.js';

/** A 64 KiB tmpfs, or undefined where this process may not mount one. */
function smallTmpfs(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
const tmpfs = process.platform === 'linux' && process.getuid?.() === 0 ? smallTmpfs() : undefined;
afterAll(() => {
  if (!tmpfs) return;
  execFileSync('umount', [tmpfs]);
  rmSync(tmpfs, { recursive: true, force: true });
});

/** Fills the file system of `journal` to its last byte, the journal's own last page included. */
function fill(journal: FileJournal): void {
  // tmpfs gives a file whole pages: pad the journal to a page end with blank lines (read back as nothing).
  const size = statSync(journal.file).size;
  appendFileSync(journal.file, '\n'.repeat((4096 - (size % 4096)) % 4096));
  try {
    for (let i = 0; ; i++) writeFileSync(join(journal.dir, '..', `filler-${i}`), Buffer.alloc(4096));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
}

function brokerHost(calls: string[], onStop: () => void): BrokerHost {
  let config = 'broker.id=1\nzookeeper.connect=zk:2181\nlog.dirs=/data\n';
  const broker = brokerProcess(calls, onStop);
  return {
    brokerId: 1,
    facts: async (): Promise<HostFacts> => ({ ...broker.process(), installs: {}, configModifiedAtMs: 2 }),
    readConfig: async () => config,
    writeConfig: async (text) => {
      config = text;
      return 'backup';
    },
    activateRelease: async () => {},
    ...broker.methods,
  };
}

const plan = oneBrokerPlan('roll', { from: '0.10.2', to: '0.10.2' }, 'roll-config', {
  changes: { 'num.io.threads': { from: null, to: '9' } },
});

async function rollBreaking(stateDir: string, breakIt: (journal: FileJournal) => void): Promise<{ calls: string[]; error: unknown }> {
  const calls: string[] = [];
  const journal = new FileJournal(stateDir, 'test');
  const error = await applyPlan(
    plan,
    oneBrokerDeps(
      brokerHost(calls, () => breakIt(journal)),
      journal,
    ),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { calls, error };
}

describe('a journal that cannot be written while a broker is down', () => {
  it.skipIf(!tmpfs)('a full disk: the broker is started again, then the run halts naming ENOSPC', async () => {
    const { calls, error } = await rollBreaking(join(tmpfs as string, 'state'), fill);
    expect(calls).toEqual(['stop', 'start']);
    expect(error).toBeInstanceOf(HaltError);
    const halt = error as HaltError;
    expect(halt.code).toBe('JOURNAL_WRITE_FAILED');
    expect(halt.exitCode).toBe(4);
    expect(halt.brokerId).toBe(1);
    expect(halt.message).toMatch(/ENOSPC.*Broker 1 was down then: it was started and is caught up/);
    expect(halt.action).toMatch(/state dir/);
  });

  it('a state dir replaced by a file: the same, naming ENOTDIR', async () => {
    const { calls, error } = await rollBreaking(mkdtempSync(join(tmpdir(), 'kafka-ops-journal-')), (journal) => {
      rmSync(journal.dir, { recursive: true });
      writeFileSync(journal.dir, '');
    });
    expect(calls).toEqual(['stop', 'start']);
    expect((error as KafkaOpsError).code).toBe('JOURNAL_WRITE_FAILED');
    expect((error as KafkaOpsError).message).toMatch(/ENOTDIR.*it was started/);
  });

  it('a state dir that is a file is a clean infrastructure error (exit 3), not a crash', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'kafka-ops-journal-'));
    writeFileSync(join(stateDir, 'test'), ''); // the cluster's dir is a file
    expect(() => new FileJournal(stateDir, 'test')).toThrow(InfrastructureError);
    expect(() => new FileJournal(stateDir, 'test')).toThrow(/The state dir .*test cannot be written \(EEXIST\)/);
  });
});
