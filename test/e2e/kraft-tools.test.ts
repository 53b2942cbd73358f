/**
 * The KRaft tools adapter and the KRaft engine steps against fake kafka-features.sh /
 * kafka-metadata-quorum.sh (test/fixtures/kraft/tools/README.md) installed in a temporary
 * install directory, run from its install link, locally and through the real sshd
 * (sandbox/sshd.ts on 127.0.0.1). The fakes print the captured formats of the real tools.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFeatureSupport } from '../../src/cluster/kraft-port.js';
import { finalizeMetadataVersion, quorumPreStopGate } from '../../src/engine/kraft.js';
import { FileJournal } from '../../src/store/journal.js';
import type { EngineEvent } from '../../src/engine/ports.js';
import { HaltError, InfrastructureError } from '../../src/errors.js';
import { ShellKraftTools, binaryFeatureSupport } from '../../src/cluster/kraft-tools.js';
import type { HostFacts } from '../../src/hosts/port.js';
import { LocalRunner, type CommandRunner } from '../../src/hosts/shell/runner.js';
import { connectSsh } from '../../src/hosts/ssh/ssh.js';
import type { BrokerSpec, KraftSettings } from '../../src/inventory/model.js';
import { assumedPlan } from '../../src/plan/build.js';
import { templateKraftInventory } from '../helpers/plan-templates.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { startSshd, stopSshd, type SshdHandle } from '../../src/sandbox/sshd.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-kraft-tools-'));
const FIXTURES = 'test/fixtures/kraft';
const MARKER = join(root, 'pwned');
/** A path with a space, quotes and a command substitution: it must arrive as one argument. */
const NASTY_CONFIG = `/etc/kafka/admin client's $(touch ${MARKER}).properties`;
let sshd: SshdHandle;
const runners: CommandRunner[] = [];

/** A 4.0.0 install with the fake tools, behind an install link; returns the node spec and its state dir. */
function install(name: string): { spec: BrokerSpec; state: string } {
  const dir = join(root, name, 'kafka_2.13-4.0.0');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'state'));
  for (const tool of ['kafka-features.sh', 'kafka-metadata-quorum.sh']) copyFileSync(join(FIXTURES, 'tools', tool), join(dir, 'bin', tool));
  const link = join(root, name, 'kafka');
  symlinkSync(dir, link);
  const state = join(dir, 'state');
  writeFileSync(join(state, 'features.txt'), readFileSync(join(FIXTURES, 'features-describe-3.9.txt')));
  writeFileSync(join(state, 'replication.txt'), readFileSync(join(FIXTURES, 'quorum-replication-3.6.txt')));
  writeFileSync(join(state, 'status.txt'), readFileSync(join(FIXTURES, 'quorum-status-3.9.txt')));
  writeFileSync(join(state, 'accepts'), '21 3.9-IV0\n25 4.0-IV3\n');
  const spec: BrokerSpec = {
    ...(templateKraftInventory('3.9.1', '4.0.0').brokers[0] as BrokerSpec),
    host: '127.0.0.1',
    ssh: { port: 22, user: 'root', agent: false },
    installLink: link,
  };
  return { spec, state };
}

const argvLog = (state: string): string[][] =>
  (existsSync(join(state, 'argv.log')) ? readFileSync(join(state, 'argv.log'), 'utf8') : '')
    .split('--\n')
    .filter((b) => b !== '')
    .map((b) => b.replace(/\n$/, '').split('\n'));

const settings: KraftSettings = { bootstrapServer: 'kafka4.example.com:9092', commandConfig: NASTY_CONFIG, toolsNode: 1 };
const allOn40 = async (nodes: readonly number[]): Promise<NodeFeatureSupport[]> =>
  nodes.map((node) => ({ node, metadataVersion: { min: '3.3-IV3', max: '4.0-IV3' }, source: 'test' }));

beforeAll(async () => {
  sshd = await startSshd(join(root, 'sshd'));
});

afterAll(async () => {
  for (const r of runners) await r.close();
  const pid = sshd.pid;
  await stopSshd(join(root, 'sshd'));
  expect(isAlive(pid)).toBe(false);
  rmSync(root, { recursive: true, force: true });
});

const transports: Array<[string, (spec: BrokerSpec) => Promise<CommandRunner>]> = [
  ['locally', async () => new LocalRunner()],
  [
    'through the real sshd',
    async (spec) => {
      const runner = await connectSsh(
        { ...spec, ssh: { port: sshd.port, user: sshd.user, identityFile: sshd.userKeyFile, agent: false } },
        { kind: 'ssh', knownHosts: sshd.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutSeconds: 5 },
      );
      runners.push(runner);
      return runner;
    },
  ],
];

