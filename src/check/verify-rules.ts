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
import { clusterFindings, hostFindings } from './common-rules.js';
import type { Finding, Observations } from './model.js';

/** Executors report start times rounded up (ProcessFacts.startedAtMs), but the Kubernetes API only in whole seconds, truncated. */
const START_TIME_SLACK_MS = 1000;

export function verifyFindings(observations: Observations, at: string): Finding[] {
  const out: Finding[] = [];
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
  clusterFindings(
    observations.cluster,
    observations.inventory.brokers.map((b) => b.id),
    out,
  );
  return out;
}
