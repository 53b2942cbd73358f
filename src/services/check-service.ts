/**
 * `kafka-ops check` and `kafka-ops verify`: gather the facts (read-only: SSH facts, the
 * config, free disk, one cluster snapshot), hand them to the pure rules, and return the
 * report. Nothing on any host or in the cluster is changed.
 */
import { checkFindings, familyOf, logDirsOf } from '../check/check-rules.js';
import {
  CHECK_IDS,
  KRAFT_CHECK_IDS,
  KRAFT_VERIFY_IDS,
  VERIFY_IDS,
  reportOf,
  type BrokerObservation,
  type CheckReport,
  type ClusterObservation,
  type Finding,
  type KraftObservation,
  type Observations,
  type Unreachable,
} from '../check/model.js';
import { kraftVerifyFindings, verifyFindings } from '../check/verify-rules.js';
import { parseProperties } from '../config/properties.js';
import { KafkaOpsError } from '../errors.js';
import { readYamlFile } from '../files/yaml-document.js';
import type { BrokerSpec, Inventory } from '../inventory/model.js';
import { loadInventory } from '../inventory/load.js';
import { parseRelease } from '../plan/versions.js';
import { openConnections, type Connections } from './connections.js';
import { linkedRelease } from '../hosts/port.js';
import { targetInstallOf } from '../plan/steps.js';
import { requireFlag } from './plan-service.js';

export interface CheckRequest {
  inventory?: string;
  to?: string;
  strict: boolean;
  /** Percent of free space a log dir's file system must keep. */
  minFreeDisk: number;
}

export interface VerifyRequest {
  inventory?: string;
  at?: string;
  strict: boolean;
}

export async function check(request: CheckRequest): Promise<CheckReport> {
  const to = parseRelease(requireFlag(request.to, 'to', 'KAFKA_OPS_TO'), '--to');
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const observations = await observe(inventory, to);
  const findings = checkFindings(observations, { to, minFreeDiskPercent: request.minFreeDisk, familyOf: familyOf(inventory) });
  const ids = inventory.mode === 'kraft' ? KRAFT_CHECK_IDS : CHECK_IDS;
  return reportOf('check', ids, observations, to, located(inventory, findings), request.strict);
}

export async function verify(request: VerifyRequest): Promise<CheckReport> {
  const at = parseRelease(requireFlag(request.at, 'at', 'KAFKA_OPS_AT'), '--at');
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const observations = await observe(inventory);
  if (inventory.mode === 'kraft')
    return reportOf(
      'verify',
      KRAFT_VERIFY_IDS,
      observations,
      at,
      located(inventory, kraftVerifyFindings(observations, at)),
      request.strict,
    );
  return reportOf('verify', VERIFY_IDS, observations, at, located(inventory, verifyFindings(observations, at)), request.strict);
}

/** `checkTo`: what `check` also needs for an upgrade to that release (disk, config keys); verify needs neither. */
async function observe(inventory: Inventory, checkTo?: string): Promise<Observations> {
  const connections = openConnections(inventory);
  try {
    const [brokers, cluster, kraft] = await Promise.all([
      Promise.all(inventory.brokers.map((spec) => observeBroker(spec, connections, checkTo, familyOf(inventory)))),
      observeState(connections),
      inventory.mode === 'kraft' ? observeKraft(connections) : undefined,
    ]);
    return { inventory, brokers, cluster, ...(kraft ? { kraft } : {}) };
  } finally {
    await connections.close();
  }
}

/**
 * A failure to reach a host or ZooKeeper is a finding; any other error (a bug, bad input) still ends the run.
 * A host key that is unknown, changed or revoked is a refusal to be fixed (exit 1), not an outage (exit 3).
 */
function unreachable(error: unknown): Unreachable {
  if (error instanceof KafkaOpsError && (error.kind === 'infrastructure' || /^SSH_/.test(error.code))) {
    return {
      message: error.message,
      action: error.action,
      infrastructure: error.kind === 'infrastructure' && !/^SSH_HOST_KEY_/.test(error.code),
    };
  }
  throw error;
}

async function observeBroker(
  spec: BrokerSpec,
  connections: Connections,
  checkTo: string | undefined,
  family: (release: string) => string | undefined,
): Promise<BrokerObservation> {
  let host;
  try {
    host = await connections.host(spec.id);
  } catch (error) {
    return { spec, unreachable: unreachable(error) };
  }
  const [facts, config] = await Promise.allSettled([host.facts(), host.readConfig()]);
  if (facts.status === 'rejected') return { spec, unreachable: unreachable(facts.reason) };
  const observation: BrokerObservation = { spec, facts: facts.value };
  if (config.status === 'fulfilled') observation.configText = config.value;
  else observation.configError = config.reason instanceof Error ? config.reason.message : String(config.reason);
  if (checkTo === undefined) return observation;
  if (observation.configText !== undefined) {
    if (!host.diskUsage) observation.disk = 'unsupported';
    else {
      try {
        observation.disk = await host.diskUsage(logDirsOf(parseProperties(observation.configText)));
      } catch (error) {
        observation.disk = error instanceof Error ? error.message : String(error);
      }
    }
  }
  // The keys of the releases the config may be linted against: the one linked now and the target's.
  const releases = [
    ...new Set(
      [linkedRelease(spec.installs, facts.value), targetInstallOf(spec, checkTo, family)].filter((r): r is string => r !== undefined),
    ),
  ];
  const keyLists = await Promise.all(releases.map((release) => host.configKeys?.(release)));
  releases.forEach((release, i) => {
    const keys = keyLists[i];
    if (keys) (observation.configKeys ??= {})[release] = keys;
  });
  return observation;
}

/** The quorum and the finalized features, from the release's own tools on the tools node (one JVM each, run side by side). */
async function observeKraft(connections: Connections): Promise<KraftObservation> {
  try {
    const tools = await connections.kraft();
    const [replication, finalized] = await Promise.all([tools.replication(), tools.finalized()]);
    return { replication, finalized };
  } catch (error) {
    return { unreachable: unreachable(error) };
  }
}

async function observeState(connections: Connections): Promise<ClusterObservation> {
  try {
    return { snapshot: await (await connections.cluster()).snapshot() };
  } catch (error) {
    return { unreachable: unreachable(error) };
  }
}

/** Points each finding at its broker's entry in the inventory (or at `state` for cluster-wide ones), for CI annotations. */
function located(inventory: Inventory, findings: Finding[]): Finding[] {
  let doc: ReturnType<typeof readYamlFile> | undefined;
  try {
    doc = readYamlFile(inventory.source, 'inventory');
  } catch {
    return findings;
  }
  return findings.map((f) => {
    const index = f.broker === undefined ? -1 : inventory.brokers.findIndex((b) => b.id === f.broker);
    return { ...f, location: (doc as NonNullable<typeof doc>).locate(index >= 0 ? ['brokers', index] : ['state']) };
  });
}