describe.each(transports)('ShellKraftTools %s', (name, connect) => {
  const { spec, state } = install(`tools-${name.replaceAll(' ', '-')}`);
  let tools: ShellKraftTools;
  beforeAll(async () => {
    tools = new ShellKraftTools(await connect(spec), spec, settings, allOn40);
  });

  it('reads the finalized features and the quorum as the tools print them', async () => {
    expect(await tools.finalized()).toEqual({ metadataVersion: '3.9-IV0', kraftVersion: 0 });
    expect((await tools.replication()).map((r) => [r.nodeId, r.status])).toEqual([
      [1, 'Leader'],
      [2, 'Follower'],
      [3, 'Follower'],
      [4, 'Observer'],
      [5, 'Observer'],
      [6, 'Observer'],
    ]);
    expect((await tools.status()).voters).toEqual([1, 2, 3]);
  });

  it('runs the tool from the install link with every inventory value as one quoted argument', async () => {
    await tools.upgradeMetadataVersion('4.0-IV3');
    const last = argvLog(state).at(-1);
    expect(last).toEqual([
      '--bootstrap-server',
      'kafka4.example.com:9092',
      '--command-config',
      NASTY_CONFIG,
      'upgrade',
      '--feature',
      'metadata.version=25',
    ]);
    expect(existsSync(MARKER)).toBe(false);
    expect((await tools.finalized()).metadataVersion).toBe('4.0-IV3');
  });

  it('a refusal by the tool is an infrastructure error carrying what the tool said', async () => {
    const error = await tools.upgradeMetadataVersion('4.1-IV1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect((error as InfrastructureError).code).toBe('KRAFT_TOOL_FAILED');
    expect((error as Error).message).toMatch(/exit 1.*Could not upgrade metadata\.version to 27/);
  });
});

function engineDeps(name: string) {
  const events: EngineEvent[] = [];
  let now = 0;
  const journal = new FileJournal(join(root, `state-${name}`), 'kraft');
  return {
    events,
    journal,
    deps: {
      io: { event: (e: EngineEvent) => events.push(e), confirm: async () => true },
      journal,
      clock: { now: () => now, sleep: async (ms: number) => void (now += ms) },
      interrupted: new AbortController().signal,
    },
  };
}

describe('the quorum pre-stop gate over the tools', () => {
  const { spec, state } = install('gate');
  const tools = new ShellKraftTools(new LocalRunner(), spec, settings, allOn40);

  it('lets a controller stop at once while the other voters are caught up', async () => {
    const { deps, events } = engineDeps('gate-ok');
    await quorumPreStopGate(tools, deps).beforeStop(2);
    expect(events).toEqual([]);
  });

  it('waits while a voter lags, and lets the stop go on once it has caught up', async () => {
    writeFileSync(join(state, 'replication.txt'), readFileSync(join(FIXTURES, 'quorum-replication-3.9-lagging.txt')));
    const { deps, events } = engineDeps('gate-wait');
    let polls = 0;
    const sleep = deps.clock.sleep;
    deps.clock.sleep = async (ms) => {
      if (++polls === 3) writeFileSync(join(state, 'replication.txt'), readFileSync(join(FIXTURES, 'quorum-replication-3.6.txt')));
      await sleep(ms);
    };
    await quorumPreStopGate(tools, deps, {
      thresholds: { maxLagOffsets: 1000, maxCaughtUpAgeMs: 2000 },
      timeoutMs: 60_000,
      pollMs: 1000,
    }).beforeStop(1);
    expect(polls).toBe(3);
    expect(events.map((e) => e.code)).toEqual(['gate.wait']);
    expect(events[0]?.message).toMatch(/lag 1822/);
  });

  it('halts (QUORUM_NOT_CAUGHT_UP) when the voter never catches up, and journals why', async () => {
    writeFileSync(join(state, 'replication.txt'), readFileSync(join(FIXTURES, 'quorum-replication-3.9-lagging.txt')));
    const { deps, journal } = engineDeps('gate-halt');
    const error = await quorumPreStopGate(tools, deps, {
      thresholds: { maxLagOffsets: 1000, maxCaughtUpAgeMs: 2000 },
      timeoutMs: 5000,
      pollMs: 1000,
    })
      .beforeStop(1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaltError);
    expect((error as HaltError).code).toBe('QUORUM_NOT_CAUGHT_UP');
    expect(journal.entries().at(-1)).toMatchObject({ event: 'halt', broker: 1, detail: { reason: 'quorum-not-caught-up' } });
  });
});

describe('finalizing metadata.version over the tools', () => {
  const plan = assumedPlan(templateKraftInventory('3.9.1', '4.0.0'), '3.9', '4.0');
  const phase = plan.phases[1]!;

  it('refuses to finalize while a node does not support the target, and never calls the upgrade', async () => {
    const { spec, state } = install('finalize-refused');
    const oneOld = async (nodes: readonly number[]) =>
      (await allOn40(nodes)).map((s) =>
        s.node === 5 ? { ...s, metadataVersion: { min: '3.0-IV1', max: '3.9-IV0' }, source: 'binary 3.9.1' } : s,
      );
    const { deps } = engineDeps('finalize-refused');
    const error = await finalizeMetadataVersion(plan, phase, deps, new ShellKraftTools(new LocalRunner(), spec, settings, oneOld)).catch(
      (e: unknown) => e,
    );
    expect((error as HaltError).code).toBe('METADATA_VERSION_UNSUPPORTED');
    expect((error as Error).message).toMatch(/node 5 \(3\.0-IV1 … 3\.9-IV0, from binary 3\.9\.1\)/);
    expect(argvLog(state).some((argv) => argv.includes('upgrade'))).toBe(false);
  });

  it('finalizes once every node supports it, verifies it, and warns about kraft.version', async () => {
    const { spec, state } = install('finalize-ok');
    const { deps, journal } = engineDeps('finalize-ok');
    const warnings = await finalizeMetadataVersion(plan, phase, deps, new ShellKraftTools(new LocalRunner(), spec, settings, allOn40));
    expect(argvLog(state).filter((argv) => argv.includes('upgrade'))).toHaveLength(1);
    expect(readFileSync(join(state, 'features.txt'), 'utf8')).toMatch(/metadata\.version.*FinalizedVersionLevel: 4\.0-IV3/);
    expect(warnings.join(' ')).toMatch(/kraft\.version is 0/);
    expect(journal.entries().map((e) => e.event)).toEqual(['phase.start', 'step.finalize', 'phase.done']);
  });

  it('does nothing on a cluster already finalized (a resume or a re-run)', async () => {
    const { spec, state } = install('finalize-done');
    writeFileSync(join(state, 'features.txt'), readFileSync(join(FIXTURES, 'features-describe-4.0.txt')));
    const { deps } = engineDeps('finalize-done');
    await finalizeMetadataVersion(plan, phase, deps, new ShellKraftTools(new LocalRunner(), spec, settings, allOn40));
    expect(argvLog(state).map((argv) => argv.at(-1))).toEqual(['describe']);
  });

  it('a tool that says yes but did not raise it is caught by the re-read', async () => {
    const { spec, state } = install('finalize-lies');
    const tools = new ShellKraftTools(new LocalRunner(), spec, settings, allOn40);
    tools.upgradeMetadataVersion = async () => undefined;
    const error = await finalizeMetadataVersion(plan, phase, engineDeps('finalize-lies').deps, tools).catch((e: unknown) => e);
    expect((error as HaltError).code).toBe('FINALIZE_NOT_APPLIED');
    expect(readFileSync(join(state, 'features.txt'), 'utf8')).toMatch(/FinalizedVersionLevel: 3\.9-IV0/);
  });
});

describe("each node's supported range from its installed binary", () => {
  it("maps the release the install link points at through Kafka's table; an unknown link is unknown", async () => {
    const inventory = templateKraftInventory('3.9.1', '4.0.0');
    const facts = (target: string | undefined): HostFacts => ({
      linkTarget: target,
      installs: { '4.0.0': { present: true, release: '4.0.0' }, '3.9.1': { present: true, release: '3.9.1' } },
    });
    const links: Record<number, string | undefined> = { 1: '/opt/kafka_2.13-4.0.0', 2: '/opt/kafka_2.13-3.9.1', 3: '/somewhere/else' };
    const host = async (id: number) => ({ facts: async () => facts(links[id]) }) as never;
    expect(await binaryFeatureSupport(inventory, host, [1, 2, 3])).toEqual([
      { node: 1, metadataVersion: { min: '3.3-IV3', max: '4.0-IV3' }, source: 'binary 4.0.0' },
      { node: 2, metadataVersion: { min: '3.0-IV1', max: '3.9-IV0' }, source: 'binary 3.9.1' },
      { node: 3, source: 'install link /somewhere/else' },
    ]);
  });
});
