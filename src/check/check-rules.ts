/**
 * The rules of `kafka-ops check --to R`: a pure function from what was observed (hosts,
 * configs, cluster state) to findings. The per-broker preflight is the engine's own
 * (engine/preflight.ts), and the plan is the planner's, so check and upgrade agree.
 */
import { lintConfig } from '../config/lint.js';
import { parseProperties } from '../config/properties.js';
import { minIsrOf } from '../engine/gates.js';
import { observedBroker } from '../engine/observe.js';
import { finalConfig, installProblem, restartingSteps } from '../engine/preflight.js';
import { KafkaOpsError } from '../errors.js';
import { linkedRelease } from '../hosts/port.js';
import { buildUpgradePlan, currentRelease } from '../plan/build.js';
import { targetInstallOf } from '../plan/steps.js';
import type { Plan } from '../plan/model.js';
import type { ObservedBroker } from '../plan/observed.js';
import { IBP_KEY, LMFV_KEY, assertUpgradePath, compareRelease, kraftReleaseFamily, releaseFamily } from '../plan/versions.js';
import { brokerRoleIds, quorumFindings } from './verify-rules.js';
import type { Inventory } from '../inventory/model.js';

/** How a release label maps to the family `--to` names: KRaft releases (3.3 … 4.x) or the ZooKeeper-mode table. */
export const familyOf = (inventory: Pick<Inventory, 'mode'>): ((release: string) => string | undefined) =>
  inventory.mode === 'kraft' ? kraftReleaseFamily : releaseFamily;
import { clusterFindings, hostFindings } from './common-rules.js';
import type { BrokerObservation, Finding, Observations } from './model.js';

export interface CheckOptions {
  /** Target release family. */
  to: string;
  /** A log dir with less free space than this (percent of its file system) is an error. */
  minFreeDiskPercent: number;
  /** Release label → family (KRaft or ZooKeeper-mode table); ZooKeeper mode when not given. */
  familyOf?: (release: string) => string | undefined;
}

/** Kafka's defaults for the controlled-shutdown bound (ZooKeeper mode). */
export const CONTROLLED_SHUTDOWN_DEFAULTS = { maxRetries: 3, retryBackoffMs: 5000 };
/** Added to retries × backoff: each attempt also waits for the controller's answer (controller.socket.timeout.ms, 30 s). */
export const CONTROLLED_SHUTDOWN_MARGIN_MS = 30_000;
/** Release whose default for unclean.leader.election.enable became false (KIP-106). */
const UNCLEAN_DEFAULT_FALSE_FROM = '0.11.0';

export function controlledShutdownBoundMs(config: Record<string, string>): number {
  const num = (key: string, fallback: number) => {
    const v = Number(config[key]);
    return config[key] !== undefined && Number.isInteger(v) && v >= 0 ? v : fallback;
  };
  return (
    num('controlled.shutdown.max.retries', CONTROLLED_SHUTDOWN_DEFAULTS.maxRetries) *
      num('controlled.shutdown.retry.backoff.ms', CONTROLLED_SHUTDOWN_DEFAULTS.retryBackoffMs) +
    CONTROLLED_SHUTDOWN_MARGIN_MS
  );
}

export function logDirsOf(config: Record<string, string>): string[] {
  return (config['log.dirs'] ?? config['log.dir'] ?? '/tmp/kafka-logs')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
}

