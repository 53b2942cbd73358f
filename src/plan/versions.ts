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
const RELEASE_OF_PROTOCOL = new Map<string, string>(
  RELEASES.flatMap((r) => r.protocolVersions.map((v) => [v, r.release] as const)),
);

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
  const family = releaseFamily(value);
  if (!family) {
    throw new UserError(`${what} "${value}" is not a Kafka release kafka-ops knows.`, {
      code: 'UNKNOWN_VERSION',
      action: `Use one of: ${knownReleases().filter((r) => compareRelease(r, OLDEST_SUPPORTED) >= 0).join(', ')}.`,
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
  const order = compareRelease(to, from);
  if (order === 0 && !allowSame) {
    throw new UserError(`The cluster is already on ${from}; there is nothing to upgrade to ${to}.`, {
      code: 'NOTHING_TO_DO',
      action: 'Pick a newer --to release, or use `kafka-ops roll` for a configuration change.',
    });
  }
  if (order < 0) {
    throw new UserError(`${to} is older than the current ${from}: kafka-ops does not plan downgrades.`, {
      code: 'DOWNGRADE',
      action: `Pick a --to release newer than ${from}. Downgrades need Kafka's manual procedure (and are impossible below ${IBP_NO_DOWNGRADE_FROM} once inter.broker.protocol.version >= ${IBP_NO_DOWNGRADE_FROM}).`,
    });
  }
}
