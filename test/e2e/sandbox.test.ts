/**
 * The sandbox against the real thing: ZooKeeper 3.4.6, three Kafka 0.9.0.1 brokers and an
 * sshd on 127.0.0.1, driven through the service functions in a fresh temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ZooKeeperClusterState } from '../../src/cluster/zookeeper.js';
import type { ClusterSnapshot } from '../../src/cluster/port.js';
import { commandLine } from '../../src/hosts/shell/shell.js';
import { connectSsh } from '../../src/hosts/ssh/ssh.js';
import { loadInventory } from '../../src/inventory/load.js';
import { releaseFromJarNames, shortProtocolVersion } from '../../src/sandbox/java.js';
import { freePorts, ignoredSignalsOf, isAlive, launchDetached, readPidFile, sleep } from '../../src/sandbox/processes.js';
import { sandboxDown } from '../../src/sandbox/down.js';
import type { SandboxState } from '../../src/sandbox/state.js';
import { sandboxStatus } from '../../src/sandbox/status.js';
import { sandboxUp, type SandboxUpResult } from '../../src/sandbox/up.js';
import { SANDBOX_HOOK_TIMEOUT_MS, takeSandboxSlot } from '../helpers/sandbox.js';

describe('sandbox helpers', () => {
  it.each([
    ['0.8.2.2', '0.8.2'],
    ['0.9.0.1', '0.9.0'],
    ['0.10.2.1', '0.10.2'],
    ['2.8.1', '2.8'],
    ['3.7.0', '3.7'],
  ])('inter.broker.protocol.version of %s is %s', (release, ibp) => {
    expect(shortProtocolVersion(release)).toBe(ibp);
  });

  it('sniffs the release from the core jar, not from -sources/-test jars', () => {
    expect(releaseFromJarNames(['kafka_2.11-0.9.0.1-sources.jar', 'kafka-clients-0.9.0.1.jar', 'kafka_2.11-0.9.0.1.jar'])).toEqual({
      scala: '2.11',
      release: '0.9.0.1',
    });
    expect(releaseFromJarNames(['kafka_2.10-0.8.2.2.jar'])).toEqual({ scala: '2.10', release: '0.8.2.2' });
    expect(releaseFromJarNames(['zookeeper-3.4.6.jar'])).toBeUndefined();
  });

  it('reports an unreachable ZooKeeper as a retriable infrastructure error naming the connect string', async () => {
    const [port] = await freePorts(1);
    const connect = `127.0.0.1:${port}`;
    await expect(ZooKeeperClusterState.connect(connect, { timeoutMs: 1000 })).rejects.toMatchObject({
      kind: 'infrastructure',
      code: 'ZOOKEEPER_UNREACHABLE',
      retriable: true,
      action: expect.stringContaining(connect),
    });
  });
});

const dir = mkdtempSync(path.join(tmpdir(), 'kafka-ops-sandbox-'));
const SIGINT_STOP_MS = 60_000;
const CATCH_UP_MS = 90_000;

function readState(): SandboxState {
  return JSON.parse(readFileSync(path.join(dir, 'sandbox.json'), 'utf8')) as SandboxState;
}

/** Every pid the sandbox ever recorded (sandbox.json and the pid files, which a restart rewrites). */
function knownPids(): number[] {
  let state: SandboxState;
  try {
    state = readState();
  } catch {
    return [];
  }
  const pids = [state.zookeeper.pid, state.sshd?.pid, ...state.brokers.flatMap((b) => [b.pid, readPidFile(b.pidFile)])];
  return [...new Set(pids.filter((p): p is number => p !== undefined))];
}

async function waitFor(what: string, timeoutMs: number, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Re-reads ZooKeeper on each watch event until `ready` holds. */
async function waitForCluster(
  cluster: ZooKeeperClusterState,
  timeoutMs: number,
  ready: (s: ClusterSnapshot) => boolean,
): Promise<ClusterSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await cluster.snapshot();
    if (ready(snapshot)) return snapshot;
    if (Date.now() > deadline) throw new Error(`cluster not ready after ${timeoutMs} ms: ${JSON.stringify(snapshot)}`);
    await cluster.changed(deadline - Date.now());
  }
}

const fullIsr = (s: ClusterSnapshot) =>
  s.partitions.length > 0 && s.partitions.every((p) => p.leader >= 0 && p.replicas.every((r) => p.isr.includes(r)));

