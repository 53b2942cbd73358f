/**
 * Kafka's version rules for ZooKeeper-mode upgrades, 0.8.2 through 3.9, as Apache
 * Kafka's upgrade notes and its ApiVersion/MetadataVersion table define them.
 * Pure data and functions.
 */
import { UserError } from '../errors.js';

/**
 * Releases (binaries) in order, each with the inter.broker.protocol.version values it
 * introduced, oldest first. The last one is what the release's short form means.
 */
const RELEASES: ReadonlyArray<{ release: string; protocolVersions: readonly string[] }> = [
  { release: '0.8.0', protocolVersions: ['0.8.0'] },
  { release: '0.8.1', protocolVersions: ['0.8.1'] },
  { release: '0.8.2', protocolVersions: ['0.8.2'] },
  { release: '0.9.0', protocolVersions: ['0.9.0'] },
  { release: '0.10.0', protocolVersions: ['0.10.0-IV0', '0.10.0-IV1'] },
  { release: '0.10.1', protocolVersions: ['0.10.1-IV0', '0.10.1-IV1', '0.10.1-IV2'] },
  { release: '0.10.2', protocolVersions: ['0.10.2-IV0'] },
  { release: '0.11.0', protocolVersions: ['0.11.0-IV0', '0.11.0-IV1', '0.11.0-IV2'] },
  { release: '1.0', protocolVersions: ['1.0-IV0'] },
  { release: '1.1', protocolVersions: ['1.1-IV0'] },
  { release: '2.0', protocolVersions: ['2.0-IV0', '2.0-IV1'] },
  { release: '2.1', protocolVersions: ['2.1-IV0', '2.1-IV1', '2.1-IV2'] },
  { release: '2.2', protocolVersions: ['2.2-IV0', '2.2-IV1'] },
  { release: '2.3', protocolVersions: ['2.3-IV0', '2.3-IV1'] },
  { release: '2.4', protocolVersions: ['2.4-IV0', '2.4-IV1'] },
  { release: '2.5', protocolVersions: ['2.5-IV0'] },
  { release: '2.6', protocolVersions: ['2.6-IV0'] },
  { release: '2.7', protocolVersions: ['2.7-IV0', '2.7-IV1', '2.7-IV2'] },
  { release: '2.8', protocolVersions: ['2.8-IV0', '2.8-IV1'] },
  { release: '3.0', protocolVersions: ['3.0-IV0', '3.0-IV1'] },
  { release: '3.1', protocolVersions: ['3.1-IV0'] },
  { release: '3.2', protocolVersions: ['3.2-IV0'] },
  { release: '3.3', protocolVersions: ['3.3-IV0', '3.3-IV1', '3.3-IV2', '3.3-IV3'] },
  { release: '3.4', protocolVersions: ['3.4-IV0'] },
  { release: '3.5', protocolVersions: ['3.5-IV0', '3.5-IV1', '3.5-IV2'] },
  { release: '3.6', protocolVersions: ['3.6-IV0', '3.6-IV1', '3.6-IV2'] },
  { release: '3.7', protocolVersions: ['3.7-IV0', '3.7-IV1', '3.7-IV2', '3.7-IV3', '3.7-IV4'] },
  { release: '3.8', protocolVersions: ['3.8-IV0'] },
  { release: '3.9', protocolVersions: ['3.9-IV0'] },
];

/** Every protocol version id in order; its index is its rank. */
const PROTOCOL_ORDER: readonly string[] = RELEASES.flatMap((r) => r.protocolVersions);
const RELEASE_OF_PROTOCOL = new Map<string, string>(RELEASES.flatMap((r) => r.protocolVersions.map((v) => [v, r.release] as const)));

/** Oldest release kafka-ops plans upgrades from, and the newest ZooKeeper-mode target. */
export const OLDEST_SUPPORTED = '0.8.2';
export const NEWEST_SUPPORTED = '3.9';
/** log.message.format.version exists from this release on. */
export const LMFV_INTRODUCED = '0.10.0';
/** From this inter.broker.protocol.version on, log.message.format.version is ignored. */
export const LMFV_IGNORED_FROM = '3.0';
/** Once inter.broker.protocol.version reaches this, a downgrade below it is impossible. */
export const IBP_NO_DOWNGRADE_FROM = '2.1';

