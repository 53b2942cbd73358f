/** The typed results of upgrade, roll and resume: made by services/, rendered by ui/ (or printed as --json). */
import type { KraftFinding } from './engine/kraft-gates.js';
import type { JournalEntry, RunReport } from './engine/ports.js';
import type { Plan } from './plan/model.js';
import type { BatchPreview } from './plan/preview.js';
import type { LockHolder, Liveness } from './store/lock-holder.js';

/**
 * Every --json document carries `schemaVersion` (of its schemas/*.v1.schema.json; a result that
 * has its own, as check and plan do, keeps it) and `exitCode` (what the process exits with).
 */
export const RESULT_SCHEMA_VERSION = 1;

export interface RunResult {
  plan: Plan;
  run: RunReport;
  journal: string;
}

export interface UpgradeResult {
  dryRun: boolean;
  plan: Plan;
  run?: RunReport;
  journal?: string;
  /** KRaft dry runs read from the hosts: the quorum and feature checks as they stand now. */
  findings?: KraftFinding[];
  /** `resume --dry-run`: the step the resume starts with (null: every step is done on its host). */
  resumesAt?: { phase: string; broker: number } | null;
  /** A dry run with --batch other than 1: the batches from the placement now (engine/batches.ts), or why none are shown. */
  batches?: BatchPreview;
}

/**
 * Printed with the error of a run that halted or was interrupted (the `result` of its --json
 * error document): what it had done, where it stopped and why, read back from its journal.
 */
export interface StoppedRunResult {
  dryRun: false;
  cluster: string;
  kind: string;
  from?: string;
  to?: string;
  journal: string;
  run: RunView;
}

/** A lock on the cluster (the local one in the state dir, or the ZooKeeper znode) and whether its holder is provably gone. */
export interface LockView {
  where: string;
  holder: LockHolder;
  liveness: Liveness;
}

/** Where the last run of a cluster stands, read from its journal and locks. */
export type RunState = 'none' | 'running' | 'halted' | 'interrupted' | 'crashed' | 'completed' | 'aborted';

export interface RunView {
  kind?: string;
  from?: string;
  to?: string;
  id?: string;
  startedAt: string;
  last: JournalEntry;
  /** The phase and broker the run was at (its last journal entry naming one). */
  phase?: string;
  /** The phase is a gate (a question, no broker restarted): the run stopped at the gate, not at a broker. */
  gate?: boolean;
  broker?: number;
  /** Brokers whose step finished (caught up), by phase order. */
  brokersDone: number[];
  /** Every step this run finished, in order: restarted, or found done on its host. */
  stepsDone: Array<{ phase: string; broker: number; outcome: 'restarted' | 'already-done' }>;
  /** A broker stopped mid-step (between its config edit or stop and its catch-up), if any. */
  brokerMidStep?: { broker: number; phase?: string; lastSubStep: string };
  /** Why it stopped (the error the run ended with). */
  stopped?: { kind?: string; code?: string; message?: string; action?: string };
}

export interface StatusResult {
  cluster: string;
  journalDir: string;
  state: RunState;
  run?: RunView;
  locks: { local?: LockView; zookeeper?: LockView; zookeeperError?: string };
  /** What to run next, as a command line or a sentence. */
  next: string;
}

export interface AbortResult {
  cluster: string;
  aborted: boolean;
  run?: RunView;
  journal: string;
  /** What the brokers are left as (the abort itself touches none). */
  brokers: string;
}

export interface UnlockResult {
  cluster: string;
  /** The locks removed, with their holders. */
  removed: LockView[];
}
