/**
 * Issue 14: the Kubernetes and Marathon executors given answers that are not their API's, from the fakes
 * (test/fakes/*, `misbehave`, the answers of test/fakes/http.ts): an HTML page, garbage or truncated JSON, a
 * redirect, 401/403, a body without end, no answer at all. Each must be a KafkaOpsError with its code, exit
 * code and action, within a bounded time, and no credential (bearer token, DC/OS token, basic auth) may
 * appear in what it says, even when the hostile answer echoes the credential back.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, KafkaOpsError } from '../../src/errors.js';
import { connectKubernetes, type KubernetesBrokerHost } from '../../src/hosts/kubernetes.js';
import { connectMarathon } from '../../src/hosts/marathon.js';
import type { KubernetesExecutorSettings, MarathonExecutorSettings } from '../../src/inventory/model.js';
import type { Hostility, Misbehaviour } from '../fakes/http.js';
import { FakeKubernetes } from '../fakes/kubernetes/server.js';
import { FakeMarathon } from '../fakes/marathon/server.js';
import { brokerSpec } from '../helpers/inventory-fixtures.js';

const TOKEN = 'sekret-bearer-7f3a9c';
const DCOS_TOKEN = 'dcos-sekret-5b2e81';
const BASIC_USER = 'ops';
const BASIC_PASSWORD = 'pw-sekret-93d1';
const TOKEN_ENV = 'KAFKA_OPS_TEST_HOSTILE_TOKEN';
/** Far below the 30 s default: the hang cases must end on the executor's own timeout, not the test's. */
const TIMEOUT_SECONDS = 2;

let k8s: FakeKubernetes | undefined;
let marathon: FakeMarathon | undefined;
const hosts: KubernetesBrokerHost[] = [];

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  await k8s?.stop();
  await marathon?.stop();
  k8s = undefined;
  marathon = undefined;
  delete process.env[TOKEN_ENV];
});

interface Expected {
  code: string;
  exitCode: number;
  message: RegExp;
  action: RegExp;
}

/** What each hostile answer must become (Kubernetes, Marathon). */
const cases: Array<{ m: Misbehaviour; k8s: Expected; marathon: Expected }> = [
  {
    m: { answer: 'html' },
    k8s: infra('K8S_API', /answered HTTP 200 with text\/html \(an HTML page: a proxy, load balancer or login page\?\) instead of JSON/),
    marathon: infra('MARATHON_API', /answered HTTP 200 with text\/html \(an HTML page.*\) instead of JSON/),
  },
  {
    m: { answer: 'html', status: 502 },
    k8s: infra('K8S_API', /: HTTP 502$/, /reachable/),
    marathon: infra('MARATHON_API', /answered GET \/v2\/apps\/kafka\/broker-1 with HTTP 502\.$/, /Check Marathon/),
  },
  {
    m: { answer: 'garbage-json' },
    k8s: infra('K8S_API', /answered HTTP 200 with \d+ bytes that are not valid JSON \(truncated or garbage\)/),
    marathon: infra('MARATHON_API', /answered HTTP 200 with \d+ bytes that are not valid JSON/),
  },
  {
    m: { answer: 'truncated-json' },
    k8s: infra('K8S_API', /broke its answer \(HTTP 200\) off before its end/),
    marathon: infra('MARATHON_API', /broke its answer \(HTTP 200\) off before its end/),
  },
  {
    m: { answer: 'redirect' },
    k8s: infra('K8S_API', /answered HTTP 302, a redirect to https:\/\/sso\.example\.invalid\/login, which kafka-ops does not follow/),
    marathon: infra(
      'MARATHON_API',
      /answered HTTP 302, a redirect to https:\/\/sso\.example\.invalid\/login, which kafka-ops does not follow/,
    ),
  },
  {
    m: { answer: 'unauthorized' },
    k8s: user('K8S_FORBIDDEN', /Kubernetes refused to check access \(get statefulsets\) in namespace kafka \(HTTP 401\)/),
    marathon: user('MARATHON_FORBIDDEN', /Marathon refused GET \/v2\/apps\/kafka\/broker-1 for broker 1 \(HTTP 401\)/),
  },
  {
    m: { answer: 'forbidden' },
    k8s: user('K8S_FORBIDDEN', /\(HTTP 403\)/),
    marathon: user('MARATHON_FORBIDDEN', /\(HTTP 403\)/),
  },
  {
    m: { answer: 'huge' },
    k8s: infra('K8S_API', /answered with more than 8 MiB/),
    marathon: infra('MARATHON_API', /answered with more than 8 MiB/),
  },
  {
    m: { answer: 'hang' },
    k8s: infra('K8S_API', new RegExp(`gave no complete answer within ${TIMEOUT_SECONDS} s`), /requestTimeoutSeconds/),
    marathon: infra('MARATHON_API', new RegExp(`gave no complete answer within ${TIMEOUT_SECONDS} s`), /requestTimeoutSeconds/),
  },
];