describe('sandbox (real ZooKeeper, Kafka 0.9.0.1, sshd)', () => {
  let up: SandboxUpResult;
  let cluster: ZooKeeperClusterState;
  let releaseSlot: (() => void) | undefined;

  beforeAll(async () => {
    releaseSlot = await takeSandboxSlot();
    up = await sandboxUp({ dir, brokers: 3, partitions: 6 });
    cluster = await ZooKeeperClusterState.connect(up.zookeeper.connect, { timeoutMs: 10_000 });
  }, SANDBOX_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.close();
    const pids = knownPids();
    await sandboxDown(dir, { purge: false }).catch(() => undefined);
    releaseSlot?.();
    expect(pids.filter(isAlive)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('registers every broker and gives every partition a leader and a full ISR', async () => {
    const snapshot = await cluster.snapshot();
    expect(snapshot.brokers).toEqual([1, 2, 3]);
    expect(snapshot.controller).toBeOneOf([1, 2, 3]);
    const topic = snapshot.partitions.filter((p) => p.topic === 'kafka-ops-sandbox');
    expect(topic).toHaveLength(6);
    expect(fullIsr(snapshot)).toBe(true);
    expect(topic.every((p) => p.replicas.length === 3)).toBe(true);
    expect(snapshot.topics).toContainEqual({ name: 'kafka-ops-sandbox', config: { 'min.insync.replicas': '2' } });
  });

  it('writes an inventory that loads and points at the sandbox', () => {
    const inventory = loadInventory(up.inventoryPath);
    expect(inventory.cluster).toBe('sandbox');
    expect(inventory.state.zookeeper).toBe(up.zookeeper.connect);
    expect(inventory.executor).toMatchObject({ kind: 'ssh', hostKeyPolicy: 'strict', connectTimeoutSeconds: 10 });
    expect(inventory.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    for (const broker of inventory.brokers) {
      expect(broker).toMatchObject({ host: '127.0.0.1', stop: { signal: 'SIGINT', timeoutSeconds: 60 }, startTimeoutSeconds: 120 });
      expect(broker.ssh.port).toBe(up.sshd.port);
      expect(broker.installLink).toBe(path.join(dir, `broker-${broker.id}`, 'kafka'));
      expect(Object.keys(broker.installs).sort()).toEqual(['0.8.2.2', '0.9.0.1']);
      expect(broker.run.kind === 'command' && broker.run.command).toContain(path.join(broker.installLink, 'libs', '*'));
    }
    expect(readFileSync(path.join(dir, 'broker-1', 'server.properties'), 'utf8')).toContain('inter.broker.protocol.version=0.8.2\n');
    expect(readFileSync(path.join(dir, 'installs', 'README.txt'), 'utf8')).toMatch(/SAME Kafka 0\.9\.0\.1 jars/);
  });

  it('is reachable over SSH with the generated inventory, host key checked; a changed pinned key is refused', async () => {
    const inventory = loadInventory(up.inventoryPath);
    const broker = inventory.brokers[0]!;
    if (inventory.executor.kind !== 'ssh') throw new Error('sandbox inventory must use ssh');
    const runner = await connectSsh(broker, inventory.executor);
    try {
      const result = await runner.run(commandLine(['readlink', broker.installLink]));
      expect(result.stdout.trim()).toBe(path.join(dir, 'installs', 'kafka-0.8.2.2'));
    } finally {
      await runner.close();
    }
    // Pin another key for the same [127.0.0.1]:port: the connection must be refused.
    const other = path.join(dir, 'other-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const [type, blob] = readFileSync(`${other}.pub`, 'utf8').trim().split(' ');
    const changed = path.join(dir, 'changed_known_hosts');
    writeFileSync(changed, `[127.0.0.1]:${up.sshd.port} ${type} ${blob}\n`);
    await expect(connectSsh(broker, { ...inventory.executor, knownHosts: changed, hostKeyPolicy: 'accept-new' })).rejects.toMatchObject({
      code: 'SSH_HOST_KEY_CHANGED',
    });
  });

  it('starts brokers that do not ignore SIGINT', () => {
    expect(up.brokers.map((b) => b.id)).toEqual([1, 2, 3]);
    for (const broker of up.brokers) expect(ignoredSignalsOf(broker.pid)).not.toContain('SIGINT');
  });

  it('refuses a second `up` in the same directory', async () => {
    await expect(sandboxUp({ dir, brokers: 3, partitions: 6 })).rejects.toMatchObject({ code: 'SANDBOX_ALREADY_UP', kind: 'user' });
    expect(up.brokers.every((b) => isAlive(b.pid))).toBe(true);
  });

  it('stops a broker cleanly on SIGINT and brings it back into every ISR with its inventory command', async () => {
    const broker = up.brokers[0]!;
    process.kill(broker.pid, 'SIGINT');
    await waitFor('a controlled shutdown and exit', SIGINT_STOP_MS, () => !isAlive(broker.pid));
    expect(readFileSync(broker.logFile, 'utf8')).toContain('Controlled shutdown succeeded');
    await waitForCluster(cluster, 10_000, (s) => !s.brokers.includes(broker.id));

    const raw = parse(readFileSync(up.inventoryPath, 'utf8')) as {
      brokers: Array<{ id: number; run: { command: string[]; pidFile: string; outputFile: string } }>;
    };
    const run = raw.brokers.find((b) => b.id === broker.id)!.run;
    const pid = await launchDetached({ command: run.command, pidFile: run.pidFile, outputFile: run.outputFile });
    expect(readPidFile(run.pidFile)).toBe(pid);
    const snapshot = await waitForCluster(cluster, CATCH_UP_MS, (s) => s.brokers.includes(broker.id) && fullIsr(s));
    // Only now: right after launch the pid may still be nohup/env, which ignore SIGINT until they exec the JVM.
    expect(ignoredSignalsOf(pid)).not.toContain('SIGINT');
    expect(snapshot.partitions.filter((p) => p.replicas.includes(broker.id)).every((p) => p.isr.includes(broker.id))).toBe(true);

    const status = await sandboxStatus(dir);
    expect(status.up).toBe(true);
    expect(status.cluster).toMatchObject({ brokers: [1, 2, 3], missingBrokers: [], underReplicatedCount: 0 });
    expect(status.processes.find((p) => p.role === 'broker' && p.id === broker.id)).toMatchObject({
      pid,
      alive: true,
      sigintIgnored: false,
    });
  });

  it('goes down leaving no process alive, and a second down has nothing to do', async () => {
    const pids = knownPids();
    const down = await sandboxDown(dir, { purge: false });
    expect(down.found).toBe(true);
    expect(down.stopped.map((s) => s.role).sort()).toEqual(['broker', 'broker', 'broker', 'sshd', 'zookeeper']);
    expect(pids.filter(isAlive)).toEqual([]);
    const again = await sandboxDown(dir, { purge: true });
    expect(again).toMatchObject({ found: true, stopped: [], purged: true });
    await expect(sandboxStatus(dir)).rejects.toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
  }, 90_000);
});
