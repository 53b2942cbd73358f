/**
 * `check` and `verify` against ONE real sandbox (3 Kafka 0.9.0.1 brokers, ZooKeeper, sshd),
 * driven as the built CLI a CI job runs. In sequence: the healthy cluster passes; each seeded
 * problem (a bad value in a server.properties, a missing target install, a stopped broker, a
 * topic with replication factor 1) yields its finding id and exit code and is undone; `verify
 * --at 0.9` fails before `upgrade --to 0.9` and passes after it. Every --json document is
 * checked against its published schema and every --junit file for its shape.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperClusterState } from '../../src/cluster/zookeeper.js';
import { javaCommand } from '../../src/sandbox/java.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import {
  brokerOf,
  inventoryCopy,
  isAlive,
  isBrokerJvm,
  launchProperly,
  readInventory,
  stopPid,
  waitFor,
  waitForDist,
  waitHealthy,
} from '../helpers/faults.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { parseJUnit, schemaErrors } from '../helpers/schemas.js';

let sandbox: TestSandbox;
const startedPids = new Set<number>();

beforeAll(async () => {
  sandbox = await startSandbox('check-verify', 3);
  await waitHealthy(sandbox.dir, 60_000);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  if (!sandbox) return;
  const pids = [...Object.values(sandbox.pids()).filter((p): p is number => p !== undefined), ...startedPids];
  await sandbox.down();
  expect(pids.filter(isAlive)).toEqual([]);
}, 180_000);

const junitFile = (name: string) => path.join(sandbox.dir, `${name}.xml`);

/** Runs the CLI with --json (and --junit), checks the document against its schema, returns the result. */
async function gate(args: string[], options: { env?: Record<string, string>; junit?: string; json?: boolean } = {}): Promise<CliResult> {
  await waitForDist();
  const json = options.json ?? true;
  const result = await runCli([...args, ...(json ? ['--json'] : []), ...(options.junit ? ['--junit', options.junit] : [])], {
    env: options.env ?? { GITHUB_ACTIONS: '' },
    timeoutMs: 120_000,
  });
  if (json) {
    expect(result.json, `${result.stdout}\n${result.stderr}`).toBeDefined();
    expect(schemaErrors(result.json.error ? 'error.v1.schema.json' : 'check-result.v1.schema.json', result.json)).toEqual([]);
    if (!result.json.error) expect(result.json.exitCode).toBe(result.code);
  }
  return result;
}
const check = (extra: string[] = [], options: Parameters<typeof gate>[1] = {}) =>
  gate(['check', '--to', '0.9', '--inventory', sandbox.inventory, ...extra], options);
const verify = (options: Parameters<typeof gate>[1] = {}) => gate(['verify', '--at', '0.9', '--inventory', sandbox.inventory], options);
const ids = (result: CliResult, severity = 'error') =>
  [
    ...new Set<string>(
      result.json.findings
        .filter((f: any) => f.severity === severity)
        .map((f: any) => `${f.id}${f.broker ? `:b${f.broker}` : ''}${f.topic ? `:${f.topic}` : ''}`),
    ),
  ].sort();

