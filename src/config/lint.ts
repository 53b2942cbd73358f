/**
 * Linting a broker's server.properties against the release that will run it. Pure.
 * Each finding says what is wrong and what to do; errors stop a roll before any restart.
 */
import {
  IBP_KEY,
  LMFV_KEY,
  compareProtocol,
  compareRelease,
  hasMessageFormatConfig,
  messageFormatConfigIgnored,
  protocolVersionsAcceptedBy,
  releaseFamily,
  resolveProtocolVersion,
} from '../plan/versions.js';

export interface LintFinding {
  severity: 'error' | 'warning';
  key: string;
  message: string;
  fix: string;
}

const REQUIRED = ['zookeeper.connect'];
/** A KRaft node (process.roles set) has no ZooKeeper; it needs its node id and a way to find the quorum. */
const KRAFT_REQUIRED = ['node.id'];
const KRAFT_QUORUM_KEYS = ['controller.quorum.voters', 'controller.quorum.bootstrap.servers'];
/** Keys whose value must be a whole number ≥ the given minimum. */
const MIN_INTEGER: Record<string, number> = {
  'broker.id': -1,
  'num.network.threads': 1,
  'num.io.threads': 1,
  'num.partitions': 1,
  'default.replication.factor': 1,
  'min.insync.replicas': 1,
  'controlled.shutdown.max.retries': 0,
  'controlled.shutdown.retry.backoff.ms': 0,
  'zookeeper.session.timeout.ms': 1,
  'replica.lag.time.max.ms': 1,
};
const BOOLEAN = ['controlled.shutdown.enable', 'unclean.leader.election.enable', 'auto.create.topics.enable', 'delete.topic.enable'];
/** Keys removed by a release (KIP-led removals); present on a broker of that release or later, they are ignored or rejected. */
const REMOVED_IN: Record<string, string> = {
  port: '3.0',
  'host.name': '3.0',
  'advertised.port': '3.0',
  'advertised.host.name': '3.0',
};

/**
 * `knownKeys`: the broker configs of `release` (read from its own binaries), to catch keys
 * Kafka would silently ignore; without it, keys are not checked for being known.
 */
export function lintConfig(config: Record<string, string>, release: string, knownKeys?: ReadonlySet<string>): LintFinding[] {
  const findings: LintFinding[] = [];
  const error = (key: string, message: string, fix: string) => findings.push({ severity: 'error', key, message, fix });
  const family = releaseFamily(release);
  const kraft = config['process.roles'] !== undefined;
  for (const key of kraft ? KRAFT_REQUIRED : REQUIRED) {
    if (!config[key]) error(key, `${key} is missing.`, `Set ${key} in server.properties.`);
  }
  if (kraft && !KRAFT_QUORUM_KEYS.some((key) => config[key])) {
    error(
      'controller.quorum.voters',
      `A KRaft node needs ${KRAFT_QUORUM_KEYS.join(' or ')}.`,
      `Set ${KRAFT_QUORUM_KEYS[0]} (static quorum) or ${KRAFT_QUORUM_KEYS[1]} (dynamic quorum, 3.9+).`,
    );
  }
  for (const [key, min] of Object.entries(MIN_INTEGER)) {
    const value = config[key];
    if (value === undefined) continue;
    if (!/^-?\d+$/.test(value.trim()) || Number(value) < min)
      error(key, `${key}=${value} is not a whole number >= ${min}.`, `Give ${key} a whole number >= ${min}.`);
  }
  for (const key of BOOLEAN) {
    const value = config[key];
    if (value !== undefined && !/^(true|false)$/i.test(value.trim()))
      error(key, `${key}=${value} is not true or false.`, `Set ${key} to true or false.`);
  }
  for (const [key, removedIn] of Object.entries(REMOVED_IN)) {
    if (family && config[key] !== undefined && compareRelease(family, removedIn) >= 0) {
      error(key, `${key} was removed in Kafka ${removedIn}.`, 'Use listeners / advertised.listeners instead.');
    }
  }
  const accepted = family ? new Set(protocolVersionsAcceptedBy(family)) : undefined;
  for (const key of [IBP_KEY, LMFV_KEY]) {
    const value = config[key];
    if (value === undefined) continue;
    const resolved = resolveProtocolVersion(value);
    if (!resolved) {
      error(key, `${key}=${value} is not a version Kafka accepts.`, 'Use a release such as 0.11.0 or 2.8, or an exact id such as 2.8-IV1.');
    } else if (accepted && !accepted.has(resolved)) {
      error(
        key,
        `${key}=${value} is newer than the installed ${release} binaries support.`,
        `Install a release that supports ${value} first, or lower ${key}.`,
      );
    }
  }
  const ibp = config[IBP_KEY] ?? family;
  const lmfv = config[LMFV_KEY];
  if (lmfv && ibp && resolveProtocolVersion(lmfv) && resolveProtocolVersion(ibp)) {
    if (compareProtocol(lmfv, ibp) > 0)
      error(
        LMFV_KEY,
        `${LMFV_KEY}=${lmfv} is above ${IBP_KEY}=${ibp}.`,
        `Lower ${LMFV_KEY} to ${ibp} or below; the message format never leads the protocol.`,
      );
    if (messageFormatConfigIgnored(ibp))
      findings.push({
        severity: 'warning',
        key: LMFV_KEY,
        message: `${LMFV_KEY} is ignored because ${IBP_KEY} is 3.0 or later.`,
        fix: `Remove ${LMFV_KEY}.`,
      });
  }
  if (lmfv && family && !hasMessageFormatConfig(family)) {
    findings.push({
      severity: 'warning',
      key: LMFV_KEY,
      message: `Kafka ${family} does not know ${LMFV_KEY}; it is ignored until the binaries are upgraded.`,
      fix: 'Nothing to do during an upgrade from this release.',
    });
  }
  if (config['controlled.shutdown.enable']?.trim().toLowerCase() === 'false') {
    error(
      'controlled.shutdown.enable',
      'controlled.shutdown.enable=false: stopping this broker would move no leadership away first.',
      'Set controlled.shutdown.enable=true (the default).',
    );
  }
  if (knownKeys) findings.push(...unknownKeyFindings(config, release, knownKeys, new Set(findings.map((f) => f.key))));
  return findings;
}

