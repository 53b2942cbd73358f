/**
 * The fake Marathon API (test/fakes/marathon) and the Marathon broker host against it: the
 * fake's own behaviour, then the host's refusals and its mapping of the engine's operations
 * onto app definitions, scaling and deployments.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { brokerSpec } from '../helpers/inventory-fixtures.js';
import { connectMarathon } from '../../src/hosts/marathon.js';
import type { MarathonExecutorSettings } from '../../src/inventory/model.js';
import { FakeMarathon, type App, type TaskRuntime } from '../fakes/marathon/server.js';
import { msUntilRefused } from '../fakes/http.js';

let fake: FakeMarathon | undefined;
const TOKEN_ENV = 'KAFKA_OPS_TEST_MARATHON_TOKEN';

afterEach(async () => {
  await fake?.stop();
  fake = undefined;
  delete process.env[TOKEN_ENV];
});

const appDef = (id: number, grace = 60): Omit<App, 'version' | 'versionInfo'> => ({
  id: `/kafka/broker-${id}`,
  instances: 1,
  cmd: null,
  env: { KAFKA_BROKER_ID: String(id), KAFKA_INTER_BROKER_PROTOCOL_VERSION: '0.8.2', SECRET_PASSWORD: 'not-a-property' } as Record<
    string,
    string
  >,
  container: { type: 'DOCKER', docker: { image: 'kafka:0.8.2' } },
  taskKillGracePeriodSeconds: grace,
  healthChecks: [{ protocol: 'TCP' }],
});

async function startFake(opts: { grace?: number; tokens?: Record<string, string[]>; runtime?: TaskRuntime } = {}): Promise<FakeMarathon> {
  fake = new FakeMarathon({
    lifetimeMs: 60_000,
    ...(opts.tokens ? { tokens: opts.tokens } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  });
  await fake.start();
  await fake.addApp(appDef(1, opts.grace));
  await fake.addApp(appDef(2, opts.grace));
  return fake;
}

const spec = (id: number) => brokerSpec(id, { stop: { signal: 'SIGINT', timeoutSeconds: 60 } });

function settings(token: MarathonExecutorSettings['token']): MarathonExecutorSettings {
  return {
    kind: 'marathon',
    url: fake!.url,
    appId: '/kafka/broker-{id}',
    ...(token ? { token } : {}),
    config: { env: { prefix: 'KAFKA_' } },
    releases: { '0.8.2.2': { image: 'kafka:0.8.2' }, '0.9.0.1': { image: 'kafka:0.9.0' } },
  };
}

const auth = { authorization: 'token=admin-token' };

describe('the fake Marathon API', () => {
  it('listens on 127.0.0.1 only and closes itself when its lifetime ends', async () => {
    // A lifetime long enough that the first request lands inside it even on a loaded machine; the end of the
    // lifetime is then polled for (bounded), not raced against a fixed sleep.
    const lifetimeMs = 5000;
    const started = Date.now();
    const short = new FakeMarathon({ lifetimeMs });
    const url = await short.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/v2/deployments`)).status).toBe(401);
    expect(await msUntilRefused(`${url}/v2/deployments`, started, lifetimeMs + 10_000)).toBeGreaterThanOrEqual(lifetimeMs);
  });

  it('answers 401 without a DC/OS token and 403 for an app outside the token’s grants', async () => {
    await startFake({ tokens: { 'admin-token': ['*'], 'one-app': ['/kafka/broker-1'] } });
    expect((await fetch(`${fake!.url}/v2/apps/kafka/broker-1`)).status).toBe(401);
    expect((await fetch(`${fake!.url}/v2/apps/kafka/broker-2`, { headers: { authorization: 'token=one-app' } })).status).toBe(403);
    expect((await fetch(`${fake!.url}/v2/apps/kafka/broker-1`, { headers: { authorization: 'token=one-app' } })).status).toBe(200);
  });

  it('restarts the task on a definition change, only scales on an instances change, and lists the deployment meanwhile', async () => {
    const stops: number[] = [];
    await startFake({
      runtime: { start: () => new Promise((r) => setTimeout(r, 200)), stop: async (_app, grace) => void stops.push(grace) },
    });
    const task = fake!.tasksOf('/kafka/broker-1')[0]!;
    const put = await fetch(`${fake!.url}/v2/apps/kafka/broker-1`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ env: { KAFKA_BROKER_ID: '1' } }),
    });
    const { deploymentId } = (await put.json()) as { deploymentId: string };
    const during = (await (await fetch(`${fake!.url}/v2/deployments`, { headers: auth })).json()) as Array<{
      id: string;
      affectedApps: string[];
    }>;
    expect(during).toContainEqual(expect.objectContaining({ id: deploymentId, affectedApps: ['/kafka/broker-1'] }));
    const locked = await fetch(`${fake!.url}/v2/apps/kafka/broker-1`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ instances: 0 }),
    });
    expect(locked.status).toBe(409);
    await new Promise((r) => setTimeout(r, 400));
    expect(await (await fetch(`${fake!.url}/v2/deployments`, { headers: auth })).json()).toEqual([]);
    expect(stops).toEqual([60]);
    const { app } = (await (await fetch(`${fake!.url}/v2/apps/kafka/broker-1?embed=app.tasks`, { headers: auth })).json()) as {
      app: App & { tasks: Array<{ id: string; state: string }> };
    };
    expect(app.tasks).toHaveLength(1);
    expect(app.tasks[0]!.id).not.toBe(task.id);
    expect(app.tasks[0]!.state).toBe('TASK_RUNNING');
    const lastConfig = app.versionInfo.lastConfigChangeAt;
    await fetch(`${fake!.url}/v2/apps/kafka/broker-1`, { method: 'PUT', headers: auth, body: JSON.stringify({ instances: 0 }) });
    await new Promise((r) => setTimeout(r, 100));
    expect(fake!.tasksOf('/kafka/broker-1')).toEqual([]);
    expect(fake!.app('/kafka/broker-1')!.versionInfo.lastConfigChangeAt).toBe(lastConfig);
  });
});

describe('the Marathon broker host', () => {
  it('refuses a taskKillGracePeriodSeconds shorter than the stop timeout before touching anything', async () => {
    await startFake({ grace: 10 });
    const error = await connectMarathon(spec(1), settings({ env: TOKEN_ENV }), 'inv.yaml').catch((e: unknown) => e);
    // the token env var is checked first
    expect(error).toMatchObject({ code: 'MARATHON_TOKEN' });
    process.env[TOKEN_ENV] = 'admin-token';
    const grace = await connectMarathon(spec(1), settings({ env: TOKEN_ENV }), 'inv.yaml').catch((e: unknown) => e);
    expect(grace).toBeInstanceOf(UserError);
    expect(grace).toMatchObject({ code: 'MARATHON_GRACE_TOO_SHORT' });
    expect((grace as Error).message).toMatch(/taskKillGracePeriodSeconds 10, shorter than broker 1's stop timeout of 60 s/);
    expect(fake!.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('refuses a token without access to the app (403), never echoing the token', async () => {
    await startFake({ tokens: { 'admin-token': ['*'], 'secret-abc': ['/kafka/broker-2'] } });
    const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-marathon-'));
    writeFileSync(join(dir, 'token'), 'secret-abc\n');
    const error = await connectMarathon(spec(1), settings({ file: join(dir, 'token') }), 'inv.yaml').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MARATHON_FORBIDDEN' });
    expect(JSON.stringify({ m: (error as Error).message, a: (error as UserError).action })).not.toContain('secret-abc');
    // The same token reaches the app it is granted: broker 2's app is read with it (a 403 would throw).
    const seen = fake!.requests.length;
    const host = await connectMarathon(spec(2), settings({ file: join(dir, 'token') }), 'inv.yaml');
    expect(fake!.requests.slice(seen).map((r) => `${r.method} ${r.path}`)).toContain('GET /v2/apps/kafka/broker-2');
    await host.close();
  });

  it('stages config with the stop, swaps the release at 0 instances, starts healthy; done-ness follows', async () => {
    await startFake();
    process.env[TOKEN_ENV] = 'admin-token';
    const host = await connectMarathon(spec(1), settings({ env: TOKEN_ENV }), 'inv.yaml');
    let facts = await host.facts();
    expect(facts.linkTarget).toBe('/opt/kafka_2.11-0.8.2.2');
    expect(facts.process).toBeDefined();
    expect(await host.readConfig()).toBe('broker.id=1\ninter.broker.protocol.version=0.8.2\n');
    await host.writeConfig('broker.id=1\ninter.broker.protocol.version=0.9.0\n', 'x');
    // nothing sent yet: a change of a running app restarts it at once
    expect(fake!.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    const stop = await host.stop('SIGINT', 60_000);
    expect(stop.exited).toBe(true);
    expect(fake!.tasksOf('/kafka/broker-1')).toEqual([]);
    const app = fake!.app('/kafka/broker-1')!;
    expect(app.instances).toBe(0);
    expect(app.env).toEqual({ KAFKA_BROKER_ID: '1', KAFKA_INTER_BROKER_PROTOCOL_VERSION: '0.9.0', SECRET_PASSWORD: 'not-a-property' });
    await host.activateRelease('0.9.0.1');
    expect(fake!.app('/kafka/broker-1')!.container).toEqual({ type: 'DOCKER', docker: { image: 'kafka:0.9.0' } });
    await host.start();
    expect(fake!.tasksOf('/kafka/broker-1')).toHaveLength(1);
    facts = await host.facts();
    expect(facts.linkTarget).toBe('/opt/kafka_2.11-0.9.0.1');
    expect(facts.process!.startedAtMs!).toBeGreaterThanOrEqual(facts.configModifiedAtMs!);
    expect(fake!.requests.filter((r) => r.method === 'PUT').every((r) => !JSON.stringify(r.body).includes('admin-token'))).toBe(true);
  });
});
