/**
 * The rolling engine's ports in memory, shared by the engine's unit tests (roll order, batches):
 * brokers that run or not, one topic `t` whose partition p has `replicasOf(p)`, a running replica
 * in every ISR it belongs to and a stopped one in none; a stopped broker's leaderships go to the
 * next running replica, a stopped controller hands the role to the lowest running broker. Time is
 * the engine's injected clock: every wait for a change advances it 50 ms, every sleep by its length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { ClusterState, PartitionState } from '../../src/cluster/port.js';
import type { EngineDeps, EngineOptions } from '../../src/engine/ports.js';
import { InfrastructureError } from '../../src/errors.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import type { BrokerHost, HookResult, HostFacts } from '../../src/hosts/port.js';
import type { BrokerHooks, BrokerSpec, Inventory } from '../../src/inventory/model.js';
import type { Connections } from '../../src/services/connections.js';
import { buildRollPlan } from '../../src/plan/roll.js';
import { FileJournal } from '../../src/store/journal.js';
import { templateInventory } from './plan-templates.js';

export interface MemoryClusterOptions {
  ids: number[];
  controller: number;
  partitions: number;
  replicasOf: (partition: number) => number[];
  /** Topic `t`'s own config (e.g. its min.insync.replicas). */
  topicConfig?: Record<string, string>;
  /** Extra server.properties lines of broker `id` (after broker.id, zookeeper.connect and log.dirs). */
  configOf?: (id: number) => string;
  /** A broker not running at the start (left stopped by a killed run). */
  down?: number;
  /** Leader of each partition at the start (default: its first running replica). */
  leaders?: number[];
  /** Once `broker` is started, the controller role moves to `to` (a ZooKeeper session expiry, say). */
  moveControllerAfter?: { broker: number; to: number };
  /** A new controller gives every partition back to its preferred running replica this long after it took over. */
  rebalanceAfterControllerMoveMs?: number;
  /**
   * The reader can ask for a preferred leader election (as the ZooKeeper one does): the request is
   * pending for `delayMs`, then its partitions go to their preferred replica where it runs
   * (`delayMs` -1: never carried out), except the partitions in `stuck` (the controller leaves them
   * where they are). `pendingUntil`: another election is pending until then.
   */
  election?: { delayMs: number; pendingUntil?: number; stuck?: number[] };
  /** Every broker's inventory hooks; `hookResult` answers each run of one (default: exit 0). */
  hooks?: BrokerHooks;
  hookResult?: (hook: string, broker: number, env: Readonly<Record<string, string>>) => HookResult;
  /** The hosts cannot run commands (as the Kubernetes and Marathon executors). */
  noRunHook?: boolean;
  /** Snapshots with a partition's ISR below this are recorded in `belowMinIsr`. */
  watchMinIsr?: number;
}

const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-memory-engine-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Six brokers over three racks (r0 = 1,2; r1 = 3,4; r2 = 5,6), controller 6, twelve partitions
 * with one replica per rack (RF 3), min.insync.replicas 2: `--batch auto` rolls `[1,2] [3,4] [5] [6]`.
 */
export const SIX_OVER_THREE_RACKS = {
  ids: [1, 2, 3, 4, 5, 6],
  controller: 6,
  partitions: 12,
  replicasOf: (p: number) => [1 + (p % 2), 3 + ((p + 1) % 2), 5 + (Math.floor(p / 2) % 2)],
  configOf: (id: number) => `min.insync.replicas=2\nbroker.rack=r${Math.floor((id - 1) / 2)}\n`,
} satisfies MemoryClusterOptions;

/** The template inventory with brokers `ids` (kafka<id>.example.com). */
export function memoryInventory(ids: readonly number[]): Inventory {
  const base = templateInventory('0.10.2.1', '0.11.0.3');
  return { ...base, brokers: ids.map((id): BrokerSpec => ({ ...(base.brokers[0] as BrokerSpec), id, host: `kafka${id}.example.com` })) };
}

