#!/usr/bin/env node
// bench/scale: the ZooKeeper reader and the gates on large clusters. For each size, a real
// ZooKeeper (the embedded Kafka distribution's, on 127.0.0.1) is loaded with Kafka's own layout
// (300 brokers, topics of 100 partitions, replication factor 3, written straight as znodes in
// multi transactions), then it prints: the first full read; the refresh after one partition-state
// change (an ISR shrink written by another client; the snapshot after its watch fired), and the
// same from the write's acknowledgement to the snapshot; and one gate evaluation as the engine
// runs it before a stop (gates.beforeStopFindings + the leadership gate's observe and hold) and
// after a start (gates.caughtUpFindings). Targets at 100k partitions: refresh <= 50 ms, gate <= 100 ms.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`.
//   SIZES=3000,20000,100000 BROKERS=300 REPEAT=21 node bench/scale.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZooKeeperClusterState } from '../dist/cluster/zookeeper.js';
import { beforeStopFindings, caughtUpFindings } from '../dist/engine/gates.js';
import { LeadershipTracker, autoRebalanceOf } from '../dist/engine/leadership.js';
import { startStandaloneZooKeeper } from '../dist/sandbox/zookeeper-server.js';
import { connectWriter, kafkaLayout, stateJson, writeLayout, zkPaths } from '../test/helpers/zk-kafka-layout.mjs';

const SIZES = (process.env.SIZES ?? '3000,20000,100000').split(',').map(Number);
const BROKERS = Number(process.env.BROKERS ?? 300);
const REPEAT = Number(process.env.REPEAT ?? 21);
const PER_TOPIC = 100;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs) => Math.max(...xs);
const ms = (x) => `${x.toFixed(1)} ms`;

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

const rows = [];
for (const size of SIZES) {
  const zk = await startStandaloneZooKeeper(mkdtempSync(join(tmpdir(), 'kafka-ops-bench-scale-')), {
    lifetimeSeconds: 900,
    heap: '1g',
    forceSync: false,
  });
  try {
    const writer = await connectWriter(zk.connect);
    const layout = kafkaLayout({ brokers: BROKERS, topics: Math.ceil(size / PER_TOPIC), partitionsPerTopic: PER_TOPIC });
    const write = await timed(() => writeLayout(writer, layout));
    const reader = await ZooKeeperClusterState.connect(zk.connect, { timeoutMs: 10_000 });
    const full = await timed(() => reader.snapshot());
    const partitions = full.value.partitions.length;

    const refresh = [];
    const endToEnd = [];
    const reads = [];
    for (let i = 0; i < REPEAT; i++) {
      const p = full.value.partitions[(i * 7919) % partitions];
      const isr = i % 2 === 0 ? p.replicas.slice(0, 2) : p.replicas;
      const t0 = performance.now();
      await writer.setData(zkPaths.state(p.topic, p.partition), stateJson({ leader: isr[0], isr, leaderEpoch: i + 1 }));
      await reader.changed(5000);
      const t1 = performance.now();
      await reader.snapshot();
      const t2 = performance.now();
      refresh.push(t2 - t1);
      endToEnd.push(t2 - t0);
      reads.push(reader.lastRefresh.reads);
    }

    // The engine's checks around one broker's restart, each on a snapshot just read (as the
    // engine reads one per check), timed in wall and in this process's CPU (which a loaded
    // machine inflates less).
    const tracker = new LeadershipTracker();
    tracker.observe(await reader.snapshot(), Date.now());
    const rebalance = autoRebalanceOf({});
    const gate = [];
    const gateCpu = [];
    for (let i = 0; i < REPEAT; i++) {
      const broker = layout.brokers[i % BROKERS];
      const snapshot = await reader.snapshot();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      tracker.observe(snapshot, Date.now());
      beforeStopFindings(snapshot, broker, 1);
      tracker.hold(snapshot, Date.now(), rebalance, broker);
      caughtUpFindings(snapshot, broker);
      const cpu = process.cpuUsage(c0);
      gate.push(performance.now() - t0);
      gateCpu.push((cpu.user + cpu.system) / 1000);
    }
    await reader.close();
    writer.close();
    rows.push({ partitions, topics: layout.topics.length, write: write.ms, full: full.ms, refresh, endToEnd, reads, gate, gateCpu });
    console.log(
      `${partitions} partitions (${layout.topics.length} topics, ${BROKERS} brokers): written in ${(write.ms / 1000).toFixed(1)} s; ` +
        `first full read ${(full.ms / 1000).toFixed(2)} s; refresh after one state change median ${ms(median(refresh))} ` +
        `(max ${ms(max(refresh))}, ${median(reads)} read(s)); write-to-snapshot median ${ms(median(endToEnd))}; ` +
        `gate median ${ms(median(gate))} (max ${ms(max(gate))}, CPU median ${ms(median(gateCpu))})`,
    );
  } finally {
    if (!(await zk.stop())) console.error('ZooKeeper did not stop');
  }
}

console.log(
  '\n| partitions | first full read | refresh after one state change (median / max) | write → snapshot | gate (median / max; CPU) |',
);
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.partitions} | ${(r.full / 1000).toFixed(2)} s | ${ms(median(r.refresh))} / ${ms(max(r.refresh))} | ${ms(median(r.endToEnd))} | ${ms(median(r.gate))} / ${ms(max(r.gate))}; ${ms(median(r.gateCpu))} |`,
  );
}
const [load1] = (await import('node:os')).loadavg();
console.log(
  `(${REPEAT} repeats each; targets at 100k: refresh <= 50 ms, gate <= 100 ms; load average ${load1.toFixed(1)} on ${(await import('node:os')).cpus().length} cores)`,
);
