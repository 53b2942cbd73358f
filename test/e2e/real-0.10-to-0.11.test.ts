/**
 * The mission's headline on real brokers of both releases: `kafka-ops upgrade --to 0.11` of a
 * real Kafka 0.10.2.2 cluster (ZooKeeper from its own jars, IBP and LMFV pinned to 0.10.2) to the
 * real 0.11.0.3 jars, over the sandbox's real sshd, cluster state read through the admin API
 * (kafkajs, the default reader of an inventory with bootstrap servers), while 0.10.2.2's own VerifiableProducer (acks=all) and VerifiableConsumer run:
 * no acknowledged message lost, every broker finally running 0.11.0.3 as its process and its log
 * say, IBP and LMFV at 0.11.0, and second real runs, through the admin API and through the
 * ZooKeeper reader, restart nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseProperties } from '../../src/config/properties.js';
import { SANDBOX_TOPIC } from '../../src/sandbox/layout.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { sandboxStatus } from '../../src/sandbox/status.js';
import { runCli } from '../helpers/cli.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { stopAllClients, underLiveTraffic } from '../helpers/verifiable.js';

const FROM = '0.10.2.2';
const TO = '0.11.0.3';
let sandbox: TestSandbox;
let adminInventory: string;

beforeAll(async () => {
  sandbox = await startSandbox('real-0.10', 6, { from: FROM, to: TO });
  // The same inventory with bootstrap servers and no ZooKeeper: the default reader is then the admin API.
  const inventory = parse(readFileSync(sandbox.inventory, 'utf8')) as { state: Record<string, unknown> };
  inventory.state = { bootstrapServers: sandbox.bootstrap().split(',') };
  adminInventory = join(sandbox.dir, 'inventory-admin.yaml');
  writeFileSync(adminInventory, stringify(inventory));
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopAllClients();
  if (!sandbox) return;
  const pids = Object.values(sandbox.pids()).filter((p): p is number => p !== undefined);
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
});

const upgrade = (inventory: string) =>
  runCli(['upgrade', '--to', '0.11', '--inventory', inventory, '--state-dir', sandbox.stateDir, '--yes', '--clients-upgraded', '--json']);

/**
 * The whole upgrade reads the cluster through the admin API (kafkajs), as `kafka-ops upgrade --to
 * 0.11` with bootstrap servers does; the reruns, which must restart nothing, through both readers.
 * (An earlier admin-API run counted a just-restarted broker registered 0.4 s after its start: a
 * stale Metadata answer from another broker's cache. The engine now also asks the broker itself.)
 */
describe(`real Kafka ${FROM} → ${TO} through the admin API, then through ZooKeeper`, () => {
  it('starts on the real from release', async () => {
    const status = await sandboxStatus(sandbox.dir);
    const brokers = status.processes.filter((p) => p.role === 'broker');
    expect(brokers.map((b) => [b.release, b.logRelease])).toEqual(brokers.map(() => [FROM, FROM]));
    expect(parseProperties(sandbox.configOf(1))['log.message.format.version']).toBe('0.10.2');
  });

  it('upgrades every broker with zero loss, all phases, then a second run restarts nothing', { timeout: 300_000 }, async () => {
    const release = { home: sandbox.up.installs.from.dir, bootstrapFlag: '--broker-list' as const };
    const started = Date.now();
    const { result, producer, lost } = await underLiveTraffic(sandbox.bootstrap(), SANDBOX_TOPIC, 'kafka-ops-real', release, () =>
      upgrade(adminInventory),
    );
    console.log(`upgrade ${FROM} → ${TO} (admin API): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(result.code, `${result.stderr}\n${result.stdout}`).toBe(0);
    expect(producer.acked.size).toBeGreaterThan(1000);
    expect(lost).toEqual([]);

    const { run } = result.json as { run: { steps: Array<{ phase: string; outcome: string }> } };
    const restarted = (phase: string) => run.steps.filter((s) => s.phase === phase && s.outcome === 'restarted').length;
    expect(['swap-binaries', 'bump-ibp', 'bump-lmfv'].map(restarted)).toEqual([3, 3, 3]);
    // Every phase runs below IBP 2.0-IV0 (no KIP-279): the leadership time rules hold in each.
    const journal = readFileSync(join(sandbox.stateDir, 'sandbox', 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const rules = journal.map((l) => JSON.parse(l) as { event: string; detail?: { settleAfterMoves?: boolean } });
    expect(rules.filter((e) => e.event === 'leadership.rules').map((e) => e.detail?.settleAfterMoves)).toEqual([true, true, true]);

    const status = await sandboxStatus(sandbox.dir);
    const brokers = status.processes.filter((p) => p.role === 'broker');
    expect(brokers.map((b) => [b.id, b.release, b.logRelease])).toEqual(sandbox.brokerIds.map((id) => [id, TO, TO]));
    for (const id of sandbox.brokerIds) {
      const config = parseProperties(sandbox.configOf(id));
      expect([config['inter.broker.protocol.version'], config['log.message.format.version']]).toEqual(['0.11.0', '0.11.0']);
    }

    // Second and third real runs, through the admin API and then through ZooKeeper: nothing restarted.
    const pids = sandbox.pids();
    for (const [reader, inventory] of [
      ['admin API', adminInventory],
      ['ZooKeeper', sandbox.inventory],
    ] as const) {
      const begun = Date.now();
      const again = await upgrade(inventory);
      console.log(`rerun through ${reader}: ${((Date.now() - begun) / 1000).toFixed(1)} s`);
      expect(again.code, `${reader}: ${again.stderr}\n${again.stdout}`).toBe(0);
      const { run: rerun } = again.json as { run: { steps: Array<{ outcome: string }> } };
      expect(
        rerun.steps.filter((s) => s.outcome === 'restarted'),
        reader,
      ).toEqual([]);
      expect(sandbox.pids(), reader).toEqual(pids);
    }
  });
});