export const IBP_KEY = 'inter.broker.protocol.version';
export const LMFV_KEY = 'log.message.format.version';

export function knownReleases(): string[] {
  return RELEASES.map((r) => r.release);
}

/** Protocol version ids the binaries of `release` accept for IBP and LMFV. */
export function protocolVersionsAcceptedBy(release: string): string[] {
  const family = releaseFamily(release);
  const last = RELEASES.find((r) => r.release === family)?.protocolVersions.at(-1);
  if (!last) return [];
  return PROTOCOL_ORDER.slice(0, PROTOCOL_ORDER.indexOf(last) + 1);
}

/**
 * The release family of a version string as Kafka reads it: the first three segments
 * before 1.0 ("0.10.2.1" → "0.10.2"), the first two from 1.0 on ("2.8.1" → "2.8").
 * A two-segment 0.x form ("0.11") is accepted as a user shorthand for "0.11.0".
 * Returns undefined when it is not a known release.
 */
export function releaseFamily(version: string): string | undefined {
  const base = version.trim().replace(/-IV\d+$/, '');
  if (!/^\d+(\.\d+){1,3}$/.test(base)) return undefined;
  const parts = base.split('.');
  const take = parts[0] === '0' ? 3 : 2;
  if (parts[0] === '0' && parts.length === 2) parts.push('0');
  const family = parts.slice(0, take).join('.');
  return RELEASES.some((r) => r.release === family) ? family : undefined;
}

/**
 * The protocol version id a config value or version string means, as Kafka resolves it:
 * an exact id ("0.11.0-IV1") is itself; anything else maps to its release's latest id
 * ("0.11", "0.11.0", "0.11.0.3" → "0.11.0-IV2"). Undefined when Kafka would reject it.
 */
export function resolveProtocolVersion(value: string): string | undefined {
  const trimmed = value.trim();
  if (/-IV\d+$/.test(trimmed)) return RELEASE_OF_PROTOCOL.has(trimmed) ? trimmed : undefined;
  const family = releaseFamily(trimmed);
  return family ? RELEASES.find((r) => r.release === family)?.protocolVersions.at(-1) : undefined;
}

/** Negative when a < b, 0 when equal, positive when a > b (protocol order). Both must resolve. */
export function compareProtocol(a: string, b: string): number {
  return rank(a) - rank(b);
}

/** Compare two release families ("0.9.0" < "0.10.0" < "2.8"). */
export function compareRelease(a: string, b: string): number {
  return releaseRank(a) - releaseRank(b);
}

function rank(value: string): number {
  const id = resolveProtocolVersion(value);
  if (!id) throw new TypeError(`not a Kafka protocol version: ${value}`);
  return PROTOCOL_ORDER.indexOf(id);
}

function releaseRank(value: string): number {
  const family = releaseFamily(value);
  if (!family) throw new TypeError(`not a Kafka release: ${value}`);
  return RELEASES.findIndex((r) => r.release === family);
}

/** The form kafka-ops writes into server.properties for a release: "0.11.0", "2.8". */
export function configValueFor(release: string): string {
  const family = releaseFamily(release);
  if (!family) throw new TypeError(`not a Kafka release: ${release}`);
  return family;
}

/** Message format a protocol version selects (Kafka's ApiVersion.recordVersion: v0 before 0.10.0-IV0, v1 before 0.11.0-IV0, v2 from there). */
export function messageFormatOf(protocolVersion: string): 0 | 1 | 2 {
  if (compareProtocol(protocolVersion, '0.10.0-IV0') < 0) return 0;
  if (compareProtocol(protocolVersion, '0.11.0-IV0') < 0) return 1;
  return 2;
}

export function hasMessageFormatConfig(release: string): boolean {
  return compareRelease(release, LMFV_INTRODUCED) >= 0;
}

