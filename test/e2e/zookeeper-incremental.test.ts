/**
 * The ZooKeeper reader's incremental model against a real ZooKeeper (from the embedded Kafka
 * distribution, on 127.0.0.1) holding Kafka's layout: after random sequences of the changes a
 * Kafka cluster makes (ISR and leader changes, partitions added, reassignments, topics created and
 * deleted, config overrides, brokers coming and going, controller moves, admin requests), every
 * snapshot equals a fresh full read; one ISR change costs one read; a lost connection and an
 * expired session end in a full re-read; an unreachable ZooKeeper is an error, not a hang.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../src/cluster/port.js';
import { ZooKeeperClusterState } from '../../src/cluster/zookeeper.js';
import { startStandaloneZooKeeper, type StandaloneZooKeeper } from '../../src/sandbox/zookeeper-server.js';
import { startProxy, type CuttableProxy } from '../helpers/tcp-proxy.js';
// @ts-expect-error plain JavaScript shared with bench/scale.mjs
import * as zkLayout from '../helpers/zk-kafka-layout.mjs';

const { zkPaths, stateJson, assignmentJson, configJson, brokerJson, controllerJson, kafkaLayout, writeLayout, connectWriter } = zkLayout;

interface Writer {
  create(path: string, data?: string): Promise<void>;
  setData(path: string, data: string): Promise<void>;
  remove(path: string): Promise<void>;
  removeTree(path: string): Promise<void>;
  getData(path: string): Promise<string>;
  close(): void;
}

interface MirrorTopic {
  replicas: number[][];
  /** Partitions that have a state node. */
  withState: Set<number>;
  hasConfig: boolean;
}

/** mulberry32: a seeded generator, so a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BROKERS = [1, 2, 3, 4, 5, 6];
const SEED = 17;

/** What the writer has put into ZooKeeper, to choose the next change from. */
class Mirror {
  topics = new Map<string, MirrorTopic>();
  brokers = new Set(BROKERS);
  controller: number | undefined = 1;
  requests = new Set<string>();
  private created = 0;

  constructor(
    private readonly w: Writer,
    private readonly rnd: () => number,
  ) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rnd() * items.length)] as T;
  }

  private replicaSet(): number[] {
    const ids = [...BROKERS].sort(() => this.rnd() - 0.5);
    return ids.slice(0, 3);
  }

  private isrOf(replicas: number[]): number[] {
    const isr = replicas.filter(() => this.rnd() < 0.7);
    return isr.length > 0 ? isr : replicas.slice(0, 1);
  }

  async createTopic(): Promise<string> {
    const name = `t-${this.created++}`;
    const replicas = Array.from({ length: 1 + Math.floor(this.rnd() * 4) }, () => this.replicaSet());
    await this.w.create(zkPaths.config(name), configJson(this.rnd() < 0.5 ? { 'min.insync.replicas': '2' } : {}));
    await this.w.create(zkPaths.topic(name), assignmentJson(replicas));
    await this.w.create(zkPaths.partitions(name));
    const withState = new Set<number>();
    for (let p = 0; p < replicas.length; p++) {
      await this.w.create(zkPaths.partition(name, p));
      // Now and then the controller has not elected a leader yet: no state node.
      if (this.rnd() < 0.85) {
        const isr = this.isrOf(replicas[p] as number[]);
        await this.w.create(zkPaths.state(name, p), stateJson({ leader: isr[0], isr }));
        withState.add(p);
      }
    }
    this.topics.set(name, { replicas, withState, hasConfig: true });
    return name;
  }

  /** One random change of the kinds a running Kafka cluster makes; returns what it did. */
  async change(): Promise<string> {
    const names = [...this.topics.keys()];
    const roll = this.rnd();
    if (names.length === 0 || roll < 0.06) return `create topic ${await this.createTopic()}`;
    const name = this.pick(names);
    const t = this.topics.get(name) as MirrorTopic;
    if (roll < 0.45) {
      const p = Math.floor(this.rnd() * t.replicas.length);
      const isr = this.isrOf(t.replicas[p] as number[]);
      const state = stateJson({ leader: this.rnd() < 0.1 ? -1 : (isr[0] as number), isr, leaderEpoch: Math.floor(this.rnd() * 50) });
      if (t.withState.has(p)) await this.w.setData(zkPaths.state(name, p), state);
      else {
        await this.w.create(zkPaths.state(name, p), state);
        t.withState.add(p);
      }
      return `state ${name}-${p}`;
    }
    if (roll < 0.5 && t.withState.size > 0) {
      const p = this.pick([...t.withState]);
      await this.w.remove(zkPaths.state(name, p));
      t.withState.delete(p);
      return `delete state ${name}-${p}`;
    }
    if (roll < 0.57) {
      const p = t.replicas.length;
      t.replicas.push(this.replicaSet());
      await this.w.create(zkPaths.partition(name, p));
      if (this.rnd() < 0.5) {
        await this.w.create(zkPaths.state(name, p), stateJson({ leader: t.replicas[p]?.[0] as number, isr: t.replicas[p] as number[] }));
        t.withState.add(p);
      }
      await this.w.setData(zkPaths.topic(name), assignmentJson(t.replicas));
      return `add partition ${name}-${p}`;
    }
    if (roll < 0.64) {
      const p = Math.floor(this.rnd() * t.replicas.length);
      t.replicas[p] = this.replicaSet();
      await this.w.setData(zkPaths.topic(name), assignmentJson(t.replicas));
      return `reassign ${name}-${p}`;
    }
    if (roll < 0.7) {
      await this.w.removeTree(zkPaths.topic(name));
      if (t.hasConfig) await this.w.remove(zkPaths.config(name));
      this.topics.delete(name);
      return `delete topic ${name}`;
    }
    if (roll < 0.78) {
      if (t.hasConfig && this.rnd() < 0.3) {
        await this.w.remove(zkPaths.config(name));
        t.hasConfig = false;
        return `delete config ${name}`;
      }
      const config = configJson({ 'min.insync.replicas': String(1 + Math.floor(this.rnd() * 3)), 'retention.ms': String(this.created) });
      if (t.hasConfig) await this.w.setData(zkPaths.config(name), config);
      else await this.w.create(zkPaths.config(name), config);
      t.hasConfig = true;
      return `config ${name}`;
    }
    if (roll < 0.86) {
      const id = this.pick(BROKERS);
      if (this.brokers.has(id)) {
        await this.w.remove(zkPaths.broker(id));
        this.brokers.delete(id);
        return `broker ${id} gone`;
      }
      await this.w.create(zkPaths.broker(id), brokerJson(id));
      this.brokers.add(id);
      return `broker ${id} back`;
    }
    if (roll < 0.93) {
      if (this.controller !== undefined) await this.w.remove(zkPaths.controller);
      this.controller = this.rnd() < 0.2 ? undefined : this.pick(BROKERS);
      if (this.controller !== undefined) await this.w.create(zkPaths.controller, controllerJson(this.controller));
      return `controller ${this.controller ?? 'none'}`;
    }
    const request = this.pick([zkPaths.preferredElection, zkPaths.reassignment]);
    if (this.requests.has(request)) {
      await this.w.remove(request);
      this.requests.delete(request);
    } else {
      await this.w.create(request, JSON.stringify({ version: 1, partitions: [{ topic: name, partition: 0 }] }));
      this.requests.add(request);
    }
    return `request ${request}`;
  }
}

