/**
 * The main job, for real: `kafka-ops upgrade --to 0.9` over the sandbox's real sshd on
 * real Kafka 0.9.0.1 brokers (IBP pinned to 0.8.2), while Kafka's VerifiableProducer
 * (acks=all) and VerifiableConsumer run; then the same upgrade again restarts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/config/properties.js';
import { SANDBOX_TOPIC } from '../../src/sandbox/layout.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { runCli } from '../helpers/cli.js';
import { startSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { VerifiableConsumer, VerifiableProducer, stopAllClients } from '../helpers/verifiable.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startSandbox('upgrade');
});

afterAll(async () => {
  await stopAllClients();
  if (!sandbox) return;
  const pids = Object.values(sandbox.pids()).filter((p): p is number => p !== undefined);
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
});

describe('kafka-ops upgrade --to 0.9 on the sandbox', () => {
  it('upgrades every broker with zero loss of acknowledged messages', { timeout: 420_000 }, async () => {
    const consumer = new VerifiableConsumer(sandbox.bootstrap(), SANDBOX_TOPIC, 'kafka-ops-e2e');
    const producer = new VerifiableProducer(sandbox.bootstrap(), SANDBOX_TOPIC, 200);
    let result;
    try {
      await new Promise((r) => setTimeout(r, 3000)); // traffic flowing before the first stop
      const before = sandbox.pids();
      result = await runCli(['upgrade', '--to', '0.9', '--inventory', sandbox.inventory, '--state-dir', sandbox.stateDir, '--yes', '--json']);
      expect(result.code, result.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 2000)); // traffic after the last broker is back
      await producer.stop();
      await consumer.waitFor(producer.acked, 60_000);
      const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
      console.log(`sent ${producer.sent} / acked ${producer.acked.size} / consumed ${consumer.consumed.size} / lost ${lost.length} (send errors during the roll: ${producer.errors})`);
      expect(producer.acked.size).toBeGreaterThan(1000);
      expect(lost).toEqual([]);
      // every broker restarted in both rolling phases, each time with a controlled shutdown
      const after = sandbox.pids();
      for (const id of sandbox.brokerIds) expect(after[id]).not.toBe(before[id]);
    } finally {
      await producer.stop();
      await consumer.stop();
    }
    const run = result.json.run;
    expect(run.status).toBe('completed');
    const restarted = run.steps.filter((s: any) => s.outcome === 'restarted');
    expect(restarted.map((s: any) => s.phase).sort()).toEqual(['bump-ibp', 'bump-ibp', 'bump-ibp', 'swap-binaries', 'swap-binaries', 'swap-binaries']);
    for (const s of restarted) expect(s.shutdown).toBe('controlled');
    for (const phase of ['swap-binaries', 'bump-ibp']) {
      expect(restarted.filter((s: any) => s.phase === phase).map((s: any) => s.broker).sort()).toEqual([1, 2, 3]);
    }
    for (const id of sandbox.brokerIds) {
      expect(parseProperties(sandbox.configOf(id))['inter.broker.protocol.version']).toBe('0.9.0');
    }
  });

  it('restarts nothing when the same upgrade runs again', async () => {
    const before = sandbox.pids();
    const configs = sandbox.configs();
    const again = await runCli(['upgrade', '--to', '0.9', '--inventory', sandbox.inventory, '--state-dir', sandbox.stateDir, '--yes', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.plan.phases.every((p: any) => p.skipped)).toBe(true);
    expect(again.json.run.steps.filter((s: any) => s.outcome === 'restarted')).toEqual([]);
    expect(sandbox.pids()).toEqual(before);
    expect(sandbox.configs()).toEqual(configs);
  });
});