export function messageFormatConfigIgnored(interBrokerProtocol: string): boolean {
  return compareProtocol(interBrokerProtocol, LMFV_IGNORED_FROM) >= 0;
}

/**
 * Parse a user-supplied release ("--to 0.11", "--from 0.10.2.1") into its family,
 * or throw a UserError naming the flag.
 */
export function parseRelease(value: string, what: string): string {
  // 4.x is KRaft-only: it parses here so that the planner can say why a ZooKeeper cluster cannot go there.
  const family = releaseFamily(value) ?? (isKraftOnlyRelease(value) ? kraftReleaseFamily(value) : undefined);
  if (!family) {
    throw new UserError(`${what} "${value}" is not a Kafka release kafka-ops knows.`, {
      code: 'UNKNOWN_VERSION',
      action: `Use one of: ${knownReleases()
        .filter((r) => compareRelease(r, OLDEST_SUPPORTED) >= 0)
        .join(', ')}.`,
    });
  }
  return family;
}

/** Check that an upgrade from → to is one kafka-ops can plan; throws UserError otherwise. */
export function assertUpgradePath(from: string, to: string, allowSame = false): void {
  if (compareRelease(from, OLDEST_SUPPORTED) < 0) {
    throw new UserError(`Upgrading from ${from} is not supported: the oldest supported release is ${OLDEST_SUPPORTED}.`, {
      code: 'UNSUPPORTED_PATH',
      action: `Upgrade to ${OLDEST_SUPPORTED} by Kafka's own procedure first.`,
    });
  }
  assertForward(compareRelease(to, from), from, to, allowSame, {
    same: 'Pick a newer --to release, or use `kafka-ops roll` for a configuration change.',
    downgrade: `Downgrades need Kafka's manual procedure (and are impossible below ${IBP_NO_DOWNGRADE_FROM} once inter.broker.protocol.version >= ${IBP_NO_DOWNGRADE_FROM}).`,
  });
}

/** `order` compares to with from: the same release (unless allowed) and a downgrade are refused with the mode's advice. */
function assertForward(order: number, from: string, to: string, allowSame: boolean, advice: { same: string; downgrade: string }): void {
  if (order === 0 && !allowSame) {
    throw new UserError(`The cluster is already on ${from}; there is nothing to upgrade to ${to}.`, {
      code: 'NOTHING_TO_DO',
      action: advice.same,
    });
  }
  if (order < 0) {
    throw new UserError(`${to} is older than the current ${from}: kafka-ops does not plan downgrades.`, {
      code: 'DOWNGRADE',
      action: `Pick a --to release newer than ${from}. ${advice.downgrade}`,
    });
  }
}

/*
 * KRaft mode. A KRaft cluster has no inter.broker.protocol.version: the cluster-wide
 * `metadata.version` feature (KIP-778) gates new records and RPCs, and it is raised once,
 * after every node runs the new binaries, with `kafka-features.sh upgrade`. Values and
 * feature levels follow Kafka's MetadataVersion enum (server-common); each release's
 * binaries support the levels from their minimum up to their latest production version.
 */

/** metadata.version ids in order with their feature levels (MetadataVersion.featureLevel). */
const METADATA_VERSIONS: ReadonlyArray<readonly [id: string, level: number]> = [
  ['3.0-IV1', 1],
  ['3.1-IV0', 2],
  ['3.2-IV0', 3],
  ['3.3-IV0', 4],
  ['3.3-IV1', 5],
  ['3.3-IV2', 6],
  ['3.3-IV3', 7],
  ['3.4-IV0', 8],
  ['3.5-IV0', 9],
  ['3.5-IV1', 10],
  ['3.5-IV2', 11],
  ['3.6-IV0', 12],
  ['3.6-IV1', 13],
  ['3.6-IV2', 14],
  ['3.7-IV0', 15],
  ['3.7-IV1', 16],
  ['3.7-IV2', 17],
  ['3.7-IV3', 18],
  ['3.7-IV4', 19],
  ['3.8-IV0', 20],
  ['3.9-IV0', 21],
  ['4.0-IV0', 22],
  ['4.0-IV1', 23],
  ['4.0-IV2', 24],
  ['4.0-IV3', 25],
  ['4.1-IV0', 26],
  ['4.1-IV1', 27],
  ['4.2-IV0', 28],
  ['4.2-IV1', 29],
  ['4.3-IV0', 30],
  ['4.4-IV0', 31],
  ['4.4-IV1', 32],
  ['4.4-IV2', 33],
];

