/**
 * Planning a KRaft upgrade (3.3+ → 3.9 / 4.x): (inventory, observed state, target) → plan.
 * Pure: no I/O, no clock.
 *
 * Kafka's KRaft procedure has no protocol pinning: roll the new binaries node by node
 * (controllers first, then brokers, the active controller last), then raise the
 * cluster-wide `metadata.version` once with `kafka-features.sh upgrade` on one node.
 */
import { UserError } from '../errors.js';
import type { BrokerSpec, Inventory, KraftSettings } from '../inventory/model.js';
import { ROLL_GATES, estimateFor, phaseTimeouts, swapStep, type UpgradeTarget } from './steps.js';
import type { FinalizeAction, GateId, Plan, PlanPhase, PlanStep } from './model.js';
import { PLAN_SCHEMA_VERSION } from './model.js';
import type { ObservedCluster } from './observed.js';
import {
  BOOTSTRAP_CONTROLLER_FROM,
  KRAFT_VERSION_FEATURE_FROM,
  OLDEST_KRAFT,
  assertKraftUpgradePath,
  compareKraftRelease,
  compareMetadataVersion,
  kraftReleaseFamily,
  metadataChangesBetween,
  metadataFeatureLevel,
  resolveMetadataVersion,
  supportedMetadataVersions,
} from './versions.js';

/** The binary roll's gates: the ZooKeeper-mode roll's, plus the quorum check before a controller stops. */
export function kraftRollGates(): GateId[] {
  return [...ROLL_GATES, 'target-install-present', 'quorum-majority-without-controller'];
}

const isController = (spec: BrokerSpec): boolean => spec.roles?.includes('controller') ?? false;

/**
 * Node order of the binary roll: controllers (combined nodes included) by id, then
 * broker-only nodes by id, and the active controller (quorum leader, when known) last.
 */
export function kraftNodeOrder(nodes: readonly BrokerSpec[], activeController?: number): number[] {
  const byId = (a: BrokerSpec, b: BrokerSpec) => a.id - b.id;
  const ordered = [...nodes.filter(isController).sort(byId), ...nodes.filter((n) => !isController(n)).sort(byId)].map((n) => n.id);
  if (activeController === undefined || !ordered.includes(activeController)) return ordered;
  return [...ordered.filter((id) => id !== activeController), activeController];
}

/** The release family a KRaft cluster is on: the lowest of its nodes' releases. */
export function currentKraftRelease(observed: ObservedCluster): string {
  const families = observed.brokers.map((b) => kraftReleaseFamily(b.release)).filter((f): f is string => f !== undefined);
  if (families.length !== observed.brokers.length || families.length === 0) {
    const unknown = observed.brokers.find((b) => !kraftReleaseFamily(b.release));
    throw new UserError(
      `Node ${unknown?.id ?? '?'} runs ${unknown?.release ?? 'an unknown release'}, which is not a KRaft release kafka-ops plans (${OLDEST_KRAFT} or later).`,
      {
        code: 'UNSUPPORTED_PATH',
        action: `KRaft clusters older than ${OLDEST_KRAFT} are upgraded to 3.9 by Kafka's own procedure first; or pass --from with the release the cluster runs.`,
      },
    );
  }
  return families.reduce((low, f) => (compareKraftRelease(f, low) < 0 ? f : low));
}

/**
 * `upgrade --feature metadata.version=<level>`: the feature named explicitly, so kraft.version
 * is never moved with it (`--release-version` would, KAFKA-18979), and its level as a number:
 * the 3.9 and 4.x tools refuse a name there ("unable to parse 3.9-IV0 as a short"), and
 * `--metadata` is deprecated in 4.x.
 */
export function finalizeArgs(metadataVersion: string): string[] {
  return ['upgrade', '--feature', `metadata.version=${metadataFeatureLevel(metadataVersion)}`];
}

/** The kafka-features.sh command line that raises metadata.version, run from the node's install link. */
export function finalizeCommand(spec: BrokerSpec, kraft: KraftSettings, metadataVersion: string): string[] {
  return [...kraftToolBase(spec, kraft, 'kafka-features.sh'), ...finalizeArgs(metadataVersion)];
}

/** `<installLink>/bin/<tool> --bootstrap-server|--bootstrap-controller X [--command-config F]`: the common head of every KRaft tool call. */
export function kraftToolBase(spec: BrokerSpec, kraft: KraftSettings, tool: 'kafka-features.sh' | 'kafka-metadata-quorum.sh'): string[] {
  const connect = kraft.bootstrapController
    ? ['--bootstrap-controller', kraft.bootstrapController]
    : ['--bootstrap-server', kraft.bootstrapServer ?? ''];
  return [`${spec.installLink}/bin/${tool}`, ...connect, ...(kraft.commandConfig ? ['--command-config', kraft.commandConfig] : [])];
}

