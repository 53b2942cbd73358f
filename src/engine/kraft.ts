/**
 * Applying a KRaft plan: the binary roll goes through the rolling engine with a quorum
 * check before each controller stops; then metadata.version is finalized once, after
 * checking that every node supports it. Knows only ports (KraftQuorum, KraftFeatures,
 * BrokerHost); the decisions are the pure functions of kraft-gates.ts.
 */
import type { KraftFeatures, KraftQuorum, QuorumReplica } from '../cluster/kraft-port.js';
import type { ClusterSnapshot, ClusterState } from '../cluster/port.js';
import { HaltError, InterruptedError, KafkaOpsError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import type { Plan, PlanPhase } from '../plan/model.js';
import { compareMetadataVersion } from '../plan/versions.js';
import {
  DEFAULT_QUORUM_THRESHOLDS,
  featureSupportFindings,
  kraftVersionFindings,
  quorumBeforeStopFindings,
  type KraftFinding,
  type QuorumThresholds,
} from './kraft-gates.js';
import type { EngineDeps, PreStopGate, RunReport } from './ports.js';
import { applyPlan } from './roll.js';

export interface QuorumGateOptions {
  thresholds: QuorumThresholds;
  /** How long to wait for the other voters to catch up before halting. */
  timeoutMs: number;
  pollMs: number;
}

export const DEFAULT_QUORUM_GATE: QuorumGateOptions = { thresholds: DEFAULT_QUORUM_THRESHOLDS, timeoutMs: 120_000, pollMs: 1000 };

/**
 * The pre-stop gate of a KRaft roll: a controller stops only while the other voters form a
 * caught-up majority. `mayVote` says which nodes can be voters at all, so stopping a
 * broker-only node costs no tool run.
 */
export function quorumPreStopGate(
  quorum: KraftQuorum,
  deps: Pick<EngineDeps, 'clock' | 'io' | 'journal' | 'interrupted'>,
  options: QuorumGateOptions = DEFAULT_QUORUM_GATE,
  mayVote: (nodeId: number) => boolean = () => true,
): PreStopGate {
  return {
    async beforeStop(nodeId) {
      if (!mayVote(nodeId)) return;
      const deadline = deps.clock.now() + options.timeoutMs;
      let announced = false;
      for (;;) {
        const findings = quorumBeforeStopFindings(await quorum.replication(), nodeId, options.thresholds);
        if (findings.length === 0) return;
        if (deps.interrupted.aborted)
          throw new InterruptedError('Interrupted.', {
            code: 'INTERRUPTED',
            action: 'Run `kafka-ops resume --inventory <file>` to continue.',
          });
        if (deps.clock.now() >= deadline) {
          deps.journal.append({
            event: 'halt',
            broker: nodeId,
            detail: { reason: 'quorum-not-caught-up', findings: findings.map((f) => f.message) },
          });
          throw new HaltError(
            `Controller ${nodeId} is not safe to stop after ${Math.round(options.timeoutMs / 1000)} s: ${findings.map((f) => f.message).join(' ')}`,
            {
              code: 'QUORUM_NOT_CAUGHT_UP',
              action:
                'Check the lagging controllers (their logs, disks, network to the leader) with `kafka-metadata-quorum.sh describe --replication`, then `kafka-ops resume`. This controller was not stopped.',
              brokerId: nodeId,
            },
          );
        }
        if (!announced) {
          announced = true;
          deps.io.event({
            code: 'gate.wait',
            broker: nodeId,
            message: `waiting until the other voters form a caught-up majority: ${findings[0]?.message}`,
          });
        }
        await deps.clock.sleep(options.pollMs);
      }
    },
  };
}

export interface KraftPorts {
  quorum: KraftQuorum;
  features: KraftFeatures;
  gate?: QuorumGateOptions;
}

/** Check every node supports the target, then raise metadata.version unless it is already there. */
export async function finalizeMetadataVersion(
  plan: Plan,
  phase: PlanPhase,
  deps: Pick<EngineDeps, 'io' | 'journal'>,
  features: KraftFeatures,
): Promise<string[]> {
  const action = phase.finalize;
  if (!action) throw new TypeError(`phase ${phase.id} has no finalize action`);
  const warnings: string[] = [];
  deps.io.event({ code: 'phase.start', phase: phase.id, message: phase.title });
  deps.journal.append({ event: 'phase.start', phase: phase.id });
  const finalized = await features.finalized();
  if (finalized.metadataVersion && compareMetadataVersion(finalized.metadataVersion, action.to) >= 0) {
    deps.journal.append({ event: 'phase.done', phase: phase.id, detail: { alreadyAt: finalized.metadataVersion } });
    deps.io.event({ code: 'phase.skip', phase: phase.id, message: `metadata.version is already ${finalized.metadataVersion}` });
    return warnings;
  }
  const blocking = featureSupportFindings(await features.supported(plan.order), plan.order, action.to);
  if (blocking.length > 0) {
    deps.journal.append({
      event: 'halt',
      phase: phase.id,
      detail: { reason: 'feature-unsupported', findings: blocking.map((f) => f.message) },
    });
    throw new HaltError(blocking.map((f) => f.message).join(' '), {
      code: 'METADATA_VERSION_UNSUPPORTED',
      action: `Make every node run a release that supports metadata.version ${action.to} (finish the binary roll), then \`kafka-ops resume\`. metadata.version was not changed.`,
    });
  }
  for (const f of kraftVersionFindings(finalized, plan.to)) {
    warnings.push(f.message);
    deps.io.event({ code: 'warning', phase: phase.id, message: f.message });
  }
  deps.journal.append({
    event: 'step.finalize',
    phase: phase.id,
    broker: action.node,
    detail: { from: finalized.metadataVersion ?? null, to: action.to },
  });
  try {
    await features.upgradeMetadataVersion(action.to);
  } catch (error) {
    if (error instanceof KafkaOpsError && error.kind !== 'infrastructure') throw error;
    throw new HaltError(`kafka-features.sh could not raise metadata.version to ${action.to}: ${(error as Error).message}`, {
      code: 'FINALIZE_FAILED',
      action: 'Read the tool output above, fix the cause, then `kafka-ops resume`; the binary roll is not repeated.',
      cause: error,
    });
  }
  const after = await features.finalized();
  if (!after.metadataVersion || compareMetadataVersion(after.metadataVersion, action.to) < 0) {
    throw new HaltError(
      `kafka-features.sh returned, but metadata.version reads ${after.metadataVersion ?? '(nothing)'}, not ${action.to}.`,
      {
        code: 'FINALIZE_NOT_APPLIED',
        action: 'Check `kafka-features.sh describe` on the tools node, then `kafka-ops resume`.',
      },
    );
  }
  deps.journal.append({ event: 'phase.done', phase: phase.id, detail: { metadataVersion: after.metadataVersion } });
  deps.io.event({ code: 'phase.done', phase: phase.id, message: `metadata.version is ${after.metadataVersion}` });
  return warnings;
}

/** A KRaft plan: the roll phases through the rolling engine (with the quorum gate), then the finalize phase. */
export async function applyKraftPlan(plan: Plan, deps: EngineDeps, ports: KraftPorts): Promise<RunReport> {
  const roll = plan.phases.filter((p) => p.kind !== 'finalize');
  const report = await applyPlan(
    { ...plan, phases: roll },
    {
      ...deps,
      cluster: kraftClusterView(
        deps.cluster,
        ports.quorum,
        (id) => deps.inventory.brokers.find((b) => b.id === id)?.roles?.includes('broker') ?? false,
      ),
      preStopGate: quorumPreStopGate(
        ports.quorum,
        deps,
        ports.gate,
        (id) => deps.inventory.brokers.find((b) => b.id === id)?.roles?.includes('controller') ?? true,
      ),
    },
  );
  const warnings = [...report.warnings];
  for (const phase of plan.phases.filter((p) => p.kind === 'finalize')) {
    if (phase.skipped) {
      deps.io.event({ code: 'phase.skip', phase: phase.id, message: phase.reason ?? 'nothing to do' });
      continue;
    }
    warnings.push(...(await finalizeMetadataVersion(plan, phase, deps, ports.features)));
  }
  return { ...report, warnings };
}

/**
 * A KRaft cluster seen by the rolling engine: Metadata lists brokers only and names a random
 * broker as "controller" (KIP-590), so pure controllers would never count as registered
 * and the active controller would not be kept last. A voter that is fetching from the
 * leader (last fetch within the caught-up age, on the leader's clock) counts as registered;
 * whether it has caught up is the next controller's pre-stop gate. The quorum leader is the
 * controller. A combined node (`isBroker`: `process.roles=broker,controller`) counts as
 * registered from Metadata only: its controller fetching says nothing of its broker, which
 * must be registered and unfenced (KRaft's Metadata lists unfenced brokers only) before its
 * ISR gates are read.
 */
export function withQuorumMembers(
  snapshot: ClusterSnapshot,
  replication: readonly QuorumReplica[],
  thresholds: QuorumThresholds = DEFAULT_QUORUM_THRESHOLDS,
  isBroker: (nodeId: number) => boolean = () => false,
): ClusterSnapshot {
  const leader = replication.find((r) => r.status === 'Leader');
  const leaderNow = leader && leader.lastCaughtUpTimestamp > 0 ? leader.lastCaughtUpTimestamp : undefined;
  // A stopped voter is still listed, with the last fetch it made going stale.
  const fetching = replication.filter(
    (r) =>
      !isBroker(r.nodeId) &&
      (r.status === 'Leader' ||
        (r.status === 'Follower' &&
          r.lastFetchTimestamp >= 0 &&
          (leaderNow === undefined || leaderNow - r.lastFetchTimestamp <= thresholds.maxCaughtUpAgeMs))),
  );
  const brokers = [...new Set([...snapshot.brokers, ...fetching.map((r) => r.nodeId)])].sort((a, b) => a - b);
  const { controller: _metadataController, ...rest } = snapshot;
  return { ...rest, brokers, ...(leader ? { controller: leader.nodeId } : {}) };
}

export function kraftClusterView(
  cluster: ClusterState,
  quorum: KraftQuorum,
  isBroker: (nodeId: number) => boolean = () => false,
): ClusterState {
  return {
    async snapshot() {
      const [snapshot, replication] = await Promise.all([cluster.snapshot(), quorum.replication()]);
      return withQuorumMembers(snapshot, replication, DEFAULT_QUORUM_THRESHOLDS, isBroker);
    },
    changed: (timeoutMs) => cluster.changed(timeoutMs),
    close: () => cluster.close(),
  };
}

/**
 * The KRaft checks a dry run can make before anything is touched: could each controller of
 * the plan be stopped right now (the other voters caught up), and the kraft.version warning.
 * Whether every node supports the target is checked before finalizing, once the binaries run.
 */
export async function kraftPreflight(
  inventory: Inventory,
  plan: Plan,
  tools: KraftQuorum & KraftFeatures,
  thresholds: QuorumThresholds = DEFAULT_QUORUM_THRESHOLDS,
): Promise<KraftFinding[]> {
  const [replication, finalized] = await Promise.all([tools.replication(), tools.finalized()]);
  const restarting = new Set(plan.phases.filter((p) => !p.skipped).flatMap((p) => p.steps.filter((s) => !s.skipped).map((s) => s.broker)));
  const controllers = inventory.brokers.filter((b) => b.roles?.includes('controller') && restarting.has(b.id)).map((b) => b.id);
  return [
    ...controllers.flatMap((id) => quorumBeforeStopFindings(replication, id, thresholds)),
    ...kraftVersionFindings(finalized, plan.to),
  ];
}