/** Per-listener overrides (`listener.name.<l>.<config>`) are valid without being in the broker's config list. */
export const OPEN_KEY_PREFIXES = ['listener.name.'];
/** Up to this many edits away from a known key, an unknown key is taken for a typo of it. */
const TYPO_DISTANCE = 2;

/**
 * Kafka logs unknown keys at WARN and ignores them, so a misspelt key leaves the intended
 * setting at its default: an error when it is a near miss of a known key; otherwise a
 * warning (plugins such as authorizers and metric reporters read keys of their own).
 */
function unknownKeyFindings(
  config: Record<string, string>,
  release: string,
  known: ReadonlySet<string>,
  alreadyReported: ReadonlySet<string>,
): LintFinding[] {
  const findings: LintFinding[] = [];
  for (const key of Object.keys(config)) {
    if (known.has(key) || alreadyReported.has(key) || OPEN_KEY_PREFIXES.some((p) => key.startsWith(p))) continue;
    const nearest = nearestKey(key, known);
    const near = nearest === undefined ? undefined : { k: nearest };
    if (near && config[near.k] === undefined) {
      findings.push({
        severity: 'error',
        key,
        message: `${key} is not a broker config of Kafka ${release}: probably a misspelling of ${near.k}, which therefore stays at its default (Kafka ignores unknown keys).`,
        fix: `Rename ${key} to ${near.k}.`,
      });
    } else {
      findings.push({
        severity: 'warning',
        key,
        message: `${key} is not a broker config of Kafka ${release}; Kafka ignores it.`,
        fix: `Remove ${key}, unless a plugin (authorizer, metric reporter) reads it.`,
      });
    }
  }
  return findings;
}

/** The known key closest to `key` within a few edits (a likely typo), or undefined. */
export function nearestKey(key: string, known: Iterable<string>, limit = TYPO_DISTANCE): string | undefined {
  return [...known]
    .map((k) => ({ k, d: editDistance(key, k, limit) }))
    .filter((c) => c.d <= limit)
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))[0]?.k;
}

/** Levenshtein distance, cut off above `limit` (returns limit + 1). */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    if (Math.min(...current) > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The broker config keys in the documentation Kafka's own `kafka.server.KafkaConfig` main
 * prints: an HTML table (`<td>key</td>` first in its row) in old releases, anchors
 * (`id="brokerconfigs_key"`) in newer ones.
 */
export function configKeysFromDocs(html: string): string[] {
  const keys = new Set<string>();
  for (const m of html.matchAll(/<tr>\s*<td>([a-z0-9][a-z0-9._-]*)<\/td>/g)) keys.add(m[1] as string);
  for (const m of html.matchAll(/id="brokerconfigs_([a-z0-9][a-z0-9._-]*)"/g)) keys.add(m[1] as string);
  return [...keys].sort();
}
