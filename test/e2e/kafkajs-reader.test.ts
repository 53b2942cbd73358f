/**
 * KafkaJsClusterState (src/cluster/kafkajs.ts) against kafka-double brokers: what it reads
 * must be what the brokers answer, across releases, stops, restarts and leaderless partitions.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataBrokers } from '../../src/cluster/kafka-wire.js';
import { KafkaJsClusterState, POLL_INTERVAL_MS } from '../../src/cluster/kafkajs.js';
import type { ClusterSnapshot } from '../../src/cluster/port.js';
import { InfrastructureError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { freePorts, isAlive } from '../../src/sandbox/processes.js';
import { openConnections } from '../../src/services/connections.js';
import { waitFor } from '../helpers/faults.js';
import { createDoubleCluster, type DoubleCluster } from '../helpers/kafka-double.js';
// @ts-expect-error the double is plain JavaScript
import { setFaults } from '../fakes/kafka-double/cluster.mjs';

const TOPICS = [
  {
    name: 'orders',
    replicas: [
      [1, 2, 3],
      [2, 3, 1],
    ],
    config: { 'min.insync.replicas': '2', 'cleanup.policy': 'compact' },
  },
  { name: 'audit', replicas: [[2, 3]] },
];
const clusters: DoubleCluster[] = [];
const readers: KafkaJsClusterState[] = [];

async function start(name: string, release: string, ibp: string, lmfv: string): Promise<DoubleCluster> {
  const c = await createDoubleCluster(name, {
    releases: [release],
    brokers: [1, 2, 3],
    topics: TOPICS,
    ibp,
    lmfv,
    defaults: { controlledShutdownMs: 500, catchUpMs: 300 },
  });
  clusters.push(c);
  await c.startAll();
  return c;
}

async function reader(c: DoubleCluster, servers = c.bootstrap()): Promise<KafkaJsClusterState> {
  const r = await KafkaJsClusterState.connect({ bootstrapServers: servers }, { connectTimeoutMs: 3_000 });
  readers.push(r);
  return r;
}

/** The snapshot the double's state says the brokers should give. */
function expected(c: DoubleCluster): Omit<ClusterSnapshot, 'topics'> {
  const view = c.view();
  return {
    brokers: view.brokers.map((b) => b.id),
    ...(view.controller === undefined ? {} : { controller: view.controller }),
    partitions: view.topics
      .flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partition, replicas: p.replicas, isr: p.isr, leader: p.leader })),
      )
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
  };
}

afterAll(async () => {
  for (const r of readers) await r.close().catch(() => undefined);
  for (const c of clusters) expect(await c.teardown()).toEqual([]);
});

