/**
 * Running a plan for real: lock the cluster, store the plan and journal, wire the
 * engine to the adapters and the terminal, and turn Ctrl-C into a safe stop.
 */
import { runLocalHook } from '../hosts/local-hook.js';
import { randomUUID } from 'node:crypto';
import type { BatchSize } from '../engine/batches.js';
import { applyKraftPlan, DEFAULT_QUORUM_GATE } from '../engine/kraft.js';
import { applyChainedPlan } from '../engine/chain.js';
import { applyMigrationPlan } from '../engine/migration.js';
import { chainKraftInventory, isChainedPlan } from '../plan/chain.js';
import type { EngineDeps } from '../engine/ports.js';
import { applyPlan, DEFAULT_ENGINE_OPTIONS } from '../engine/roll.js';
import { FileJournal, unfinishedRun } from '../store/journal.js';
import { planDigest } from '../store/plan-digest.js';
import { acquireZooKeeperLock, type ZooKeeperLock } from '../cluster/zookeeper-lock.js';
import { KafkaOpsError, UserError } from '../errors.js';
import type { Inventory, StopSignal } from '../inventory/model.js';
import type { Plan } from '../plan/model.js';
import { planSummaryLines } from '../plan/preview.js';
import { resolvePlanSecrets } from '../config/secrets.js';
import { redactSecrets } from '../config/secret-keys.js';
import type { EngineIOSession, IoHost, PromptPolicy } from '../io-host.js';
import type { RunResult, StoppedRunResult } from '../results.js';
import { lastRun } from '../store/run-view.js';
import { EventLog, loggedIO, loggedJournal } from '../store/event-log.js';
import { describeHolder, thisProcess } from '../store/lock-holder.js';
import { openConnections, type Connections } from './connections.js';
import { etaIO } from './run-eta.js';

export interface RunOptions extends PromptPolicy {
  stateDir: string;
  killOnStopTimeout: boolean;
  clientsUpgraded: boolean;
  stopSignal?: StopSignal;
  /** --batch (engine/batches.ts); absent = one broker at a time. */
  batch?: BatchSize;
  pauseBetweenMs?: number;
  /** --[no-]elect-preferred-leaders (engine/elect.ts); absent = the engine's default. */
  electPreferredLeaders?: boolean;
  /** --quorum-timeout: the KRaft quorum gate's wait before a controller stops (engine/kraft.ts). */
  quorumTimeoutMs?: number;
  /** --log-file: every event of the run as JSON lines, secrets redacted (store/event-log.ts). */
  logFile?: string;
  /** --brokers: only these brokers are restarted (plan/subset.ts); the others stay as they are. */
  brokers?: number[] | undefined;
}

/** A plan names the cluster it is for; an inventory of another is refused. */
export function assertPlanNamesCluster(plan: Plan, inventory: Inventory): void {
  if (plan.cluster !== inventory.cluster)
    throw new UserError(`The plan is for cluster ${plan.cluster}, the inventory for ${inventory.cluster}.`, {
      code: 'PLAN_INVENTORY_MISMATCH',
      action: 'Use the inventory the plan was made for, or make a plan for this cluster. Nothing was touched.',
    });
}

/**
 * The plan bound to the cluster it runs on: refused when it names another cluster, or carries the
 * id of another (ZooKeeper's `/cluster/id`, the brokers' Metadata); a plan without an id gets this
 * cluster's, so the state dir's plan.yaml (what `resume` applies) is bound from the first run on.
 */
export async function bindToCluster(plan: Plan, inventory: Inventory, connections: Connections, output: IoHost): Promise<Plan> {
  assertPlanNamesCluster(plan, inventory);
  const cluster = await connections.cluster();
  const id = cluster.clusterId ? await cluster.clusterId() : undefined;
  if (plan.clusterId !== undefined && id !== undefined && plan.clusterId !== id)
    throw new UserError(
      `The plan is bound to the cluster with id ${plan.clusterId}, but ${inventory.source} reaches the cluster with id ${id}: another cluster of the same name.`,
      {
        code: 'PLAN_CLUSTER_MISMATCH',
        action: 'Apply the plan to the cluster it was made for, or make a plan for this one. Nothing was touched.',
      },
    );
  if (plan.clusterId !== undefined && id === undefined)
    output.info(`The plan is bound to cluster id ${plan.clusterId}; this cluster's reader cannot tell its id, so that is not checked.`);
  return plan.clusterId === undefined && id !== undefined ? { ...plan, clusterId: id } : plan;
}

