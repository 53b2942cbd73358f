/**
 * The kafka-double against its SPEC.md: real processes, real sockets, and a real client
 * (kafkajs) plus raw wire requests where kafkajs would hide what the broker sent.
 */
import { createConnection } from 'node:net';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../../src/sandbox/processes.js';
import { waitFor } from '../../helpers/faults.js';
import { createDoubleCluster, type DoubleCluster } from '../../helpers/kafka-double.js';

const TOPICS = [
  {
    name: 'orders',
    replicas: [
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
    ],
    config: { 'min.insync.replicas': '2', 'retention.ms': '1000' },
  },
  {
    name: 'audit',
    replicas: [
      [1, 2],
      [2, 3],
    ],
  },
];
const clusters: DoubleCluster[] = [];
const admins: Admin[] = [];

async function cluster(
  name: string,
  release: string,
  extra: Partial<Parameters<typeof createDoubleCluster>[1]> = {},
): Promise<DoubleCluster> {
  const c = await createDoubleCluster(name, {
    releases: [release],
    brokers: [1, 2, 3],
    topics: TOPICS,
    defaults: { controlledShutdownMs: 400, catchUpMs: 600 },
    ...extra,
  });
  clusters.push(c);
  return c;
}

async function admin(c: DoubleCluster): Promise<Admin> {
  const a = new Kafka({ brokers: c.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } }).admin();
  admins.push(a);
  await a.connect();
  return a;
}

/** One raw request (header v1) → the response body after the correlation id. */
function rawRequest(port: number, apiKey: number, apiVersion: number, body: Buffer = Buffer.alloc(0)): Promise<Buffer | 'closed'> {
  return new Promise((resolve, reject) => {
    const header = Buffer.alloc(10 + 6);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(7, 4);
    header.writeInt16BE(6, 8);
    header.write('tester', 10);
    const payload = Buffer.concat([header, body]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(Buffer.concat([size, payload])));
    let data = Buffer.alloc(0);
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
        socket.destroy();
        expect(data.readInt32BE(4)).toBe(7);
        resolve(data.subarray(8));
      }
    });
    socket.on('close', () => resolve('closed'));
    socket.on('error', reject);
  });
}

/** ApiVersions v0 response body → { error, versions: key → [min, max] }. */
function parseApiVersions(body: Buffer): { error: number; versions: Map<number, [number, number]> } {
  const versions = new Map<number, [number, number]>();
  const count = body.readInt32BE(2);
  for (let i = 0; i < count; i++) versions.set(body.readInt16BE(6 + i * 6), [body.readInt16BE(8 + i * 6), body.readInt16BE(10 + i * 6)]);
  return { error: body.readInt16BE(0), versions };
}

afterAll(async () => {
  for (const a of admins) await a.disconnect().catch(() => undefined);
  for (const c of clusters) expect(await c.teardown()).toEqual([]);
});

