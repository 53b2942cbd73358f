/**
 * The rolling engine with --batch, on in-memory ports: six brokers over three racks, one topic
 * of twelve partitions with rack-aware placement (one replica per rack), RF 3, min ISR 2. A
 * running broker is in the ISR of its partitions, a stopped one in none; a stopped broker's
 * leaderships go to the next running replica. Every snapshot the engine reads is checked: no
 * partition below min ISR, ever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterState, PartitionState } from '../../src/cluster/port.js';
import type { BatchSize } from '../../src/engine/batches.js';
import type { EngineDeps } from '../../src/engine/ports.js';
import { applyPlan, DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import type { BrokerHost, HostFacts } from '../../src/hosts/port.js';
import type { BrokerSpec } from '../../src/inventory/model.js';
import { buildRollPlan } from '../../src/plan/roll.js';
import { FileJournal } from '../../src/store/journal.js';
import { templateInventory } from '../helpers/plan-templates.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-roll-batches-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const IDS = [1, 2, 3, 4, 5, 6];
const base = templateInventory('0.10.2.1', '0.11.0.3');
const inventory = {
  ...base,
  brokers: IDS.map((id): BrokerSpec => ({ ...(base.brokers[0] as BrokerSpec), id, host: `kafka${id}.example.com` })),
};
/** Rack of broker id: r0 = 1,2; r1 = 3,4; r2 = 5,6. */
const rackOf = (id: number) => `r${Math.floor((id - 1) / 2)}`;

function simulate(opts: { controller: number; racks: boolean; placement?: (p: number) => number[] }) {
  let now = 1_000_000;
  let controller = opts.controller;
  const log: string[] = [];
  const belowMinIsr: string[] = [];
  const nodes = new Map(
    IDS.map((id) => [
      id,
      {
        running: true,
        startedAt: 0,
        configAt: 0,
        config: `broker.id=${id}\nzookeeper.connect=zk:2181\nlog.dirs=/data\nmin.insync.replicas=2\n${opts.racks ? `broker.rack=${rackOf(id)}\n` : ''}`,
      },
    ]),
  );
  const node = (id: number) => nodes.get(id)!;
  const running = () => IDS.filter((id) => node(id).running);
  const replicasOf = opts.placement ?? ((p: number) => [1 + (p % 2), 3 + ((p + 1) % 2), 5 + (Math.floor(p / 2) % 2)]);
  const leaders = Array.from({ length: 12 }, (_, p) => replicasOf(p)[0]!);

  const host = (id: number): BrokerHost => ({
    brokerId: id,
    facts: async (): Promise<HostFacts> => ({
      ...(node(id).running ? { process: { pid: 100 + id, ignoredSignals: [], startedAtMs: node(id).startedAt } } : {}),
      linkTarget: inventory.brokers[0]!.installs['0.10.2.1'] as string,
      installs: {},
      configModifiedAtMs: node(id).configAt,
    }),
    readConfig: async () => node(id).config,
    async writeConfig(content) {
      Object.assign(node(id), { config: content, configAt: ++now });
      return '/backup';
    },
    activateRelease: async () => undefined,
    async stop() {
      node(id).running = false;
      for (let p = 0; p < 12; p++) if (leaders[p] === id) leaders[p] = replicasOf(p).find((r) => node(r).running) ?? -1;
      if (controller === id) controller = Math.min(...running());
      log.push(`stop ${id}`);
      return { exited: true, shutdown: 'controlled', evidence: [], elapsedMs: 5, exitMs: 5 };
    },
    kill: async () => undefined,
    async start() {
      Object.assign(node(id), { running: true, startedAt: ++now });
      log.push(`start ${id}`);
    },
    close: async () => undefined,
  });

  const cluster: ClusterState = {
    snapshot: async () => {
      const partitions: PartitionState[] = Array.from({ length: 12 }, (_, partition) => ({
        topic: 't',
        partition,
        leader: leaders[partition]!,
        replicas: replicasOf(partition),
        isr: replicasOf(partition).filter((r) => node(r).running),
      }));
      for (const p of partitions) if (p.isr.length < 2) belowMinIsr.push(`t-${p.partition} isr ${p.isr.join(',')}`);
      return { brokers: running(), controller, partitions, topics: [{ name: 't', config: {} }] };
    },
    changed: async () => {
      now += 50;
    },
    close: async () => undefined,
  };
  const journal = new FileJournal(join(root, `state-${Math.random()}`), inventory.cluster);
  const deps = (batch: BatchSize): EngineDeps => ({
    inventory,
    cluster,
    host: async (id) => host(id),
    io: { event: () => undefined, confirm: async () => true },
    journal,
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    interrupted: new AbortController().signal,
    options: { ...DEFAULT_ENGINE_OPTIONS, healthyCheckIntervalMs: 10, maxPollMs: 100, batch },
  });
  /** The stops grouped as they happened: brokers stopped with no start between them. */
  const stopGroups = () => {
    const groups: number[][] = [];
    let open = false;
    for (const l of log) {
      const [what, id] = l.split(' ') as [string, string];
      if (what === 'stop') {
        if (!open) groups.push([]);
        open = true;
        groups.at(-1)!.push(Number(id));
      } else open = false;
    }
    return groups.map((g) => g.sort((a, b) => a - b));
  };
  return { deps, log, belowMinIsr, stopGroups, journal };
}