function infra(code: string, message: RegExp, action = /run again or `kafka-ops resume`/): Expected {
  return { code, exitCode: ExitCode.infrastructure, message, action };
}
function user(code: string, message: RegExp): Expected {
  return { code, exitCode: ExitCode.badInput, message, action: /Nothing more was touched/ };
}

/** The error as every channel shows it: message, action, --json and the journal (toJSON), and its stack. */
function everything(error: KafkaOpsError): string {
  return [error.message, error.action, JSON.stringify(error.toJSON()), error.stack ?? ''].join('\n');
}

function expectClean(error: unknown, expected: Expected, secrets: string[], elapsedMs: number): void {
  expect(error).toBeInstanceOf(KafkaOpsError);
  const e = error as KafkaOpsError;
  expect({ code: e.code, exitCode: e.exitCode }).toEqual({ code: expected.code, exitCode: expected.exitCode });
  expect(e.message).toMatch(expected.message);
  expect(e.action).toMatch(expected.action);
  // what the user sees is our sentence, not a library's or a page's text
  expect(e.message).not.toMatch(/<html|<!DOCTYPE|Unexpected token|SyntaxError|ObjectSerializer|\n/i);
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)])
      expect(everything(e)).not.toContain(form);
  }
  // a hang ends on the request timeout (plus scheduling slack), never on the test's
  expect(elapsedMs).toBeLessThan((TIMEOUT_SECONDS + 8) * 1000);
}

describe('the Kubernetes executor given hostile answers', () => {
  async function start(): Promise<FakeKubernetes> {
    k8s = new FakeKubernetes({ lifetimeMs: 60_000, users: { [TOKEN]: { name: 'admin', rules: [{ verbs: ['*'], resources: ['*'] }] } } });
    await k8s.start();
    k8s.addConfigMap('kafka', 'kafka-config', { 'server-1.properties': 'broker.id=1\n' });
    await k8s.addStatefulSet('kafka', 'kafka', {
      replicas: 1,
      ordinals: { start: 1 },
      updateStrategy: { type: 'OnDelete' },
      template: { spec: { containers: [{ name: 'kafka', image: 'kafka:0.8.2' }] } },
    });
    return k8s;
  }

  function settings(kubeconfig: string): KubernetesExecutorSettings {
    return {
      kind: 'kubernetes',
      kubeconfig,
      namespace: 'kafka',
      statefulSet: 'kafka',
      container: 'kafka',
      pod: 'kafka-{id}',
      config: { configMap: { name: 'kafka-config', key: 'server-{id}.properties' } },
      images: { '0.8.2.2': 'kafka:0.8.2' },
      requestTimeoutSeconds: TIMEOUT_SECONDS,
    };
  }

  function kubeconfig(text: string): string {
    const file = join(mkdtempSync(join(tmpdir(), 'kafka-ops-hostile-kube-')), 'config');
    writeFileSync(file, text);
    return file;
  }

  /** A kubeconfig with basic auth instead of a token (client-node sends `Authorization: Basic`). */
  function basicKubeconfig(server: FakeKubernetes): string {
    return kubeconfig(server.kubeconfig(TOKEN, 'kafka').replace(/token: .*/, `username: ${BASIC_USER}\n    password: ${BASIC_PASSWORD}`));
  }

  it('the fake itself behaves before it is told to misbehave (and connect works)', async () => {
    const server = await start();
    const host = await connectKubernetes(brokerSpec(1), settings(kubeconfig(server.kubeconfig(TOKEN, 'kafka'))), 'inventory.yaml');
    hosts.push(host);
    expect(await host.readConfig()).toBe('broker.id=1\n');
    expect(server.misbehaved).toBe(0);
  });

  for (const c of cases) {
    const name = `${c.m.answer}${c.m.status ? ` ${c.m.status}` : ''}`;
    it(`${name}: ${c.k8s.code} (exit ${c.k8s.exitCode}), no bearer token in it`, { timeout: 30_000 }, async () => {
      const server = await start();
      server.misbehave({ ...c.m, echo: true });
      const started = Date.now();
      const error = await connectKubernetes(brokerSpec(1), settings(kubeconfig(server.kubeconfig(TOKEN, 'kafka'))), 'inventory.yaml').catch(
        (e: unknown) => e,
      );
      expectClean(error, c.k8s, [TOKEN], Date.now() - started);
      expect(server.misbehaved).toBeGreaterThan(0);
    });
  }

  for (const answer of ['html', 'unauthorized', 'redirect'] as Hostility[]) {
    it(`${answer} echoing basic-auth credentials: they appear nowhere`, { timeout: 30_000 }, async () => {
      const server = await start();
      server.misbehave({ answer, echo: true });
      const error = await connectKubernetes(brokerSpec(1), settings(basicKubeconfig(server)), 'inventory.yaml').catch((e: unknown) => e);
      expectClean(
        error,
        cases.find((c) => c.m.answer === answer && !c.m.status)!.k8s,
        [BASIC_PASSWORD, `${BASIC_USER}:${BASIC_PASSWORD}`],
        0,
      );
    });
  }

  it('a hostile answer in the middle of a run (the pod read of facts) is the same clean error', { timeout: 30_000 }, async () => {
    const server = await start();
    const host = await connectKubernetes(brokerSpec(1), settings(kubeconfig(server.kubeconfig(TOKEN, 'kafka'))), 'inventory.yaml');
    hosts.push(host);
    server.misbehave({ answer: 'html', echo: true, when: (method, path) => method === 'GET' && path.includes('/pods/') });
    const error = await host.facts().catch((e: unknown) => e);
    expectClean(error, infra('K8S_API', /could not read pod kafka-1 .*answered HTTP 200 with text\/html/), [TOKEN], 0);
  });
});

