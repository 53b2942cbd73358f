/**
 * The same plan file, generated once with `kafka-ops plan` against the sandbox, applied
 * unchanged through the SSH executor, then (the brokers put back where the plan starts)
 * through the Kubernetes executor, then through the Marathon executor. No Kubernetes or
 * Marathon can run here: the fakes (test/fakes) serve their APIs, and their pods/apps drive
 * the sandbox's REAL brokers (deleting a pod / scaling an app down SIGTERMs the broker, a new
 * pod/task starts it from the install its image stands for with the server.properties the
 * ConfigMap/env carries), so the engine's gates run against real Kafka and ZooKeeper.
 */
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseProperties } from '../../src/config/properties.js';
import { envNameOf } from '../../src/hosts/env-properties.js';
import { sandboxStatus } from '../../src/sandbox/status.js';
import { isAlive, sleep } from '../../src/sandbox/processes.js';
import { runCli } from '../helpers/cli.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { FakeKubernetes } from '../fakes/kubernetes/server.js';
import { FakeMarathon } from '../fakes/marathon/server.js';
import { SandboxBrokers } from '../fakes/sandbox-workloads.js';

const FROM_IMAGE = 'registry.example/kafka:0.8.2-sandbox';
const TO_IMAGE = 'registry.example/kafka:0.9.0-sandbox';
const TOKEN_ENV = 'KAFKA_OPS_E2E_DCOS_TOKEN';

let sandbox: TestSandbox;
let planFile: string;
let original: Record<number, string>;
let releases: { from: { release: string; dir: string }; to: { release: string; dir: string } };
let k8s: FakeKubernetes | undefined;
let marathon: FakeMarathon | undefined;

beforeAll(async () => {
  sandbox = await startSandbox('executors');
  releases = sandbox.up.installs;
  original = sandbox.configs();
  planFile = join(sandbox.dir, 'plan.yaml');
  const plan = await runCli(['plan', '--from', '0.8.2', '--to', '0.9', '--inventory', sandbox.inventory, '--output', planFile, '--json']);
  expect(plan.code, plan.stderr).toBe(0);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await k8s?.stop();
  await marathon?.stop();
  if (!sandbox) return;
  const pids = Object.values(sandbox.pids()).filter((p): p is number => p !== undefined);
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
});

/** The sandbox's ssh inventory with another executor: brokers, installs and timeouts unchanged. */
function inventoryWith(executor: Record<string, unknown>, name: string): string {
  const inventory = parse(readFileSync(sandbox.inventory, 'utf8')) as Record<string, unknown>;
  const file = join(sandbox.dir, `${name}-inventory.yaml`);
  writeFileSync(file, stringify({ ...inventory, executor }));
  return file;
}

async function waitFullIsr(timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await sandboxStatus(sandbox.dir);
    if (status.cluster && status.cluster.missingBrokers.length === 0 && status.cluster.underReplicatedCount === 0) return;
    if (Date.now() > deadline) throw new Error(`cluster not fully replicated: ${JSON.stringify(status.cluster ?? status.clusterError)}`);
    await sleep(500);
  }
}