export async function runPlan(
  given: Plan,
  inventory: Inventory,
  connections: Connections,
  options: RunOptions,
  output: IoHost,
  mode: 'new' | 'resume' = 'new',
  /** The run a resume continues; a new run gets a new id, so no confirmation of an earlier run counts for it. */
  runId: string = randomUUID(),
): Promise<RunResult> {
  const plan = await bindToCluster(given, inventory, connections, output);
  // References to secret values (`@env:NAME`) are resolved for the engine alone: what is shown and stored keeps them.
  const applied = resolvePlanSecrets(plan);
  // Opened before any lock or restart: a path that cannot be written is refused with nothing touched.
  const log = options.logFile ? EventLog.open(options.logFile, secretValues(plan, applied)) : undefined;
  const run = { started: false };
  try {
    return await runLocked(plan, applied, inventory, connections, options, output, mode, runId, log, run);
  } catch (error) {
    // Refused before it started (locked, unfinished run): the log says why; a run that started said it itself.
    if (!run.started) log?.write('run.refused', { error: error instanceof KafkaOpsError ? error.toJSON() : { message: String(error) } });
    throw error;
  } finally {
    log?.close();
  }
}

/** The values secret references in `plan` resolve to in `applied`: what the log file must never hold. */
function secretValues(plan: Plan, applied: Plan): string[] {
  if (plan === applied) return [];
  return applied.phases.flatMap((phase, p) =>
    phase.steps.flatMap((step, s) =>
      Object.entries(step.changes)
        .filter(([key, change]) => plan.phases[p]?.steps[s]?.changes[key]?.to !== change.to && typeof change.to === 'string')
        .map(([, change]) => change.to as string),
    ),
  );
}