export function checkFindings(observations: Observations, options: CheckOptions): Finding[] {
  const out: Finding[] = [];
  const { inventory } = observations;
  const examined = hostFindings(observations.brokers, out);
  const configs = new Map<number, Record<string, string>>();
  const observed: ObservedBroker[] = [];
  for (const b of examined) {
    const { spec } = b;
    const facts = b.facts as NonNullable<typeof b.facts>;
    if (b.configText === undefined) {
      out.push({
        id: 'config-found',
        severity: 'error',
        broker: spec.id,
        message: `Broker ${spec.id}: ${spec.configPath} could not be read on ${spec.host}: ${b.configError ?? 'unknown reason'}`,
        fix: "Fix `configPath` in the inventory or the file's permissions.",
      });
    } else {
      configs.set(spec.id, parseProperties(b.configText));
    }
    const seen = observedBroker(spec, facts, configs.get(spec.id) ?? {});
    if (seen) observed.push(seen);
    else {
      out.push({
        id: 'installed-release',
        severity: 'error',
        broker: spec.id,
        message: `Broker ${spec.id}: ${spec.installLink} points at ${facts.linkTarget ?? 'nothing'}, which is not one of its \`installs\`; its release is unknown.`,
        fix: 'Add that directory under `installs` with its release (or fix `installLink`).',
      });
    }
    const target = targetInstallOf(spec, options.to, familyOf(inventory));
    const problem =
      target === undefined
        ? `Broker ${spec.id} has no install of a ${options.to} release in the inventory.`
        : installProblem(spec, facts, target, spec.installs[target] as string);
    if (problem) {
      out.push({
        id: 'target-install',
        severity: 'error',
        broker: spec.id,
        message: problem,
        fix:
          target === undefined
            ? `Add the ${options.to} install under \`installs\`.`
            : `Install Kafka ${target} at ${spec.installs[target]} on ${spec.host}.`,
      });
    }
    if (facts.process?.ignoredSignals.includes(spec.stop.signal)) {
      out.push({
        id: 'stop-signal-honoured',
        severity: 'error',
        broker: spec.id,
        message: `Broker ${spec.id} (pid ${facts.process.pid} on ${spec.host}) ignores ${spec.stop.signal} (SigIgn in /proc/${facts.process.pid}/status): a stop would do nothing.`,
        fix: `Restart broker ${spec.id} once under systemd or with the inventory's run command through kafka-ops (both reset ${spec.stop.signal}), or use SIGTERM.`,
      });
    }
  }
  const plan = planFindings(observations, observed, options.to, out);
  for (const b of examined) {
    const config = configs.get(b.spec.id);
    if (config) brokerConfigFindings(b, config, plan, options, out);
  }
  versionFindings(observed, out);
  const kraft = inventory.mode === 'kraft';
  if (kraft) quorumFindings(observations, out);
  // Pure KRaft controllers never appear in the admin API's Metadata.
  const snapshot = clusterFindings(observations.cluster, kraft ? brokerRoleIds(inventory) : inventory.brokers.map((b) => b.id), out);
  if (snapshot) {
    const configured = [...configs.values()].map((c) => Number(c['min.insync.replicas'])).filter((n) => Number.isInteger(n) && n > 0);
    // The lowest broker default: the weakest guarantee any broker gives a topic without an override.
    const brokerMinIsr = configured.length > 0 ? Math.min(...configured) : 1;
    topicFindings(snapshot, brokerMinIsr, out);
  }
  return out;
}

/** The plan an upgrade would run (for the configs the brokers end with), and the path's validity. */
function planFindings(observations: Observations, observed: ObservedBroker[], to: string, out: Finding[]): Plan | undefined {
  if (observed.length === 0) return undefined;
  const kraft = observations.inventory.mode === 'kraft';
  // The KRaft planner checks its own path (3.3+ → 3.9 / 4.x) and names the release it reads.
  const current = kraft ? (observed[0]?.release ?? '?') : currentRelease({ source: 'hosts', brokers: observed });
  try {
    if (!kraft) assertUpgradePath(current, to, true);
    const ids = new Set(observed.map((b) => b.id));
    const inventory = { ...observations.inventory, brokers: observations.inventory.brokers.filter((b) => ids.has(b.id)) };
    return buildUpgradePlan(inventory, { source: 'hosts', brokers: observed }, { to });
  } catch (error) {
    if (!(error instanceof KafkaOpsError)) throw error;
    // A missing target install is already its own finding.
    if (error.code !== 'TARGET_INSTALL_UNKNOWN')
      out.push({ id: 'upgrade-path', severity: 'error', message: `Upgrade ${current} → ${to}: ${error.message}`, fix: error.action });
    return undefined;
  }
}