/** What applying the plan leaves, whatever the executor: both rolling phases restarted every broker, each on the target install and protocol, ISR full. */
async function expectPlanApplied(run: any, before: Record<number, number | undefined>, executor: string): Promise<void> {
  expect(run.status).toBe('completed');
  const median = (key: string) => {
    const values = run.steps
      .filter((s: any) => s.outcome === 'restarted')
      .map((s: any) => s[key] as number)
      .sort((a: number, b: number) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  console.log(
    `${executor}: per restart, median stop ${median('stopMs')} ms, start ${median('startMs')} ms, catch-up ${median('catchUpMs')} ms, added by kafka-ops ${median('addedMs')} ms`,
  );
  // The sandbox runs with IBP already pinned: the pin phase is found done on every broker.
  expect(run.steps.filter((s: any) => s.phase === 'pin-versions').map((s: any) => s.outcome)).toEqual([
    'already-done',
    'already-done',
    'already-done',
  ]);
  const restarted = run.steps.filter((s: any) => s.outcome === 'restarted');
  expect(restarted.map((s: any) => `${s.phase}:${s.broker}`).sort()).toEqual([
    'bump-ibp:1',
    'bump-ibp:2',
    'bump-ibp:3',
    'swap-binaries:1',
    'swap-binaries:2',
    'swap-binaries:3',
  ]);
  for (const id of sandbox.brokerIds) {
    expect(parseProperties(sandbox.configOf(id))['inter.broker.protocol.version']).toBe('0.9.0');
    expect(readlinkSync(join(sandbox.dir, `broker-${id}`, 'kafka'))).toBe(releases.to.dir);
    expect(sandbox.pidOf(id)).toBeDefined();
    expect(sandbox.pidOf(id)).not.toBe(before[id]);
  }
  await waitFullIsr(30_000);
}

/** The same, for an executor whose fake stopped the brokers: each twice, by SIGTERM within the grace period (never SIGKILL). */
async function expectUpgraded(
  run: any,
  brokers: SandboxBrokers,
  before: Record<number, number | undefined>,
  executor: string,
): Promise<void> {
  expect(brokers.stops.map((s) => s.id).sort()).toEqual([1, 1, 2, 2, 3, 3]);
  expect(brokers.stops.every((s) => s.exitedBy === 'SIGTERM' && s.graceSeconds >= 60)).toBe(true);
  await expectPlanApplied(run, before, executor);
}

/** Every broker back where the plan starts: the old install, its original server.properties, ISR full. */
async function resetToPlanStart(): Promise<void> {
  const reset = new SandboxBrokers(sandbox.dir, { [FROM_IMAGE]: releases.from.dir });
  for (const id of sandbox.brokerIds) {
    await reset.terminate(id, 60);
    await reset.run(id, FROM_IMAGE, original[id] as string);
    await waitFullIsr();
  }
}

describe('one plan file, three executors', () => {
  it('the plan was made once, through ssh, and names every broker for both rolling phases', () => {
    const plan = parse(readFileSync(planFile, 'utf8'));
    expect(plan.cluster).toBe('sandbox');
    const rolling = plan.phases.filter((p: any) => !p.skipped && p.kind === 'roll').map((p: any) => p.id);
    expect(rolling).toEqual(['pin-versions', 'swap-binaries', 'bump-ibp']);
  });

  it('refuses bad setups through the CLI with exit 2 before touching anything: RollingUpdate, a short kill grace period', async () => {
    // Fakes without brokers behind them: the refusal must come before any pod or app would be touched.
    const rolling = new FakeKubernetes({ lifetimeMs: 60_000 });
    const short = new FakeMarathon({ lifetimeMs: 60_000 });
    try {
      await rolling.start();
      rolling.addConfigMap('kafka', 'kafka-config', { 'server-1.properties': '', 'server-2.properties': '', 'server-3.properties': '' });
      await rolling.addStatefulSet('kafka', 'kafka', {
        replicas: 3,
        ordinals: { start: 1 },
        updateStrategy: { type: 'RollingUpdate' },
        template: { spec: { containers: [{ name: 'kafka', image: FROM_IMAGE }] } },
      });
      const kubeconfig = join(sandbox.dir, 'kubeconfig-rolling');
      writeFileSync(kubeconfig, rolling.kubeconfig('admin-token', 'kafka'));
      const k8sInventory = inventoryWith(
        {
          kind: 'kubernetes',
          kubeconfig,
          namespace: 'kafka',
          statefulSet: 'kafka',
          container: 'kafka',
          config: { configMap: { name: 'kafka-config', key: 'server-{id}.properties' } },
          images: { [releases.from.release]: FROM_IMAGE, [releases.to.release]: TO_IMAGE },
        },
        'rolling',
      );
      const refused = await runCli([
        'upgrade',
        '--plan',
        planFile,
        '--inventory',
        k8sInventory,
        '--state-dir',
        join(sandbox.dir, 'state-refused'),
        '--yes',
        '--json',
      ]);
      expect(refused.code).toBe(2);
      expect(refused.json.error).toMatchObject({ code: 'K8S_ROLLING_UPDATE', location: { file: k8sInventory } });
      expect(rolling.requests.filter((r) => r.method === 'DELETE' || r.method === 'PATCH')).toEqual([]);

      await short.start();
      for (const id of sandbox.brokerIds)
        await short.addApp({ id: `/kafka/broker-${id}`, instances: 1, env: {}, taskKillGracePeriodSeconds: 5 });
      const marathonInventory = inventoryWith(
        {
          kind: 'marathon',
          url: short.url,
          appId: '/kafka/broker-{id}',
          token: { env: TOKEN_ENV },
          config: { env: { prefix: 'KAFKA_' } },
          releases: { [releases.from.release]: { image: FROM_IMAGE }, [releases.to.release]: { image: TO_IMAGE } },
        },
        'short-grace',
      );
      const tooShort = await runCli(
        [
          'upgrade',
          '--plan',
          planFile,
          '--inventory',
          marathonInventory,
          '--state-dir',
          join(sandbox.dir, 'state-refused'),
          '--yes',
          '--json',
        ],
        { env: { [TOKEN_ENV]: 'admin-token' } },
      );
      expect(tooShort.code).toBe(2);
      expect(tooShort.json.error.code).toBe('MARATHON_GRACE_TOO_SHORT');
      expect(short.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    } finally {
      await rolling.stop();
      await short.stop();
    }
  });

  it(
    'upgrades through the SSH executor with the plan file: SIGINT, controlled shutdowns, install links flipped',
    { timeout: 150_000 },
    async () => {
      const before = sandbox.pids();
      const result = await runCli([
        'upgrade',
        '--plan',
        planFile,
        '--inventory',
        sandbox.inventory,
        '--state-dir',
        join(sandbox.dir, 'state-ssh'),
        '--yes',
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      await expectPlanApplied(result.json.run, before, 'ssh');
      for (const s of result.json.run.steps.filter((s: any) => s.outcome === 'restarted')) expect(s.shutdown).toBe('controlled');
    },
  );

  it(
    'upgrades through the Kubernetes executor: ConfigMap keys, StatefulSet image, pods deleted one by one',
    { timeout: 150_000 },
    async () => {
      await resetToPlanStart();
      const brokers = new SandboxBrokers(sandbox.dir, { [FROM_IMAGE]: releases.from.dir, [TO_IMAGE]: releases.to.dir });
      k8s = new FakeKubernetes({ runtime: brokers.kubernetesRuntime(), lifetimeMs: 200_000 });
      await k8s.start();
      k8s.addConfigMap(
        'kafka',
        'kafka-config',
        Object.fromEntries(sandbox.brokerIds.map((id) => [`server-${id}.properties`, original[id] as string])),
      );
      await k8s.addStatefulSet('kafka', 'kafka', {
        replicas: 3,
        ordinals: { start: 1 },
        updateStrategy: { type: 'OnDelete' },
        template: {
          metadata: { labels: { app: 'kafka' } },
          spec: {
            containers: [{ name: 'kafka', image: FROM_IMAGE, volumeMounts: [{ name: 'config', mountPath: '/etc/kafka' }] }],
            volumes: [{ name: 'config', configMap: { name: 'kafka-config' } }],
          },
        },
      });
      const kubeconfig = join(sandbox.dir, 'kubeconfig');
      writeFileSync(kubeconfig, k8s.kubeconfig('admin-token', 'kafka'));
      const inventory = inventoryWith(
        {
          kind: 'kubernetes',
          kubeconfig,
          namespace: 'kafka',
          statefulSet: 'kafka',
          container: 'kafka',
          pod: 'kafka-{id}',
          config: { configMap: { name: 'kafka-config', key: 'server-{id}.properties' } },
          images: { [releases.from.release]: FROM_IMAGE, [releases.to.release]: TO_IMAGE },
        },
        'kubernetes',
      );
      const before = sandbox.pids();
      const result = await runCli([
        'upgrade',
        '--plan',
        planFile,
        '--inventory',
        inventory,
        '--state-dir',
        join(sandbox.dir, 'state-k8s'),
        '--yes',
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      await expectUpgraded(result.json.run, brokers, before, 'kubernetes');
      expect(k8s.statefulSet('kafka', 'kafka')!.spec.template.spec.containers[0]!.image).toBe(TO_IMAGE);
      const cm = k8s.configMap('kafka', 'kafka-config')!;
      for (const id of sandbox.brokerIds) {
        const changed = Object.entries(parseProperties(cm.data[`server-${id}.properties`]!)).filter(
          ([k, v]) => parseProperties(original[id]!)[k] !== v,
        );
        expect(changed).toEqual([['inter.broker.protocol.version', '0.9.0']]);
      }
      // the engine deleted pods itself, one at a time: one DELETE per broker and phase
      expect(
        k8s.requests
          .filter((r) => r.method === 'DELETE')
          .map((r) => r.path.split('/').pop())
          .sort(),
      ).toEqual(['kafka-1', 'kafka-1', 'kafka-2', 'kafka-2', 'kafka-3', 'kafka-3']);
      // What every broker runs is read back through the executor: planning again finds nothing to do.
      const again = await runCli([
        'upgrade',
        '--to',
        '0.9',
        '--inventory',
        inventory,
        '--state-dir',
        join(sandbox.dir, 'state-k8s-again'),
        '--yes',
        '--json',
      ]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json.plan.phases.every((p: any) => p.skipped)).toBe(true);
      expect(again.json.run.steps.filter((s: any) => s.outcome === 'restarted')).toEqual([]);
      expect(k8s.requests.filter((r) => r.method === 'DELETE' || r.method === 'PATCH')).toHaveLength(6 + 1 + 3);
      await k8s.stop();
      k8s = undefined;
    },
  );

  it('upgrades through the Marathon executor with the same plan file: app env, image, scale 0 → 1', { timeout: 200_000 }, async () => {
    await resetToPlanStart();
    const brokers = new SandboxBrokers(sandbox.dir, { [FROM_IMAGE]: releases.from.dir, [TO_IMAGE]: releases.to.dir });
    marathon = new FakeMarathon({ runtime: brokers.marathonRuntime(), tokens: { 'dcos-e2e-token': ['*'] }, lifetimeMs: 200_000 });
    await marathon.start();
    for (const id of sandbox.brokerIds) {
      const env = Object.fromEntries(Object.entries(parseProperties(original[id]!)).map(([k, v]) => [envNameOf('KAFKA_', k), v]));
      await marathon.addApp({
        id: `/kafka/broker-${id}`,
        instances: 1,
        env,
        container: { type: 'DOCKER', docker: { image: FROM_IMAGE } },
        taskKillGracePeriodSeconds: 60,
        healthChecks: [{ protocol: 'TCP', portIndex: 0 }],
      });
    }
    const inventory = inventoryWith(
      {
        kind: 'marathon',
        url: marathon.url,
        appId: '/kafka/broker-{id}',
        token: { env: TOKEN_ENV },
        config: { env: { prefix: 'KAFKA_' } },
        releases: { [releases.from.release]: { image: FROM_IMAGE }, [releases.to.release]: { image: TO_IMAGE } },
      },
      'marathon',
    );
    const before = sandbox.pids();
    const stateDir = join(sandbox.dir, 'state-marathon');
    mkdirSync(stateDir, { recursive: true });
    const result = await runCli(['upgrade', '--plan', planFile, '--inventory', inventory, '--state-dir', stateDir, '--yes', '--json'], {
      env: { [TOKEN_ENV]: 'dcos-e2e-token' },
    });
    expect(result.code, result.stderr).toBe(0);
    await expectUpgraded(result.json.run, brokers, before, 'marathon');
    for (const id of sandbox.brokerIds) {
      const app = marathon.app(`/kafka/broker-${id}`)!;
      expect(app.instances).toBe(1);
      expect(app.container?.docker?.image).toBe(TO_IMAGE);
      expect(app.env?.KAFKA_INTER_BROKER_PROTOCOL_VERSION).toBe('0.9.0');
    }
    const puts = marathon.requests.filter((r) => r.method === 'PUT').length;
    const again = await runCli(
      ['upgrade', '--to', '0.9', '--inventory', inventory, '--state-dir', join(sandbox.dir, 'state-marathon-again'), '--yes', '--json'],
      { env: { [TOKEN_ENV]: 'dcos-e2e-token' } },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.plan.phases.every((p: any) => p.skipped)).toBe(true);
    expect(again.json.run.steps.filter((s: any) => s.outcome === 'restarted')).toEqual([]);
    expect(marathon.requests.filter((r) => r.method === 'PUT')).toHaveLength(puts);
    // the token went only into the Authorization header, never into output or the journal
    expect(result.stdout + result.stderr + readFileSync(join(stateDir, 'sandbox', 'journal.jsonl'), 'utf8')).not.toContain(
      'dcos-e2e-token',
    );
  });
});
