/**
 * Doubles for engine tests on one broker: a cluster in which broker 1 is always registered
 * and caught up, a broker process that records its stops and starts, and the engine's deps.
 */
import type { ClusterState } from '../../src/cluster/port.js';
import { DEFAULT_ENGINE_OPTIONS } from '../../src/engine/roll.js';
import type { EngineDeps, Journal } from '../../src/engine/ports.js';
import type { BrokerHost } from '../../src/hosts/port.js';
import type { Plan, PlanStep } from '../../src/plan/model.js';
import { brokerSpec } from './inventory-fixtures.js';

export const oneBrokerCluster: ClusterState = {
  snapshot: async () => ({ brokers: [1], controller: 1, partitions: [], topics: [] }),
  changed: async () => {},
  close: async () => {},
};

/** The process side of a broker host: `calls` gets 'stop' and 'start'; `onStop` runs while it is down. */
export function brokerProcess(calls: string[], onStop: () => void = () => {}) {
  const state = { running: true, startedAt: 1 };
  const process = () => (state.running ? { process: { pid: 42, ignoredSignals: [], startedAtMs: state.startedAt } } : {});
  const methods: Pick<BrokerHost, 'stop' | 'kill' | 'start' | 'close'> = {
    stop: async () => {
      calls.push('stop');
      state.running = false;
      onStop();
      return { exited: true, shutdown: 'controlled', evidence: [], elapsedMs: 1 };
    },
    kill: async () => {},
    start: async () => {
      calls.push('start');
      state.running = true;
      state.startedAt = Date.now();
    },
    close: async () => {},
  };
  return { process, methods };
}

export function oneBrokerDeps(host: BrokerHost, journal: Journal): EngineDeps {
  return {
    inventory: {
      source: 'inv.yaml',
      cluster: 'test',
      state: {},
      executor: { kind: 'ssh', knownHosts: '', hostKeyPolicy: 'strict', connectTimeoutSeconds: 1 },
      brokers: [brokerSpec(1)],
    },
    cluster: oneBrokerCluster,
    host: async () => host,
    io: { event: () => {}, confirm: async () => true },
    journal,
    clock: { now: () => Date.now(), sleep: async () => {} },
    interrupted: new AbortController().signal,
    options: { ...DEFAULT_ENGINE_OPTIONS, healthyCheckIntervalMs: 1 },
  };
}

/** A plan of one serial phase whose one step is broker 1's `step` (host, skipped filled in). */
export function oneBrokerPlan(
  kind: Plan['kind'],
  versions: { from: string; to: string },
  phaseId: string,
  step: Pick<PlanStep, 'changes'> & Partial<PlanStep>,
): Plan {
  return {
    schemaVersion: 1,
    kind,
    cluster: 'test',
    ...versions,
    observed: 'hosts',
    order: [1],
    controller: { broker: 1, note: '' },
    notes: [],
    estimate: { restarts: 1, seconds: 1, assumption: '' },
    phases: [
      {
        id: phaseId,
        title: phaseId,
        kind: 'roll',
        strategy: 'serial',
        skipped: false,
        gates: [],
        consecutiveHealthyChecks: 1,
        timeouts: { stopSeconds: 30, startSeconds: 30 },
        steps: [{ broker: 1, host: 'broker-1', skipped: false, ...step }],
      },
    ],
  } as Plan;
}