function brokerConfigFindings(
  b: BrokerObservation,
  config: Record<string, string>,
  plan: Plan | undefined,
  options: CheckOptions,
  out: Finding[],
): void {
  const { spec } = b;
  const facts = b.facts as NonNullable<typeof b.facts>;
  const broker = spec.id;
  // Lint what the broker will run at the end: the plan's final config on the target install,
  // or (no plan, or nothing to restart) the config as it is on the release it runs or gets.
  const steps = plan ? restartingSteps(plan, broker) : [];
  const final = finalConfig(spec, facts, b.configText ?? '', steps);
  const release = final.release ?? linkedRelease(spec.installs, facts) ?? targetInstallOf(spec, options.to, options.familyOf);
  if (release) {
    const knownKeys = b.configKeys?.[release];
    for (const f of lintConfig(final.config, release, knownKeys)) {
      const shutdown = f.key === 'controlled.shutdown.enable';
      out.push({
        id: shutdown ? 'controlled-shutdown-enabled' : 'config-lint',
        severity: f.severity,
        broker,
        message: `Broker ${broker} (${spec.configPath}, for Kafka ${release}): ${f.message}`,
        fix: f.fix,
      });
    }
    if (!knownKeys) {
      out.push({
        id: 'config-lint',
        severity: 'info',
        broker,
        message: `Broker ${broker}: keys not checked against Kafka ${release}'s own config list (the host could not print it: no java on its PATH or JAVA_HOME, or this executor cannot run it).`,
        fix: 'Make java available to the SSH login, or review the keys by hand.',
      });
    }
  } else {
    out.push({
      id: 'config-lint',
      severity: 'info',
      broker,
      message: `Broker ${broker}: not checked: the release its config will run with is unknown.`,
      fix: 'Fix the installed-release finding first.',
    });
  }
  const running = linkedRelease(spec.installs, facts);
  const runningFamily = running ? releaseFamily(running) : undefined;
  const unclean = config['unclean.leader.election.enable']?.trim().toLowerCase();
  const defaultTrue = runningFamily !== undefined && compareRelease(runningFamily, UNCLEAN_DEFAULT_FALSE_FROM) < 0;
  if (unclean === 'true' || (unclean === undefined && defaultTrue)) {
    out.push({
      id: 'unclean-leader-election',
      severity: 'warning',
      broker,
      message: `Broker ${broker}: unclean.leader.election.enable is ${unclean === undefined ? `true (the default of Kafka ${runningFamily})` : 'true'}: a restart can elect an out-of-sync replica and lose acknowledged messages.`,
      fix: 'Set unclean.leader.election.enable=false in server.properties (or per topic) before rolling.',
    });
  }
  const boundMs = controlledShutdownBoundMs(config);
  if (spec.stop.timeoutSeconds * 1000 < boundMs) {
    out.push({
      id: 'stop-timeout',
      severity: 'warning',
      broker,
      message: `Broker ${broker}: stop timeout ${spec.stop.timeoutSeconds} s is shorter than its controlled-shutdown bound ${Math.ceil(boundMs / 1000)} s (controlled.shutdown.max.retries × controlled.shutdown.retry.backoff.ms + ${CONTROLLED_SHUTDOWN_MARGIN_MS / 1000} s): a slow but clean stop would halt the run (or, with --kill-on-stop-timeout, be killed uncleanly).`,
      fix: `Set stop.timeoutSeconds to at least ${Math.ceil(boundMs / 1000)} in the inventory.`,
    });
  }
  diskFindings(b, logDirsOf(config), options.minFreeDiskPercent, out);
}

