/**
 * The KRaft 3.9 → 4.0 preview through the built CLI, as an operator runs it: `plan` and
 * `upgrade --dry-run` on the example KRaft inventory (phases, order, the finalize command,
 * the point of no return, the kraft.version warning), the written plan validating, and a
 * ZooKeeper cluster refused a 4.0 target with the reason; and `upgrade --dry-run` reading
 * the nodes' installs, the quorum leader and metadata.version over the real sshd from fake
 * KRaft tools (test/fixtures/kraft/tools).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/sandbox/processes.js';
import { startSshd, stopSshd, type SshdHandle } from '../../src/sandbox/sshd.js';
import { runCli } from '../helpers/cli.js';
import { useScratchDir } from '../helpers/inventory-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const kraftInventory = join(root, 'examples/inventory-kraft.yaml');
const zkInventory = join(root, 'examples/inventory.yaml');
const scratch = useScratchDir('kraft-cli');
/** No development-mode oclif warnings on stderr, no colours. */
const ENV = { NODE_ENV: 'production', NO_COLOR: '1' };

beforeAll(() => {
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json'))) {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
});

describe.each([
  ['plan', ['plan', '--from', '3.9', '--to', '4.0', '--inventory', kraftInventory]],
  ['upgrade --dry-run', ['upgrade', '--dry-run', '--from', '3.9', '--to', '4.0', '--inventory', kraftInventory]],
])('kafka-ops %s on a KRaft 3.9 cluster to 4.0', (_name, args) => {
  it('--json: a binary roll (controllers 1-3, then brokers 4-6) then one finalize step, marked as a point of no return', async () => {
    const run = await runCli([...args, '--json'], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json.plan ?? run.json;
    expect(plan.mode).toBe('kraft');
    expect([plan.from, plan.to, plan.observed]).toEqual(['3.9', '4.0', 'assumed']);
    expect(plan.phases.map((p: { id: string; kind: string; skipped: boolean }) => [p.id, p.kind, p.skipped])).toEqual([
      ['swap-binaries', 'roll', false],
      ['finalize-metadata-version', 'finalize', false],
    ]);
    expect(plan.order).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      plan.phases[0].steps.map(
        (s: { broker: number; roles: string[]; install: { release: string } }) => `${s.broker}:${s.roles.join('+')}:${s.install.release}`,
      ),
    ).toEqual(['1:controller:4.0.0', '2:controller:4.0.0', '3:controller:4.0.0', '4:broker:4.0.0', '5:broker:4.0.0', '6:broker:4.0.0']);
    expect(plan.phases[0].gates).toContain('quorum-majority-without-controller');
    expect(plan.phases[1].finalize).toEqual({
      feature: 'metadata.version',
      from: null,
      to: '4.0-IV3',
      node: 1,
      host: 'controller1.example.com',
      command: [
        '/opt/kafka/bin/kafka-features.sh',
        '--bootstrap-server',
        'kafka4.example.com:9092',
        'upgrade',
        '--feature',
        'metadata.version=25',
      ],
    });
    expect(plan.phases[1].pointOfNoReturn).toMatch(/4\.0-IV1/);
    expect(plan.phases[0].pointOfNoReturn).toBeUndefined();
    expect(plan.notes.join('\n')).toMatch(/--release-version` would also raise kraft\.version/);
    expect(plan.estimate.restarts).toBe(6);
  });

  it('human preview: every node with its role, the finalize command, and the no-return mark on the finalize only', async () => {
    const run = await runCli(args, { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toContain('Upgrade plan for cluster prod-kraft: 3.9 → 4.0');
    expect(out).toMatch(/Phase 1\/2 {2}swap-binaries {2}\[roll, serial-canary\]/);
    expect(out).toMatch(/Phase 2\/2 {2}finalize-metadata-version {2}\[finalize\]/);
    const nodes = [...out.matchAll(/^ {2}node (\d) \[(\w+)\]/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(nodes).toEqual(['1:controller', '2:controller', '3:controller', '4:broker', '5:broker', '6:broker']);
    expect(out).toContain(
      'on node 1 (controller1.example.com): /opt/kafka/bin/kafka-features.sh --bootstrap-server kafka4.example.com:9092 upgrade --feature metadata.version=25',
    );
    expect(out).toContain('Points of no return: finalize-metadata-version');
    expect(out.indexOf('⚠ point of no return')).toBeGreaterThan(out.indexOf('Phase 2/2'));
  });
});

describe('KRaft plan files and refusals through the CLI', () => {
  it('plan -o writes a plan that `plan validate` accepts and `upgrade --plan --dry-run` shows again', async () => {
    const file = join(scratch.dir, 'kraft-3.9-4.0.yaml');
    const written = await runCli(['plan', '--from', '3.9', '--to', '4.0', '--inventory', kraftInventory, '-o', file], { env: ENV });
    expect(written.code, written.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('mode: kraft');
    const validated = await runCli(['plan', 'validate', file, '--json'], { env: ENV });
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.json.valid).toBe(true);
    const shown = await runCli(['upgrade', '--plan', file, '--dry-run', '--json'], { env: ENV });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json.plan.phases[1].finalize.to).toBe('4.0-IV3');
  });

  it('a ZooKeeper-mode inventory asked for 4.0 exits 2 and says 4.0 has no ZooKeeper mode', async () => {
    const run = await runCli(['plan', '--from', '3.9', '--to', '4.0', '--inventory', zkInventory, '--json'], { env: ENV });
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('ZOOKEEPER_REMOVED');
    expect(run.json.error.action).toMatch(/--migrate-to-kraft/);
  });

  it('a KRaft cluster below 3.3 exits 2', async () => {
    const run = await runCli(['plan', '--from', '3.2', '--to', '4.0', '--inventory', kraftInventory, '--json'], { env: ENV });
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('UNSUPPORTED_PATH');
  });
});

describe('upgrade --dry-run reading a KRaft cluster over the real sshd (fake tools, no Kafka)', () => {
  let sshd: SshdHandle;
  const sshdDir = join(scratch.dir, 'sshd');
  let inventoryFile: string;

  beforeAll(async () => {
    sshd = await startSshd(sshdDir);
    const nodes = [1, 2, 3, 4].map((id) => {
      const base = join(scratch.dir, `node${id}`);
      const dirs = { '3.9.1': join(base, 'kafka_2.13-3.9.1'), '4.0.0': join(base, 'kafka_2.13-4.0.0') };
      for (const [release, dir] of Object.entries(dirs)) {
        mkdirSync(join(dir, 'libs'), { recursive: true });
        writeFileSync(join(dir, 'libs', `kafka_2.13-${release}.jar`), '');
      }
      mkdirSync(join(dirs['3.9.1'], 'bin'));
      mkdirSync(join(dirs['3.9.1'], 'state'));
      for (const tool of ['kafka-features.sh', 'kafka-metadata-quorum.sh'])
        copyFileSync(join(root, 'test/fixtures/kraft/tools', tool), join(dirs['3.9.1'], 'bin', tool));
      for (const [file, fixture] of [
        ['features.txt', 'features-describe-3.9.txt'],
        ['status.txt', 'quorum-status-3.9.txt'],
        ['replication.txt', 'quorum-replication-3.9-lagging.txt'],
      ]) {
        copyFileSync(join(root, 'test/fixtures/kraft', fixture as string), join(dirs['3.9.1'], 'state', file as string));
      }
      symlinkSync(dirs['3.9.1'], join(base, 'kafka'));
      writeFileSync(
        join(base, 'server.properties'),
        `process.roles=${id <= 3 ? 'controller' : 'broker'}\nnode.id=${id}\ncontroller.quorum.voters=1@a:9093,2@b:9093,3@c:9093\n`,
      );
      return `  - id: ${id}
    host: 127.0.0.1
    roles: [${id <= 3 ? 'controller' : 'broker'}]
    configPath: ${join(base, 'server.properties')}
    installLink: ${join(base, 'kafka')}
    installs: { "3.9.1": ${dirs['3.9.1']}, "4.0.0": ${dirs['4.0.0']} }
    run: { command: [sleep, "1000"], pidFile: ${join(base, 'node.pid')} }
    logFile: ${join(base, 'server.log')}
`;
    });
    inventoryFile = scratch.write(
      'kraft-sshd.yaml',
      `cluster: kraft-e2e
mode: kraft
kraft: { bootstrapServer: "127.0.0.1:9092", toolsNode: 1 }
executor: { kind: ssh, knownHosts: ${sshd.knownHostsFile}, hostKeyPolicy: strict, connectTimeoutSeconds: 5 }
defaults:
  ssh: { user: ${sshd.user}, port: ${sshd.port}, identityFile: ${sshd.userKeyFile} }
brokers:
${nodes.join('')}`,
    );
  });

  afterAll(async () => {
    const pid = sshd.pid;
    await stopSshd(sshdDir);
    expect(isAlive(pid)).toBe(false);
  });

  it("reads each node's release, the quorum leader (last) and the finalized metadata.version from the hosts", async () => {
    const run = await runCli(['upgrade', '--dry-run', '--to', '4.0', '--inventory', inventoryFile, '--json'], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    const plan = run.json.plan;
    expect([plan.observed, plan.from, plan.to]).toEqual(['hosts', '3.9', '4.0']);
    expect(plan.order).toEqual([1, 3, 4, 2]);
    expect(plan.controller.broker).toBe(2);
    expect(plan.phases[1].finalize.from).toBe('3.9-IV0');
    expect(plan.phases[1].finalize.command[0]).toBe(join(scratch.dir, 'node1', 'kafka', 'bin', 'kafka-features.sh'));
    const toolCalls = readFileSync(join(scratch.dir, 'node1', 'kafka_2.13-3.9.1', 'state', 'argv.log'), 'utf8');
    expect(toolCalls).toContain('describe\n--status');
    expect(toolCalls).not.toContain('upgrade');
    // Controller 3 lags (fixture): stopping 1 or 2 now would leave no caught-up majority; 3 itself may stop.
    const quorum = run.json.findings.filter((f: { check: string }) => f.check === 'quorum-majority-without-controller');
    expect(quorum.map((f: { message: string }) => Number(/controller (\d)/.exec(f.message)?.[1]))).toEqual([1, 2]);
    expect(quorum.every((f: { blocking: boolean; nodes: number[] }) => f.blocking && f.nodes.join() === '3')).toBe(true);
    expect(run.json.findings.find((f: { check: string }) => f.check === 'kraft-version')?.blocking).toBe(false);
  });

  it('prints those findings under the human preview', async () => {
    const run = await runCli(['upgrade', '--dry-run', '--to', '4.0', '--inventory', inventoryFile], { env: ENV });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/finding \(would hold the roll now\): Stopping controller 1 would leave 1 caught-up voter\(s\) of 3/);
    expect(run.stdout).toMatch(/warning: kraft\.version is 0/);
  });

  it('applying for real without an admin-API cluster reader stops with NO_CLUSTER_STATE and touches no node', async () => {
    const run = await runCli(
      ['upgrade', '--to', '4.0', '--inventory', inventoryFile, '--yes', '--json', '--state-dir', join(scratch.dir, 'state')],
      { env: ENV },
    );
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('NO_CLUSTER_STATE');
    for (const id of [1, 2, 3, 4])
      expect(realpathSync(join(scratch.dir, `node${id}`, 'kafka'))).toBe(join(scratch.dir, `node${id}`, 'kafka_2.13-3.9.1'));
    expect(readFileSync(join(scratch.dir, 'node1', 'kafka_2.13-3.9.1', 'state', 'argv.log'), 'utf8')).not.toContain('upgrade');
  });
});
