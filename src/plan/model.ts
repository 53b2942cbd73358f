/**
 * The plan: the five-step upgrade (or a one-phase config roll) as reviewable data,
 * plan → phases → steps (one step per broker), after the DC/OS Commons SDK.
 * It is what `plan -o` writes, what `plan validate` checks and what the engine applies.
 */

export const PLAN_SCHEMA_VERSION = 1;

export type PhaseId =
  | 'pin-versions'
  | 'swap-binaries'
  | 'bump-ibp'
  | 'upgrade-clients'
  | 'bump-lmfv'
  | 'roll-config'
  | 'finalize-metadata-version'
  // ZooKeeper → KRaft migration (plan/migration.ts), in this order:
  | 'provision-controllers'
  | 'migrate-brokers'
  | 'await-migration'
  | 'kraft-brokers'
  | 'finalize-migration';
/**
 * `finalize`: one command on one node that raises a cluster-wide feature (KRaft); no restart.
 * `provision`: new nodes configured, formatted and started (nothing running is restarted).
 * `wait`: nothing is touched; the run waits until the cluster reports a state (`wait`).
 */
export type PhaseKind = 'roll' | 'gate' | 'finalize' | 'provision' | 'wait';
export type Strategy = 'serial' | 'serial-canary';

/** Checks the engine runs for each broker of a roll phase. */
export type GateId =
  | 'no-offline-partitions'
  | 'no-under-replicated-partitions'
  | 'min-isr-holds-without-broker'
  | 'leadership-settled'
  | 'controlled-shutdown-enabled'
  | 'stop-signal-honoured'
  | 'config-lint'
  | 'target-install-present'
  | 'registered'
  | 'isr-caught-up'
  | 'quorum-majority-without-controller'
  | 'metadata-version-supported-everywhere'
  | 'quorum-has-leader'
  | 'migration-complete';

export interface ConfigChange {
  /** Value before the step; null when the key is not set. */
  from: string | null;
  /** Value after the step; null removes the key. */
  to: string | null;
}

export interface InstallChange {
  /** The install symlink. */
  link: string;
  /** Its target before the step (null when unknown). */
  from: string | null;
  to: string;
  /** Release the target install must hold. */
  release: string;
}

export interface PlanStep {
  broker: number;
  host: string;
  /** server.properties key → change; only the keys this phase changes on this broker. */
  changes: Record<string, ConfigChange>;
  install?: InstallChange;
  /** KRaft: the node's process.roles (absent in ZooKeeper-mode plans). */
  roles?: Array<'controller' | 'broker'>;
  /** True when this broker already has the phase's result: it is not restarted. */
  skipped: boolean;
  reason?: string;
}

export interface PlanPhase {
  id: PhaseId;
  title: string;
  kind: PhaseKind;
  strategy: Strategy;
  skipped: boolean;
  reason?: string;
  /** Why this phase cannot be undone, when it cannot. */
  pointOfNoReturn?: string;
  gates: GateId[];
  /** Healthy checks in a row required after a restart. */
  consecutiveHealthyChecks: number;
  timeouts: { stopSeconds: number; startSeconds: number };
  /** For gates: the question the operator confirms. */
  prompt?: string;
  /** For finalize phases: the one command that raises the feature. */
  finalize?: FinalizeAction;
  /** For provision phases: the storage every new node is formatted with. */
  provision?: ProvisionAction;
  /** For wait phases: what the run waits for, and where it reads it. */
  wait?: WaitAction;
  /**
   * Migration plans: how to go back to ZooKeeper mode if the run stops in or after this phase
   * (Kafka's documented revert steps, in order). Absent after the point of no return.
   */
  revert?: string[];
  steps: PlanStep[];
}

/** Formatting new KRaft controllers' storage with the cluster's existing id. */
export interface ProvisionAction {
  /** The ZooKeeper cluster's id (`/cluster/id`); null when not read yet (an assumed plan). */
  clusterId: string | null;
  /** Per node: the log dir that is formatted. */
  logDirs: Record<string, string>;
}

/** Waiting, without touching anything, until the cluster reports a state. */
export interface WaitAction {
  /** The evidence looked for, e.g. the controller log line. */
  until: string;
  /** Where it is read. */
  source: string;
  timeoutSeconds: number;
}

/** Raising a KRaft feature with kafka-features.sh on one node over SSH. */
export interface FinalizeAction {
  feature: 'metadata.version';
  /** Finalized level before (null when not known, e.g. an assumed plan). */
  from: string | null;
  to: string;
  /** Node whose host runs the tool. */
  node: number;
  host: string;
  /** argv run on that host (each element quoted on its way there). */
  command: string[];
}

export interface Plan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  kind: 'upgrade' | 'roll' | 'migration';
  /** Present for KRaft plans only, so ZooKeeper-mode plans stay exactly as they were. */
  mode?: 'kraft';
  cluster: string;
  /**
   * The cluster's id (ZooKeeper's `/cluster/id`) the plan is bound to: written by the run that first
   * applies it (and so in the state dir's plan.yaml); a plan carrying one is refused on another cluster.
   */
  clusterId?: string;
  /** Release family the cluster is upgraded from ("0.10.2"); for a roll, the running one. */
  from: string;
  to: string;
  /** Where the observed state came from: read from the hosts, or assumed from --from. */
  observed: 'hosts' | 'assumed';
  /** Broker order; the active controller (when known) is last. */
  order: number[];
  controller: { broker: number | null; note: string };
  phases: PlanPhase[];
  notes: string[];
  estimate: { restarts: number; seconds: number; assumption: string };
  /** The digest (`store/plan-digest.ts`) of the plan as written by `plan -o` or a run: a plan altered since is refused. */
  reviewed?: string;
  /** `--brokers`: the run restarts only these; the others stay as they are. */
  subset?: { brokers: number[]; others: number[] };
}
