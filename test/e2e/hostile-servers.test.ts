/**
 * Issue 14, the hostile servers: an SSH port or a ZooKeeper that accepts a connection and then
 * stalls or talks garbage. Every command is the built CLI as a process: it must end with a clean
 * infrastructure error (exit 3, no stack trace) for what is broken, report what is not, and exit
 * once its work is done. The servers are tiny loopback ones (test/helpers/hostile-servers.ts);
 * the healthy host is a real OpenSSH sshd.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, stopSshd, type SshdHandle } from '../../src/sandbox/sshd.js';
import { runCli } from '../helpers/cli.js';
import { waitForDist } from '../helpers/faults.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-servers.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-hostile-'));
const sshdDir = join(root, 'sshd');
let sshd: SshdHandle;
const servers: HostileServer[] = [];

/** Much longer than any of these commands may take: a process still running then hangs. */
const HANG_MS = 45_000;

async function hostile(behaviour: Parameters<typeof startHostileServer>[0]): Promise<HostileServer> {
  const server = await startHostileServer(behaviour, 120_000);
  servers.push(server);
  return server;
}

function inventory(name: string, zookeeperPort: number, sshPorts: number[]): string {
  const base = join(root, name);
  mkdirSync(base, { recursive: true });
  mkdirSync(join(base, 'kafka_2.11-0.10.2.1'), { recursive: true });
  symlinkSync(join(base, 'kafka_2.11-0.10.2.1'), join(base, 'kafka'));
  writeFileSync(join(base, 'server.properties'), 'broker.id=1\nzookeeper.connect=127.0.0.1:2181\nlog.dirs=/tmp/none\n');
  const file = join(base, 'inventory.yaml');
  writeFileSync(
    file,
    `cluster: hostile
state:
  zookeeper: 127.0.0.1:${zookeeperPort}
executor:
  kind: ssh
  knownHosts: ${sshd.knownHostsFile}
  hostKeyPolicy: strict
  connectTimeoutSeconds: 3
defaults:
  ssh:
    user: ${sshd.user}
    identityFile: ${sshd.userKeyFile}
  configPath: ${join(base, 'server.properties')}
  installLink: ${join(base, 'kafka')}
  installs:
    "0.10.2.1": ${join(base, 'kafka_2.11-0.10.2.1')}
    "0.11.0.3": ${join(base, 'kafka_2.11-0.11.0.3')}
  run:
    command: [sleep, "1000"]
    pidFile: ${join(base, 'broker.pid')}
  logFile: ${join(base, 'server.log')}
  stop:
    timeoutSeconds: 10
brokers:
${sshPorts.map((port, i) => `  - id: ${i + 1}\n    host: 127.0.0.1\n    ssh: { port: ${port} }`).join('\n')}
`,
  );
  return file;
}

const noStackTrace = (stderr: string) => {
  expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(stderr).not.toMatch(/Unhandled 'error' event|node:events/);
};

beforeAll(async () => {
  await waitForDist();
  sshd = await startSshd(sshdDir);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await stopSshd(sshdDir);
  rmSync(root, { recursive: true, force: true });
});

describe('an SSH port that accepts, then stalls or talks garbage', () => {
  it('is a clean exit-3 finding for that host, and check still reports the healthy one', { timeout: 60_000 }, async () => {
    const garbled = await hostile('ssh-banner-then-garbage');
    const silent = await hostile('stall');
    const noise = await hostile('garbage');
    const zookeeper = await hostile('stall');
    const file = inventory('ssh', zookeeper.port, [garbled.port, silent.port, noise.port, sshd.port]);
    const result = await runCli(['check', '--to', '0.11', '-i', file, '--json'], { timeoutMs: HANG_MS });
    expect(result.code, result.stderr).toBe(3);
    noStackTrace(result.stderr);
    const reachable = result.json.findings.filter((f: any) => f.id === 'host-reachable');
    expect(reachable.map((f: any) => f.broker).sort()).toEqual([1, 2, 3]);
    expect(reachable.find((f: any) => f.broker === 1).message).toMatch(/SSH connection to .* failed: Bad packet length/);
    expect(reachable.find((f: any) => f.broker === 2).message).toMatch(/timed out after 3000 ms/);
    // Broker 4's host was examined: its findings are about what is on it, not about reaching it.
    const healthy = result.json.findings.filter((f: any) => f.broker === 4).map((f: any) => f.id);
    expect(healthy).toContain('broker-process');
    expect(healthy).not.toContain('host-reachable');
    expect(garbled.accepted + silent.accepted + noise.accepted).toBeGreaterThanOrEqual(3);
  });
});

describe('a ZooKeeper that accepts and never answers', () => {
  it('every command reports it (exit 3, no stack trace) and then exits', { timeout: 90_000 }, async () => {
    const zookeeper = await hostile('stall');
    const file = inventory('zk', zookeeper.port, [sshd.port]);
    const stateDir = join(root, 'zk', 'state');
    // A run to resume: the plan of an earlier (assumed) run and its journal's first line.
    mkdirSync(join(stateDir, 'hostile'), { recursive: true });
    const planned = await runCli(['plan', '--from', '0.10.2', '--to', '0.11', '-i', file, '-o', join(stateDir, 'hostile', 'plan.yaml')]);
    expect(planned.code, planned.stderr).toBe(0);
    writeFileSync(join(stateDir, 'hostile', 'journal.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), event: 'run.start' })}\n`);
    const commands = [
      ['check', '--to', '0.11'],
      ['verify', '--at', '0.10.2'],
      ['resume', '--yes', '--state-dir', stateDir],
      ['roll', '--set', 'num.io.threads=9', '--dry-run'],
      ['upgrade', '--to', '0.11', '--dry-run'],
    ];
    // Side by side: each waits out its ZooKeeper connect timeout (15 s) once.
    const results = await Promise.all(commands.map((c) => runCli([...c, '-i', file], { timeoutMs: HANG_MS })));
    results.forEach((result, i) => {
      const what = `${commands[i]!.join(' ')}: ${result.stderr}`;
      // execFile's timeout kills a hung process with SIGTERM: the code is then not a number.
      expect(result.code, what).toBe(3);
      expect(result.stdout + result.stderr, what).toMatch(/Could not connect to ZooKeeper at 127\.0\.0\.1:\d+ within \d+ ms/);
      noStackTrace(result.stderr);
    });
  });
});