describe('a 0.10.2.1 double', () => {
  let c: DoubleCluster;
  beforeAll(async () => {
    c = await cluster('v0102', '0.10.2.1', { ibp: '0.10.2', lmfv: '0.10.2' });
    await c.startAll();
  });

  it('advertises the API versions of 0.10.2 and answers an unknown ApiVersions version with error 35 in v0 format', async () => {
    const port = c.broker(1).port;
    const v0 = parseApiVersions((await rawRequest(port, 18, 0)) as Buffer);
    expect(v0.error).toBe(0);
    expect(v0.versions.get(3)).toEqual([0, 2]); // Metadata
    expect(v0.versions.has(32)).toBe(false); // no DescribeConfigs before 0.11.0
    expect(v0.versions.get(17)).toEqual([0, 0]); // SaslHandshake v0 only: raw SASL tokens follow it
    expect(v0.versions.has(36)).toBe(false); // no SaslAuthenticate before 1.0
    const v2 = parseApiVersions((await rawRequest(port, 18, 2)) as Buffer);
    expect(v2.error).toBe(35);
    expect(v2.versions.get(18)).toEqual([0, 0]);
    expect(await rawRequest(port, 3, 4, Buffer.from([0, 0, 0, 0, 1]))).toBe('closed'); // Metadata v4 is unknown to 0.10.2
  });

  it('gives kafkajs brokers, the first registered as controller, and partitions with leader = first ISR member', async () => {
    const a = await admin(c);
    const described = await a.describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    expect(described.controller).toBe(c.view().registrations[0]?.id);
    const { topics } = await a.fetchTopicMetadata();
    const orders = topics.find((t) => t.name === 'orders');
    expect(orders?.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])).toEqual([
      [0, 1, [1, 2, 3], [1, 2, 3]],
      [1, 2, [2, 3, 1], [2, 3, 1]],
      [2, 3, [3, 1, 2], [3, 1, 2]],
    ]);
    await expect(a.describeConfigs({ resources: [{ type: 2, name: 'orders' }], includeSynonyms: false })).rejects.toThrow(
      /does not support/,
    );
  });

  it('reports the release of the install it was started from and the IBP/LMFV of its server.properties', () => {
    expect([...c.view().registrations].sort((a, b) => a.id - b.id).map((r) => [r.id, r.release, r.ibp, r.lmfv])).toEqual(
      [1, 2, 3].map((id) => [id, '0.10.2.1', '0.10.2', '0.10.2']),
    );
  });

  it('on SIGINT: leaves every ISR at once, stays registered for the controlled-shutdown delay, logs success, then unregisters', async () => {
    const pid = c.pid(2) as number;
    const started = Date.now();
    process.kill(pid, 'SIGINT');
    await waitFor('broker 2 out of the ISR', 2_000, () => c.view().topics.every((t) => t.partitions.every((p) => !p.isr.includes(2))), 20);
    expect(c.view().brokers.map((b) => b.id)).toContain(2);
    expect(c.view().topics[0]?.partitions[1]?.leader).toBe(3); // leadership moved to the next in-sync replica
    await waitFor('broker 2 gone', 5_000, () => !isAlive(pid), 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(c.view().brokers.map((b) => b.id)).toEqual([1, 3]);
    expect(c.log(2)).toMatch(/Starting controlled shutdown[\s\S]*Controlled shutdown succeeded[\s\S]*shut down completed/);
  });

  it('on restart: registered at once, back in the ISR only after the catch-up delay', async () => {
    const started = Date.now();
    await c.start(2);
    await waitFor('broker 2 registered', 5_000, () => c.view().brokers.some((b) => b.id === 2), 20);
    expect(c.view().topics[0]?.partitions[0]?.isr).toEqual([1, 3]);
    await waitFor('broker 2 back in every ISR', 5_000, () => c.view().topics[0]?.partitions[0]?.isr.includes(2), 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(c.view().topics[0]?.partitions.map((p) => p.isr)).toEqual([
      [1, 2, 3],
      [2, 3, 1],
      [3, 1, 2],
    ]);
  });

  it('the controller role moves only when the controller goes away', async () => {
    const controller = c.view().controller as number;
    const other = [1, 2, 3].find((id) => id !== controller) as number;
    const otherPid = c.pid(other) as number;
    process.kill(otherPid, 'SIGINT');
    await waitFor('non-controller gone', 5_000, () => !isAlive(otherPid), 20);
    expect(c.view().controller).toBe(controller);
    await c.start(other);
    const pid = c.pid(controller) as number;
    process.kill(pid, 'SIGINT');
    await waitFor('controller gone', 5_000, () => !isAlive(pid), 20);
    expect(c.view().controller).not.toBe(controller);
    await c.start(controller);
    await waitFor(
      'all back in sync',
      5_000,
      () => c.view().topics.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length)),
      50,
    );
  });
});

