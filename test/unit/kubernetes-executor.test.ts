/**
 * The fake Kubernetes API (test/fakes/kubernetes) and the Kubernetes broker host against it:
 * the fake's own behaviour first, then the host's refusals and its mapping of the engine's
 * operations onto ConfigMap / StatefulSet / pod deletion.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { brokerSpec } from '../helpers/inventory-fixtures.js';
import { connectKubernetes, type KubernetesBrokerHost } from '../../src/hosts/kubernetes.js';
import type { KubernetesExecutorSettings } from '../../src/inventory/model.js';
import { FakeKubernetes, type ContainerRuntime, type FakeUser, type Pod } from '../fakes/kubernetes/server.js';
import { msUntilRefused } from '../fakes/http.js';

const NS = 'kafka';
let fake: FakeKubernetes | undefined;
const hosts: KubernetesBrokerHost[] = [];

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await fake?.stop();
  fake = undefined;
});

const template = (image: string) => ({
  metadata: { labels: { app: 'kafka' } },
  spec: {
    containers: [
      {
        name: 'kafka',
        image,
        env: [
          { name: 'KAFKA_ZOOKEEPER_CONNECT', value: 'zk:2181' },
          { name: 'KAFKA_INTER_BROKER_PROTOCOL_VERSION', value: '0.8.2' },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
      },
    ],
  },
});

async function startFake(
  opts: { strategy?: 'OnDelete' | 'RollingUpdate'; users?: Record<string, FakeUser>; runtime?: ContainerRuntime } = {},
): Promise<FakeKubernetes> {
  fake = new FakeKubernetes({
    lifetimeMs: 60_000,
    watchTimeoutMs: 2000,
    ...(opts.users ? { users: opts.users } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  });
  await fake.start();
  fake.addConfigMap(NS, 'kafka-config', {
    'server-1.properties': 'broker.id=1\ninter.broker.protocol.version=0.8.2\n',
    'server-2.properties': 'broker.id=2\n',
  });
  await fake.addStatefulSet(NS, 'kafka', {
    replicas: 2,
    ordinals: { start: 1 },
    updateStrategy: { type: opts.strategy ?? 'OnDelete' },
    template: template('kafka:0.8.2'),
  });
  return fake;
}

function kubeconfigFile(server: FakeKubernetes, token = 'admin-token'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kafka-ops-kube-')), 'config');
  writeFileSync(file, server.kubeconfig(token, NS));
  return file;
}

const spec = (id: number) => brokerSpec(id);

function settings(config: KubernetesExecutorSettings['config'], kubeconfig: string): KubernetesExecutorSettings {
  return {
    kind: 'kubernetes',
    kubeconfig,
    namespace: NS,
    statefulSet: 'kafka',
    container: 'kafka',
    pod: 'kafka-{id}',
    config,
    images: { '0.8.2.2': 'kafka:0.8.2', '0.9.0.1': 'kafka:0.9.0' },
  };
}

async function connect(id: number, config: KubernetesExecutorSettings['config'], token?: string): Promise<KubernetesBrokerHost> {
  const host = await connectKubernetes(spec(id), settings(config, kubeconfigFile(fake!, token)), 'inventory.yaml');
  hosts.push(host);
  return host;
}

const CM = { configMap: { name: 'kafka-config', key: 'server-{id}.properties' } };

async function watchLines(server: FakeKubernetes, query: string, count: number): Promise<Array<{ type: string; object: Pod }>> {
  const res = await fetch(`${server.url}/api/v1/namespaces/${NS}/pods?watch=true&${query}`, {
    headers: { authorization: 'Bearer admin-token' },
  });
  const reader = res.body!.getReader();
  let text = '';
  while (text.split('\n').filter(Boolean).length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('the fake Kubernetes API', () => {
  it('listens on 127.0.0.1 only and closes itself when its lifetime ends', async () => {
    // A lifetime long enough that the first request lands inside it even on a loaded machine; the end of the
    // lifetime is then polled for (bounded), not raced against a fixed sleep.
    const lifetimeMs = 5000;
    const started = Date.now();
    const short = new FakeKubernetes({ lifetimeMs });
    const url = await short.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/api/v1/namespaces/x/pods/y`)).status).toBe(401);
    expect(await msUntilRefused(`${url}/api/v1/namespaces/x/pods/y`, started, lifetimeMs + 10_000)).toBeGreaterThanOrEqual(lifetimeMs);
  });

  it('answers 401 without a known bearer token and a Status 403 outside the rules', async () => {
    await startFake({
      users: {
        'admin-token': { name: 'admin', rules: [{ verbs: ['*'], resources: ['*'] }] },
        'ro-token': { name: 'viewer', rules: [{ verbs: ['get'], resources: ['pods'] }] },
      },
    });
    expect((await fetch(`${fake!.url}/api/v1/namespaces/${NS}/pods/kafka-1`)).status).toBe(401);
    const denied = await fetch(`${fake!.url}/api/v1/namespaces/${NS}/pods/kafka-1`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer ro-token' },
    });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(
      (await fetch(`${fake!.url}/api/v1/namespaces/${NS}/pods/kafka-1`, { headers: { authorization: 'Bearer ro-token' } })).status,
    ).toBe(200);
  });

  it('recreates a deleted pod from the current template, labelled with the new update revision, and streams it on a watch', async () => {
    await startFake();
    const before = fake!.pod(NS, 'kafka-1')!;
    const patch = await fetch(`${fake!.url}/apis/apps/v1/namespaces/${NS}/statefulsets/kafka`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'kafka:0.9.0' }]),
    });
    expect(patch.status).toBe(200);
    const sts = fake!.statefulSet(NS, 'kafka')!;
    expect(sts.status.updateRevision).not.toBe(sts.status.currentRevision);
    // OnDelete: nothing restarted by the patch
    expect(fake!.pod(NS, 'kafka-1')!.metadata.uid).toBe(before.metadata.uid);
    const rv = before.metadata.resourceVersion;
    const events = watchLines(fake!, `fieldSelector=metadata.name%3Dkafka-1&resourceVersion=${rv}`, 4);
    const del = await fetch(`${fake!.url}/api/v1/namespaces/${NS}/pods/kafka-1?gracePeriodSeconds=5`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ preconditions: { uid: before.metadata.uid } }),
    });
    expect(del.status).toBe(200);
    const seen = await events;
    expect(seen.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED', 'ADDED', 'MODIFIED']);
    expect(seen[0]!.object.metadata.deletionGracePeriodSeconds).toBe(5);
    const recreated = seen[3]!.object;
    expect(recreated.metadata.uid).not.toBe(before.metadata.uid);
    expect(recreated.metadata.labels['controller-revision-hash']).toBe(sts.status.updateRevision);
    expect(recreated.spec.containers[0]!.image).toBe('kafka:0.9.0');
    expect(recreated.status.conditions).toContainEqual({ type: 'Ready', status: 'True' });
  });

  it('refuses a delete whose uid precondition no longer holds, a failed JSON-patch test and a stale merge patch', async () => {
    await startFake();
    const h = { authorization: 'Bearer admin-token' };
    expect(
      (
        await fetch(`${fake!.url}/api/v1/namespaces/${NS}/pods/kafka-1`, {
          method: 'DELETE',
          headers: h,
          body: JSON.stringify({ preconditions: { uid: 'other' } }),
        })
      ).status,
    ).toBe(409);
    const test = await fetch(`${fake!.url}/apis/apps/v1/namespaces/${NS}/statefulsets/kafka`, {
      method: 'PATCH',
      headers: { ...h, 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'test', path: '/metadata/resourceVersion', value: '1' }]),
    });
    expect(test.status).toBe(422);
    const stale = await fetch(`${fake!.url}/api/v1/namespaces/${NS}/configmaps/kafka-config`, {
      method: 'PATCH',
      headers: { ...h, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { resourceVersion: '1' }, data: { x: 'y' } }),
    });
    expect(stale.status).toBe(409);
    expect(fake!.configMap(NS, 'kafka-config')!.data.x).toBeUndefined();
  });

  it('with RollingUpdate replaces every pod itself when the template changes, highest ordinal first', async () => {
    const order: string[] = [];
    await startFake({ strategy: 'RollingUpdate', runtime: { start: async () => {}, stop: async (p) => void order.push(p.metadata.name) } });
    await fetch(`${fake!.url}/apis/apps/v1/namespaces/${NS}/statefulsets/kafka`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'kafka:0.9.0' }]),
    });
    await fake!.stop(); // waits for the controller's work
    expect(order).toEqual(['kafka-2', 'kafka-1']);
  });
});

describe('the Kubernetes broker host', () => {
  it('refuses a StatefulSet with updateStrategy RollingUpdate before touching anything', async () => {
    await startFake({ strategy: 'RollingUpdate' });
    const error = await connect(1, CM).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'K8S_ROLLING_UPDATE', location: { file: 'inventory.yaml' } });
    expect((error as Error).message).toMatch(/updateStrategy RollingUpdate/);
    expect(fake!.requests.filter((r) => r.method !== 'GET' && !r.path.includes('selfsubjectaccessreviews'))).toEqual([]);
  });

  it('refuses a missing ConfigMap key, naming the keys that exist', async () => {
    await startFake();
    const error = await connect(1, { configMap: { name: 'kafka-config', key: 'broker-{id}.props' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'K8S_CONFIGMAP_KEY_MISSING' });
    expect((error as Error).message).toMatch(/no key broker-1\.props \(it has: server-1\.properties, server-2\.properties\)/);
  });

  it('refuses an identity without delete on pods, listing what is missing', async () => {
    await startFake({
      users: {
        'admin-token': { name: 'admin', rules: [{ verbs: ['*'], resources: ['*'] }] },
        'viewer-token': {
          name: 'viewer',
          rules: [{ verbs: ['get', 'list', 'watch', 'patch'], resources: ['pods', 'statefulsets', 'configmaps'], namespaces: [NS] }],
        },
      },
    });
    const error = await connect(1, CM, 'viewer-token').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'K8S_FORBIDDEN' });
    expect((error as Error).message).toMatch(/may not delete pods\/kafka-1 in namespace kafka/);
    expect(fake!.requests.some((r) => r.method === 'DELETE' || r.method === 'PATCH')).toBe(false);
  });

  it('refuses a token the API server does not know (401) as no access', async () => {
    await startFake();
    await expect(connect(1, CM, 'wrong-token')).rejects.toMatchObject({ code: 'K8S_FORBIDDEN' });
  });

  it('maps config, release, stop and start onto ConfigMap, StatefulSet and pod deletion; done-ness follows', async () => {
    await startFake();
    const host = await connect(1, CM);
    expect(host.replacesOnStop).toBe(true);
    let facts = await host.facts();
    expect(facts.linkTarget).toBe('/opt/kafka_2.11-0.8.2.2');
    expect(facts.process).toBeDefined();
    expect(facts.installs['0.9.0.1']).toEqual({ present: true, release: '0.9.0.1' });
    expect(await host.readConfig()).toBe('broker.id=1\ninter.broker.protocol.version=0.8.2\n');

    const backup = await host.writeConfig('broker.id=1\ninter.broker.protocol.version=0.9.0\n', '20260101T000000Z');
    expect(backup).toBe('configmap/kafka-config key server-1.properties.20260101T000000Z.bak');
    const cm = fake!.configMap(NS, 'kafka-config')!;
    expect(cm.data['server-1.properties']).toContain('inter.broker.protocol.version=0.9.0');
    expect(cm.data['server-1.properties.20260101T000000Z.bak']).toContain('=0.8.2');
    expect(cm.data['server-2.properties']).toBe('broker.id=2\n');

    await host.activateRelease('0.9.0.1');
    facts = await host.facts();
    expect(facts.linkTarget).toBe('/opt/kafka_2.11-0.9.0.1');
    // the running pod is older than the template: not done
    expect(facts.linkModifiedAtMs).toBeGreaterThan(facts.process!.startedAtMs!);
    const oldUid = fake!.pod(NS, 'kafka-1')!.metadata.uid;
    await new Promise((r) => setTimeout(r, 1100)); // pod start times have second precision

    const stop = await host.stop('SIGINT', 30_000);
    expect(stop.exited).toBe(true);
    expect(fake!.requests.find((r) => r.method === 'DELETE')).toBeDefined();
    await host.start();
    const pod = fake!.pod(NS, 'kafka-1')!;
    expect(pod.metadata.uid).not.toBe(oldUid);
    expect(pod.spec.containers[0]!.image).toBe('kafka:0.9.0');
    facts = await host.facts();
    expect(facts.linkModifiedAtMs).toBe(0);
    expect(facts.process!.startedAtMs!).toBeGreaterThanOrEqual(facts.configModifiedAtMs!);
    // broker 2 shares the template: it now points at the new image, but its pod is not current
    const other = await connect(2, CM);
    const f2 = await other.facts();
    expect(f2.linkTarget).toBe('/opt/kafka_2.11-0.9.0.1');
    expect(f2.linkModifiedAtMs).toBeGreaterThan(f2.process!.startedAtMs!);
  });

  it('with env config changes only the variables of changed keys, keeping valueFrom entries', async () => {
    await startFake();
    const host = await connect(1, { env: { prefix: 'KAFKA_' } });
    expect(await host.readConfig()).toBe('inter.broker.protocol.version=0.8.2\nzookeeper.connect=zk:2181\n');
    await host.writeConfig('inter.broker.protocol.version=0.9.0\nzookeeper.connect=zk:2181\nlog.message.format.version=0.9.0\n', 'x');
    const env = fake!.statefulSet(NS, 'kafka')!.spec.template.spec.containers[0]!.env!;
    expect(env).toEqual([
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'KAFKA_ZOOKEEPER_CONNECT', value: 'zk:2181' },
      { name: 'KAFKA_INTER_BROKER_PROTOCOL_VERSION', value: '0.9.0' },
      { name: 'KAFKA_LOG_MESSAGE_FORMAT_VERSION', value: '0.9.0' },
    ]);
    const facts = await host.facts();
    expect(facts.configModifiedAtMs).toBeGreaterThan(facts.process!.startedAtMs!);
  });
});
