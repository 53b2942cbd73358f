/**
 * The engine's side of its ports, in one place: what it is given (cluster state, broker
 * hosts, journal, clock, IO) and what it reports. Adapters implement these; the engine
 * imports nothing but these and pure helpers.
 */
import type { HookResult } from '../hosts/port.js';
import type { KraftFeatures, KraftQuorum } from '../cluster/kraft-port.js';
import type { ClusterState } from '../cluster/port.js';
import type { BrokerHost } from '../hosts/port.js';
import type { Inventory, StopSignal } from '../inventory/model.js';
import type { LeadershipSettleOptions } from './leadership.js';
import type { BatchSize } from './batches.js';

export type EngineEvent =
  | { code: 'phase.start' | 'phase.skip' | 'phase.done'; phase: string; message: string }
  | {
      code: 'step.start' | 'step.substep' | 'step.done' | 'step.skip';
      phase: string;
      broker: number;
      message: string;
      /** A sub-step's journal name (`config`, `stop.begin`, `safety-start`, ...): what it did to the broker. */
      substep?: string;
    }
  | { code: 'gate.wait' | 'warning'; phase?: string; broker?: number; message: string };

export interface EngineIO {
  event(event: EngineEvent): void;
  /** Ask a yes/no question; `defaultAnswer` is what --yes answers. */
  confirm(question: string, defaultAnswer: boolean): Promise<boolean>;
}

export interface EngineClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface EngineOptions {
  /** SIGKILL a broker that does not exit within its stop timeout (otherwise: halt). */
  killOnStopTimeout: boolean;
  /** Override of every broker's stop signal. */
  stopSignal?: StopSignal;
  /** The operator states up front that the clients are upgraded (answers the client gate). */
  clientsUpgraded: boolean;
  /** Spacing of the consecutive healthy checks. */
  healthyCheckIntervalMs: number;
  /** Longest wait between two checks when no watch fires. */
  maxPollMs: number;
  /** The leadership-settled pre-stop gate (leadership.ts). */
  leadershipSettle: LeadershipSettleOptions;
  /** Brokers stopped together (batches.ts): 1 = one at a time (the default), N = at most N, `auto` = as many as are safe. */
  batch?: BatchSize;
  /** --pause-between: a pause after each broker or batch is caught up, before the next one (ms). */
  pauseBetweenMs?: number;
  /**
   * --[no-]elect-preferred-leaders (elect.ts): after each broker or batch is caught up, move back the leaderships
   * whose preferred replica it is; absent = on when a broker has auto.leader.rebalance.enable=false and the reader can ask.
   */
  electPreferredLeaders?: boolean;
}

export interface EngineDeps {
  inventory: Inventory;
  cluster: ClusterState;
  host(brokerId: number): Promise<BrokerHost>;
  io: EngineIO;
  journal: Journal;
  clock: EngineClock;
  interrupted: AbortSignal;
  options: EngineOptions;
  /** KRaft: checked right before a node is stopped (the controller quorum gate). */
  preStopGate?: PreStopGate;
  /**
   * The run this application belongs to (a resume continues its run) and the digest of its plan
   * (store/plan-digest.ts). A gate confirmed in the journal counts only for the same run of the
   * same plan; without them no confirmation from before counts. `planFile`: where the plan is
   * stored (given to hooks as KAFKA_OPS_PLAN).
   */
  run?: { id: string; planDigest: string; planFile?: string };
  /** Runs an inventory hook where kafka-ops runs (hosts/local-hook.ts); needed by `hooks.on: local`. */
  localHook?(argv: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<HookResult>;
}

export interface StepReport {
  phase: string;
  broker: number;
  /** `restarted`, or why not: planned as skipped, or found done on the host. */
  outcome: 'restarted' | 'skipped' | 'already-done';
  shutdown?: 'controlled' | 'unclean' | 'unknown';
  backup?: string;
  stopMs?: number;
  startMs?: number;
  catchUpMs?: number;
  /** Time of the step beyond the broker's own stop + start + catch-up: what kafka-ops added. */
  addedMs?: number;
  /** Of `addedMs`, how long the leadership-settled gate held the stop: a deliberate wait. */
  heldMs?: number;
  totalMs?: number;
}

export interface RunReport {
  status: 'completed';
  steps: StepReport[];
  warnings: string[];
  /** The preferred leader elections (elect.ts): how many, and the leader imbalance before and after the run. */
  leaderElection?: LeaderElectionReport;
}

export interface LeaderElectionReport {
  /** Whether an election was asked for. */
  elected: boolean;
  /** Why the run elects (or does not). */
  reason: string;
  /** Elections asked for (one per broker or batch that had leaderships to take back). */
  requests: number;
  /** Partitions those elections named. */
  moved: number;
  /** Of those, the ones still not led by their preferred replica when their wait timed out. */
  notBack: number;
  partitions: number;
  /** Partitions with a leader other than their preferred replica, before and after the run. */
  before: number;
  after: number;
}

export interface JournalEntry {
  at: string;
  event: string;
  phase?: string;
  broker?: number;
  detail?: Record<string, unknown>;
}

/** The durable record of a run (src/store/journal.ts on disk): appended as the run goes, read back on resume. */
export interface Journal {
  append(entry: Omit<JournalEntry, 'at'>): void;
  entries(): JournalEntry[];
}

/** Called by the rolling engine right before it stops a node; resolves when stopping is safe, throws HaltError when it never becomes so. */
export interface PreStopGate {
  beforeStop(nodeId: number): Promise<void>;
  /** Told once the node's process is gone (or was not running), before it is started again. */
  afterStop?(nodeId: number): void;
}

/** Where the engine reads a cluster from: its broker hosts, its state, and on KRaft the tools on `kraft.toolsNode`. */
export interface ClusterSources {
  host(brokerId: number): Promise<BrokerHost>;
  cluster(): Promise<ClusterState>;
  kraft(): Promise<KraftQuorum & KraftFeatures>;
}
