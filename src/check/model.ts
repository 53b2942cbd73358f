/**
 * Findings of `kafka-ops check` and `kafka-ops verify`, and how they turn into a verdict
 * and an exit code. Pure: the rules (check-rules.ts, verify-rules.ts) compute findings from
 * observed facts; services gather the facts; src/ui renders JSON, JUnit and annotations.
 */
import type { FinalizedFeatures, QuorumReplica } from '../cluster/kraft-port.js';
import type { ClusterSnapshot } from '../cluster/port.js';
import { ExitCode, type SourceLocation } from '../errors.js';
import type { DiskUsage, HostFacts } from '../hosts/port.js';
import type { BrokerSpec, Inventory } from '../inventory/model.js';

export const CHECK_RESULT_SCHEMA_VERSION = 1;

export type Severity = 'error' | 'warning' | 'info';

/** Every check of `check` and `verify`, with the title CI systems show for it. */
export const CHECK_TITLES = {
  'host-reachable': 'Every host reachable over SSH with a known host key',
  'cluster-reachable': 'The cluster state (ZooKeeper) readable',
  'broker-process': 'Each broker process running',
  'installed-release': "Each broker's installed release known",
  'config-found': "Each broker's server.properties readable",
  'target-install': 'The target release installed on every host',
  'versions-consistent': 'Release, inter.broker.protocol.version and log.message.format.version the same on every broker',
  'upgrade-path': 'The requested upgrade path valid from what is installed',
  'brokers-registered': 'Every broker registered',
  'no-offline-partitions': 'No offline partitions',
  'no-under-replicated-partitions': 'No under-replicated partitions',
  'topic-replication-factor': 'No topic with replication factor 1',
  'topic-rf-above-min-isr': "Every topic's replication factor above its min.insync.replicas",
  'topic-min-isr': 'No replicated topic with min.insync.replicas 1',
  'controlled-shutdown-enabled': 'controlled.shutdown.enable not false',
  'unclean-leader-election': 'unclean.leader.election.enable not true',
  'stop-timeout': 'Stop timeout longer than the controlled-shutdown bound',
  'stop-signal-honoured': 'Each broker process honours its stop signal',
  'config-lint': 'Each server.properties passes lint against the release it will run',
  'disk-free': 'Enough free disk on every log dir',
  'running-release': 'Each broker runs the release',
  'running-current': 'Each broker process started after its last config or install change',
  'inter-broker-protocol': 'inter.broker.protocol.version at its final value',
  'message-format': 'log.message.format.version at its final value',
  'release-mix': 'The release, inter.broker.protocol.version and log.message.format.version of each broker, when they differ',
  'quorum-caught-up': 'KRaft: every controller (voter) caught up with the quorum leader, by offsets and by time',
  'metadata-version': 'KRaft: metadata.version finalized at the release',
} as const;
export type CheckId = keyof typeof CHECK_TITLES;

export const CHECK_IDS: CheckId[] = [
  'host-reachable',
  'cluster-reachable',
  'broker-process',
  'installed-release',
  'config-found',
  'target-install',
  'versions-consistent',
  'upgrade-path',
  'brokers-registered',
  'no-offline-partitions',
  'no-under-replicated-partitions',
  'topic-replication-factor',
  'topic-rf-above-min-isr',
  'topic-min-isr',
  'controlled-shutdown-enabled',
  'unclean-leader-election',
  'stop-timeout',
  'stop-signal-honoured',
  'config-lint',
  'disk-free',
];
export const VERIFY_IDS: CheckId[] = [
  'host-reachable',
  'cluster-reachable',
  'broker-process',
  'running-release',
  'running-current',
  'inter-broker-protocol',
  'message-format',
  'release-mix',
  'brokers-registered',
  'no-offline-partitions',
  'no-under-replicated-partitions',
];

/** KRaft clusters: no inter.broker.protocol.version nor message format; the quorum instead (verify: and the finalized metadata.version). */
export const KRAFT_CHECK_IDS: CheckId[] = [
  ...CHECK_IDS.slice(0, CHECK_IDS.indexOf('brokers-registered') + 1),
  'quorum-caught-up',
  ...CHECK_IDS.slice(CHECK_IDS.indexOf('brokers-registered') + 1),
];
export const KRAFT_VERIFY_IDS: CheckId[] = [
  ...VERIFY_IDS.filter((id) => id !== 'inter-broker-protocol' && id !== 'message-format' && id !== 'release-mix'),
  'quorum-caught-up',
  'metadata-version',
];

const REACHABILITY = new Set<CheckId>(['host-reachable', 'cluster-reachable']);
/** Checks computed from the cluster state alone; the others need the hosts. */
const CLUSTER_SCOPED = new Set<CheckId>([
  'brokers-registered',
  'no-offline-partitions',
  'no-under-replicated-partitions',
  'topic-replication-factor',
  'topic-rf-above-min-isr',
  'topic-min-isr',
]);