function rollPlan(controller: number) {
  const observed = {
    source: 'hosts' as const,
    controller,
    brokers: IDS.map((id) => ({ id, release: '0.10.2.1', installDir: null, config: {} })),
  };
  return buildRollPlan(inventory, observed, { set: { 'num.io.threads': '9' }, unset: [] }, Object.fromEntries(IDS.map((id) => [id, {}])));
}

describe('a roll in batches', () => {
  it('--batch auto with racks: one batch per rack, the controller alone last, never below min ISR', async () => {
    const sim = simulate({ controller: 6, racks: true });
    const report = await applyPlan(rollPlan(6), sim.deps('auto'));
    expect(sim.stopGroups()).toEqual([[1, 2], [3, 4], [5], [6]]);
    expect(
      report.steps
        .filter((s) => s.outcome === 'restarted')
        .map((s) => s.broker)
        .sort(),
    ).toEqual(IDS);
    expect(sim.belowMinIsr).toEqual([]);
    const chosen = sim.journal.entries().filter((e) => e.event === 'batch.start');
    expect(chosen.map((e) => e.detail?.brokers)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('without racks the placement alone still finds safe batches', async () => {
    const sim = simulate({ controller: 6, racks: false });
    await applyPlan(rollPlan(6), sim.deps('auto'));
    expect(sim.belowMinIsr).toEqual([]);
    expect(sim.stopGroups().length).toBeLessThanOrEqual(4);
    expect(sim.stopGroups().at(-1)).toEqual([6]);
  });

  it('--pause-between pauses after each batch caught up, not after the last', async () => {
    const sim = simulate({ controller: 6, racks: true });
    const deps = sim.deps('auto');
    await applyPlan(rollPlan(6), { ...deps, options: { ...deps.options, pauseBetweenMs: 30_000 } });
    expect(sim.journal.entries().filter((e) => e.event === 'pause')).toHaveLength(3);
  });

  it('--batch 1 is one at a time, as before', async () => {
    const sim = simulate({ controller: 6, racks: true });
    await applyPlan(rollPlan(6), sim.deps(1));
    expect(sim.stopGroups()).toEqual([[1], [2], [3], [4], [5], [6]]);
  });

  it('a placement where every pair shares a partition degrades to ones, with the reason journaled', async () => {
    // The first twelve 3-subsets of the six brokers in order: together they hold every pair.
    const triples: number[][] = [];
    for (let a = 1; a <= 6; a++) for (let b = a + 1; b <= 6; b++) for (let c = b + 1; c <= 6; c++) triples.push([a, b, c]);
    const pairs = triples.slice(0, 12);
    const sim = simulate({ controller: 6, racks: true, placement: (p) => pairs[p]! });
    await applyPlan(rollPlan(6), sim.deps('auto'));
    expect(sim.belowMinIsr).toEqual([]);
    expect(sim.stopGroups().every((g) => g.length === 1)).toBe(true);
    const chosen = sim.journal.entries().find((e) => e.event === 'batch.chosen');
    expect(chosen?.detail?.degraded).toMatch(/No two brokers may stop together/);
  });
});
