/**
 * Applying a KRaft plan through the real rolling engine with in-memory ports: six nodes
 * (controllers 1-3, brokers 4-6) whose hosts, partition state, quorum and features live in
 * one small simulated cluster. What it proves: the engine rolls controllers first and the
 * quorum leader last (not the random broker Metadata names as controller under KRaft),
 * waits before stopping a controller while another voter lags and halts if it never
 * catches up, counts restarted pure controllers as back once they are caught-up voters,
 * and finalizes metadata.version once, after the last restart.
 *
 * The simulation: a stopped voter keeps its last caught-up time (it goes stale); a stopped
 * leader hands leadership to the lowest running voter; `lagPolls` makes voter 3 report a
 * lag for that many replication reads; features are per-node binaries (the real
 * `binaryFeatureSupport`) and a finalized level that `upgradeMetadataVersion` raises.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KraftFeatures, KraftQuorum, QuorumReplica } from '../../src/cluster/kraft-port.js';
import type { ClusterState } from '../../src/cluster/port.js';
import { binaryFeatureSupport } from '../../src/cluster/kraft-tools.js';
import { applyKraftPlan, quorumPreStopGate, withQuorumMembers } from '../../src/engine/kraft.js';
import { FileJournal } from '../../src/store/journal.js';
import type { EngineDeps, EngineEvent } from '../../src/engine/ports.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import { HaltError } from '../../src/errors.js';
import type { BrokerHost, HostFacts } from '../../src/hosts/port.js';
import { assumedPlan } from '../../src/plan/build.js';
import { templateKraftInventory } from '../helpers/plan-templates.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-kraft-apply-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const inventory = templateKraftInventory('3.9.1', '4.0.0');
const VOTERS = [1, 2, 3];

function simulatedCluster(options: { leader: number; lagPolls: number }) {
  let now = 1_000_000;
  let pid = 100;
  let leader = options.leader;
  let lagPolls = options.lagPolls;
  let metadataVersion = '3.9-IV0';
  const log: string[] = [];
  const nodes = new Map(
    inventory.brokers.map((b) => [
      b.id,
      { running: true, startedAt: 0, pid: ++pid, link: b.installs['3.9.1'] as string, linkAt: 0, caughtUpAt: now },
    ]),
  );
  const node = (id: number) => nodes.get(id) as NonNullable<ReturnType<typeof nodes.get>>;

  const host = (id: number): BrokerHost => {
    const spec = inventory.brokers.find((b) => b.id === id)!;
    const role = spec.roles?.[0] as string;
    return {
      brokerId: id,
      async facts(): Promise<HostFacts> {
        const n = node(id);
        return {
          ...(n.running ? { process: { pid: n.pid, ignoredSignals: [], startedAtMs: n.startedAt } } : {}),
          linkTarget: n.link,
          installs: Object.fromEntries(
            Object.entries(spec.installs).map(([release, dir]) => [release, { present: true, release, realPath: dir }]),
          ),
          configModifiedAtMs: 0,
          linkModifiedAtMs: n.linkAt,
        };
      },
      readConfig: async () =>
        `process.roles=${role}\nnode.id=${id}\ncontroller.quorum.voters=1@controller1:9093,2@controller2:9093,3@controller3:9093\n`,
      writeConfig: async () => '/backup',
      async activateRelease(release) {
        node(id).link = spec.installs[release] as string;
        node(id).linkAt = now;
        log.push(`swap ${id}`);
      },
      async stop() {
        node(id).running = false;
        if (id === leader) leader = Math.min(...VOTERS.filter((v) => node(v).running));
        log.push(`stop ${id}`);
        return { exited: true, shutdown: 'controlled', evidence: [], elapsedMs: 10, exitMs: 10 };
      },
      kill: async () => undefined,
      async start() {
        Object.assign(node(id), { running: true, startedAt: now + 1, pid: ++pid, caughtUpAt: now });
        now += 2;
        log.push(`start ${id}`);
      },
      close: async () => undefined,
    };
  };

  const cluster: ClusterState = {
    // Under KRaft, Metadata lists brokers only and names a random one as controller.
    snapshot: async () => ({ brokers: [4, 5, 6].filter((id) => node(id).running), controller: 5, partitions: [], topics: [] }),
    changed: async () => {
      now += 100;
    },
    close: async () => undefined,
  };

  const quorum: KraftQuorum = {
    async replication() {
      const lagging = lagPolls > 0;
      if (lagging) lagPolls--;
      const voters: QuorumReplica[] = VOTERS.map((id) => {
        const n = node(id);
        if (n.running) n.caughtUpAt = now;
        const lag = id === 3 && lagging ? 5000 : 0;
        return {
          nodeId: id,
          logEndOffset: 100 - lag,
          lag,
          lastFetchTimestamp: id === leader ? -1 : n.caughtUpAt,
          lastCaughtUpTimestamp: id === leader ? now : n.caughtUpAt,
          status: id === leader ? 'Leader' : 'Follower',
        };
      });
      const observers: QuorumReplica[] = [4, 5, 6].map((id) => ({
        nodeId: id,
        logEndOffset: 100,
        lag: 0,
        lastFetchTimestamp: now,
        lastCaughtUpTimestamp: now,
        status: 'Observer',
      }));
      return [...voters, ...observers];
    },
    status: async () => ({
      clusterId: 'sim',
      leaderId: leader,
      leaderEpoch: 1,
      highWatermark: 100,
      maxFollowerLag: 0,
      maxFollowerLagTimeMs: 0,
      voters: VOTERS,
      observers: [4, 5, 6],
    }),
  };

  const features: KraftFeatures = {
    supported: (ids) => binaryFeatureSupport(inventory, async (id) => host(id), ids),
    finalized: async () => ({ metadataVersion, kraftVersion: 0 }),
    async upgradeMetadataVersion(version) {
      metadataVersion = version;
      log.push(`finalize ${version}`);
    },
  };

  const events: EngineEvent[] = [];
  const deps: EngineDeps = {
    inventory,
    cluster,
    host: async (id) => host(id),
    io: { event: (e) => events.push(e), confirm: async () => true },
    journal: new FileJournal(join(root, `state-${options.leader}-${options.lagPolls}-${Math.random()}`), inventory.cluster),
    clock: { now: () => now, sleep: async (ms) => void (now += ms) },
    interrupted: new AbortController().signal,
    options: { ...DEFAULT_ENGINE_OPTIONS, healthyCheckIntervalMs: 10, maxPollMs: 100 },
  };
  return {
    deps,
    quorum,
    features,
    log,
    events,
    links: () => [...nodes.values()].map((n) => n.link),
    metadataVersion: () => metadataVersion,
  };
}

const plan = assumedPlan(inventory, '3.9', '4.0');

describe('a KRaft 3.9 → 4.0 plan applied through the rolling engine', () => {
  it('rolls controllers, then brokers, the quorum leader last, then finalizes metadata.version once', async () => {
    const sim = simulatedCluster({ leader: 2, lagPolls: 0 });
    const report = await applyKraftPlan(plan, sim.deps, { quorum: sim.quorum, features: sim.features });
    expect(sim.log.filter((l) => l.startsWith('stop')).map((l) => Number(l.split(' ')[1]))).toEqual([1, 3, 4, 5, 6, 2]);
    expect(sim.log.at(-1)).toBe('finalize 4.0-IV3');
    expect(sim.log.filter((l) => l.startsWith('finalize'))).toHaveLength(1);
    expect(sim.links().every((l) => l === '/opt/kafka_2.13-4.0.0')).toBe(true);
    expect(sim.metadataVersion()).toBe('4.0-IV3');
    expect(report.steps.map((s) => s.outcome)).toEqual(Array(6).fill('restarted'));
    expect(report.warnings.join(' ')).toMatch(/kraft\.version is 0/);
  });

  it("holds the first controller's stop while voter 3 lags, then goes on", async () => {
    const sim = simulatedCluster({ leader: 2, lagPolls: 4 });
    await applyKraftPlan(plan, sim.deps, {
      quorum: sim.quorum,
      features: sim.features,
      gate: { thresholds: { maxLagOffsets: 1000, maxCaughtUpAgeMs: 2000 }, timeoutMs: 60_000, pollMs: 1000 },
    });
    const wait = sim.events.find((e) => e.code === 'gate.wait' && e.broker !== undefined);
    expect(wait?.broker).toBe(1);
    expect(wait?.message).toMatch(/3 \(lag 5000/);
    expect(sim.log.filter((l) => l.startsWith('stop'))).toHaveLength(6);
  });

  it('halts before stopping any controller when voter 3 never catches up, and does not finalize', async () => {
    const sim = simulatedCluster({ leader: 2, lagPolls: Number.MAX_SAFE_INTEGER });
    const error = await applyKraftPlan(plan, sim.deps, {
      quorum: sim.quorum,
      features: sim.features,
      gate: { thresholds: { maxLagOffsets: 1000, maxCaughtUpAgeMs: 2000 }, timeoutMs: 5000, pollMs: 1000 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HaltError);
    expect((error as HaltError).code).toBe('QUORUM_NOT_CAUGHT_UP');
    expect(sim.log).toEqual([]);
    expect(sim.metadataVersion()).toBe('3.9-IV0');
  });
});

describe('the quorum pre-stop gate', () => {
  it('does not ask the quorum before stopping a node that cannot be a voter', async () => {
    const sim = simulatedCluster({ leader: 2, lagPolls: 0 });
    let asked = 0;
    const quorum = {
      ...sim.quorum,
      replication: async () => {
        asked++;
        return sim.quorum.replication();
      },
    };
    const gate = quorumPreStopGate(quorum, sim.deps, undefined, (id) => id <= 3);
    await gate.beforeStop(5);
    expect(asked).toBe(0);
    await gate.beforeStop(1);
    expect(asked).toBe(1);
  });
});

describe('withQuorumMembers', () => {
  const NOW = 50_000;
  const row = (nodeId: number, status: QuorumReplica['status'], lag = 0, fetchedAgoMs = 100): QuorumReplica => ({
    nodeId,
    status,
    lag,
    logEndOffset: 0,
    lastFetchTimestamp: status === 'Leader' ? -1 : fetchedAgoMs < 0 ? -1 : NOW - fetchedAgoMs,
    lastCaughtUpTimestamp: status === 'Leader' ? NOW : NOW - 100,
  });
  it.each<[string, QuorumReplica[], number[], number | undefined]>([
    [
      'fetching voters join the brokers; the leader is the controller',
      [row(1, 'Leader'), row(2, 'Follower'), row(3, 'Follower')],
      [1, 2, 3, 4],
      1,
    ],
    [
      "a voter that lags but still fetches is back (its lag is the pre-stop gate's business)",
      [row(2, 'Leader'), row(1, 'Follower', 5000)],
      [1, 2, 4],
      2,
    ],
    [
      'a voter whose last fetch is stale (stopped) or that never fetched is not',
      [row(2, 'Leader'), row(1, 'Follower', 0, 9000), row(3, 'Follower', 0, -1)],
      [2, 4],
      2,
    ],
    ['observers (brokers) come from Metadata only', [row(1, 'Leader'), row(7, 'Observer')], [1, 4], 1],
    ["no leader: no controller rather than Metadata's random broker", [row(1, 'Follower')], [1, 4], undefined],
  ])('%s', (_what, replication, brokers, controller) => {
    const view = withQuorumMembers({ brokers: [4], controller: 4, partitions: [], topics: [] }, replication);
    expect(view.brokers).toEqual(brokers);
    expect(view.controller).toBe(controller);
  });

  it('a combined node (broker and controller) is registered from Metadata only, not from its controller fetching', () => {
    const replication = [row(1, 'Leader'), row(2, 'Follower'), row(3, 'Follower')];
    // Node 2 restarted: its controller fetches again, its broker is not registered (or still fenced) yet.
    const view = withQuorumMembers({ brokers: [1, 3], partitions: [], topics: [] }, replication, undefined, () => true);
    expect(view.brokers).toEqual([1, 3]);
    expect(view.controller).toBe(1);
    // Once Metadata lists it, it is.
    expect(withQuorumMembers({ brokers: [1, 2, 3], partitions: [], topics: [] }, replication, undefined, () => true).brokers).toEqual([
      1, 2, 3,
    ]);
  });
});