export interface Finding {
  /** The check that found it (stable; the JUnit test case name). */
  id: CheckId;
  severity: Severity;
  broker?: number;
  topic?: string;
  message: string;
  fix: string;
  /** Where in the inventory the broker (or the cluster state) is described: for CI annotations. */
  location?: SourceLocation;
}

/** Why a host or the cluster state could not be read. `infrastructure`: the network or the service is down (exit 3). */
export interface Unreachable {
  message: string;
  action: string;
  infrastructure: boolean;
}

/** What was learned about one broker's host; every field but `spec` may be missing. */
export interface BrokerObservation {
  spec: BrokerSpec;
  unreachable?: Unreachable;
  facts?: HostFacts;
  configText?: string;
  configError?: string;
  /** Free space of its log dirs; 'unsupported' when the executor cannot tell; a string when reading it failed. */
  disk?: DiskUsage[] | 'unsupported' | string;
  /** Per release key: the broker config keys its install knows (absent: the host could not tell). */
  configKeys?: Record<string, ReadonlySet<string>>;
}

export interface ClusterObservation {
  snapshot?: ClusterSnapshot;
  unreachable?: Unreachable;
}

/** KRaft only: what the release's own tools said about the quorum and the finalized features. */
export interface KraftObservation {
  replication?: QuorumReplica[];
  finalized?: FinalizedFeatures;
  unreachable?: Unreachable;
}

export interface Observations {
  inventory: Inventory;
  brokers: BrokerObservation[];
  cluster: ClusterObservation;
  kraft?: KraftObservation;
}

export type CheckStatus = 'passed' | 'failed' | 'warnings' | 'not-checked';

export interface CheckReport {
  schemaVersion: typeof CHECK_RESULT_SCHEMA_VERSION;
  command: 'check' | 'verify';
  cluster: string;
  inventory: string;
  /** The release family checked against (--to of check, --at of verify). */
  release: string;
  strict: boolean;
  passed: boolean;
  exitCode: number;
  /** Findings by severity, and checks by status (the counts the human summary and the JUnit file give). */
  summary: { errors: number; warnings: number; infos: number; checks: CheckCounts };
  checks: Array<{ id: CheckId; title: string; status: CheckStatus; findings: number }>;
  findings: Finding[];
}

export interface CheckCounts {
  total: number;
  passed: number;
  warnings: number;
  failed: number;
  notChecked: number;
}

export function checkCounts(checks: ReadonlyArray<{ status: CheckStatus }>): CheckCounts {
  const n = (status: CheckStatus) => checks.filter((c) => c.status === status).length;
  return { total: checks.length, passed: n('passed'), warnings: n('warnings'), failed: n('failed'), notChecked: n('not-checked') };
}

/** Whether a finding fails the run: errors always, warnings under --strict. */
export function fails(finding: Finding, strict: boolean): boolean {
  return finding.severity === 'error' || (strict && finding.severity === 'warning');
}

export function statusOf(id: CheckId, findings: readonly Finding[], strict: boolean): CheckStatus {
  const own = findings.filter((f) => f.id === id);
  if (own.some((f) => fails(f, strict))) return 'failed';
  if (own.some((f) => f.severity === 'warning')) return 'warnings';
  if (own.length > 0) return 'not-checked';
  return 'passed';
}

/**
 * The report of a run: exit 3 when a host or the cluster state was unreachable (the
 * verdict is incomplete), else 1 when a finding fails, else 0.
 */
export function reportOf(
  command: CheckReport['command'],
  ids: readonly CheckId[],
  observations: Observations,
  release: string,
  findings: Finding[],
  strict: boolean,
): CheckReport {
  const unreachable = [...observations.brokers.map((b) => b.unreachable), observations.cluster.unreachable].some((u) => u?.infrastructure);
  const hostsDown = observations.brokers.some((b) => b.unreachable || !b.facts);
  const clusterDown = !observations.cluster.snapshot;
  const failed = findings.some((f) => fails(f, strict));
  const exitCode = unreachable ? ExitCode.infrastructure : failed ? ExitCode.findings : ExitCode.ok;
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const checks = ids.map((id) => {
    const status = statusOf(id, findings, strict);
    // A check with nothing to say about what could not be reached has not passed: it was not done.
    const notDone = status === 'passed' && !REACHABILITY.has(id) && (CLUSTER_SCOPED.has(id) ? clusterDown : hostsDown);
    return {
      id,
      title: CHECK_TITLES[id],
      status: notDone ? 'not-checked' : status,
      findings: findings.filter((f) => f.id === id).length,
    };
  });
  return {
    schemaVersion: CHECK_RESULT_SCHEMA_VERSION,
    command,
    cluster: observations.inventory.cluster,
    inventory: observations.inventory.source,
    release,
    strict,
    passed: exitCode === ExitCode.ok,
    exitCode,
    summary: { errors: count('error'), warnings: count('warning'), infos: count('info'), checks: checkCounts(checks) },
    checks,
    findings,
  };
}

/** `check --min-free-disk` default: a log dir whose file system has less free space (%) is an error. */
export const DEFAULT_MIN_FREE_DISK_PERCENT = 10;
