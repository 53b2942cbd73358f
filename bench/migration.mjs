#!/usr/bin/env node
// Per-node figures and total wall time of a real ZooKeeper → KRaft migration: a fresh
// `sandbox up --from 3.9.2 --kraft-controllers 3` (3 brokers, not timed), then
// `upgrade --migrate-to-kraft --yes --json` (built CLI, timed), printing each phase's steps
// (stop, start, catch-up, kafka-ops' own added time) from the run's report. Run `npm run build`
// first; on a shared machine take the heavy lock: flock -o /tmp/kafka-ops-heavy.lock node bench/migration.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const kafkaOps = (...args) =>
  execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
const s = (ms) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

const root = mkdtempSync(path.join(tmpdir(), 'kafka-ops-bench-migration-'));
const dir = path.join(root, 'sandbox');
try {
  kafkaOps('sandbox', 'up', '--dir', dir, '--from', '3.9.2', '--kraft-controllers', '3', '--json');
  const started = process.hrtime.bigint();
  const out = JSON.parse(
    kafkaOps(
      'upgrade',
      '--migrate-to-kraft',
      '--inventory',
      path.join(dir, 'inventory.yaml'),
      '--state-dir',
      path.join(root, 'state'),
      '--yes',
      '--json',
    ),
  );
  const totalS = Number(process.hrtime.bigint() - started) / 1e9;
  const result = out.result ?? out;
  console.log('phase                  node   outcome      stop     start    catch-up  added    total');
  for (const step of result.run.steps) {
    console.log(
      `${step.phase.padEnd(22)} ${String(step.broker).padEnd(6)} ${step.outcome.padEnd(12)} ${s(step.stopMs).padEnd(8)} ${s(step.startMs).padEnd(8)} ${s(step.catchUpMs).padEnd(9)} ${s(step.addedMs).padEnd(8)} ${s(step.totalMs)}`,
    );
  }
  console.log(
    `migration (3 brokers, 3 controllers, Kafka 3.9.2): ${totalS.toFixed(1)} s wall, ${result.run.steps.filter((x) => x.outcome === 'restarted').length} node starts/restarts`,
  );
} finally {
  kafkaOps('sandbox', 'down', '--dir', dir, '--purge', '--json');
}