describe('on 0.11.0 brokers', () => {
  let c: DoubleCluster;
  let r: KafkaJsClusterState;
  beforeAll(async () => {
    c = await start('reader-0110', '0.11.0.3', '0.11.0', '0.10.2');
    r = await reader(c, [c.bootstrap()[0] as string]);
  });

  it('reads brokers, controller, leader/replicas/ISR and the topic overrides only', async () => {
    const snapshot = await r.snapshot();
    expect(snapshot).toMatchObject(expected(c));
    expect(snapshot.topics).toEqual([
      { name: 'audit', config: {} },
      { name: 'orders', config: { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' } },
    ]);
    expect(r.topicConfigsReadable).toBe(true);
  });

  it('reads each broker IBP and LMFV from the broker itself', async () => {
    expect(await r.brokerVersions()).toEqual({
      1: { ibp: '0.11.0', lmfv: '0.10.2' },
      2: { ibp: '0.11.0', lmfv: '0.10.2' },
      3: { ibp: '0.11.0', lmfv: '0.10.2' },
    });
  });

  it('follows a controlled shutdown and a restart, even of the broker it bootstrapped from', async () => {
    const pid = c.pid(1) as number;
    process.kill(pid, 'SIGINT');
    const during = await r.snapshot();
    expect(during.brokers).toContain(1); // still registered while it shuts down…
    expect(during.partitions.every((p) => !p.isr.includes(1) && p.leader !== 1)).toBe(true); // …but in no ISR
    await waitFor('broker 1 gone', 5_000, () => !isAlive(pid), 20);
    expect(await r.snapshot()).toMatchObject(expected(c));
    expect((await r.snapshot()).brokers).toEqual([2, 3]);
    await c.start(1);
    await waitFor(
      'broker 1 back in the ISR as read by kafkajs',
      10_000,
      async () => (await r.snapshot()).partitions.every((p) => p.isr.includes(1) || !p.replicas.includes(1)),
      100,
    );
    expect(await r.snapshot()).toMatchObject(expected(c));
    expect(await r.answersAsRegistered(1)).toBe(true); // Metadata v4, asked of broker 1 itself
  });

  it('a leaderless partition (kafkajs refuses the whole answer) holds every gate: its topic reads as leaderless with an empty ISR', async () => {
    await r.snapshot();
    const pids = [2, 3].map((id) => c.pid(id) as number);
    for (const pid of pids) process.kill(pid, 'SIGINT');
    await waitFor('brokers 2 and 3 gone', 5_000, () => pids.every((p) => !isAlive(p)), 20);
    const snapshot = await r.snapshot();
    expect(snapshot.partitions.filter((p) => p.topic === 'audit')).toEqual([
      { topic: 'audit', partition: 0, replicas: [2, 3], isr: [], leader: -1 },
    ]);
    for (const id of [2, 3]) await c.start(id);
    await waitFor('all back', 10_000, () => c.inSync(), 50);
    expect(await r.snapshot()).toMatchObject(expected(c));
  });

  it('changed() only spaces the reads: there are no watches in the admin API', async () => {
    const started = Date.now();
    await r.changed(60_000);
    expect(Date.now() - started).toBeLessThan(POLL_INTERVAL_MS + 1_000);
  });
});

describe('a broker answering from a stale metadata cache (real 0.10.2 while a new controller takes over)', () => {
  it('still lists a stopped broker; the broker itself answers as registered only once it is back', async () => {
    const c = await start('reader-stale', '0.10.2.2', '0.10.2', '0.10.2');
    const r = await reader(c);
    await r.snapshot();
    expect(await r.answersAsRegistered(1)).toBe(true);
    for (const id of [2, 3]) setFaults(c.stateDir, id, { metadataLagMs: 4_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pid = c.pid(1) as number;
    process.kill(pid, 'SIGINT');
    await waitFor('broker 1 gone', 5_000, () => !isAlive(pid), 20);
    // Every answer kafkajs can get now is stale: a snapshot from them alone would let the gate pass.
    for (const id of [2, 3]) expect((await metadataBrokers({ host: '127.0.0.1', port: c.broker(id).port })).brokers).toContain(1);
    expect(await r.answersAsRegistered(1)).toBe(false);
    await c.start(1);
    await waitFor('broker 1 answers as registered', 10_000, () => r.answersAsRegistered(1), 50);
    expect(c.view().brokers.map((b) => b.id)).toContain(1);
  });
});

describe('across ZooKeeper-mode releases (each advertising its own API versions)', () => {
  it.each([
    ['0.10.0.1', '0.10.0', false],
    ['0.10.2.1', '0.10.2', false],
    ['1.1.1', '1.1', true],
    ['2.8.2', '2.8', true],
    ['3.9.0', '3.9', true],
  ] as const)(
    '%s: partitions always; topic overrides and broker versions only with DescribeConfigs (0.11.0+)',
    async (release, ibp, describable) => {
      const c = await start(`reader-${release}`, release, ibp, ibp);
      const r = await reader(c);
      const snapshot = await r.snapshot();
      expect(snapshot).toMatchObject(expected(c));
      expect(r.topicConfigsReadable).toBe(describable);
      const orders = snapshot.topics.find((t) => t.name === 'orders')?.config;
      expect(orders).toEqual(describable ? { 'cleanup.policy': 'compact', 'min.insync.replicas': '2' } : {});
      const versions = await r.brokerVersions();
      expect(versions).toEqual(describable ? { 1: { ibp, lmfv: ibp }, 2: { ibp, lmfv: ibp }, 3: { ibp, lmfv: ibp } } : {});
      await r.close();
      expect(await c.teardown()).toEqual([]);
      clusters.splice(clusters.indexOf(c), 1);
    },
  );
});

describe('choosing and connecting', () => {
  it('openConnections reads through kafkajs when the inventory gives bootstrap servers and no ZooKeeper', async () => {
    const c = clusters[0] as DoubleCluster;
    const file = join(c.root, 'inventory.yaml');
    writeFileSync(file, c.inventory({ port: 22, user: 'nobody', knownHostsFile: '/dev/null', userKeyFile: '/dev/null' }));
    const connections = openConnections(loadInventory(file));
    try {
      const state = await connections.cluster();
      expect(state).toBeInstanceOf(KafkaJsClusterState);
      expect((await state.snapshot()).brokers).toEqual([1, 2, 3]);
    } finally {
      await connections.close();
    }
  });

  it('nothing listening: a retriable infrastructure error that says what to check', async () => {
    const [port] = await freePorts(1);
    const error = await KafkaJsClusterState.connect({ bootstrapServers: [`127.0.0.1:${port}`] }, { connectTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(error).toMatchObject({ code: 'KAFKA_UNREACHABLE', retriable: true, exitCode: 3 });
    expect((error as InfrastructureError).action).toMatch(/state\.bootstrapServers/);
    expect((error as InfrastructureError).action).toMatch(/state\.zookeeper/);
  });
});

describe('TLS and SASL, on the wire', () => {
  const PASSWORD = 'pa55-w0rd!';
  const users = { ops: PASSWORD };

  /** A self-signed certificate for 127.0.0.1 (server and client), its key and cert in one PEM file. */
  function certificate(dir: string): { pem: string; cert: string } {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const pem = join(dir, 'keystore.pem');
    writeFileSync(pem, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
    return { pem, cert };
  }

  async function secured(
    name: string,
    release: string,
    protocol: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL',
    tlsDir?: { pem: string; cert: string },
  ): Promise<DoubleCluster> {
    const security: Record<string, string> = { 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512' };
    if (tlsDir)
      Object.assign(security, {
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': tlsDir.pem,
        'ssl.client.auth': 'required',
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': tlsDir.cert,
      });
    const c = await createDoubleCluster(name, { releases: [release], brokers: [1, 2, 3], topics: TOPICS, users, protocol, security });
    clusters.push(c);
    await c.startAll();
    return c;
  }

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    'SASL %s over TLS with a client certificate (2.8: SaslAuthenticate), password from the environment',
    async (mechanism) => {
      const dir = (clusters[0] as DoubleCluster).root;
      const tls = certificate(dir);
      const c = await secured(`tls-${mechanism}`, '2.8.2', 'SASL_SSL', tls);
      process.env.KAFKA_OPS_TEST_PASSWORD = PASSWORD;
      const r = await KafkaJsClusterState.connect(
        {
          bootstrapServers: c.bootstrap(),
          tls: { caFile: tls.cert, certFile: tls.cert, keyFile: tls.pem, rejectUnauthorized: true },
          sasl: { mechanism, username: 'ops', passwordEnv: 'KAFKA_OPS_TEST_PASSWORD' },
        },
        { connectTimeoutMs: 3_000 },
      );
      readers.push(r);
      expect(await r.snapshot()).toMatchObject(expected(c));
      expect((await r.snapshot()).topics.find((t) => t.name === 'orders')?.config).toEqual({
        'cleanup.policy': 'compact',
        'min.insync.replicas': '2',
      });
    },
  );

  it('SASL SCRAM-SHA-512 on 0.10.2 (raw tokens after SaslHandshake v0), password from a file', async () => {
    const c = await secured('raw-scram', '0.10.2.1', 'SASL_PLAINTEXT');
    const file = join(c.root, 'password');
    writeFileSync(file, `${PASSWORD}\n`);
    const r = await KafkaJsClusterState.connect(
      { bootstrapServers: c.bootstrap(), sasl: { mechanism: 'scram-sha-512', username: 'ops', passwordFile: file } },
      { connectTimeoutMs: 3_000 },
    );
    readers.push(r);
    expect(await r.snapshot()).toMatchObject(expected(c));
  });

  it('a wrong password or no TLS where TLS is required: KAFKA_UNREACHABLE, and the password is in no message', async () => {
    const c = clusters.at(-1) as DoubleCluster; // the SASL_PLAINTEXT 0.10.2 cluster
    process.env.KAFKA_OPS_TEST_WRONG = 'not-the-password';
    for (const mechanism of ['plain', 'scram-sha-256'] as const) {
      const error = await KafkaJsClusterState.connect(
        { bootstrapServers: c.bootstrap(), sasl: { mechanism, username: 'ops', passwordEnv: 'KAFKA_OPS_TEST_WRONG' } },
        { connectTimeoutMs: 2_000 },
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KAFKA_UNREACHABLE' });
      expect(JSON.stringify((error as InfrastructureError).toJSON())).not.toMatch(/not-the-password|pa55/);
    }
    const tlsCluster = clusters.find((x) => x.root.includes('tls-plain')) as DoubleCluster;
    const error = await KafkaJsClusterState.connect({ bootstrapServers: tlsCluster.bootstrap() }, { connectTimeoutMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'KAFKA_UNREACHABLE' });
  });
});
