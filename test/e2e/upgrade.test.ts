/**
 * The main job, for real: `kafka-ops upgrade --to 0.9` over the sandbox's real sshd on
 * real Kafka 0.9.0.1 brokers (IBP pinned to 0.8.2), while Kafka's VerifiableProducer
 * (acks=all) and VerifiableConsumer run; then the same upgrade again restarts nothing; then a roll on a real terminal shows the
 * live tree and takes typed answers.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/config/properties.js';
import { SANDBOX_TOPIC } from '../../src/sandbox/layout.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { runCli } from '../helpers/cli.js';
import { killPtyChildren, lastFrame, onPty, plain, quote } from '../helpers/pty.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { leadershipEvents } from '../helpers/broker-logs.js';
import { describeLoss, VerifiableConsumer, VerifiableProducer, stopAllClients } from '../helpers/verifiable.js';
import { sandboxLayout } from '../../src/sandbox/layout.js';

let sandbox: TestSandbox;

beforeAll(async () => {
  sandbox = await startSandbox('upgrade');
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await stopAllClients();
  expect(killPtyChildren()).toEqual([]);
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
      const runStart = Date.now();
      result = await runCli([
        'upgrade',
        '--to',
        '0.9',
        '--inventory',
        sandbox.inventory,
        '--state-dir',
        sandbox.stateDir,
        '--yes',
        '--json',
      ]);
      expect(result.code, `${result.stderr}\n${result.stdout.slice(-2000)}`).toBe(0);
      const runEnd = Date.now();
      // The controller moved once per phase (it goes last) and then, on its own, gave leaderships
      // back to the brokers just restarted. None of that may come near a controlled shutdown:
      // a second leader change while followers refetch what the first made them truncate can
      // lose acknowledged messages on this Kafka (no leader epochs before 0.11).
      const { shutdowns, elections } = leadershipEvents(sandbox.brokerIds.map((id) => sandboxLayout(sandbox.dir).broker(id).logFile));
      const during = (at: number) => at >= runStart && at <= runEnd;
      const runShutdowns = shutdowns.filter((s) => during(s.startedAt));
      const runElections = elections.filter((e) => during(e.at));
      expect(runShutdowns).toHaveLength(6);
      const gaps = runElections.map((e) =>
        Math.min(...runShutdowns.map((s) => (e.at < s.startedAt ? s.startedAt - e.at : Math.max(0, e.at - (s.doneAt ?? s.startedAt))))),
      );
      console.log(
        `automatic leader elections during the roll: ${runElections.length}; nearest to a controlled shutdown: ${gaps.length ? (Math.min(...gaps) / 1000).toFixed(1) : '-'} s`,
      );
      for (const [i, gap] of gaps.entries()) expect(gap, `election of ${runElections[i]!.partitions}`).toBeGreaterThanOrEqual(1000);
      await new Promise((r) => setTimeout(r, 2000)); // traffic after the last broker is back
      await producer.stop();
      await consumer.waitFor(producer.acked, 60_000);
      const lost = [...producer.acked].filter((v) => !consumer.consumed.has(v));
      console.log(
        `sent ${producer.sent} / acked ${producer.acked.size} / consumed ${consumer.consumed.size} / lost ${lost.length} (send errors during the roll: ${producer.errors})`,
      );
      for (const line of describeLoss(lost, producer, consumer)) console.log(line);
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
    expect(restarted.map((s: any) => s.phase).sort()).toEqual([
      'bump-ibp',
      'bump-ibp',
      'bump-ibp',
      'swap-binaries',
      'swap-binaries',
      'swap-binaries',
    ]);
    for (const s of restarted) expect(s.shutdown).toBe('controlled');
    for (const phase of ['swap-binaries', 'bump-ibp']) {
      expect(
        restarted
          .filter((s: any) => s.phase === phase)
          .map((s: any) => s.broker)
          .sort(),
      ).toEqual([1, 2, 3]);
    }
    for (const id of sandbox.brokerIds) {
      expect(parseProperties(sandbox.configOf(id))['inter.broker.protocol.version']).toBe('0.9.0');
    }
  });

  it('restarts nothing when the same upgrade runs again', async () => {
    const before = sandbox.pids();
    const configs = sandbox.configs();
    const again = await runCli([
      'upgrade',
      '--to',
      '0.9',
      '--inventory',
      sandbox.inventory,
      '--state-dir',
      sandbox.stateDir,
      '--yes',
      '--json',
    ]);
    expect(again.code, `${again.stderr}\n${again.stdout.slice(-2000)}`).toBe(0);
    expect(again.json.plan.phases.every((p: any) => p.skipped)).toBe(true);
    expect(again.json.run.steps.filter((s: any) => s.outcome === 'restarted')).toEqual([]);
    expect(sandbox.pids()).toEqual(before);
    expect(sandbox.configs()).toEqual(configs);
  });

  // The built CLI's live tree on a real run, on a real pseudo-terminal: every question is
  // answered by typing "y" into the prompt inside the tree; stdout (a file) holds only the result.
  it(
    'on a terminal, a roll draws phases → brokers → sub-steps, takes typed answers in the tree, and keeps stdout to the JSON',
    { timeout: 300_000 },
    async () => {
      const bin = new URL('../../bin/run.js', import.meta.url).pathname;
      const out = `${sandbox.dir}/roll-result.json`;
      const typed: string[] = [];
      const run = await onPty(
        `node ${quote(bin)} roll --set num.network.threads=4 --canary --inventory ${quote(sandbox.inventory)} --state-dir ${quote(sandbox.stateDir)} --json > ${quote(out)}`,
        (drawn) => {
          // The tree redraws whole frames: the question to answer is the last one on screen,
          // unless it is the one just answered (a frame drawn before the answer landed).
          const question = [...drawn.matchAll(/\? ([^\n]+?) \((?:Y\/n|y\/N)\)/g)].at(-1)?.[1];
          if (!question || typed.at(-1) === question) return undefined;
          typed.push(question);
          return 'y\r';
        },
        {},
        280_000,
      );
      const screen = plain(run.screen);
      expect(run.code, screen.slice(-3000)).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8')).run.status).toBe('completed');
      // The question before the first restart and the canary pause, asked inside the tree and answered by the keys typed.
      expect(typed[0]).toMatch(/^Start the rolling restart of cluster/);
      expect(typed[1]).toMatch(/^Canary: broker \d is back and caught up/);
      expect(screen).toMatch(/^ {2}✔ Start the rolling restart of cluster .*\? yes/m);
      // Phase at the left, brokers two in, sub-steps four in, as they happened.
      expect(screen).toMatch(/^\S+ roll-config: /m);
      expect(screen).toMatch(/^ {2}\S+ broker \d \(/m);
      expect(screen).toMatch(/^ {4}\S+ sending SIGINT to pid \d+/m);
      expect(screen).toMatch(/^ {4}\S+ registered after \d+\.\d s/m);
      expect(lastFrame(run.screen).find((l) => l.includes('roll-config:'))).toMatch(/^✔ /);
      // The time left, learnt from the restarts measured so far, is drawn in the tree after each broker but the last.
      expect(screen).toMatch(/^ {4}\S+ about \d+(\.\d+)? ?\w+ left: 2 restart\(s\) at the \d+\.\d s measured per restart$/m);
      for (const id of sandbox.brokerIds) expect(parseProperties(sandbox.configOf(id))['num.network.threads']).toBe('4');
    },
  );

  // Ctrl-C typed into the terminal while the second broker stops: the run brings it back (a
  // safety restart with its new config) and exits 130; the tree draws that broker as
  // safety-restarted, never as failed, and the broker done before it as done.
  it(
    'on a terminal, Ctrl-C while a broker stops: exit 130, the broker drawn as safety-restarted, none drawn as failed',
    { timeout: 300_000 },
    async () => {
      const bin = new URL('../../bin/run.js', import.meta.url).pathname;
      const stateDir = `${sandbox.dir}/interrupted-state`;
      let sent = false;
      const run = await onPty(
        `node ${quote(bin)} roll --set num.network.threads=5 --yes --inventory ${quote(sandbox.inventory)} --state-dir ${quote(stateDir)}`,
        (drawn) => {
          // A second broker's stop begun (the tree redraws whole frames: the first broker's line comes again).
          const stopped = new Set([...drawn.matchAll(/sending SIG\w+ to pid (\d+)/g)].map((m) => m[1]));
          if (sent || stopped.size < 2) return undefined;
          sent = true;
          return '\u0003';
        },
        {},
        280_000,
      );
      const screen = plain(run.screen);
      expect(sent, screen.slice(-3000)).toBe(true);
      expect(run.code, screen.slice(-3000)).toBe(130);
      const journal = readFileSync(`${stateDir}/sandbox/journal.jsonl`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; broker?: number });
      const safety = journal.find((e) => e.event === 'step.safety-start');
      expect(safety, journal.map((e) => e.event).join(' ')).toBeDefined();
      const frame = lastFrame(run.screen);
      expect(frame.find((l) => l.includes('roll-config:'))).toMatch(/^✖ roll-config: .*\(interrupted\)$/);
      expect(frame).toContainEqual(
        `  ↓ broker ${safety!.broker}: interrupted while down; safety restart with its new config (not waited for: resume checks it)`,
      );
      expect(
        frame.filter((l) => /^ +✖/.test(l)),
        frame.join('\n'),
      ).toEqual([]);
      expect(frame.filter((l) => /^ {2}✔ broker \d/.test(l))).toHaveLength(1);
      expect(screen).toContain('Interrupt received: bringing the current broker to a safe state, then stopping.');
      // Brought back: the broker runs (with its new config).
      expect(sandbox.pidOf(safety!.broker!)).toBeDefined();
      expect(parseProperties(sandbox.configOf(safety!.broker!))['num.network.threads']).toBe('5');
    },
  );
});
