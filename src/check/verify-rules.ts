/**
 * The rules of `kafka-ops verify --at R`: the cluster is fully at a release. Every broker
 * runs an install of R through a process started after its last config or install change,
 * inter.broker.protocol.version (and log.message.format.version where R has one that
 * counts) at the value the upgrade plan ends with, all registered, nothing under-replicated. Pure.
 */
import { parseProperties } from '../config/properties.js';
import { linkedRelease } from '../hosts/port.js';
import {
  IBP_KEY,
  LMFV_KEY,
  compareRelease,
  configValueFor,
  hasMessageFormatConfig,
  LMFV_IGNORED_FROM,
  releaseFamily,
} from '../plan/versions.js';
import { votersNotCaughtUp } from '../engine/kraft-gates.js';
import { compareMetadataVersion, kraftReleaseFamily, resolveMetadataVersion } from '../plan/versions.js';
import { clusterFindings, hostFindings } from './common-rules.js';
import type { Finding, Observations } from './model.js';

/** Executors report start times rounded up (ProcessFacts.startedAtMs), but the Kubernetes API only in whole seconds, truncated. */
const START_TIME_SLACK_MS = 1000;

export function verifyFindings(observations: Observations, at: string): Finding[] {
  const out: Finding[] = [];
  const seen: { broker: number; state: string }[] = [];
  const final = configValueFor(at);
  const lmfvCounts = hasMessageFormatConfig(at) && compareRelease(at, LMFV_IGNORED_FROM) < 0;
  for (const b of hostFindings(observations.brokers, out)) {
    const { spec } = b;
    const facts = b.facts as NonNullable<typeof b.facts>;
    const broker = spec.id;
    const label = linkedRelease(spec.installs, facts);
    if (!label || releaseFamily(label) !== at) {
      out.push({
        id: 'running-release',
        severity: 'error',
        broker,
        message: `Broker ${broker} runs ${label ? `Kafka ${label}` : `an unknown release (${spec.installLink} → ${facts.linkTarget ?? 'nothing'})`}, not ${at}.`,
        fix: `Run \`kafka-ops upgrade --to ${at}\` (or \`resume\`) to finish the upgrade.`,
      });
    }
    const changedAt = Math.max(facts.configModifiedAtMs ?? 0, facts.linkModifiedAtMs ?? 0);
    if (facts.process && facts.process.startedAtMs !== undefined && facts.process.startedAtMs + START_TIME_SLACK_MS < changedAt) {
      out.push({
        id: 'running-current',
        severity: 'error',
        broker,
        message: `Broker ${broker}: its process (pid ${facts.process.pid}) started before the last change of server.properties or of ${spec.installLink}: it does not run them yet.`,
        fix: 'Restart it through kafka-ops (`kafka-ops resume`, or `upgrade` again: finished brokers are not restarted).',
      });
    }
    if (b.configText === undefined) {
      out.push({
        id: 'inter-broker-protocol',
        severity: 'error',
        broker,
        message: `Broker ${broker}: ${spec.configPath} could not be read: ${b.configError ?? 'unknown reason'}`,
        fix: "Fix `configPath` in the inventory or the file's permissions.",
      });
      continue;
    }
    const config = parseProperties(b.configText);
    const ibp = config[IBP_KEY];
    seen.push({
      broker,
      state: `${label ?? 'unknown release'}, ${IBP_KEY} ${config[IBP_KEY] ?? '(unset)'}${lmfvCounts ? `, ${LMFV_KEY} ${config[LMFV_KEY] ?? '(unset)'}` : ''}`,
    });
    // Unset means the binaries' own latest version: right once they are at `at` (checked above).
    if (ibp !== undefined && releaseFamily(ibp) !== at) {
      out.push({
        id: 'inter-broker-protocol',
        severity: 'error',
        broker,
        message: `Broker ${broker}: ${IBP_KEY}=${ibp}, not ${final}.`,
        fix: `Finish the upgrade (the bump-ibp phase sets ${IBP_KEY}=${final}).`,
      });
    }
    const lmfv = config[LMFV_KEY];
    if (lmfvCounts && lmfv !== undefined && releaseFamily(lmfv) !== at) {
      out.push({
        id: 'message-format',
        severity: 'error',
        broker,
        message: `Broker ${broker}: ${LMFV_KEY}=${lmfv}, not ${final}.`,
        fix: `Once every client is upgraded, finish the upgrade (the bump-lmfv phase sets ${LMFV_KEY}=${final}).`,
      });
    }
  }
  mixFinding(seen, out, at);
  clusterFindings(
    observations.cluster,
    observations.inventory.brokers.map((b) => b.id),
    out,
  );
  return out;
}

/**
 * Brokers that differ (a run restricted with --brokers, or one that stopped half way): the mix,
 * per broker, and the run that finishes the brokers not at `at` yet.
 */
