/**
 * Issue 7's "done when": the full 0.10.2 → 0.11.0 five-phase upgrade, end to end, through
 * the built CLI, the real SSH executor and a real sshd, against three kafka-double broker
 * processes (0.10.2.1 and 0.11.0.3 installs), with the cluster read by kafkajs over the
 * Kafka protocol (the inventory gives bootstrap servers and no ZooKeeper).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaJsClusterState } from '../../src/cluster/kafkajs.js';
import { parseProperties } from '../../src/config/properties.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { startSshd, stopSshd, type SshdHandle } from '../../src/sandbox/sshd.js';
import { runCli } from '../helpers/cli.js';
import { waitForDist } from '../helpers/faults.js';
import { createDoubleCluster, type DoubleCluster } from '../helpers/kafka-double.js';
import { schemaErrors } from '../helpers/schemas.js';

const FROM = '0.10.2.1';
const TO = '0.11.0.3';
const IBP = 'inter.broker.protocol.version';
const LMFV = 'log.message.format.version';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-double-upgrade-'));
const sshdDir = join(root, 'sshd');
const stateDir = join(root, 'kafka-ops-state');
let sshd: SshdHandle;
let cluster: DoubleCluster;
let inventory: string;

const upgrade = (...flags: string[]) =>
  runCli(['upgrade', '--to', '0.11', '--inventory', inventory, '--state-dir', stateDir, '--json', ...flags]);
const restarted = (run: any) => run.steps.filter((s: any) => s.outcome === 'restarted');
const configOf = (id: number) => parseProperties(readFileSync(cluster.broker(id).configPath, 'utf8'));

beforeAll(async () => {
  await waitForDist();
  sshd = await startSshd(sshdDir);
  cluster = await createDoubleCluster('upgrade', {
    releases: [FROM, TO],
    brokers: [1, 2, 3],
    topics: [
      {
        name: 'orders',
        replicas: [
          [1, 2, 3],
          [2, 3, 1],
          [3, 1, 2],
        ],
        config: { 'min.insync.replicas': '2' },
      },
      {
        name: 'audit',
        replicas: [
          [1, 2],
          [2, 3],
          [3, 1],
        ],
      },
    ],
    defaults: { controlledShutdownMs: 300, catchUpMs: 800 },
  });
  inventory = join(root, 'inventory.yaml');
  writeFileSync(inventory, cluster.inventory(sshd));
  await cluster.startAll();
});

afterAll(async () => {
  const sshdPid = sshd?.pid;
  if (cluster) expect(await cluster.teardown()).toEqual([]);
  await stopSshd(sshdDir);
  if (sshdPid) expect(isAlive(sshdPid)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

describe('0.10.2 → 0.11.0 on kafka-double brokers over real SSH, read with kafkajs', () => {
  it(
    'the first run pins, swaps the binaries and bumps IBP, then stops at the client gate (--yes answers its default: no)',
    { timeout: 120_000 },
    async () => {
      const before = cluster.pids();
      const logFile = join(root, 'upgrade.jsonl');
      const result = await upgrade('--yes', '--log-file', logFile);
      expect(result.code, result.stderr).toBe(4);
      expect(result.json.error).toMatchObject({ code: 'DECLINED', exitCode: 4 });
      // Beside the error: what the run had done (every broker in each of the three phases) and where it stopped.
      expect(schemaErrors('error.v1.schema.json', result.json)).toEqual([]);
      expect(result.json.result).toMatchObject({ dryRun: false, cluster: 'double', kind: 'upgrade' });
      expect([...result.json.result.run.brokersDone].sort()).toEqual([1, 2, 3]);
      expect(result.json.result.journal).toBe(join(stateDir, 'double', 'journal.jsonl'));
      expect([...new Set(result.json.result.run.stepsDone.filter((s: any) => s.outcome === 'restarted').map((s: any) => s.phase))]).toEqual(
        ['pin-versions', 'swap-binaries', 'bump-ibp'],
      );
      expect(result.json.result.run.stepsDone).toHaveLength(9);
      expect(result.json.result.run.stopped).toMatchObject({ code: 'DECLINED' });
      expect(result.stderr).toMatch(/Have all producers and consumers of cluster double been upgraded to 0\.11\.0 clients\? no \(--yes\)/);
      // The plan summary came before the first question; once a broker was done, the time left was learnt.
      const summaryAt = result.stderr.indexOf('Plan: upgrade of cluster double 0.10.2 → 0.11.0:');
      expect(summaryAt, result.stderr).toBeGreaterThanOrEqual(0);
      expect(summaryAt).toBeLessThan(result.stderr.indexOf('Start the rolling restart of cluster double'));
      expect(result.stderr).toMatch(/about \d+ (s|min) left: \d+ restart\(s\) at the \d+\.\d s measured per restart/);
      // --log-file: the same run as JSON lines, from its start to the error it stopped on.
      const log = readFileSync(logFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(log[0]).toMatchObject({ type: 'run.start', cluster: 'double', kind: 'upgrade' });
      expect(log.filter((l) => l.type === 'event' && l.code === 'step.done')).toHaveLength(9);
      expect(log.find((l) => l.type === 'answer' && /producers and consumers/.test(l.question))).toMatchObject({ answer: false });
      expect(log.at(-1)).toMatchObject({
        type: 'run.stopped',
        error: { code: 'DECLINED' },
        result: { run: { stepsDone: expect.any(Array) } },
      });

      // Every broker restarted in each of the three rolling phases, each time with a controlled shutdown.
      const journal = readFileSync(join(stateDir, 'double', 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const done = journal.filter((e) => e.event === 'phase.done').map((e) => e.phase);
      expect(done).toEqual(['pin-versions', 'swap-binaries', 'bump-ibp']);
      expect(journal.some((e) => e.phase === 'bump-lmfv' && e.event === 'phase.start')).toBe(false);
      const after = cluster.pids();
      for (const id of [1, 2, 3]) expect(after[id]).not.toBe(before[id]);
      for (const id of [1, 2, 3]) expect(cluster.log(id).match(/Controlled shutdown succeeded/g)?.length).toBe(3);

      // The hosts and the brokers themselves agree: 0.11.0.3 binaries, IBP 0.11.0, LMFV still 0.10.2.
      for (const id of [1, 2, 3]) {
        expect(configOf(id)[IBP]).toBe('0.11.0');
        expect(configOf(id)[LMFV]).toBe('0.10.2');
      }
      expect(
        cluster
          .view()
          .registrations.map((r) => [r.id, r.release, r.ibp, r.lmfv])
          .sort(),
      ).toEqual([
        [1, TO, '0.11.0', '0.10.2'],
        [2, TO, '0.11.0', '0.10.2'],
        [3, TO, '0.11.0', '0.10.2'],
      ]);
      const reader = await KafkaJsClusterState.connect({ bootstrapServers: cluster.bootstrap() }, { connectTimeoutMs: 5_000 });
      try {
        expect(await reader.brokerVersions()).toEqual({
          1: { ibp: '0.11.0', lmfv: '0.10.2' },
          2: { ibp: '0.11.0', lmfv: '0.10.2' },
          3: { ibp: '0.11.0', lmfv: '0.10.2' },
        });
        const snapshot = await reader.snapshot();
        expect(snapshot.brokers).toEqual([1, 2, 3]);
        expect(snapshot.topics.find((t) => t.name === 'orders')?.config).toEqual({ 'min.insync.replicas': '2' });
      } finally {
        await reader.close();
      }
    },
  );

  it(
    'without --yes and without a terminal, the client gate is a question nobody can answer: exit 2, nothing restarted',
    { timeout: 60_000 },
    async () => {
      const before = cluster.pids();
      const configs = [1, 2, 3].map((id) => readFileSync(cluster.broker(id).configPath, 'utf8'));
      const result = await upgrade();
      expect(result.code, result.stderr).toBe(2);
      expect(result.json.error).toMatchObject({ code: 'NEEDS_ANSWER', exitCode: 2 });
      expect(result.json.error.message).toMatch(/producers and consumers/);
      expect(cluster.pids()).toEqual(before);
      expect([1, 2, 3].map((id) => readFileSync(cluster.broker(id).configPath, 'utf8'))).toEqual(configs);
    },
  );

  it('the preview marks the LMFV bump as the point of no return and skips what is done', { timeout: 60_000 }, async () => {
    const result = await upgrade('--dry-run');
    expect(result.code, result.stderr).toBe(0);
    const phases = Object.fromEntries(result.json.plan.phases.map((p: any) => [p.id, p]));
    expect(Object.keys(phases)).toEqual(['pin-versions', 'swap-binaries', 'bump-ibp', 'upgrade-clients', 'bump-lmfv']);
    for (const id of ['pin-versions', 'swap-binaries', 'bump-ibp']) expect(phases[id].skipped).toBe(true);
    expect(phases['upgrade-clients'].kind).toBe('gate');
    expect(phases['bump-lmfv'].skipped).toBe(false);
    expect(phases['bump-lmfv'].pointOfNoReturn).toMatch(/\S/);
    expect(phases['bump-ibp'].pointOfNoReturn).toBeUndefined(); // IBP 0.11.0 < 2.1: still downgradable

    // --batch auto: the batches from the placement read now over kafkajs, by the engine's own function.
    // Every pair of the three brokers shares an `orders` partition (RF 3, min ISR 2): batches of one, and why.
    const batched = await upgrade('--dry-run', '--batch', 'auto');
    expect(batched.code, batched.stderr).toBe(0);
    expect(batched.json.batches).toMatchObject({ size: 'auto', phase: 'bump-lmfv' });
    expect(batched.json.batches.batches.map((b: any) => b.brokers.length)).toEqual([1, 1, 1]);
    expect(batched.json.batches.batches.at(-1).controller).toBe(true);
    expect(batched.json.batches.degraded).toMatch(/No two brokers may stop together: (orders|audit)-\d/);
    expect(batched.json.batches.apart).toHaveLength(1);
  });

  it(
    'with --clients-upgraded --yes the LMFV bump completes, every broker restarted once more with a controlled shutdown',
    { timeout: 90_000 },
    async () => {
      const before = cluster.pids();
      const result = await upgrade('--yes', '--clients-upgraded');
      expect(result.code, result.stderr).toBe(0);
      expect(result.json.run.status).toBe('completed');
      const steps = restarted(result.json.run);
      expect(steps.map((s: any) => [s.phase, s.broker]).sort()).toEqual([
        ['bump-lmfv', 1],
        ['bump-lmfv', 2],
        ['bump-lmfv', 3],
      ]);
      for (const s of steps) expect(s.shutdown).toBe('controlled');
      const after = cluster.pids();
      for (const id of [1, 2, 3]) expect(after[id]).not.toBe(before[id]);
      for (const id of [1, 2, 3]) expect(configOf(id)[LMFV]).toBe('0.11.0');
      expect(cluster.view().registrations.every((r) => r.lmfv === '0.11.0' && r.ibp === '0.11.0' && r.release === TO)).toBe(true);
      expect(cluster.inSync()).toBe(true);
    },
  );

  it('a re-run restarts nothing and changes nothing', { timeout: 60_000 }, async () => {
    const before = cluster.pids();
    const configs = [1, 2, 3].map((id) => readFileSync(cluster.broker(id).configPath, 'utf8'));
    const result = await upgrade('--yes', '--clients-upgraded');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json.plan.phases.filter((p: any) => p.kind === 'roll').every((p: any) => p.skipped)).toBe(true);
    expect(restarted(result.json.run)).toEqual([]);
    expect(cluster.pids()).toEqual(before);
    expect([1, 2, 3].map((id) => readFileSync(cluster.broker(id).configPath, 'utf8'))).toEqual(configs);
  });

  it(
    'a broker that never rejoins the ISR halts a roll at its start timeout, touching no other broker; resume finishes once it caught up',
    { timeout: 90_000 },
    async () => {
      const faulty = join(root, 'inventory-short-timeout.yaml');
      writeFileSync(faulty, cluster.inventory(sshd).replace('startTimeoutSeconds: 30', 'startTimeoutSeconds: 4'));
      for (const id of [1, 2, 3]) cluster.setFaults(id, { neverCatchUp: true }); // whichever goes first
      const before = cluster.pids();
      const roll = ['--inventory', faulty, '--state-dir', stateDir, '--yes', '--json'];
      const halted = await runCli(['roll', '--set', 'log.retention.hours=100', ...roll]);
      expect(halted.code, halted.stderr).toBe(4);
      expect(halted.json.error).toMatchObject({ code: 'CATCH_UP_TIMEOUT', exitCode: 4 });
      const mid = cluster.pids();
      const touched = [1, 2, 3].filter((id) => mid[id] !== before[id]);
      expect(touched).toHaveLength(1);
      const [first] = touched as [number];
      // The error document says where it halted (the broker restarted, not caught up) and that no broker was done.
      expect(schemaErrors('error.v1.schema.json', halted.json)).toEqual([]);
      expect(halted.json.result.run).toMatchObject({ phase: 'roll-config', broker: first, brokersDone: [], stepsDone: [] });
      expect(halted.json.result.run.brokerMidStep).toMatchObject({ broker: first });
      expect(halted.stderr).toMatch(
        new RegExp(`Stopped at phase roll-config, broker ${first}\\. Restarted before it: none; broker ${first} stopped mid-step`),
      );
      for (const id of [1, 2, 3]) expect(configOf(id)['log.retention.hours']).toBe(id === first ? '100' : undefined);

      // The cause is fixed; the halted broker takes 3 s more to catch up, so resume finds it
      // running the new config but not yet in its ISRs: it must wait for it, not restart it.
      for (const id of [1, 2, 3]) cluster.setFaults(id, id === first ? { catchUpMs: 3_000 } : {});
      const resumed = await runCli(['resume', ...roll]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.json.run.status).toBe('completed');
      expect(
        restarted(resumed.json.run)
          .map((s: any) => s.broker)
          .sort(),
      ).toEqual([1, 2, 3].filter((id) => id !== first));
      const after = cluster.pids();
      expect(after[first]).toBe(mid[first]); // the halted broker was not restarted again
      for (const id of [1, 2, 3]) expect(configOf(id)['log.retention.hours']).toBe('100');
      expect(cluster.inSync()).toBe(true);
    },
  );
});