describe('the Marathon executor given hostile answers', () => {
  async function start(): Promise<FakeMarathon> {
    marathon = new FakeMarathon({
      lifetimeMs: 60_000,
      tokens: { [DCOS_TOKEN]: ['*'] },
      basic: { [`${BASIC_USER}:${BASIC_PASSWORD}`]: ['*'] },
    });
    await marathon.start();
    await marathon.addApp({
      id: '/kafka/broker-1',
      instances: 1,
      env: { KAFKA_BROKER_ID: '1' },
      container: { type: 'DOCKER', docker: { image: 'kafka:0.8.2' } },
      taskKillGracePeriodSeconds: 600,
    });
    return marathon;
  }

  function settings(url: string, token: boolean): MarathonExecutorSettings {
    return {
      kind: 'marathon',
      url,
      appId: '/kafka/broker-{id}',
      ...(token ? { token: { env: TOKEN_ENV } } : {}),
      config: { env: { prefix: 'KAFKA_' } },
      releases: { '0.8.2.2': { image: 'kafka:0.8.2' } },
      requestTimeoutSeconds: TIMEOUT_SECONDS,
    };
  }

  const withBasic = (url: string) => url.replace('http://', `http://${BASIC_USER}:${encodeURIComponent(BASIC_PASSWORD)}@`);

  it('basic auth from the URL is sent as a header (fetch refuses credentials in a URL), and the URL shown has none', async () => {
    const server = await start();
    const host = await connectMarathon(brokerSpec(1), settings(withBasic(server.url), false), 'inventory.yaml');
    expect(await host.readConfig()).toBe('broker.id=1\n');
    await server.stop();
    const error = (await host.facts().catch((e: unknown) => e)) as KafkaOpsError;
    expect(error).toMatchObject({ code: 'MARATHON_API', exitCode: ExitCode.infrastructure });
    expect(error.message).toMatch(/^Marathon at http:\/\/127\.0\.0\.1:\d+ is not reachable \(GET \/v2\/apps\/kafka\/broker-1\): [A-Z_]+$/);
    expect(everything(error)).not.toContain(BASIC_PASSWORD);
  });

  for (const c of cases) {
    const name = `${c.m.answer}${c.m.status ? ` ${c.m.status}` : ''}`;
    it(`${name}: ${c.marathon.code} (exit ${c.marathon.exitCode}), no DC/OS token in it`, { timeout: 30_000 }, async () => {
      const server = await start();
      process.env[TOKEN_ENV] = DCOS_TOKEN;
      server.misbehave({ ...c.m, echo: true });
      const started = Date.now();
      const error = await connectMarathon(brokerSpec(1), settings(server.url, true), 'inventory.yaml').catch((e: unknown) => e);
      expectClean(error, c.marathon, [DCOS_TOKEN], Date.now() - started);
      expect(server.misbehaved).toBeGreaterThan(0);
    });
  }

  for (const answer of ['html', 'unauthorized', 'redirect', 'garbage-json'] as Hostility[]) {
    it(`${answer} echoing basic-auth credentials from the URL: they appear nowhere`, { timeout: 30_000 }, async () => {
      const server = await start();
      server.misbehave({ answer, echo: true });
      const error = await connectMarathon(brokerSpec(1), settings(withBasic(server.url), false), 'inventory.yaml').catch((e: unknown) => e);
      expectClean(
        error,
        cases.find((c) => c.m.answer === answer && !c.m.status)!.marathon,
        [BASIC_PASSWORD, `${BASIC_USER}:${BASIC_PASSWORD}`],
        0,
      );
    });
  }

  it('an error message echoing the token is shown with the token cut out', { timeout: 30_000 }, async () => {
    const server = await start();
    process.env[TOKEN_ENV] = DCOS_TOKEN;
    const host = await connectMarathon(brokerSpec(1), settings(server.url, true), 'inventory.yaml');
    server.misbehave({ answer: 'error', status: 500, echo: true, when: (method) => method === 'PUT' });
    const error = (await host.stop('SIGINT', 1000).catch((e: unknown) => e)) as KafkaOpsError;
    expectClean(error, infra('MARATHON_API', /with HTTP 500: Internal error: token=\*\*\*\.$/, /Check Marathon/), [DCOS_TOKEN], 0);
    expect(error.retriable).toBe(true);
  });
});