function mixFinding(seen: { broker: number; state: string }[], out: Finding[], at: string): void {
  const groups = new Map<string, number[]>();
  for (const s of seen) groups.set(s.state, [...(groups.get(s.state) ?? []), s.broker]);
  if (groups.size < 2) return;
  const behind = [...new Set(out.filter((f) => f.broker !== undefined && f.severity === 'error').map((f) => f.broker as number))].sort(
    (a, b) => a - b,
  );
  out.push({
    id: 'release-mix',
    severity: 'info',
    message: `The brokers run a mix: ${[...groups].map(([state, ids]) => `${state} on broker(s) ${ids.join(',')}`).join('; ')}.`,
    fix:
      behind.length > 0
        ? `Finish the brokers not at ${at} yet: \`kafka-ops upgrade --to ${at} --brokers ${behind.join(',')}\` (or \`resume\`).`
        : 'Nothing to finish: every broker is at its final values.',
  });
}

/** KRaft node ids that the admin API's Metadata lists: brokers and combined nodes (pure controllers never appear there). */
export const brokerRoleIds = (inventory: Observations['inventory']): number[] =>
  inventory.brokers.filter((b) => b.roles === undefined || b.roles.includes('broker')).map((b) => b.id);

/** The quorum read with the release's own kafka-metadata-quorum: every voter caught up (offsets and time). */
export function quorumFindings(observations: Observations, out: Finding[]): void {
  const kraft = observations.kraft;
  if (!kraft?.replication) {
    out.push({
      id: 'quorum-caught-up',
      severity: 'error',
      message: `The controller quorum could not be read: ${kraft?.unreachable?.message ?? 'no answer'}`,
      fix:
        kraft?.unreachable?.action ??
        'Check `kraft` in the inventory and run kafka-metadata-quorum.sh describe --replication on the tools node.',
    });
    return;
  }
  for (const v of votersNotCaughtUp(kraft.replication)) {
    out.push({
      id: 'quorum-caught-up',
      severity: 'error',
      broker: v.nodeId,
      message: `Controller ${v.nodeId} is not caught up with the quorum leader (${v.lag} offsets behind, last caught up at ${v.lastCaughtUpTimestamp}).`,
      fix: `Look at controller ${v.nodeId}'s server.log, its disk and its network to the leader; kafka-ops does not stop a controller while the others could not form a caught-up majority.`,
    });
  }
}

/**
 * `verify --at R` on a KRaft cluster: every node runs an install of R started after its last
 * change, the quorum caught up, metadata.version finalized at R's (read with the release's own
 * kafka-features.sh), every broker registered, nothing under-replicated.
 */
export function kraftVerifyFindings(observations: Observations, at: string): Finding[] {
  const out: Finding[] = [];
  const family = kraftReleaseFamily(at);
  for (const b of hostFindings(observations.brokers, out)) {
    const { spec } = b;
    const facts = b.facts as NonNullable<typeof b.facts>;
    const label = linkedRelease(spec.installs, facts);
    if (!label || kraftReleaseFamily(label) !== family) {
      out.push({
        id: 'running-release',
        severity: 'error',
        broker: spec.id,
        message: `Node ${spec.id} runs ${label ? `Kafka ${label}` : `an unknown release (${spec.installLink} → ${facts.linkTarget ?? 'nothing'})`}, not ${at}.`,
        fix: `Run \`kafka-ops upgrade --to ${at}\` (or \`resume\`) to finish the upgrade.`,
      });
    }
    const changedAt = Math.max(facts.configModifiedAtMs ?? 0, facts.linkModifiedAtMs ?? 0);
    if (facts.process && facts.process.startedAtMs !== undefined && facts.process.startedAtMs + START_TIME_SLACK_MS < changedAt) {
      out.push({
        id: 'running-current',
        severity: 'error',
        broker: spec.id,
        message: `Node ${spec.id}: its process (pid ${facts.process.pid}) started before the last change of its config or of ${spec.installLink}: it does not run them yet.`,
        fix: 'Restart it through kafka-ops (`kafka-ops resume`, or `upgrade` again: finished nodes are not restarted).',
      });
    }
  }
  quorumFindings(observations, out);
  const wanted = resolveMetadataVersion(at);
  const finalized = observations.kraft?.finalized?.metadataVersion;
  if (!wanted || !finalized || compareMetadataVersion(finalized, wanted) < 0) {
    out.push({
      id: 'metadata-version',
      severity: 'error',
      message: `metadata.version is ${finalized ?? '(not read)'}, not ${wanted ?? at}.`,
      fix: `Finish the upgrade: \`kafka-ops upgrade --to ${at}\` finalizes it once every node runs ${at}.`,
    });
  }
  clusterFindings(observations.cluster, brokerRoleIds(observations.inventory), out);
  return out;
}
