/**
 * Issue 14, "plan files are trusted too much" and "resume does not check the plan's cluster":
 * a plan is bound to its cluster (name and id), a plan altered after `plan -o` (or after its run
 * wrote it to the state dir) is refused, and a host whose config is not where a step's `from`
 * says stops the run before any restart. Also the Low item: state files never follow a symlink
 * and are created 0600 in a 0700 folder.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterState } from '../../src/cluster/port.js';
import type { Plan } from '../../src/plan/model.js';
import { makePlan } from '../../src/services/plan-service.js';
import type { Connections } from '../../src/services/connections.js';
import { bindToCluster, runPlan } from '../../src/services/run-service.js';
import { FileJournal } from '../../src/store/journal.js';
import { planDigest } from '../../src/store/plan-digest.js';
import { loadPlanFile, writePlanFile } from '../../src/store/plan-file.js';
import { memoryCluster } from '../helpers/memory-engine.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-plan-binding-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const example = join(import.meta.dirname, '../../examples/inventory.yaml');
const quiet = {
  info: () => undefined,
  openEngineIO: async () => ({ event: () => undefined, confirm: async () => true, notice: () => undefined, close: async () => undefined }),
};
const runOptions = (stateDir: string) => ({ stateDir, killOnStopTimeout: false, clientsUpgraded: false, yes: true, interactive: false });

/** A memory cluster of brokers 1..3 whose reader reports `id`, and a roll plan read from its hosts. */
function cluster(id: string | undefined, configOf?: (broker: number) => string) {
  const memory = memoryCluster({
    ids: [1, 2, 3],
    controller: 3,
    partitions: 3,
    replicasOf: () => [1, 2, 3],
    ...(configOf ? { configOf } : {}),
  });
  const deps = memory.deps();
  const reader: ClusterState = { ...deps.cluster, ...(id === undefined ? {} : { clusterId: async () => id }) };
  const connections = {
    host: deps.host,
    cluster: async () => reader,
    kraft: () => Promise.reject(new Error('no kraft')),
    migration: () => Promise.reject(new Error('no migration')),
    close: async () => undefined,
  } as unknown as Connections;
  return { memory, connections, inventory: { ...memory.inventory, state: {} }, plan: memory.rollPlan(3) };
}

describe('a plan is bound to its cluster', () => {
  it('a plan of another cluster name is refused (exit 2)', async () => {
    const c = cluster('cid-A');
    await expect(bindToCluster({ ...c.plan, cluster: 'other' }, c.inventory, c.connections, quiet)).rejects.toMatchObject({
      code: 'PLAN_INVENTORY_MISMATCH',
      exitCode: 2,
    });
  });

  it('the run writes the cluster id into the state dir plan.yaml; that plan applied to a same-named cluster of another id is refused, nothing restarted', async () => {
    const a = cluster('cid-A');
    const stateA = join(root, 'state-a');
    await runPlan(a.plan, a.inventory, a.connections, runOptions(stateA), quiet);
    const stored = loadPlanFile(new FileJournal(stateA, a.inventory.cluster).planFile);
    expect(stored.clusterId).toBe('cid-A');
    expect(a.memory.restarted()).toEqual([1, 2, 3]);

    const b = cluster('cid-B');
    await expect(runPlan(stored, b.inventory, b.connections, runOptions(join(root, 'state-b')), quiet)).rejects.toMatchObject({
      code: 'PLAN_CLUSTER_MISMATCH',
      exitCode: 2,
      message: expect.stringContaining('cid-B'),
    });
    expect(b.memory.log).toEqual([]);
  });

  it('a plan without an id is bound to the cluster it first runs on; a reader that cannot tell ids checks the name only', async () => {
    const c = cluster('cid-C');
    expect((await bindToCluster(c.plan, c.inventory, c.connections, quiet)).clusterId).toBe('cid-C');
    const blind = cluster(undefined);
    const said: string[] = [];
    const plan = await bindToCluster({ ...blind.plan, clusterId: 'cid-X' }, blind.inventory, blind.connections, {
      ...quiet,
      info: (m) => said.push(m),
    });
    expect(plan.clusterId).toBe('cid-X');
    expect(said.join()).toContain('not checked');
  });
});

describe('a plan altered after it was written is refused', () => {
  it('`plan -o` records the digest of what it wrote; any later edit is PLAN_ALTERED (exit 2) at the `reviewed` line', () => {
    const file = join(root, 'reviewed.yaml');
    const { file: written, ...made } = makePlan({ inventory: example, from: '0.10.2', to: '0.11.0', output: file });
    expect(written).toBe(file);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^reviewed: sha256:[0-9a-f]{64}$/m);
    expect(planDigest(loadPlanFile(file))).toBe(planDigest(made));

    writeFileSync(file, text.replace(/stopSeconds: \d+/, 'stopSeconds: 1'));
    let caught: unknown;
    try {
      loadPlanFile(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'PLAN_ALTERED', exitCode: 2 });
    const line = text.split('\n').findIndex((l) => l.startsWith('reviewed:')) + 1;
    expect((caught as { location?: { line?: number } }).location?.line).toBe(line);

    // An edit that is meant and reviewed: the `reviewed:` line removed, the plan is what it says.
    writeFileSync(file, text.replace(/stopSeconds: \d+/, 'stopSeconds: 1').replace(/^reviewed: .*$/m, ''));
    expect(loadPlanFile(file).phases[0]?.timeouts.stopSeconds).toBe(1);
  });

  it('resume refuses a state-dir plan.yaml edited since its run wrote it', () => {
    const journal = new FileJournal(join(root, 'state-edit'), 'c');
    const c = cluster('cid');
    journal.writePlan(c.plan);
    expect(loadPlanFile(journal.planFile)).toMatchObject({ kind: 'roll' });
    writeFileSync(journal.planFile, readFileSync(journal.planFile, 'utf8').replace("'9'", "'99'").replace('to: "9"', 'to: "99"'));
    expect(() => loadPlanFile(journal.planFile)).toThrow(expect.objectContaining({ code: 'PLAN_ALTERED' }));
  });
});

