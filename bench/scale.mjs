#!/usr/bin/env node
// bench/scale: the ZooKeeper reader and the gates on large clusters. For each size, a real
// ZooKeeper (the embedded Kafka distribution's, on 127.0.0.1) is loaded with Kafka's own layout
// (300 brokers, topics of 100 partitions, replication factor 3, written straight as znodes in
// multi transactions), then it prints: the first full read; the refresh after one partition-state
// change (an ISR shrink written by another client; the snapshot after its watch fired), and the
// same from the write's acknowledgement to the snapshot; and one gate evaluation as the engine
// runs it before a stop (gates.beforeStopFindings + the leadership gate's observe and hold) and
// after a start (gates.caughtUpFindings). Targets at 100k partitions: refresh <= 50 ms, gate <= 100 ms.
// Then the admin-API reader (kafkajs) against the wire-level double (test/fakes/kafka-double, 3
// brokers) holding the same layout: wall time of one snapshot, this process's CPU for it (kafka-ops'
// own cost; the rest of the wall time is the double building its answers), and the Metadata
// requests it took.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`.
//   SIZES=3000,20000,100000 ADMIN_SIZES=20000,100000 BROKERS=300 REPEAT=21 node bench/scale.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { KafkaJsClusterState, pollDelayMs } from '../dist/cluster/kafkajs.js';
import { ZooKeeperClusterState } from '../dist/cluster/zookeeper.js';
import { freePorts, launchDetached, readPidFile, signal, waitGone } from '../dist/sandbox/processes.js';
import { clusterView, createBrokerLayout, createCluster, createInstall } from '../test/fakes/kafka-double/cluster.mjs';
import { beforeStopFindings, caughtUpFindings } from '../dist/engine/gates.js';
import { LeadershipTracker, autoRebalanceOf } from '../dist/engine/leadership.js';
import { startStandaloneZooKeeper } from '../dist/sandbox/zookeeper-server.js';
import { connectWriter, kafkaLayout, stateJson, writeLayout, zkPaths } from '../test/helpers/zk-kafka-layout.mjs';

const SIZES = (process.env.SIZES ?? '3000,20000,100000').split(',').filter(Boolean).map(Number);
const ADMIN_SIZES = (process.env.ADMIN_SIZES ?? '20000,100000').split(',').filter(Boolean).map(Number);
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

for (const size of ADMIN_SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-admin-'));
  const stateDir = join(dir, 'state');
  const layout = kafkaLayout({ brokers: 3, topics: Math.ceil(size / PER_TOPIC), partitionsPerTopic: PER_TOPIC });
  createCluster(stateDir, { topics: layout.topics, defaults: { catchUpMs: 0 } });
  const install = createInstall(join(dir, 'kafka_2.11-2.8.2'), '2.8.2');
  const ports = await freePorts(3);
  const brokers = layout.brokers.map((id, i) => createBrokerLayout(dir, stateDir, id, install, { port: ports[i] }));
  try {
    for (const b of brokers) await launchDetached({ command: b.command, pidFile: b.pidFile, outputFile: b.outputFile, env: b.env });
    for (let deadline = Date.now() + 60_000; clusterView(stateDir).brokers.length < 3; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error('the double brokers did not come up');
    }
    const reader = await KafkaJsClusterState.connect(
      { bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`) },
      { connectTimeoutMs: 60_000 },
    );
    // kafkajs's own instrumentation: which requests one snapshot sends, and how large the answers are.
    const admin = reader['admin'];
    const requests = [];
    admin.on(admin.events.REQUEST, (e) => requests.push(e.payload));
    const wall = [];
    const cpu = [];
    let metadata = [];
    for (let i = 0; i < 3; i++) {
      requests.length = 0;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const snapshot = await reader.snapshot();
      const c = process.cpuUsage(c0);
      wall.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
      metadata = requests.filter((r) => r.apiName === 'Metadata');
      if (snapshot.partitions.length !== size) throw new Error(`read ${snapshot.partitions.length} partitions, not ${size}`);
    }
    await reader.close();
    const mb = metadata.reduce((n, r) => n + r.size, 0) / 1e6;
    console.log(
      `admin API, ${size} partitions: snapshot median ${(median(wall) / 1000).toFixed(2)} s wall, ${ms(median(cpu))} CPU in kafka-ops; ` +
        `${metadata.length} Metadata answers of ${(mb / Math.max(1, metadata.length)).toFixed(1)} MB each, then the poll waits ${(pollDelayMs(reader.lastReadMs, Infinity) / 1000).toFixed(1)} s`,
    );
  } finally {
    const pids = brokers.map((b) => readPidFile(b.pidFile)).filter((p) => p !== undefined);
    for (const pid of pids) signal(pid, 'SIGINT');
    for (const pid of await waitGone(pids, 5_000)) signal(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
