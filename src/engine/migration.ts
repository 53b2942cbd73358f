/**
 * Applying a ZooKeeper → KRaft migration plan (plan/migration.ts), phase by phase:
 *  - provision-controllers: each controller's config written, its install activated, its
 *    storage formatted with the ZooKeeper cluster's id, the process started; then a quorum
 *    leader awaited (kafka-metadata-quorum.sh describe --status).
 *  - migrate-brokers, kraft-brokers, finalize-migration: the rolling engine with every gate,
 *    over a view of the cluster in which a broker counts as registered when ZooKeeper lists it
 *    (a ZooKeeper-mode broker) or it fetches the metadata log (a KRaft broker, an observer of
 *    the quorum), and a controller when it fetches as a voter; a controller stops only while
 *    the other voters form a caught-up majority.
 *  - await-migration: nothing touched; a controller's log must say the metadata was migrated.
 * Every step is re-checked on its host first, so a re-run or resume restarts nothing done.
 */
import type { KraftQuorum, MigrationTools, QuorumReplica } from '../cluster/kraft-port.js';
import type { ClusterSnapshot, ClusterState } from '../cluster/port.js';
import { editProperties, parseProperties } from '../config/properties.js';
import { HaltError, InterruptedError, KafkaOpsError } from '../errors.js';
import { linkedRelease } from '../hosts/port.js';
import type { Plan, PlanPhase } from '../plan/model.js';
import { MIGRATION_COMPLETED_LINE, MIGRATION_RELEASE } from '../plan/migration.js';
import { releaseFamily } from '../plan/versions.js';
import { DEFAULT_QUORUM_GATE, quorumPreStopGate, type QuorumGateOptions } from './kraft.js';
import { DEFAULT_QUORUM_THRESHOLDS } from './kraft-gates.js';
import { editsOf } from './preflight.js';
import type { EngineDeps, Journal, RunReport, StepReport } from './ports.js';
import { applyPlan } from './roll.js';

export interface MigrationPorts {
  quorum: KraftQuorum;
  tools: MigrationTools;
  gate?: QuorumGateOptions;
  /** Spacing of the polls of the quorum and of the controllers' logs. */
  pollMs?: number;
}

/**
 * Registered during a migration: listed in ZooKeeper, or fetching from the quorum leader
 * recently (voters and observers alike, on the leader's clock). The quorum leader is the
 * active controller once the brokers run in migration mode.
 */
export function withMigrationMembers(snapshot: ClusterSnapshot, replication: readonly QuorumReplica[], maxAgeMs = 5000): ClusterSnapshot {
  const leader = replication.find((r) => r.status === 'Leader');
  const now = leader && leader.lastCaughtUpTimestamp > 0 ? leader.lastCaughtUpTimestamp : undefined;
  const fetching = replication.filter(
    (r) => r.status === 'Leader' || (r.lastFetchTimestamp >= 0 && (now === undefined || now - r.lastFetchTimestamp <= maxAgeMs)),
  );
  const brokers = [...new Set([...snapshot.brokers, ...fetching.map((r) => r.nodeId)])].sort((a, b) => a - b);
  const { controller: _zookeeperController, ...rest } = snapshot;
  return { ...rest, brokers, ...(leader ? { controller: leader.nodeId } : {}) };
}

/**
 * The quorum as a roll must read it: a node this run stopped counts neither as fetching nor (a
 * voter) as caught up until the leader reports a fetch, and a catch-up, later than its own clock
 * at the first answer read after the stop. The leader keeps a stopped node's last timestamps,
 * which stay "recent" for seconds: read in-process within a second, they would have the node
 * registered again at once and let the next controller stop while the previous one starts.
 */
export class RestartAwareQuorum implements KraftQuorum {
  /** Node → the leader's clock after its stop (undefined until an answer with a leader is read). */
  private readonly stopped = new Map<number, number | undefined>();

  constructor(private readonly quorum: KraftQuorum) {}

  stoppedNow(nodeId: number): void {
    this.stopped.set(nodeId, undefined);
  }

  status(): ReturnType<KraftQuorum['status']> {
    return this.quorum.status();
  }

  async replication(): Promise<QuorumReplica[]> {
    return this.adjust(await this.quorum.replication());
  }

  adjust(rows: readonly QuorumReplica[]): QuorumReplica[] {
    const leader = rows.find((r) => r.status === 'Leader');
    const now = leader && leader.lastCaughtUpTimestamp > 0 ? leader.lastCaughtUpTimestamp : undefined;
    return rows.map((r) => {
      if (!this.stopped.has(r.nodeId)) return r;
      if (r.status === 'Leader') {
        this.stopped.delete(r.nodeId);
        return r;
      }
      let since = this.stopped.get(r.nodeId);
      if (since === undefined) {
        if (now === undefined) return { ...r, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 };
        since = now;
        this.stopped.set(r.nodeId, now);
      }
      const fetched = r.lastFetchTimestamp > since;
      const caughtUp = r.lastCaughtUpTimestamp > since;
      if (fetched && (caughtUp || r.status === 'Observer')) {
        this.stopped.delete(r.nodeId);
        return r;
      }
      return {
        ...r,
        lastFetchTimestamp: fetched ? r.lastFetchTimestamp : -1,
        lastCaughtUpTimestamp: caughtUp ? r.lastCaughtUpTimestamp : -1,
      };
    });
  }
}