describe("a host whose config is not where the plan's `from` says", () => {
  it('halts before any restart (PLAN_STALE, exit 4) naming broker, key, found and expected', async () => {
    const c = cluster('cid', (id) => (id === 2 ? 'num.io.threads=5\n' : ''));
    // The plan was read when broker 2 had no num.io.threads; someone set it since.
    await expect(runPlan(c.plan, c.inventory, c.connections, runOptions(join(root, 'state-stale')), quiet)).rejects.toMatchObject({
      code: 'PLAN_STALE',
      exitCode: 4,
      message: expect.stringMatching(/Broker 2: num\.io\.threads is 5 .* expects \(unset\) or 9/),
    });
    expect(c.memory.log).toEqual([]);
  });

  it('an assumed plan (`plan --from`, no host read) is not held to its guessed `from`', async () => {
    const c = cluster('cid', (id) => (id === 2 ? 'num.io.threads=5\n' : ''));
    const assumed: Plan = { ...c.plan, observed: 'assumed' };
    await runPlan(assumed, c.inventory, c.connections, runOptions(join(root, 'state-assumed')), quiet);
    expect(c.memory.restarted()).toEqual([1, 2, 3]);
  });
});

describe('state files never follow a symlink and are private', () => {
  it('a planted plan.yaml link: the run refuses (exit 2) and the link target is untouched', async () => {
    const c = cluster('cid');
    const stateDir = join(root, 'state-link');
    const victim = join(root, 'authorized_keys');
    writeFileSync(victim, 'ssh-ed25519 AAAA victim\n');
    const dir = join(stateDir, c.inventory.cluster);
    mkdirSync(dir, { recursive: true });
    symlinkSync(victim, join(dir, 'plan.yaml'));
    await expect(runPlan(c.plan, c.inventory, c.connections, runOptions(stateDir), quiet)).rejects.toMatchObject({
      code: 'STATE_FILE_LINK',
      exitCode: 2,
    });
    expect(readFileSync(victim, 'utf8')).toBe('ssh-ed25519 AAAA victim\n');
    expect(c.memory.log).toEqual([]);
  });

  it('a planted journal.jsonl link is never appended to; a state folder that is a link is refused', () => {
    const stateDir = join(root, 'state-jlink');
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'keep\n');
    const dir = join(stateDir, 'c');
    mkdirSync(dir, { recursive: true });
    symlinkSync(victim, join(dir, 'journal.jsonl'));
    expect(() => new FileJournal(stateDir, 'c').append({ event: 'run.start' })).toThrow(
      expect.objectContaining({ code: 'STATE_FILE_LINK' }),
    );
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');

    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(join(root, 'state-dlink'));
    symlinkSync(elsewhere, join(root, 'state-dlink', 'c'));
    expect(() => new FileJournal(join(root, 'state-dlink'), 'c')).toThrow(expect.objectContaining({ code: 'STATE_FILE_LINK' }));
  });

  it('a planted link at the lock draft path is removed, not written through', () => {
    const stateDir = join(root, 'state-draft');
    const victim = join(root, 'draft-victim.txt');
    writeFileSync(victim, 'keep\n');
    mkdirSync(join(stateDir, 'c'), { recursive: true });
    symlinkSync(victim, join(stateDir, 'c', `lock.${process.pid}`));
    const journal = new FileJournal(stateDir, 'c');
    journal.lock();
    journal.unlock();
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
  });

  it('the cluster folder is 0700 (tightened if it was open), plan, journal and lock 0600', async () => {
    const c = cluster('cid');
    const stateDir = join(root, 'state-modes');
    const dir = join(stateDir, c.inventory.cluster);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    const journal = new FileJournal(stateDir, c.inventory.cluster);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    journal.lock();
    expect(statSync(journal.lockPath).mode & 0o777).toBe(0o600);
    journal.unlock();
    await runPlan(c.plan, c.inventory, c.connections, runOptions(stateDir), quiet);
    for (const f of [journal.planFile, journal.file]) {
      expect(lstatSync(f).isFile()).toBe(true);
      expect(statSync(f).mode & 0o777).toBe(0o600);
    }
  });

  it('`plan -o` to a path that cannot be written is exit 2 naming it, not a crash (70)', () => {
    const out = join(root, 'no-such-dir', 'p.yaml');
    expect(() => makePlan({ inventory: example, from: '0.10.2', to: '0.11.0', output: out })).toThrow(
      expect.objectContaining({ code: 'PLAN_OUTPUT_UNWRITABLE', exitCode: 2, message: expect.stringContaining(out) }),
    );
    expect(existsSync(out)).toBe(false);
  });
});

it('writePlanFile keeps the digest stable across the YAML round trip', () => {
  const c = cluster('cid');
  const file = join(root, 'round.yaml');
  writePlanFile(c.plan, file);
  expect(planDigest(loadPlanFile(file))).toBe(planDigest(c.plan));
});