async function runLocked(
  plan: Plan,
  applied: Plan,
  inventory: Inventory,
  connections: Connections,
  options: RunOptions,
  output: IoHost,
  mode: 'new' | 'resume',
  runId: string,
  log: EventLog | undefined,
  state: { started: boolean },
): Promise<RunResult> {
  const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
  const journal = new FileJournal(options.stateDir, inventory.cluster, clock);
  journal.lock();
  // The local lock alone is per state dir; the cluster's own lock is seen by every operator and runner.
  let clusterLock: ZooKeeperLock | undefined;
  try {
    clusterLock = inventory.state.zookeeper ? await acquireZooKeeperLock(inventory.state.zookeeper) : undefined;
  } catch (error) {
    journal.unlock();
    throw error;
  }
  const unfinished = mode === 'new' ? unfinishedRun(journal.entries(), planDigest(plan)) : undefined;
  if (unfinished) {
    await clusterLock?.release();
    journal.unlock();
    throw new UserError(
      `An earlier run of cluster ${inventory.cluster} is unfinished (last: ${unfinished.event}${unfinished.broker === undefined ? '' : ` of broker ${unfinished.broker}`} at ${unfinished.at}); a new run of a different plan would replace it.`,
      {
        code: 'RUN_UNFINISHED',
        action: `Finish it with \`kafka-ops resume -i ${inventory.source}\`, or discard it (brokers stay as they are) with \`kafka-ops abort -i ${inventory.source}\`; \`kafka-ops status -i ${inventory.source}\` shows where it stopped.`,
      },
    );
  }
  const abort = new AbortController();
  let io: EngineIOSession | undefined;
  const onSignal = () => {
    const notice = 'Interrupt received: bringing the current broker to a safe state, then stopping.';
    // Through the IO so the live tree shows it now instead of after it closes.
    if (io) io.notice(notice);
    else output.info(notice);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    state.started = true;
    log?.write('run.start', {
      mode,
      run: runId,
      cluster: plan.cluster,
      kind: plan.kind,
      from: plan.from,
      to: plan.to,
      by: describeHolder(thisProcess()),
      journal: journal.file,
    });
    // The plan at a glance before the first question, so the operator answers knowing what it will do and how long it takes.
    for (const line of planSummaryLines(plan, mode)) {
      output.info(line);
      log?.write('notice', { message: line });
    }
    const opened = await output.openEngineIO(options);
    const logged = log ? loggedIO(opened, log) : opened;
    // One broker at a time, the time left is learnt from each restart; a batch's members overlap, so its ETA stays the plan's.
    io = (options.batch ?? 1) === 1 ? etaIO(logged, plan, clock, options.pauseBetweenMs) : logged;
    journal.writePlan(plan);
    const deps: EngineDeps = {
      inventory,
      cluster: await connections.cluster(),
      host: (id) => connections.host(id),
      io,
      journal: log ? loggedJournal(journal, log) : journal,
      clock,
      interrupted: abort.signal,
      run: { id: runId, planDigest: planDigest(plan), planFile: journal.planFile },
      localHook: runLocalHook,
      options: {
        ...DEFAULT_ENGINE_OPTIONS,
        killOnStopTimeout: options.killOnStopTimeout,
        clientsUpgraded: options.clientsUpgraded,
        ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
        ...(options.batch !== undefined ? { batch: options.batch } : {}),
        ...(options.pauseBetweenMs !== undefined ? { pauseBetweenMs: options.pauseBetweenMs } : {}),
        ...(options.electPreferredLeaders !== undefined ? { electPreferredLeaders: options.electPreferredLeaders } : {}),
      },
    };
    // Every plan on a KRaft cluster (a config roll too) gets the quorum gate before a controller stops.
    const tools = inventory.mode === 'kraft' || plan.kind === 'migration' ? await connections.kraft() : undefined;
    const gate = options.quorumTimeoutMs !== undefined ? { gate: { ...DEFAULT_QUORUM_GATE, timeoutMs: options.quorumTimeoutMs } } : {};
    const run =
      isChainedPlan(plan) && tools
        ? await applyChainedPlan(applied, deps, {
            quorum: tools,
            tools: await connections.migration(),
            features: tools,
            kraftInventory: chainKraftInventory(inventory),
            // After finalize the metadata is the quorum's alone: the KRaft phases read the cluster through the brokers.
            kraftCluster: () => openConnections(chainKraftInventory(inventory)).cluster(),
            ...gate,
          })
        : plan.kind === 'migration' && tools
          ? await applyMigrationPlan(applied, deps, { quorum: tools, tools: await connections.migration() })
          : tools
            ? await applyKraftPlan(applied, deps, {
                quorum: tools,
                features: tools,
                ...gate,
              })
            : await applyPlan(applied, deps);
    await io.close();
    log?.write('run.done', { steps: run.steps });
    return { plan, run: redactSecrets(run), journal: journal.file };
  } catch (error) {
    // The tree marks the failing task before the error itself is printed.
    await io?.close(error);
    try {
      journal.append({ event: 'run.stopped', detail: error instanceof KafkaOpsError ? error.toJSON() : { message: String(error) } });
    } catch {
      // A journal that cannot be written is said by the error itself (or the next run); this one is what the operator must see.
    }
    if (error instanceof KafkaOpsError) error.result = stoppedRun(plan, journal);
    log?.write('run.stopped', {
      error: error instanceof KafkaOpsError ? error.toJSON() : { message: String(error) },
      ...(error instanceof KafkaOpsError && error.result ? { result: error.result } : {}),
    });
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await clusterLock?.release();
    journal.unlock();
  }
}

/** What a run that stopped had done, where it stopped and why: read back from its own journal. */
function stoppedRun(plan: Plan, journal: FileJournal): StoppedRunResult | undefined {
  let run;
  try {
    run = lastRun(journal.entries());
  } catch {
    return undefined;
  }
  if (!run) return undefined;
  return {
    dryRun: false,
    cluster: plan.cluster,
    kind: plan.kind,
    ...(plan.from ? { from: plan.from } : {}),
    ...(plan.to ? { to: plan.to } : {}),
    journal: journal.file,
    run: run.view,
  };
}