/**
 * KRaft releases kafka-ops plans: the range of metadata.version each one's binaries
 * support (min = MINIMUM_KRAFT_VERSION 3.0-IV1 through 3.9, MINIMUM_VERSION 3.3-IV3 from
 * 4.0; max = the release's LATEST_PRODUCTION), and whether it still has a ZooKeeper mode.
 */
const KRAFT_RELEASES: ReadonlyArray<{ release: string; min: string; max: string; zookeeper: boolean }> = [
  { release: '3.3', min: '3.0-IV1', max: '3.3-IV3', zookeeper: true },
  { release: '3.4', min: '3.0-IV1', max: '3.4-IV0', zookeeper: true },
  { release: '3.5', min: '3.0-IV1', max: '3.5-IV2', zookeeper: true },
  { release: '3.6', min: '3.0-IV1', max: '3.6-IV2', zookeeper: true },
  { release: '3.7', min: '3.0-IV1', max: '3.7-IV4', zookeeper: true },
  { release: '3.8', min: '3.0-IV1', max: '3.8-IV0', zookeeper: true },
  { release: '3.9', min: '3.0-IV1', max: '3.9-IV0', zookeeper: true },
  { release: '4.0', min: '3.3-IV3', max: '4.0-IV3', zookeeper: false },
  { release: '4.1', min: '3.3-IV3', max: '4.1-IV1', zookeeper: false },
  // Read from the released server-common jars (MetadataVersion.LATEST_PRODUCTION) of 4.2.2, 4.3.2 and 4.4.0.
  { release: '4.2', min: '3.3-IV3', max: '4.2-IV1', zookeeper: false },
  { release: '4.3', min: '3.3-IV3', max: '4.3-IV0', zookeeper: false },
  { release: '4.4', min: '3.3-IV3', max: '4.4-IV2', zookeeper: false },
];

/**
 * metadata.version ids whose records changed (MetadataVersion's didMetadataChange): Kafka
 * refuses to downgrade metadata.version across any of them without losing metadata.
 */
const METADATA_CHANGED = new Set([
  '3.0-IV1',
  '3.2-IV0',
  '3.3-IV1',
  '3.3-IV2',
  '3.3-IV3',
  '3.4-IV0',
  '3.5-IV2',
  '3.6-IV1',
  '3.6-IV2',
  '3.7-IV0',
  '3.7-IV2',
  '4.0-IV1',
  '4.3-IV0',
  '4.4-IV1',
  '4.4-IV2',
]);

/** The metadata.version ids after `from` up to and including `to` that changed the metadata records. */
export function metadataChangesBetween(from: string, to: string): string[] {
  const low = metadataFeatureLevel(from);
  const high = metadataFeatureLevel(to);
  return METADATA_VERSIONS.filter(([id, level]) => level > low && level <= high && METADATA_CHANGED.has(id)).map(([id]) => id);
}

/** KRaft was declared production-ready in 3.3; older KRaft clusters go through 3.9 by hand first. */
export const OLDEST_KRAFT = '3.3';
/** `kraft.version` (static → dynamic quorum, KIP-853) exists from this release on. */
export const KRAFT_VERSION_FEATURE_FROM = '3.9';
/** `--bootstrap-controller` exists in the KRaft tools from this release on (KIP-919). */
export const BOOTSTRAP_CONTROLLER_FROM = '3.7';

