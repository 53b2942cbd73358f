/**
 * Issue 11, case 2 on real brokers of both releases: a ZooKeeper-mode Kafka 2.8.2 cluster (IBP and
 * LMFV pinned to 2.8, as a cluster mid-way has them) upgraded by `kafka-ops upgrade --to 3.9` to the
 * real 3.9.2 jars over the sandbox's sshd, while 2.8.2's own VerifiableProducer (acks=all) and
 * VerifiableConsumer run. What the planner does with log.message.format.version from IBP 3.0 on
 * follows Kafka's 3.x upgrade notes (KIP-724: ignored from IBP 3.0, cleared with the IBP bump), and
 * the dry run says why. Proven from the brokers themselves: the jars each JVM holds open, its
 * server.log version line, and the KafkaConfig values it logged at its last start.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/config/properties.js';
import { SANDBOX_TOPIC } from '../../src/sandbox/layout.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { sandboxStatus } from '../../src/sandbox/status.js';
import { lastKafkaConfig, sinceLastStart } from '../helpers/broker-logs.js';
import { runCli } from '../helpers/cli.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { stopAllClients, underLiveTraffic } from '../helpers/verifiable.js';

const FROM = '2.8.2';
const TO = '3.9.2';
const IBP = 'inter.broker.protocol.version';
const LMFV = 'log.message.format.version';
let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startSandbox('real-2.8', 6, { from: FROM, to: TO });
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopAllClients();
  if (!sandbox) return;
  const pids = Object.values(sandbox.pids()).filter((p): p is number => p !== undefined);
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
});

const upgrade = (...extra: string[]) =>
  runCli(['upgrade', '--to', '3.9', '--inventory', sandbox.inventory, '--state-dir', sandbox.stateDir, ...extra]);
const logOf = (id: number): string => sandbox.up.brokers.find((b) => b.id === id)!.logFile;
/** The argv of a running broker, from /proc: the server.properties it was started with is its last argument. */
const cmdlineOf = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe(`real Kafka ${FROM} → ${TO}, ZooKeeper mode`, () => {
  it('starts on the real 2.8.2 with IBP and LMFV pinned to 2.8', async () => {
    const status = await sandboxStatus(sandbox.dir);
    const brokers = status.processes.filter((p) => p.role === 'broker');
    expect(brokers.map((b) => [b.release, b.logRelease])).toEqual(brokers.map(() => [FROM, FROM]));
    for (const id of sandbox.brokerIds) expect([lastKafkaConfig(logOf(id))[IBP], lastKafkaConfig(logOf(id))[LMFV]]).toEqual(['2.8', '2.8']);
  });

  it('the dry run previews what Kafka 3.x does with log.message.format.version, and why', async () => {
    const dry = await upgrade('--dry-run');
    expect(dry.code, `${dry.stderr}\n${dry.stdout}`).toBe(0);
    const out = dry.stdout;
    expect(out).toContain('Bump inter.broker.protocol.version to 3.9 and remove log.message.format.version');
    expect(out).toContain(`${LMFV}: 2.8 → (removed)`);
    expect(out).toMatch(
      /why: log\.message\.format\.version is removed in the same restart: it is deprecated and ignored from inter\.broker\.protocol\.version 3\.0/,
    );
    expect(out).toMatch(/skipped: log\.message\.format\.version is deprecated and ignored from inter\.broker\.protocol\.version 3\.0/);
    expect(out).toMatch(
      /⚠ point of no return: Kafka's 3\.9 upgrade notes: once the brokers use inter\.broker\.protocol\.version 3\.9, the cluster can no longer be downgraded/,
    );
    expect(out).toContain('Points of no return: bump-ibp');
  });

  it(
    'upgrades every broker with zero loss (swap, then IBP 3.9 with LMFV cleared), then a second run restarts nothing',
    { timeout: 420_000 },
    async () => {
      const release = { home: sandbox.up.installs.from.dir, bootstrapFlag: '--bootstrap-server' as const };
      const started = Date.now();
      const { result, producer, lost } = await underLiveTraffic(sandbox.bootstrap(), SANDBOX_TOPIC, 'kafka-ops-real-28', release, () =>
        upgrade('--yes', '--json').then((r) => {
          console.log(`upgrade ${FROM} → ${TO}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
          return r;
        }),
      );
      expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
      expect(producer.acked.size).toBeGreaterThan(1000);
      expect(lost).toEqual([]);

      const { run } = result.json as {
        run: { steps: Array<{ phase: string; broker: number; outcome: string; shutdown?: string }>; warnings: string[] };
      };
      // Every stop, of the 2.8.2 brokers (swap) and of the 3.9.2 ones (IBP bump: 3.x logs its own success line), was controlled.
      expect(run.steps.filter((s) => s.outcome === 'restarted').map((s) => [s.phase, s.broker, s.shutdown])).toEqual(
        run.steps.filter((s) => s.outcome === 'restarted').map((s) => [s.phase, s.broker, 'controlled']),
      );
      console.log(`warnings: ${JSON.stringify(run.warnings)}`);
      const restarted = (phase: string) => run.steps.filter((s) => s.phase === phase && s.outcome === 'restarted').length;
      expect(['pin-versions', 'swap-binaries', 'bump-ibp', 'bump-lmfv'].map(restarted)).toEqual([0, 3, 3, 0]);

      // Every broker runs 3.9.2: the jars its JVM holds open and its log's version line say so.
      const status = await sandboxStatus(sandbox.dir);
      const brokers = status.processes.filter((p) => p.role === 'broker');
      expect(brokers.map((b) => [b.id, b.release, b.logRelease])).toEqual(sandbox.brokerIds.map((id) => [id, TO, TO]));
      for (const id of sandbox.brokerIds) {
        // What the broker resolved at its last start (its log), and the file its process was started with.
        const logged = lastKafkaConfig(logOf(id));
        expect([logged[IBP], logged[LMFV]], `broker ${id}`).toEqual(['3.9', '3.0-IV1']); // LMFV unset: 3.x's default, ignored
        const configFile = cmdlineOf(sandbox.pidOf(id)!).at(-1)!;
        const read = parseProperties(readFileSync(configFile, 'utf8'));
        expect([read[IBP], read[LMFV]], configFile).toEqual(['3.9', undefined]);
        // The warning Kafka 3.x logs when log.message.format.version is set beside an IBP >= 3.0 never appears.
        expect(sinceLastStart(logOf(id)).filter((l) => /log\.message\.format\.version/.test(l) && /WARN/.test(l))).toEqual([]);
      }

      // The read-only gate a release pipeline runs after the upgrade agrees, on the real 3.9.2 brokers.
      const verified = await runCli(['verify', '--at', '3.9', '--inventory', sandbox.inventory, '--json']);
      expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0);
      expect(verified.json).toMatchObject({ command: 'verify', passed: true, summary: { errors: 0 } });
      console.log(
        `verify --at 3.9 findings: ${JSON.stringify(verified.json.findings.filter((f: { severity: string }) => f.severity !== 'info'))}`,
      );

      const pids = sandbox.pids();
      const again = await upgrade('--yes', '--json');
      expect(again.code, `${again.stderr}\n${again.stdout}`).toBe(0);
      const { run: second } = again.json as { run: { steps: Array<{ outcome: string }> } };
      expect(second.steps.filter((s) => s.outcome === 'restarted')).toEqual([]);
      expect(sandbox.pids()).toEqual(pids);
    },
  );
});