function diskFindings(b: BrokerObservation, dirs: string[], minPercent: number, out: Finding[]): void {
  const broker = b.spec.id;
  if (b.disk === undefined || b.disk === 'unsupported') {
    out.push({
      id: 'disk-free',
      severity: 'info',
      broker,
      message: `Broker ${broker}: not checked: this executor cannot report free disk space.`,
      fix: 'Check the free space of the log dirs by other means.',
    });
    return;
  }
  if (typeof b.disk === 'string') {
    out.push({
      id: 'disk-free',
      severity: 'info',
      broker,
      message: `Broker ${broker}: not checked: reading the free space failed: ${b.disk}`,
      fix: 'Check the free space of the log dirs by other means.',
    });
    return;
  }
  const usage = b.disk;
  for (const dir of dirs) {
    const u = usage.find((x) => x.path === dir);
    if (!u) {
      out.push({
        id: 'disk-free',
        severity: 'warning',
        broker,
        message: `Broker ${broker}: log dir ${dir} does not exist on ${b.spec.host}.`,
        fix: 'Fix log.dirs in server.properties, or create the directory.',
      });
      continue;
    }
    const percent = (u.availableBytes / u.totalBytes) * 100;
    if (percent < minPercent) {
      out.push({
        id: 'disk-free',
        severity: 'error',
        broker,
        message: `Broker ${broker}: log dir ${dir} has ${percent.toFixed(1)}% free (${(u.availableBytes / 2 ** 30).toFixed(1)} GiB), below ${minPercent}%: a broker catching up after its restart may fill it.`,
        fix: 'Free space (retention, delete old segments, add disk) before the upgrade, or lower --min-free-disk knowingly.',
      });
    }
  }
}

function versionFindings(observed: ObservedBroker[], out: Finding[]): void {
  const differing = (label: string, value: (b: ObservedBroker) => string | undefined) => {
    const groups = new Map<string, number[]>();
    for (const b of observed) {
      const v = value(b) ?? '(unset)';
      groups.set(v, [...(groups.get(v) ?? []), b.id]);
    }
    if (groups.size <= 1) return;
    out.push({
      id: 'versions-consistent',
      severity: 'warning',
      message: `${label} differs between brokers: ${[...groups].map(([v, ids]) => `${v} on broker(s) ${ids.join(', ')}`).join('; ')}.`,
      fix: 'Expected in the middle of an upgrade: finish it with `kafka-ops resume` (or re-run the upgrade); otherwise make the brokers agree.',
    });
  };
  differing('The installed release', (b) => b.release);
  differing(IBP_KEY, (b) => b.config[IBP_KEY]);
  differing(LMFV_KEY, (b) => b.config[LMFV_KEY]);
}

function topicFindings(snapshot: NonNullable<ReturnType<typeof clusterFindings>>, brokerMinIsr: number, out: Finding[]): void {
  const topics = [...new Set(snapshot.partitions.map((p) => p.topic))].sort();
  const rf1: string[] = [];
  for (const topic of topics) {
    const rf = Math.min(...snapshot.partitions.filter((p) => p.topic === topic).map((p) => p.replicas.length));
    const minIsr = minIsrOf(snapshot, topic, brokerMinIsr);
    if (rf <= 1) rf1.push(topic);
    else if (rf <= minIsr) {
      out.push({
        id: 'topic-rf-above-min-isr',
        severity: 'warning',
        topic,
        message: `Topic ${topic}: replication factor ${rf} <= min.insync.replicas ${minIsr}: producers with acks=all fail while any of its brokers restarts.`,
        fix: `Raise its replication factor above ${minIsr}, or lower min.insync.replicas to ${rf - 1}.`,
      });
    } else if (minIsr <= 1) {
      out.push({
        id: 'topic-min-isr',
        severity: 'warning',
        topic,
        message: `Topic ${topic}: min.insync.replicas is 1: during a roll an acks=all write may be held by a single replica and lost with it.`,
        fix: `Set min.insync.replicas=${Math.min(2, rf - 1)} on the topic (kafka-configs --alter --add-config).`,
      });
    }
  }
  for (const topic of rf1) {
    out.push({
      id: 'topic-replication-factor',
      severity: 'warning',
      topic,
      message: `Topic ${topic} has replication factor 1: its partitions are offline while their broker restarts.`,
      fix: 'Add replicas (kafka-reassign-partitions) before the upgrade, or accept the downtime of this topic.',
    });
  }
}