let zk: StandaloneZooKeeper;
let writer: Writer;
/** One mirror for the whole file: every test changes the same ZooKeeper. */
let mirror: Mirror;

async function fullRead(connect = zk.connect): Promise<ClusterSnapshot> {
  const fresh = await ZooKeeperClusterState.connect(connect, { timeoutMs: 5000 });
  try {
    return await fresh.snapshot();
  } finally {
    await fresh.close();
  }
}

/**
 * The reader's snapshot once it has seen every change made so far: watch events reach it
 * asynchronously, so it is read again on each event until it equals a full read (or 5 s pass).
 */
async function convergedSnapshot(reader: ZooKeeperClusterState, full: ClusterSnapshot): Promise<ClusterSnapshot> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const snapshot = await reader.snapshot();
    if (Date.now() > deadline || JSON.stringify(snapshot) === JSON.stringify(full)) return snapshot;
    await reader.changed(100);
  }
}

beforeAll(async () => {
  zk = await startStandaloneZooKeeper(mkdtempSync(join(tmpdir(), 'kafka-ops-zk-incremental-')), { lifetimeSeconds: 300 });
  writer = await connectWriter(zk.connect);
  await writeLayout(writer, kafkaLayout({ brokers: BROKERS.length, topics: 4, partitionsPerTopic: 5 }));
  mirror = new Mirror(writer, random(SEED));
}, 60_000);

afterAll(async () => {
  writer?.close();
  if (zk) expect(await zk.stop()).toBe(true);
});