describe('a 0.11.0.3 double', () => {
  let c: DoubleCluster;
  beforeAll(async () => {
    c = await cluster('v0110', '0.11.0.3', { ibp: '0.11.0', lmfv: '0.10.2' });
    await c.startAll();
  });

  it('answers DescribeConfigs: topic overrides as TOPIC_CONFIG, broker IBP/LMFV only from the broker itself', async () => {
    const a = await admin(c);
    const { resources } = await a.describeConfigs({
      resources: [
        { type: 2, name: 'orders' },
        { type: 2, name: 'audit' },
      ],
      includeSynonyms: false,
    });
    const orders = resources.find((r) => r.resourceName === 'orders')?.configEntries ?? [];
    expect(
      orders
        .filter((e) => !e.isDefault)
        .map((e) => [e.configName, e.configValue])
        .sort(),
    ).toEqual([
      ['min.insync.replicas', '2'],
      ['retention.ms', '1000'],
    ]);
    const audit = resources.find((r) => r.resourceName === 'audit')?.configEntries ?? [];
    expect(audit.map((e) => [e.configName, e.configValue, e.isDefault])).toEqual([['min.insync.replicas', '1', true]]);
    const broker = await a.describeConfigs({
      resources: [{ type: 4, name: '3', configNames: ['inter.broker.protocol.version', 'log.message.format.version'] }],
      includeSynonyms: false,
    });
    expect(broker.resources[0]?.configEntries.map((e) => [e.configName, e.configValue])).toEqual([
      ['inter.broker.protocol.version', '0.11.0'],
      ['log.message.format.version', '0.10.2'],
    ]);
  });

  it('a partition whose replicas are all down has no leader: error 5, which kafkajs refuses', async () => {
    const a = await admin(c);
    const pids = [2, 3].map((id) => c.pid(id) as number);
    for (const pid of pids) process.kill(pid, 'SIGINT');
    await waitFor('brokers 2 and 3 gone', 5_000, () => pids.every((p) => !isAlive(p)), 20);
    expect(c.view().topics.find((t) => t.name === 'audit')?.partitions[1]).toMatchObject({ leader: -1, isr: [] });
    await expect(a.fetchTopicMetadata({ topics: ['audit'] })).rejects.toThrow(/leader/i);
    await c.start(2);
    await c.start(3);
    await waitFor('all back', 5_000, () => c.view().topics.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length)), 50);
  });
});

describe('faults and refusals', () => {
  let c: DoubleCluster;
  beforeAll(async () => {
    c = await cluster('faults', '0.11.0.3', { ibp: '0.11.0', lmfv: '0.11.0', defaults: { controlledShutdownMs: 100, catchUpMs: 200 } });
    await c.startAll();
  });

  async function restart(id: number): Promise<number> {
    const pid = c.pid(id) as number;
    process.kill(pid, 'SIGINT');
    await waitFor(`broker ${id} gone`, 5_000, () => !isAlive(pid), 20);
    return c.start(id);
  }

  it('failStart: logs FATAL and exits before registering', async () => {
    c.setFaults(1, { failStart: true });
    const pid = await restart(1);
    await waitFor('the failing broker to exit', 5_000, () => !isAlive(pid), 20);
    expect(c.view().brokers.map((b) => b.id)).toEqual([2, 3]);
    expect(c.log(1)).toMatch(/FATAL Fatal error during KafkaServer startup/);
  });

  it('neverCatchUp: registers but never joins an ISR', async () => {
    c.setFaults(1, { neverCatchUp: true });
    await c.start(1);
    await waitFor('broker 1 registered', 5_000, () => c.view().brokers.some((b) => b.id === 1), 20);
    await new Promise((r) => setTimeout(r, 600));
    expect(
      c
        .view()
        .topics.flatMap((t) => t.partitions)
        .some((p) => p.isr.includes(1)),
    ).toBe(false);
    c.setFaults(1, {});
    await waitFor('broker 1 caught up once the fault is cleared', 5_000, () => c.inSync(), 50);
  });

  it('refuses LMFV above IBP and an IBP newer than its binaries, like Kafka', async () => {
    c.setFaults(1, {});
    const { writeFileSync } = await import('node:fs');
    // @ts-expect-error plain JavaScript fixture
    const { serverProperties } = await import('./cluster.mjs');
    const b = c.broker(1);
    for (const [ibp, lmfv, says] of [
      ['0.10.2', '0.11.0', /cannot be used when inter.broker.protocol.version/],
      ['1.0', '0.11.0', /is not a version Kafka 0.11.0.3 knows/],
    ] as const) {
      const pid = c.pid(1);
      if (pid) {
        process.kill(pid, 'SIGINT');
        await waitFor('broker 1 gone', 5_000, () => !isAlive(pid), 20);
      }
      writeFileSync(b.configPath, serverProperties({ id: 1, port: b.port, ibp, lmfv }));
      const started = await c.start(1);
      await waitFor('the refusing broker to exit', 5_000, () => !isAlive(started), 20);
      expect(c.log(1)).toMatch(says);
    }
  });
});
