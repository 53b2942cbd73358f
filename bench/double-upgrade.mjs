#!/usr/bin/env node
// bench/double-upgrade: the 0.10.2 → 0.11.0 upgrade (pin, swap, IBP, LMFV: 12 restarts) over a
// real sshd against three kafka-double brokers, the cluster read with kafkajs (the admin API has
// no watches: the reader polls). Prints per restart the broker's own stop / start / catch-up time
// and what kafka-ops added, then the medians (compare with bench/rolling.mjs: ZooKeeper watches),
// then the cost of one reader snapshot. The double starts in ~0.1 s, so its "start" column is
// mostly kafka-ops's own launch over SSH and the reader's polling.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts, launchDetached, readPidFile, signal, waitGone } from '../dist/sandbox/processes.js';
import { startSshd, stopSshd } from '../dist/sandbox/sshd.js';
import { KafkaJsClusterState, POLL_INTERVAL_MS } from '../dist/cluster/kafkajs.js';
import { clusterView, createBrokerLayout, createCluster, createInstall, doubleInventory } from '../test/fakes/kafka-double/cluster.mjs';
import { printRestarts } from './restart-figures.mjs';

const CATCH_UP_MS = Number(process.env.CATCH_UP_MS ?? 800);
const SHUTDOWN_MS = Number(process.env.SHUTDOWN_MS ?? 300);
const bin = new URL('../bin/run.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-double-'));
const stateDir = join(dir, 'double-state');
const brokers = [];
try {
  const sshd = await startSshd(join(dir, 'sshd'));
  createCluster(stateDir, {
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
    ],
    defaults: { controlledShutdownMs: SHUTDOWN_MS, catchUpMs: CATCH_UP_MS },
  });
  const installs = Object.fromEntries(['0.10.2.1', '0.11.0.3'].map((r) => [r, createInstall(join(dir, `kafka_2.11-${r}`), r)]));
  const ports = await freePorts(3);
  [1, 2, 3].forEach((id, i) => brokers.push(createBrokerLayout(dir, stateDir, id, installs['0.10.2.1'], { port: ports[i] })));
  for (const b of brokers) await launchDetached({ command: b.command, pidFile: b.pidFile, outputFile: b.outputFile, env: b.env });
  for (let deadline = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
    const view = clusterView(stateDir);
    if (view.brokers.length === 3 && view.topics.every((t) => t.partitions.every((p) => p.isr.length === 3))) break;
    if (Date.now() > deadline) throw new Error('the double brokers did not come up');
  }
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, stringify(doubleInventory({ brokers, installs, ssh: sshd })));
  const out = execFileSync(
    process.execPath,
    [bin, 'upgrade', '--to', '0.11', '-i', inventory, '--state-dir', join(dir, 'state'), '--yes', '--clients-upgraded', '--json'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1 << 26,
    },
  );
  console.log(`double brokers: controlled shutdown ${SHUTDOWN_MS} ms, catch-up ${CATCH_UP_MS} ms after start`);
  printRestarts(JSON.parse(out).run);
  // What one read through the admin API costs (Metadata ×2 + DescribeConfigs), against the poll interval.
  const reader = await KafkaJsClusterState.connect(
    { bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`) },
    { connectTimeoutMs: 5_000 },
  );
  const times = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await reader.snapshot();
    times.push(performance.now() - t0);
  }
  await reader.close();
  times.sort((a, b) => a - b);
  console.log(
    `kafkajs reader snapshot: median ${times[15].toFixed(1)} ms, max ${times[29].toFixed(1)} ms over 30 reads (poll interval while a gate waits: ${POLL_INTERVAL_MS} ms)`,
  );
} finally {
  const pids = brokers.map((b) => readPidFile(b.pidFile)).filter((p) => p !== undefined);
  for (const pid of pids) signal(pid, 'SIGINT');
  for (const pid of await waitGone(pids, 5_000)) signal(pid, 'SIGKILL');
  await stopSshd(join(dir, 'sshd'));
  rmSync(dir, { recursive: true, force: true });
}