/** "3.9.1" → "3.9", "4.0" → "4.0"; undefined when it is not a KRaft release kafka-ops knows. */
export function kraftReleaseFamily(version: string): string | undefined {
  const base = version.trim().replace(/-IV\d+$/, '');
  if (!/^\d+\.\d+(\.\d+){0,2}$/.test(base)) return undefined;
  const family = base.split('.').slice(0, 2).join('.');
  return KRAFT_RELEASES.some((r) => r.release === family) ? family : undefined;
}

/** True for releases that have no ZooKeeper mode at all (4.0 and later). */
export function isKraftOnlyRelease(version: string): boolean {
  const family = kraftReleaseFamily(version);
  return family !== undefined && KRAFT_RELEASES.find((r) => r.release === family)?.zookeeper === false;
}

/** A metadata.version value as Kafka resolves it: an exact id is itself, a release means its latest production id. */
export function resolveMetadataVersion(value: string): string | undefined {
  const trimmed = value.trim();
  if (/-IV\d+$/.test(trimmed)) return METADATA_VERSIONS.some(([id]) => id === trimmed) ? trimmed : undefined;
  const family = kraftReleaseFamily(trimmed);
  return family ? KRAFT_RELEASES.find((r) => r.release === family)?.max : undefined;
}

/** Feature level of a metadata.version (what DescribeFeatures and ApiVersions carry on the wire). */
export function metadataFeatureLevel(value: string): number {
  const id = resolveMetadataVersion(value);
  const level = METADATA_VERSIONS.find(([v]) => v === id)?.[1];
  if (level === undefined) throw new TypeError(`not a metadata.version: ${value}`);
  return level;
}

/** The metadata.version id of a feature level, undefined for a level kafka-ops does not know. */
export function metadataVersionOfLevel(level: number): string | undefined {
  return METADATA_VERSIONS.find(([, l]) => l === level)?.[0];
}

export function compareMetadataVersion(a: string, b: string): number {
  return metadataFeatureLevel(a) - metadataFeatureLevel(b);
}

export function compareKraftRelease(a: string, b: string): number {
  const rank = (v: string) => {
    const family = kraftReleaseFamily(v);
    if (!family) throw new TypeError(`not a KRaft release: ${v}`);
    return KRAFT_RELEASES.findIndex((r) => r.release === family);
  };
  return rank(a) - rank(b);
}

/** The metadata.version range the binaries of `release` support, as ids. */
export function supportedMetadataVersions(release: string): { min: string; max: string } | undefined {
  const family = kraftReleaseFamily(release);
  const entry = KRAFT_RELEASES.find((r) => r.release === family);
  return entry ? { min: entry.min, max: entry.max } : undefined;
}

/** Check that a KRaft upgrade from → to is one kafka-ops can plan; throws UserError otherwise. */
export function assertKraftUpgradePath(from: string, to: string, allowSame = false): void {
  assertForward(compareKraftRelease(to, from), from, to, allowSame, {
    same: 'Pick a newer --to release.',
    downgrade: "A metadata.version downgrade is only possible between versions without metadata changes, by Kafka's manual procedure.",
  });
}

/** ZooKeeper-mode rule: 4.0 and later have no ZooKeeper mode, so a ZooKeeper cluster cannot be upgraded to them. */
export function assertZooKeeperTarget(to: string): void {
  if (!isKraftOnlyRelease(to)) return;
  throw new UserError(`Kafka ${kraftReleaseFamily(to)} has no ZooKeeper mode: a ZooKeeper-mode cluster cannot be upgraded to it.`, {
    code: 'ZOOKEEPER_REMOVED',
    action: `The path is 3.x → ${NEWEST_SUPPORTED} → migrate → ${kraftReleaseFamily(to)}: upgrade to ${NEWEST_SUPPORTED} (the last release with ZooKeeper mode, \`kafka-ops upgrade --to ${NEWEST_SUPPORTED}\`), then \`kafka-ops upgrade --migrate-to-kraft --to ${kraftReleaseFamily(to)}\` migrates it to KRaft and upgrades it to ${kraftReleaseFamily(to)} in one plan (name the new controllers under \`migration.controllers\` and the ${kraftReleaseFamily(to)} installs in the inventory).`,
  });
}