/** Kafka's own TopicCommand from the sandbox's install, as an operator would run it. */
async function topicCommand(args: string[]): Promise<string> {
  const state = JSON.parse(readFileSync(sandbox.up.statePath, 'utf8')) as { java: string };
  const home = sandbox.up.installs.from.dir;
  const [java, ...argv] = javaCommand(state.java, {
    heap: '128m',
    log4jConfig: path.join(home, 'config', 'tools-log4j.properties'),
    home,
    main: 'kafka.admin.TopicCommand',
    args: ['--zookeeper', sandbox.up.zookeeper.connect, ...args],
  });
  return new Promise((resolve, reject) =>
    execFile(java as string, argv, { timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${stdout}${stderr}`)) : resolve(stdout),
    ),
  );
}

async function topicPartitions(topic: string): Promise<number> {
  const zk = await ZooKeeperClusterState.connect(sandbox.up.zookeeper.connect, { timeoutMs: 10_000 });
  try {
    return (await zk.snapshot()).partitions.filter((p) => p.topic === topic).length;
  } finally {
    await zk.close();
  }
}

describe('check --to 0.9 and verify --at 0.9 on a real sandbox', () => {
  it(
    'check passes on the healthy cluster (exit 0), with a JUnit file of one passing test case per check',
    { timeout: 60_000 },
    async () => {
      const result = await check([], { junit: junitFile('healthy') });
      expect(result.code, result.stdout).toBe(0);
      expect(result.json).toMatchObject({
        command: 'check',
        release: '0.9.0',
        passed: true,
        summary: { errors: 0, warnings: 0, infos: 0 },
      });
      expect(result.json.checks.every((c: any) => c.status === 'passed')).toBe(true);
      const suite = parseJUnit(readFileSync(junitFile('healthy'), 'utf8')).testsuites.testsuite[0];
      expect(suite.testcase.map((t: any) => t.name)).toEqual(result.json.checks.map((c: any) => c.id));
      expect(suite.testcase.filter((t: any) => t.failure)).toEqual([]);
      expect(suite.failures).toBe('0');

      // The free space of every log dir was really read over SSH: no file system has 100 % free.
      const full = await check(['--min-free-disk', '100']);
      expect(full.code).toBe(1);
      expect(ids(full)).toEqual(['disk-free:b1', 'disk-free:b2', 'disk-free:b3']);
    },
  );

  it(
    'a server.properties with a bad value: config-lint on that broker, exit 1, a JUnit failure and a GitHub annotation',
    { timeout: 60_000 },
    async () => {
      const file = brokerOf(readInventory(sandbox.inventory), 2).configPath;
      const original = readFileSync(file, 'utf8');
      const { atime, mtime } = statSync(file);
      writeFileSync(file, `${original}num.io.threads=four\n`);
      try {
        const result = await check([], { junit: junitFile('bad-config') });
        expect(result.code, result.stdout).toBe(1);
        expect(ids(result)).toEqual(['config-lint:b2']);
        const lint = result.json.findings.find((f: any) => f.id === 'config-lint');
        expect(lint.message).toContain('num.io.threads=four');
        expect(lint.fix).toContain('num.io.threads');
        const failing = parseJUnit(readFileSync(junitFile('bad-config'), 'utf8')).testsuites.testsuite[0].testcase.filter(
          (t: any) => t.failure,
        );
        expect(failing.map((t: any) => t.name)).toEqual(['config-lint']);
        expect(failing[0].failure[0].message).toContain('num.io.threads=four');

        const annotated = await check([], { json: false, env: { GITHUB_ACTIONS: 'true' } });
        expect(annotated.code).toBe(1);
        const line = annotated.stdout.split('\n').find((l) => l.startsWith('::error '));
        expect(line).toMatch(
          new RegExp(
            `^::error file=${sandbox.inventory.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},line=\\d+,col=\\d+,title=kafka-ops check%3A config-lint::Broker 2 .*num.io.threads=four`,
          ),
        );
      } finally {
        writeFileSync(file, original);
        utimesSync(file, atime, mtime);
      }
      expect((await check()).code).toBe(0);
    },
  );

  it(
    'a server.properties with a bad key (misspelt, so Kafka would ignore it): config-lint naming the key meant, exit 1',
    { timeout: 60_000 },
    async () => {
      const file = brokerOf(readInventory(sandbox.inventory), 1).configPath;
      const original = readFileSync(file, 'utf8');
      const { atime, mtime } = statSync(file);
      writeFileSync(file, `${original}auto.leader.rebalance.enabel=false\n`);
      try {
        const result = await check();
        expect(result.code, result.stdout).toBe(1);
        expect(ids(result)).toEqual(['config-lint:b1']);
        const lint = result.json.findings.find((f: any) => f.id === 'config-lint');
        // The key list came from the target install's own 0.9.0.1 classes, over SSH.
        expect(lint.message).toMatch(
          /auto\.leader\.rebalance\.enabel is not a broker config of Kafka 0\.9\.0\.1: probably a misspelling of auto\.leader\.rebalance\.enable/,
        );
        expect(lint.fix).toBe('Rename auto.leader.rebalance.enabel to auto.leader.rebalance.enable.');
      } finally {
        writeFileSync(file, original);
        utimesSync(file, atime, mtime);
      }
    },
  );

  it('a missing target install: target-install on that broker, exit 1', { timeout: 60_000 }, async () => {
    const missing = inventoryCopy(sandbox.inventory, path.join(sandbox.dir, 'inventory-missing.yaml'), (inv) => {
      brokerOf(inv, 3).installs = { ...inv.defaults.installs, '0.9.0.1': path.join(sandbox.dir, 'no-such-install') };
    });
    const result = await gate(['check', '--to', '0.9', '--inventory', missing]);
    expect(result.code, result.stdout).toBe(1);
    expect(ids(result)).toEqual(['target-install:b3']);
    expect(result.json.findings[0].message).toContain('no-such-install');
  });

  it('host keys not in known_hosts: host-reachable on every broker, exit 1 (refused, not unreachable)', { timeout: 60_000 }, async () => {
    const empty = path.join(sandbox.dir, 'known_hosts-empty');
    writeFileSync(empty, '');
    const unknown = inventoryCopy(sandbox.inventory, path.join(sandbox.dir, 'inventory-unknown-keys.yaml'), (inv) => {
      (inv.executor as { knownHosts: string }).knownHosts = empty;
    });
    const result = await gate(['check', '--to', '0.9', '--inventory', unknown]);
    expect(result.code, result.stdout).toBe(1);
    expect(ids(result)).toEqual(['host-reachable:b1', 'host-reachable:b2', 'host-reachable:b3']);
    expect(result.json.findings[0].message).toMatch(/host key/i);
    expect(readFileSync(empty, 'utf8')).toBe(''); // strict policy: nothing pinned
  });

  it(
    'a stopped broker: broker-process, brokers-registered and under-replicated partitions, exit 1; healthy again once restarted',
    { timeout: 150_000 },
    async () => {
      const broker3 = brokerOf(readInventory(sandbox.inventory), 3);
      await stopPid(sandbox.pidOf(3) as number, 'SIGINT', 60_000);
      try {
        const result = await check();
        expect(result.code, result.stdout).toBe(1);
        expect(ids(result)).toEqual(
          expect.arrayContaining(['broker-process:b3', 'brokers-registered:b3', 'no-under-replicated-partitions:kafka-ops-sandbox']),
        );
        expect(result.json.findings.filter((f: any) => f.broker !== undefined && f.broker !== 3)).toEqual([]);
      } finally {
        const pid = await launchProperly(broker3);
        startedPids.add(pid);
        await waitFor('broker 3 past its launcher', 10_000, () => isBrokerJvm(pid));
        await waitHealthy(sandbox.dir, 120_000);
      }
      expect((await check()).code).toBe(0);
    },
  );

  it('a topic with replication factor 1: a warning (exit 0), failing under --strict (exit 1)', { timeout: 120_000 }, async () => {
    await topicCommand(['--create', '--topic', 'solo', '--partitions', '1', '--replication-factor', '1']);
    try {
      await waitFor('topic solo in ZooKeeper', 30_000, async () => (await topicPartitions('solo')) === 1);
      const result = await check();
      expect(result.code, result.stdout).toBe(0);
      expect(ids(result, 'warning')).toEqual(['topic-replication-factor:solo']);
      const strict = await check(['--strict'], { junit: junitFile('strict') });
      expect(strict.code).toBe(1);
      expect(strict.json).toMatchObject({ strict: true, passed: false });
      const failing = parseJUnit(readFileSync(junitFile('strict'), 'utf8')).testsuites.testsuite[0].testcase.filter((t: any) => t.failure);
      expect(failing.map((t: any) => [t.name, t.failure[0].type])).toEqual([['topic-replication-factor', 'warning']]);
    } finally {
      await topicCommand(['--delete', '--topic', 'solo']);
      await waitFor('topic solo deleted', 60_000, async () => (await topicPartitions('solo')) === 0, 500);
    }
  });

  it(
    'verify --at 0.9 fails before the upgrade (exit 1) and passes after `upgrade --to 0.9 --yes` (exit 0)',
    { timeout: 240_000 },
    async () => {
      const before = await verify({ junit: junitFile('verify-before') });
      expect(before.code, before.stdout).toBe(1);
      expect(ids(before)).toEqual(
        expect.arrayContaining([
          'running-release:b1',
          'running-release:b2',
          'running-release:b3',
          'inter-broker-protocol:b1',
          'inter-broker-protocol:b2',
          'inter-broker-protocol:b3',
        ]),
      );
      const failed = parseJUnit(readFileSync(junitFile('verify-before'), 'utf8'))
        .testsuites.testsuite[0].testcase.filter((t: any) => t.failure)
        .map((t: any) => t.name);
      expect(failed).toEqual(expect.arrayContaining(['running-release', 'inter-broker-protocol']));

      await waitForDist();
      const upgrade = await runCli(
        ['upgrade', '--to', '0.9', '--inventory', sandbox.inventory, '--state-dir', sandbox.stateDir, '--yes', '--json'],
        { timeoutMs: 200_000 },
      );
      expect(upgrade.code, `${upgrade.stdout}\n${upgrade.stderr}`).toBe(0);
      expect(schemaErrors('upgrade-result.v1.schema.json', upgrade.json)).toEqual([]);
      expect(upgrade.json.run.steps.filter((s: any) => s.outcome === 'restarted').length).toBeGreaterThan(0);

      const after = await verify({ junit: junitFile('verify-after') });
      expect(after.code, after.stdout).toBe(0);
      expect(after.json).toMatchObject({ command: 'verify', passed: true, summary: { errors: 0 } });
      expect(parseJUnit(readFileSync(junitFile('verify-after'), 'utf8')).testsuites.testsuite[0].failures).toBe('0');
    },
  );

  it('roll --dry-run --json matches the upgrade-result schema', { timeout: 60_000 }, async () => {
    await waitForDist();
    const result = await runCli(['roll', '--set', 'num.io.threads=3', '--inventory', sandbox.inventory, '--dry-run', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(schemaErrors('upgrade-result.v1.schema.json', result.json)).toEqual([]);
    expect(result.json).toMatchObject({ dryRun: true, plan: { kind: 'roll' } });
  });
});
