/**
 * `--log-file`: a run's events and journal entries as JSON lines with timestamps (src/store/event-log.ts), written by
 * a real run of the engine over an in-memory cluster. A secret value given by reference
 * (`--set key=@env:NAME`) reaches the brokers and never the log file, wherever it would appear.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveReference } from '../../src/config/secrets.js';
import { REDACTED } from '../../src/config/secret-keys.js';
import { buildRollPlan } from '../../src/plan/roll.js';
import { runPlan } from '../../src/services/run-service.js';
import { EventLog } from '../../src/store/event-log.js';
import { memoryCluster, memoryConnections } from '../helpers/memory-engine.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-event-log-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.KO_TEST_LOG_PASSWORD;
});

const OLD = 'old-Tr0ub4dor-secret';
const NEW = 'new-"Battery"Staple-7';
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>);

function rollOfSecret() {
  const memory = memoryCluster({
    ids: [1, 2],
    controller: 2,
    partitions: 2,
    replicasOf: () => [1, 2],
    configOf: () => `ssl.keystore.password=${OLD}\nnum.io.threads=8\n`,
  });
  const observed = {
    source: 'hosts' as const,
    controller: 2,
    brokers: [1, 2].map((id) => ({ id, release: '0.10.2.1', installDir: null, config: {} })),
  };
  const plan = buildRollPlan(
    memory.inventory,
    observed,
    // What `roll --set ssl.keystore.password=@env:KO_TEST_LOG_PASSWORD --set num.io.threads=9` plans.
    { set: { 'ssl.keystore.password': '@env:KO_TEST_LOG_PASSWORD', 'num.io.threads': '9' }, unset: [] },
    Object.fromEntries([1, 2].map((id) => [id, { 'ssl.keystore.password': OLD, 'num.io.threads': '8' }])),
    (key, value) => resolveReference(key, value, { KO_TEST_LOG_PASSWORD: NEW }),
  );
  const deps = memory.deps();
  const connections = memoryConnections(deps);
  const notices: string[] = [];
  const io = {
    info: (m: string) => notices.push(m),
    openEngineIO: async () => ({
      event: () => undefined,
      confirm: async () => true,
      // The engine's own notices pass through as they are: one that echoed the value must still not reach the file.
      notice: (m: string) => notices.push(m),
      close: async () => undefined,
    }),
  };
  return { memory, plan, deps, connections, io, inventory: { ...memory.inventory, state: {} } };
}

describe('--log-file of a run', () => {
  it('holds every event with its time, the question and its answer, the start and the end; never the secret value', async () => {
    const { plan, deps, connections, io, inventory } = rollOfSecret();
    process.env.KO_TEST_LOG_PASSWORD = NEW;
    const logFile = join(root, 'run.jsonl');
    await runPlan(
      plan,
      inventory,
      connections,
      { stateDir: join(root, 'state'), killOnStopTimeout: false, clientsUpgraded: false, yes: true, interactive: false, logFile },
      io,
    );
    // The value did reach the brokers.
    for (const id of [1, 2]) expect(await (await deps.host(id)).readConfig()).toContain(`ssl.keystore.password=${NEW}`);

    const text = readFileSync(logFile, 'utf8');
    expect(text).not.toContain(NEW);
    expect(text).not.toContain(JSON.stringify(NEW).slice(1, -1));
    expect(text).not.toContain(OLD);
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const log = lines(logFile);
    for (const l of log) expect(Number.isNaN(Date.parse(l.at)), JSON.stringify(l)).toBe(false);
    expect(log[0]).toMatchObject({ type: 'run.start', mode: 'new', cluster: inventory.cluster, kind: 'roll' });
    expect(log.at(-1)).toMatchObject({ type: 'run.done' });
    const types = log.map((l) => l.type);
    expect(types).toContain('question');
    expect(log.find((l) => l.type === 'answer')).toMatchObject({
      answer: true,
      question: expect.stringContaining('Start the rolling restart'),
    });
    const events = log.filter((l) => l.type === 'event');
    expect(events.map((e) => e.code)).toEqual(
      expect.arrayContaining(['phase.start', 'step.start', 'step.substep', 'step.done', 'phase.done']),
    );
    expect(events.filter((e) => e.code === 'step.done').map((e) => e.broker)).toEqual([1, 2]);
    // The journal's entries too, with their details: the change is named, its value is not.
    const config = log.find((l) => l.type === 'journal' && l.event === 'step.config' && l.broker === 1);
    expect(config?.detail.changes).toEqual({
      'ssl.keystore.password': { from: REDACTED, to: REDACTED },
      'num.io.threads': { from: '8', to: '9' },
    });

    // A second run appends to the same file.
    const again = rollOfSecret();
    await runPlan(
      again.plan,
      again.inventory,
      again.connections,
      { stateDir: join(root, 'state2'), killOnStopTimeout: false, clientsUpgraded: false, yes: true, interactive: false, logFile },
      again.io,
    );
    expect(lines(logFile).filter((l) => l.type === 'run.start')).toHaveLength(2);
    expect(readFileSync(logFile, 'utf8')).not.toContain(NEW);
  });

  it('replaces a resolved value in any string, and redacts any value under a secret key', () => {
    const file = join(root, 'direct.jsonl');
    const log = EventLog.open(file, [NEW], () => new Date('2026-12-03T06:30:00Z'));
    log.write('notice', { message: `echoed ${NEW} here` });
    log.write('event', { detail: { 'sasl.jaas.config': 'org.Module required password="x";', 'num.io.threads': '9' } });
    log.close();
    const [notice, event] = lines(file);
    expect(notice).toEqual({ at: '2026-12-03T06:30:00.000Z', type: 'notice', message: `echoed ${REDACTED} here` });
    expect(event?.detail).toEqual({ 'sasl.jaas.config': REDACTED, 'num.io.threads': '9' });
  });

  it('a path that cannot be written, or a symlink, is refused before anything is touched (exit 2)', async () => {
    expect(() => EventLog.open(join(root, 'no-such-dir', 'x.jsonl'))).toThrow(
      expect.objectContaining({ code: 'LOG_FILE_UNWRITABLE', exitCode: 2, message: expect.stringContaining('no-such-dir') }),
    );
    const target = join(root, 'target');
    writeFileSync(target, 'keep\n');
    const link = join(root, 'link.jsonl');
    symlinkSync(target, link);
    expect(() => EventLog.open(link)).toThrow(expect.objectContaining({ code: 'STATE_FILE_LINK', exitCode: 2 }));
    expect(readFileSync(target, 'utf8')).toBe('keep\n');

    const { plan, deps, connections, io, inventory } = rollOfSecret();
    process.env.KO_TEST_LOG_PASSWORD = NEW;
    const stateDir = join(root, 'state-refused');
    await expect(
      runPlan(
        plan,
        inventory,
        connections,
        {
          stateDir,
          killOnStopTimeout: false,
          clientsUpgraded: false,
          yes: true,
          interactive: false,
          logFile: join(root, 'nope', 'x.jsonl'),
        },
        io,
      ),
    ).rejects.toMatchObject({ code: 'LOG_FILE_UNWRITABLE' });
    for (const id of [1, 2]) expect(await (await deps.host(id)).readConfig()).toContain(`ssl.keystore.password=${OLD}`);
  });
});