describe('ZooKeeper reader: the incremental model', () => {
  it('equals a fresh full read after random sequences of cluster changes, reading only what changed', async () => {
    const reader = await ZooKeeperClusterState.connect(zk.connect, { timeoutMs: 5000 });
    try {
      const first = await reader.snapshot();
      expect(reader.lastRefresh.full).toBe(true);
      expect(first.partitions).toHaveLength(20);
      let incrementalReads = 0;
      for (let round = 0; round < 40; round++) {
        const done: string[] = [];
        const count = 1 + (round % 4);
        for (let i = 0; i < count; i++) done.push(await mirror.change());
        const full = await fullRead();
        const snapshot = await convergedSnapshot(reader, full);
        expect(snapshot, `seed ${SEED}, round ${round}: ${done.join('; ')}`).toEqual(full);
        expect(reader.lastRefresh.full).toBe(false);
        incrementalReads += reader.lastRefresh.reads;
      }
      // The changes were spread over the rounds' refreshes; none of them read the whole cluster.
      expect(incrementalReads).toBeGreaterThan(0);
      expect(mirror.topics.size).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  });

  it('re-reads one node after one ISR change, and the snapshot shows it', async () => {
    const reader = await ZooKeeperClusterState.connect(zk.connect, { timeoutMs: 5000 });
    try {
      const before = await reader.snapshot();
      const target = before.partitions.find((p) => p.leader >= 0 && p.isr.length >= 2);
      expect(target).toBeDefined();
      const { topic, partition, isr } = target!;
      const shrunk = isr.slice(0, isr.length - 1);
      await writer.setData(zkPaths.state(topic, partition), stateJson({ leader: shrunk[0], isr: shrunk, leaderEpoch: 99 }));
      await reader.changed(5000);
      const after = await reader.snapshot();
      expect(reader.lastRefresh).toEqual({ full: false, reads: 1 });
      expect(after.partitions.find((p) => p.topic === topic && p.partition === partition)).toMatchObject({ isr: shrunk, leaderEpoch: 99 });
      expect(after).toEqual(await fullRead());
      // Nothing else changed: the next snapshot reads nothing and shares the partitions' objects.
      const again = await reader.snapshot();
      expect(reader.lastRefresh.reads).toBe(0);
      expect(again.partitions[0]).toBe(after.partitions[0]);
    } finally {
      await reader.close();
    }
  });
});

describe('ZooKeeper reader: lost connections', () => {
  let proxy: CuttableProxy;
  beforeAll(async () => {
    proxy = await startProxy({ host: '127.0.0.1', port: zk.port });
  });
  afterAll(async () => {
    await proxy?.close();
  });
  const through = () => `127.0.0.1:${proxy.port}`;

  it('reads the whole cluster again after the connection drops, changes made meanwhile included', async () => {
    const reader = await ZooKeeperClusterState.connect(through(), { timeoutMs: 5000 });
    try {
      await reader.snapshot();
      await proxy.cut();
      for (let i = 0; i < 6; i++) await mirror.change();
      await proxy.restore();
      const full = await fullRead();
      const snapshot = await convergedSnapshot(reader, full);
      expect(snapshot).toEqual(full);
      // The first snapshot after the drop read everything (no watch survived it), later ones only changes.
      const name = await mirror.createTopic();
      const after = await convergedSnapshot(reader, await fullRead());
      expect(after.topics.map((t) => t.name)).toContain(name);
      expect(reader.lastRefresh.full).toBe(false);
    } finally {
      await reader.close();
    }
  });

  it('opens a new session when the old one expired, and reads the whole cluster again', async () => {
    const reader = await ZooKeeperClusterState.connect(through(), { timeoutMs: 5000, sessionTimeoutMs: 4000 });
    try {
      await reader.snapshot();
      await proxy.cut();
      for (let i = 0; i < 6; i++) await mirror.change();
      // Past the session timeout (the server's minimum, two ticks of 2 s): the server expires it.
      await new Promise((r) => setTimeout(r, 6000));
      await proxy.restore();
      const full = await fullRead();
      // The library's reconnect is refused (expired); the reader's next snapshot starts a new session.
      let snapshot: ClusterSnapshot | undefined;
      for (let deadline = Date.now() + 10_000; !snapshot && Date.now() < deadline;) {
        snapshot = await reader.snapshot().catch(() => undefined);
        if (!snapshot) await new Promise((r) => setTimeout(r, 200));
      }
      expect(snapshot).toEqual(full);
      expect(reader.lastRefresh.full).toBe(true);
    } finally {
      await proxy.restore();
      await reader.close();
    }
  }, 30_000);

  it('fails a read with a retriable error when ZooKeeper stays unreachable, instead of hanging', async () => {
    const reader = await ZooKeeperClusterState.connect(through(), { timeoutMs: 2000, requestTimeoutMs: 1500 });
    try {
      await reader.snapshot();
      await proxy.cut();
      // The drop reaches the reader as an event; from then on nothing it holds is trusted.
      await reader.changed(5000);
      const started = Date.now();
      await expect(reader.snapshot()).rejects.toMatchObject({ code: 'ZOOKEEPER_REQUEST_FAILED', retriable: true });
      expect(Date.now() - started).toBeLessThan(5000);
      await proxy.restore();
      expect(await convergedSnapshot(reader, await fullRead())).toEqual(await fullRead());
    } finally {
      await reader.close();
    }
  });
});