export function memoryCluster(opts: MemoryClusterOptions) {
  const { ids, replicasOf } = opts;
  const base = memoryInventory(ids);
  const inventory = opts.hooks ? { ...base, brokers: base.brokers.map((b) => ({ ...b, hooks: opts.hooks })) } : base;
  const partitionIds = Array.from({ length: opts.partitions }, (_, p) => p);
  let now = 1_000_000;
  let controller = opts.controller;
  // When the controller took over, as ZooKeeper tells it (long before the run, to begin with).
  let controllerSince = now - 1_000_000;
  let rebalanceDueAt: number | undefined;
  const controllerMoves: number[] = [];
  const leaderMoves: Array<{ at: number; to: number }> = [];
  const rebalances: number[] = [];
  const belowMinIsr: string[] = [];
  const log: string[] = [];
  const hookRuns: Array<{ argv: string[]; env: Record<string, string> }> = [];
  const stoppedAt: Record<number, number> = {};
  const nodes = new Map(
    ids.map((id) => [
      id,
      {
        running: id !== opts.down,
        startedAt: 0,
        configAt: 0,
        config: `broker.id=${id}\nzookeeper.connect=zk:2181\nlog.dirs=/data\n${opts.configOf?.(id) ?? ''}`,
      },
    ]),
  );
  const node = (id: number) => nodes.get(id) as NonNullable<ReturnType<typeof nodes.get>>;
  const running = () => ids.filter((id) => node(id).running);
  const setController = (id: number) => {
    if (id !== controller) {
      controllerMoves.push((controllerSince = now));
      if (opts.rebalanceAfterControllerMoveMs !== undefined) rebalanceDueAt = now + opts.rebalanceAfterControllerMoveMs;
    }
    controller = id;
  };
  const leaders = opts.leaders ? [...opts.leaders] : partitionIds.map((p) => replicasOf(p).find((id) => node(id).running) ?? -1);
  const moveLeader = (p: number, to: number) => {
    if (leaders[p] === to) return;
    leaders[p] = to;
    leaderMoves.push({ at: now, to });
  };
  const rebalanceIfDue = () => {
    if (rebalanceDueAt === undefined || now < rebalanceDueAt) return;
    rebalanceDueAt = undefined;
    rebalances.push(now);
    for (const p of partitionIds) if (node(replicasOf(p)[0]!).running) moveLeader(p, replicasOf(p)[0]!);
  };

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
      stoppedAt[id] = now;
      node(id).running = false;
      for (const p of partitionIds) if (leaders[p] === id) moveLeader(p, replicasOf(p).find((r) => node(r).running) ?? -1);
      if (controller === id) setController(Math.min(...running()));
      log.push(`stop ${id}`);
      return { exited: true, shutdown: 'controlled', evidence: [], elapsedMs: 5, exitMs: 5 };
    },
    kill: async () => undefined,
    async start() {
      Object.assign(node(id), { running: true, startedAt: ++now });
      log.push(`start ${id}`);
      if (opts.moveControllerAfter?.broker === id) setController(opts.moveControllerAfter.to);
    },
    close: async () => undefined,
    ...(opts.noRunHook
      ? {}
      : {
          async runHook(argv: readonly string[], env: Readonly<Record<string, string>>) {
            const hook = env.KAFKA_OPS_HOOK as string;
            log.push(`hook ${hook} ${id}`);
            hookRuns.push({ argv: [...argv], env: { ...env } });
            return opts.hookResult?.(hook, id, env) ?? { code: 0, output: '', elapsedMs: 1 };
          },
        }),
  });

  /** Each election asked for: when, and the partitions it named. */
  const elections: Array<{ at: number; partitions: number[] }> = [];
  let election: { dueAt: number; partitions: number[] } | undefined =
    opts.election?.pendingUntil !== undefined ? { dueAt: opts.election.pendingUntil, partitions: [] } : undefined;
  const electIfDue = () => {
    if (!election || election.dueAt < 0 || now < election.dueAt) return;
    for (const p of election.partitions)
      if (node(replicasOf(p)[0]!).running && !opts.election?.stuck?.includes(p)) moveLeader(p, replicasOf(p)[0]!);
    election = undefined;
  };
  const electPreferredLeaders = async (partitions: ReadonlyArray<{ topic: string; partition: number }>) => {
    electIfDue();
    if (election)
      throw new InfrastructureError('A preferred replica election is already pending.', {
        code: 'ELECTION_PENDING',
        retriable: true,
        action: 'Wait.',
      });
    const ps = partitions.map((p) => p.partition);
    elections.push({ at: now, partitions: ps });
    log.push(`elect ${ps.join(',')}`);
    const delay = opts.election?.delayMs ?? 0;
    election = { dueAt: delay < 0 ? -1 : now + delay, partitions: ps };
  };

  const cluster: ClusterState = {
    ...(opts.election ? { electPreferredLeaders } : {}),
    snapshot: async () => {
      rebalanceIfDue();
      electIfDue();
      const partitions: PartitionState[] = partitionIds.map((partition) => ({
        topic: 't',
        partition,
        leader: leaders[partition]!,
        replicas: replicasOf(partition),
        isr: replicasOf(partition).filter((r) => node(r).running),
      }));
      if (opts.watchMinIsr !== undefined)
        for (const p of partitions) if (p.isr.length < opts.watchMinIsr) belowMinIsr.push(`t-${p.partition} isr ${p.isr.join(',')}`);
      return {
        brokers: running(),
        controller,
        controllerSinceMs: controllerSince,
        partitions,
        topics: [{ name: 't', config: opts.topicConfig ?? {} }],
        ...(election ? { leadershipChangesPending: ['preferred replica election'] } : {}),
      };
    },
    changed: async () => {
      now += 50;
    },
    close: async () => undefined,
  };

  const journal = new FileJournal(join(scratch, `state-${Math.random()}`), inventory.cluster);
  const deps = (options: Partial<EngineOptions> = {}): EngineDeps => ({
    inventory,
    cluster,
    host: async (id) => host(id),
    io: { event: () => undefined, confirm: async () => true },
    journal,
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    interrupted: new AbortController().signal,
    options: { ...DEFAULT_ENGINE_OPTIONS, healthyCheckIntervalMs: 10, maxPollMs: 100, ...options },
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
  return {
    inventory,
    deps,
    journal,
    log,
    stoppedAt,
    controllerMoves,
    leaderMoves,
    rebalances,
    elections,
    hookRuns,
    /** Partitions led by another replica than their first. */
    imbalanced: () => partitionIds.filter((p) => leaders[p] !== replicasOf(p)[0]),
    belowMinIsr,
    stopGroups,
    rollPlan: (plannedController: number) => memoryRollPlan(ids, plannedController),
    restarted: () => log.filter((l) => l.startsWith('start')).map((l) => Number(l.split(' ')[1])),
  };
}

/** A roll of num.io.threads=9 planned while `plannedController` was the controller: the plan's order puts it last. */
export function memoryRollPlan(ids: readonly number[], plannedController: number) {
  return buildRollPlan(
    memoryInventory(ids),
    {
      source: 'hosts' as const,
      controller: plannedController,
      brokers: ids.map((id) => ({ id, release: '0.10.2.1', installDir: null, config: {} })),
    },
    { set: { 'num.io.threads': '9' }, unset: [] },
    Object.fromEntries(ids.map((id) => [id, {}])),
  );
}

/** The connections a service (runPlan) is given, over the memory cluster's hosts and state: ZooKeeper mode, no KRaft tools. */
export function memoryConnections(deps: Pick<EngineDeps, 'host' | 'cluster'>): Connections {
  return {
    host: deps.host,
    cluster: async () => deps.cluster,
    kraft: () => Promise.reject(new Error('no kraft')),
    migration: () => Promise.reject(new Error('no migration')),
    close: async () => undefined,
  } as unknown as Connections;
}