export function buildKraftUpgradePlan(inventory: Inventory, observed: ObservedCluster, target: UpgradeTarget, from?: string): Plan {
  const kraft = inventory.kraft;
  if (!kraft) throw new TypeError('a KRaft inventory always has its kraft settings (inventory/load.ts)');
  const to = kraftReleaseFamily(target.to);
  if (!to) {
    throw new UserError(`--to "${target.to}" is not a KRaft release kafka-ops knows.`, {
      code: 'UNKNOWN_VERSION',
      action: `Use a release from ${OLDEST_KRAFT} to 4.1.`,
    });
  }
  const current = from ?? currentKraftRelease(observed);
  if (!kraftReleaseFamily(current)) {
    throw new UserError(`Upgrading a KRaft cluster from ${current} is not supported: KRaft is production-ready from ${OLDEST_KRAFT}.`, {
      code: 'UNSUPPORTED_PATH',
      action: `Upgrade to ${OLDEST_KRAFT} or later by Kafka's own procedure first.`,
    });
  }
  assertKraftUpgradePath(current, to, observed.source === 'hosts');
  if (kraft.bootstrapController && compareKraftRelease(to, BOOTSTRAP_CONTROLLER_FROM) < 0) {
    throw new UserError(`\`kraft.bootstrapController\` needs the ${BOOTSTRAP_CONTROLLER_FROM}+ tools; this upgrade ends on ${to}.`, {
      code: 'INVENTORY_KRAFT',
      action: 'Use `kraft.bootstrapServer` (a broker listener) instead.',
      location: { file: inventory.source },
    });
  }

  const order = kraftNodeOrder(inventory.brokers, observed.controller);
  const specOf = (id: number) => inventory.brokers.find((b) => b.id === id) as BrokerSpec;
  const steps: PlanStep[] = order.map((id) => {
    const spec = specOf(id);
    const seen = observed.brokers.find((b) => b.id === id);
    if (!seen) throw new TypeError(`node ${id} missing from the observed state`);
    const step = swapStep(spec, seen, to, kraftReleaseFamily);
    return { ...step, roles: spec.roles ?? [] };
  });
  const rollSkipped = steps.every((s) => s.skipped);
  const timeouts = phaseTimeouts(inventory);
  const roll: PlanPhase = {
    id: 'swap-binaries',
    title: `Roll the ${to} binaries: controllers first, then brokers, the active controller last`,
    kind: 'roll',
    strategy: 'serial-canary',
    skipped: rollSkipped,
    ...(rollSkipped ? { reason: `Every node already runs a ${to} install.` } : {}),
    gates: kraftRollGates(),
    consecutiveHealthyChecks: 3,
    timeouts,
    steps,
  };

  const targetVersion = resolveMetadataVersion(to) as string;
  const before = observed.metadataVersion ? resolveMetadataVersion(observed.metadataVersion) : undefined;
  // An assumed plan does not know the finalized level; the release's own latest is the highest it can be.
  const assumedBefore = before ?? (supportedMetadataVersions(current)?.max as string);
  const finalized = before !== undefined && compareMetadataVersion(before, targetVersion) >= 0;
  const toolsSpec = specOf(kraft.toolsNode);
  const action: FinalizeAction = {
    feature: 'metadata.version',
    from: before ?? null,
    to: targetVersion,
    node: toolsSpec.id,
    host: toolsSpec.host,
    command: finalizeCommand(toolsSpec, kraft, targetVersion),
  };
  const changes = metadataChangesBetween(assumedBefore, targetVersion);
  const finalize: PlanPhase = {
    id: 'finalize-metadata-version',
    title: `Finalize metadata.version ${targetVersion} (kafka-features.sh on node ${toolsSpec.id})`,
    kind: 'finalize',
    strategy: 'serial',
    skipped: finalized,
    ...(finalized ? { reason: `metadata.version is already ${before}.` } : {}),
    pointOfNoReturn:
      changes.length > 0
        ? `metadata.version ${targetVersion} carries metadata changes since ${assumedBefore} (${changes.join(', ')}): Kafka refuses to downgrade metadata.version across them, so the nodes can no longer go back to ${current} binaries.`
        : `A metadata.version downgrade is limited to versions without metadata changes in between and is not planned by kafka-ops: treat finalizing as one-way; the nodes cannot run binaries older than ${targetVersion} afterwards.`,
    gates: ['metadata-version-supported-everywhere'],
    consecutiveHealthyChecks: 0,
    timeouts,
    finalize: action,
    steps: [],
  };

  const restarts = rollSkipped ? 0 : steps.filter((s) => !s.skipped).length;
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: 'upgrade',
    mode: 'kraft',
    cluster: inventory.cluster,
    from: current,
    to,
    observed: observed.source,
    order,
    controller:
      observed.controller === undefined
        ? {
            broker: null,
            note: 'The active controller (quorum leader) is not known yet; the executor re-reads it before each node and moves it last.',
          }
        : {
            broker: observed.controller,
            note: `Node ${observed.controller} is the active controller (quorum leader): it goes last (re-read before each node, since it can move).`,
          },
    phases: [roll, finalize],
    notes: [
      'Before each controller is stopped, the other voters must still form a caught-up majority (kafka-metadata-quorum.sh describe --replication).',
      'Before finalizing, every node must support the target metadata.version (kafka-features.sh describe); otherwise Kafka refuses the upgrade.',
      ...(compareKraftRelease(to, KRAFT_VERSION_FEATURE_FROM) >= 0
        ? [
            'kafka-ops finalizes with `upgrade --feature metadata.version=<level>` only. `kafka-features.sh upgrade --release-version` would also raise kraft.version (static → dynamic quorum, KIP-853), which cannot be lowered again: do that separately and on purpose.',
          ]
        : []),
      ...(observed.source === 'assumed'
        ? [`State was assumed from --from ${current} (no host was contacted); the finalized metadata.version is read before finalizing.`]
        : []),
      'A ZooKeeper-mode cluster is moved to KRaft first, on 3.9, with `kafka-ops upgrade --migrate-to-kraft`.',
    ],
    estimate: estimateFor(restarts),
  };
}