function migrationView(cluster: ClusterState, quorum: KraftQuorum): ClusterState {
  return {
    async snapshot() {
      const [snapshot, replication] = await Promise.all([cluster.snapshot(), quorum.replication()]);
      return withMigrationMembers(snapshot, replication, DEFAULT_QUORUM_THRESHOLDS.maxCaughtUpAgeMs * 2);
    },
    changed: (timeoutMs) => cluster.changed(timeoutMs),
    close: () => cluster.close(),
  };
}

/** The inner runs of the rolling engine each end with `run.done`; only the whole migration may say that. */
export function phaseJournal(journal: Journal): Journal {
  return {
    append: (entry) => {
      if (entry.event !== 'run.done' && entry.event !== 'run.start') journal.append(entry);
    },
    entries: () => journal.entries(),
  };
}

export async function applyMigrationPlan(plan: Plan, deps: EngineDeps, ports: MigrationPorts): Promise<RunReport> {
  const steps: StepReport[] = [];
  const warnings: string[] = [];
  const pollMs = ports.pollMs ?? 1000;
  deps.journal.append({ event: 'run.start', detail: { kind: plan.kind, from: plan.from, to: plan.to, run: deps.run?.id ?? null } });
  const inner: EngineDeps = { ...deps, journal: phaseJournal(deps.journal) };
  const quorum = new RestartAwareQuorum(ports.quorum);
  for (const phase of plan.phases) {
    checkInterrupt(deps);
    if (phase.skipped) {
      deps.io.event({ code: 'phase.skip', phase: phase.id, message: phase.reason ?? 'nothing to do' });
      for (const s of phase.steps) steps.push({ phase: phase.id, broker: s.broker, outcome: 'skipped' });
      continue;
    }
    if (phase.kind === 'provision') {
      steps.push(...(await provision(phase, deps, ports, pollMs)));
      continue;
    }
    if (phase.kind === 'wait') {
      await awaitMigration(plan, phase, deps, ports, pollMs);
      continue;
    }
    const controllers = phase.id === 'finalize-migration';
    const report = await applyPlan(
      { ...plan, phases: [phase] },
      {
        ...inner,
        // migrate-brokers: every broker is still in ZooKeeper (gone from it once stopped); later rolls see
        // KRaft brokers and the controllers through the quorum, where a node this run stopped is marked.
        ...(phase.id === 'migrate-brokers'
          ? { cluster: deps.cluster }
          : {
              cluster: migrationView(deps.cluster, quorum),
              preStopGate: {
                beforeStop: controllers ? quorumPreStopGate(quorum, deps, ports.gate ?? DEFAULT_QUORUM_GATE).beforeStop : async () => {},
                afterStop: (nodeId: number) => quorum.stoppedNow(nodeId),
              },
            }),
      },
    );
    steps.push(...report.steps);
    warnings.push(...report.warnings);
  }
  deps.journal.append({ event: 'run.done' });
  return { status: 'completed', steps, warnings };
}

function checkInterrupt(deps: Pick<EngineDeps, 'interrupted'>): void {
  if (deps.interrupted.aborted)
    throw new InterruptedError('Interrupted.', {
      code: 'INTERRUPTED',
      action: 'Run the same `kafka-ops upgrade --migrate-to-kraft` again: every node is re-read and what is done is skipped.',
    });
}

function revertAction(phase: PlanPhase): string {
  return phase.revert ? ` To go back to ZooKeeper mode instead: ${phase.revert.map((r, i) => `(${i + 1}) ${r}`).join(' ')}` : '';
}

