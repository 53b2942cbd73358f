/**
 * The KRaft checks of an upgrade, as pure functions of what the tools reported:
 * - finalizing metadata.version works only if every node's binary supports the target
 *   (the controller rejects the UpdateFeatures request otherwise);
 * - a controller may stop only if the OTHER voters still form a caught-up majority
 *   (Strimzi's rule: caught up within controller.quorum.fetch.timeout.ms of the leader);
 * - `--release-version` would also raise kraft.version (static → dynamic quorum).
 */
import type { FinalizedFeatures, NodeFeatureSupport, QuorumReplica } from '../cluster/kraft-port.js';
import { KRAFT_VERSION_FEATURE_FROM, compareKraftRelease, compareMetadataVersion, resolveMetadataVersion } from '../plan/versions.js';

export interface KraftFinding {
  check: 'metadata-version-supported-everywhere' | 'quorum-majority-without-controller' | 'kraft-version';
  /** Blocking findings stop the step; the others are warnings. */
  blocking: boolean;
  message: string;
  nodes: number[];
}

export interface QuorumThresholds {
  /** A voter more than this many offsets behind the leader is not caught up. */
  maxLagOffsets: number;
  /** A voter whose last caught-up time is older than this (leader clock) is not caught up; Kafka's controller.quorum.fetch.timeout.ms default. */
  maxCaughtUpAgeMs: number;
}

export const DEFAULT_QUORUM_THRESHOLDS: QuorumThresholds = { maxLagOffsets: 1000, maxCaughtUpAgeMs: 2000 };

/** Every node of `nodes` must report a metadata.version range that includes `target`. */
export function featureSupportFindings(support: readonly NodeFeatureSupport[], nodes: readonly number[], target: string): KraftFinding[] {
  const wanted = resolveMetadataVersion(target);
  if (!wanted) throw new TypeError(`not a metadata.version: ${target}`);
  const unknown: number[] = [];
  const outside: NodeFeatureSupport[] = [];
  for (const node of nodes) {
    const entry = support.find((s) => s.node === node);
    const range = entry?.metadataVersion;
    if (!range || !resolveMetadataVersion(range.min) || !resolveMetadataVersion(range.max)) {
      unknown.push(node);
      continue;
    }
    if (compareMetadataVersion(wanted, range.min) < 0 || compareMetadataVersion(wanted, range.max) > 0)
      outside.push(entry as NodeFeatureSupport);
  }
  const findings: KraftFinding[] = [];
  if (outside.length > 0) {
    findings.push({
      check: 'metadata-version-supported-everywhere',
      blocking: true,
      message: `metadata.version ${wanted} is outside what ${outside.length === 1 ? 'node' : 'nodes'} ${outside.map((s) => `${s.node} (${s.metadataVersion?.min} … ${s.metadataVersion?.max}, from ${s.source})`).join(', ')} support: finalizing would be refused.`,
      nodes: outside.map((s) => s.node),
    });
  }
  if (unknown.length > 0) {
    findings.push({
      check: 'metadata-version-supported-everywhere',
      blocking: true,
      message: `The supported metadata.version range of ${unknown.length === 1 ? 'node' : 'nodes'} ${unknown.join(', ')} could not be read: finalizing is not safe to try.`,
      nodes: unknown,
    });
  }
  return findings;
}

const isVoter = (r: QuorumReplica) => r.status === 'Leader' || r.status === 'Follower';

/**
 * Whether a replica is caught up with the leader, by offsets and by time. The leader reports
 * its own clock as its LastCaughtUpTimestamp: ages are measured on that one clock.
 */
export function caughtUpBy(
  replication: readonly QuorumReplica[],
  thresholds: QuorumThresholds = DEFAULT_QUORUM_THRESHOLDS,
): (v: QuorumReplica) => boolean {
  const leader = replication.find((v) => v.status === 'Leader');
  const leaderNow = leader && leader.lastCaughtUpTimestamp > 0 ? leader.lastCaughtUpTimestamp : undefined;
  return (v) =>
    v.status === 'Leader' ||
    (v.lag <= thresholds.maxLagOffsets &&
      (leaderNow === undefined
        ? v.lastCaughtUpTimestamp >= 0
        : v.lastCaughtUpTimestamp >= 0 && leaderNow - v.lastCaughtUpTimestamp <= thresholds.maxCaughtUpAgeMs));
}

/** The voters (controllers) that are not caught up with the leader, or every voter when there is no leader. */
export function votersNotCaughtUp(
  replication: readonly QuorumReplica[],
  thresholds: QuorumThresholds = DEFAULT_QUORUM_THRESHOLDS,
): QuorumReplica[] {
  const voters = replication.filter(isVoter);
  if (!voters.some((v) => v.status === 'Leader')) return voters;
  return voters.filter((v) => !caughtUpBy(replication, thresholds)(v));
}

/**
 * Before stopping `node`: if it is a voter, the voters other than it that are caught up
 * (the leader always is, unless it is `node`) must be a majority of all voters.
 */
export function quorumBeforeStopFindings(
  replication: readonly QuorumReplica[],
  node: number,
  thresholds: QuorumThresholds = DEFAULT_QUORUM_THRESHOLDS,
): KraftFinding[] {
  const voters = replication.filter(isVoter);
  if (!voters.some((v) => v.nodeId === node)) return [];
  const leader = voters.find((v) => v.status === 'Leader');
  if (!leader) {
    return [
      {
        check: 'quorum-majority-without-controller',
        blocking: true,
        message: 'The controller quorum has no leader right now.',
        nodes: voters.map((v) => v.nodeId),
      },
    ];
  }
  const caughtUp = caughtUpBy(replication, thresholds);
  const leaderNow = leader.lastCaughtUpTimestamp > 0 ? leader.lastCaughtUpTimestamp : undefined;
  const others = voters.filter((v) => v.nodeId !== node);
  const ready = others.filter(caughtUp);
  const majority = Math.floor(voters.length / 2) + 1;
  if (ready.length >= majority) return [];
  const behind = others.filter((v) => !caughtUp(v));
  return [
    {
      check: 'quorum-majority-without-controller',
      blocking: true,
      message: `Stopping controller ${node} would leave ${ready.length} caught-up voter(s) of ${voters.length}, fewer than the majority of ${majority}${behind.length > 0 ? `; behind: ${behind.map((v) => `${v.nodeId} (lag ${v.lag}${leaderNow !== undefined && v.lastCaughtUpTimestamp >= 0 ? `, ${leaderNow - v.lastCaughtUpTimestamp} ms since caught up` : ', never caught up'})`).join(', ')}` : ''}.`,
      nodes: behind.map((v) => v.nodeId),
    },
  ];
}

/** Upgrades ending on 3.9+ have kraft.version: warn that --release-version would raise it too. */
export function kraftVersionFindings(finalized: FinalizedFeatures, targetRelease: string): KraftFinding[] {
  if (compareKraftRelease(targetRelease, KRAFT_VERSION_FEATURE_FROM) < 0) return [];
  const level = finalized.kraftVersion ?? 0;
  return [
    {
      check: 'kraft-version',
      blocking: false,
      message:
        level === 0
          ? 'kraft.version is 0 (static quorum, controller.quorum.voters). `kafka-features.sh upgrade --release-version` would also raise it to 1 (dynamic quorum, KIP-853), which cannot be undone; kafka-ops raises metadata.version only (`--feature metadata.version=<level>`).'
          : `kraft.version is already ${level} (dynamic quorum); kafka-ops raises metadata.version only (\`--feature metadata.version=<level>\`).`,
      nodes: [],
    },
  ];
}