/** Configure, format and start each controller that is not running its migration config yet; then wait for a leader. */
async function provision(phase: PlanPhase, deps: EngineDeps, ports: MigrationPorts, pollMs: number): Promise<StepReport[]> {
  const { io, journal, clock } = deps;
  io.event({ code: 'phase.start', phase: phase.id, message: phase.title });
  journal.append({ event: 'phase.start', phase: phase.id });
  const clusterId = phase.provision?.clusterId ?? (await ports.tools.clusterId());
  const reports: StepReport[] = [];
  for (const step of phase.steps) {
    checkInterrupt(deps);
    if (step.skipped) {
      reports.push({ phase: phase.id, broker: step.broker, outcome: 'skipped' });
      continue;
    }
    const started = clock.now();
    const spec = deps.inventory.brokers.find((b) => b.id === step.broker);
    if (!spec) throw new TypeError(`controller ${step.broker} is not in the inventory`);
    io.event({ code: 'step.start', phase: phase.id, broker: step.broker, message: `controller ${step.broker} (${spec.host})` });
    const host = await deps.host(step.broker);
    const facts = await host.facts();
    const text = await host.readConfig().catch(() => '');
    const edits = editsOf(step);
    const current = parseProperties(text);
    const configDone = Object.entries(edits).every(([k, v]) => (v === null ? current[k] === undefined : current[k] === v));
    const release = Object.keys(spec.installs).find((r) => releaseFamily(r) === MIGRATION_RELEASE) as string;
    if (facts.process && configDone) {
      journal.append({ event: 'step.already-done', phase: phase.id, broker: step.broker });
      io.event({ code: 'step.skip', phase: phase.id, broker: step.broker, message: 'runs its migration config already' });
      reports.push({ phase: phase.id, broker: step.broker, outcome: 'already-done' });
      continue;
    }
    if (facts.process)
      throw new HaltError(`Controller ${step.broker} is running, but not with its migration config.`, {
        code: 'CONTROLLER_RUNNING',
        action: `Stop the process on ${spec.host} (pid ${facts.process.pid}) or give it the planned config, then run the migration again.`,
        brokerId: step.broker,
      });
    if (!configDone) {
      const backup = await host.writeConfig(editProperties(text, edits), new Date(clock.now()).toISOString().replace(/[:.]/g, '-'));
      journal.append({ event: 'step.config', phase: phase.id, broker: step.broker, detail: { backup, changes: step.changes } });
    }
    if (linkedRelease(spec.installs, facts) !== release) await host.activateRelease(release);
    const formatted = await ports.tools.formatStorage(step.broker, clusterId);
    journal.append({ event: 'step.format', phase: phase.id, broker: step.broker, detail: { clusterId, outcome: formatted } });
    io.event({ code: 'step.substep', phase: phase.id, broker: step.broker, message: `storage ${formatted} (cluster id ${clusterId})` });
    await host.start();
    journal.append({ event: 'step.start', phase: phase.id, broker: step.broker });
    const totalMs = clock.now() - started;
    io.event({ code: 'step.done', phase: phase.id, broker: step.broker, message: `controller ${step.broker} started` });
    reports.push({ phase: phase.id, broker: step.broker, outcome: 'restarted', totalMs });
  }
  const deadline = clock.now() + phase.timeouts.startSeconds * 1000;
  let last = 'no answer yet';
  for (;;) {
    checkInterrupt(deps);
    try {
      const status = await ports.quorum.status();
      if (status.leaderId >= 0) {
        journal.append({ event: 'phase.done', phase: phase.id, detail: { leader: status.leaderId, epoch: status.leaderEpoch } });
        io.event({ code: 'phase.done', phase: phase.id, message: `quorum leader ${status.leaderId} (epoch ${status.leaderEpoch})` });
        return reports;
      }
      last = 'no leader elected';
    } catch (error) {
      if (!(error instanceof KafkaOpsError && error.kind === 'infrastructure')) throw error;
      last = error.message; // controllers still starting
    }
    if (clock.now() >= deadline)
      throw new HaltError(`The controller quorum has no leader ${phase.timeouts.startSeconds} s after provisioning: ${last}`, {
        code: 'QUORUM_NO_LEADER',
        action: `Read the controllers' logs (listeners, controller.quorum.voters, the cluster id), fix the cause, then run the migration again.${revertAction(phase)}`,
      });
    await clock.sleep(pollMs);
  }
}

/** Nothing touched: polls the controllers' logs until one says the metadata was migrated from ZooKeeper. */
async function awaitMigration(plan: Plan, phase: PlanPhase, deps: EngineDeps, ports: MigrationPorts, pollMs: number): Promise<void> {
  const { io, journal, clock } = deps;
  io.event({ code: 'phase.start', phase: phase.id, message: phase.title });
  journal.append({ event: 'phase.start', phase: phase.id });
  const controllers = plan.phases.find((p) => p.id === 'provision-controllers')?.steps.map((s) => s.broker) ?? [];
  const deadline = clock.now() + (phase.wait?.timeoutSeconds ?? 600) * 1000;
  let announced = false;
  for (;;) {
    checkInterrupt(deps);
    for (const id of controllers) {
      const [line] = await ports.tools.logLines(id, MIGRATION_COMPLETED_LINE);
      if (line) {
        journal.append({ event: 'phase.done', phase: phase.id, broker: id, detail: { evidence: line } });
        io.event({ code: 'phase.done', phase: phase.id, message: `controller ${id}: ${line.slice(0, 200)}` });
        return;
      }
    }
    if (clock.now() >= deadline) {
      journal.append({ event: 'halt', phase: phase.id, detail: { reason: 'migration-not-complete' } });
      throw new HaltError(`No controller reported the metadata migrated from ZooKeeper within ${phase.wait?.timeoutSeconds ?? 600} s.`, {
        code: 'MIGRATION_NOT_COMPLETE',
        action: `Read the active controller's log (every broker must have registered with the quorum; "ZkMigrationState" and "transitioning" lines say where it is), then run the migration again.${revertAction(phase)}`,
      });
    }
    if (!announced) {
      announced = true;
      io.event({ code: 'gate.wait', phase: phase.id, message: `waiting for a controller to log "${MIGRATION_COMPLETED_LINE}"` });
    }
    await clock.sleep(pollMs);
  }
}
