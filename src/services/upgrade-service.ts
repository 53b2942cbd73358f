/** `kafka-ops upgrade`, `resume` and `roll`: pick or build the plan, then preview or apply it. */
import { existsSync } from 'node:fs';
import { kraftPreflight } from '../engine/kraft.js';
import { observeCluster } from '../engine/observe.js';
import { FileJournal } from '../store/journal.js';
import { checkBeforeFirstRestart, nextStepIndex, stepOnHost } from '../engine/roll.js';
import { nearestKey, OPEN_KEY_PREFIXES } from '../config/lint.js';
import { linkedRelease } from '../hosts/port.js';
import type { Inventory } from '../inventory/model.js';
import type { Plan } from '../plan/model.js';
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { assumedPlan, buildUpgradePlan } from '../plan/build.js';
import { assertPlanFitsInventory, loadPlanFile } from '../store/plan-file.js';
import { buildRollPlan, parseAssignments } from '../plan/roll.js';
import { assertNoLiteralSecrets, resolvePlanSecrets, resolveReference } from '../config/secrets.js';
import { kraftReleaseFamily, parseRelease, releaseFamily } from '../plan/versions.js';
import { targetInstallOf } from '../plan/steps.js';
import { restrictPlan } from '../plan/subset.js';
import type { IoHost } from '../io-host.js';
import type { ClusterSources } from '../engine/ports.js';
import { batchesFromPlacement, type BatchSize } from '../engine/batches.js';
import { electionUnsupported } from '../engine/elect.js';
import { parseProperties } from '../config/properties.js';
import type { BatchPreview } from '../plan/preview.js';
import type { UpgradeResult } from '../results.js';
import { openConnections, type Connections } from './connections.js';
import { batchesAtRunTime, firstRoll, requireFlag, type PlanRequest } from './plan-service.js';
import { assertPlanNamesCluster, bindToCluster, runPlan, type RunOptions } from './run-service.js';

export interface UpgradeRequest extends PlanRequest, RunOptions {
  plan?: string;
  dryRun: boolean;
}

export async function upgrade(request: UpgradeRequest, output: IoHost): Promise<UpgradeResult> {
  if (request.plan && request.to) {
    throw new UserError('--plan and --to both given.', {
      code: 'USAGE',
      action: 'Give either a plan file (--plan) or a target (--to), not both.',
    });
  }
  const filePlan = request.plan ? subsetOf(loadPlanFile(request.plan), request) : undefined;
  const to = filePlan ? undefined : parseRelease(requireFlag(request.to, 'to', 'KAFKA_OPS_TO'), '--to');
  const from = request.from ? parseRelease(request.from, '--from') : undefined;
  if (filePlan && request.dryRun && !request.inventory) return withBatches({ dryRun: true, plan: filePlan }, request.batch);
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  if (filePlan && request.plan) {
    assertPlanNamesCluster(filePlan, inventory);
    assertPlanFitsInventory(request.plan, filePlan, inventory);
  }
  if (request.dryRun && (filePlan || from)) {
    return withBatches(
      { dryRun: true, plan: filePlan ?? subsetOf(assumedPlan(inventory, from as string, to as string, request.canary), request) },
      request.batch,
    );
  }
  const connections = openConnections(inventory);
  try {
    if (to) prefetchTargetKeys(inventory, connections, to);
    const plan =
      filePlan ??
      subsetOf(
        buildUpgradePlan(
          inventory,
          (await observeCluster(inventory, connections)).observed,
          { to: to as string, canary: request.canary },
          from,
        ),
        request,
      );
    return await previewOrRun(plan, inventory, connections, request, output);
  } finally {
    await connections.close();
  }
}

/** The plan restricted to --brokers, when given. */
function subsetOf(plan: Plan, request: { brokers?: number[] | undefined }): Plan {
  return request.brokers ? restrictPlan(plan, request.brokers) : plan;
}

/** A dry run that read no replica placement (or a KRaft one) still says what --batch will do. */
function withBatches(result: UpgradeResult, size: BatchSize | undefined, kraft = false): UpgradeResult {
  const batches = batchesAtRunTime(result.plan, size ?? 1, kraft);
  return batches ? { ...result, batches } : result;
}

/**
 * The batches of the first roll phase from the replica placement now, by the function the engine
 * chooses them with (batchesFromPlacement over the brokers' own server.properties).
 */
export async function previewBatches(
  plan: Plan,
  connections: Pick<ClusterSources, 'cluster' | 'host'>,
  size: BatchSize,
): Promise<BatchPreview | undefined> {
  if (size === 1) return undefined;
  const roll = firstRoll(plan);
  if (!roll) return { size, notes: ['no phase restarts brokers.'] };
  const snapshot = await (await connections.cluster()).snapshot();
  const configs = await Promise.all(roll.brokers.map(async (b) => parseProperties(await (await connections.host(b)).readConfig())));
  const choice = batchesFromPlacement(snapshot, roll.brokers, configs, size);
  const notes: string[] = [];
  const down = roll.brokers.filter((b) => !snapshot.brokers.includes(b));
  if (down.length > 0) notes.push(`Broker(s) ${down.join(',')} are not registered now: the run restarts them first, alone.`);
  if (roll.strategy === 'serial-canary') notes.push('The first broker (canary) restarts alone before the batches.');
  notes.push(
    'The run chooses again from the live placement before each batch and in each later roll phase, and stops a batch only when the gate over the whole set passes then.',
  );
  return {
    size,
    phase: roll.phase,
    batches: choice.batches,
    apart: choice.apart,
    ...(choice.degraded ? { degraded: choice.degraded } : {}),
    notes,
  };
}

/**
 * Starts reading the config keys of the release the first broker is upgraded to (a JVM on its
 * host, about 1 s) while the cluster is read and the plan made: the checks before the first
 * restart lint every broker's final config against them and would otherwise wait for it. Only a
 * read, shared by the hosts of the run (ReleaseConfigKeys); when it cannot tell, the checks ask again.
 */
function prefetchTargetKeys(inventory: Inventory, connections: Connections, to: string): void {
  const spec = inventory.brokers[0];
  const release = spec && targetInstallOf(spec, to, inventory.mode === 'kraft' ? kraftReleaseFamily : releaseFamily);
  if (!spec || !release) return;
  connections
    .host(spec.id)
    .then((host) => host.configKeys?.(release))
    .catch(() => undefined); // a host that cannot be reached is reported by the cluster read
}

/** What a planned upgrade or roll does with its plan: a KRaft or ZooKeeper preview for a dry run, else the run. */
async function previewOrRun(
  plan: Plan,
  inventory: Inventory,
  connections: Connections,
  request: RunOptions & { dryRun?: boolean | undefined; batch?: BatchSize | undefined },
  output: IoHost,
): Promise<UpgradeResult> {
  if (request.dryRun && inventory.mode === 'kraft')
    return withBatches(
      { dryRun: true, plan, findings: await kraftPreflight(inventory, plan, await connections.kraft()) },
      request.batch,
      true,
    );
  if (request.dryRun) return await dryRunOf(plan, inventory, connections, request);
  return { dryRun: false, ...(await runPlan(plan, inventory, connections, request, output)) };
}

/**
 * A dry run on a reachable cluster makes every check the real run makes before its first
 * restart (hosts reachable, the final config linted, target installs present, the stop signal
 * honoured), so it fails, with the same code, where the real run would.
 */
async function dryRunOf(plan: Plan, inventory: Inventory, connections: Connections, request: RunOptions): Promise<UpgradeResult> {
  await checkBeforeFirstRestart(plan, {
    inventory,
    host: (id) => connections.host(id),
    options: request.stopSignal ? { stopSignal: request.stopSignal } : {},
  });
  if (request.electPreferredLeaders === true && !(await connections.cluster()).electPreferredLeaders) throw electionUnsupported();
  const batches = inventory.mode === 'kraft' ? undefined : await previewBatches(plan, connections, request.batch ?? 1);
  return { dryRun: true, plan, ...(batches ? { batches } : {}) };
}

/**
 * A `--set` key the target release does not know is refused: Kafka would log a warning and
 * ignore it, and every broker would be restarted for nothing (`num.io.thread`). The keys are
 * read from the release's own binaries on the first broker; when the host cannot tell, nothing
 * is refused here (the preflight lint still runs).
 */
async function assertKnownKeys(keys: string[], plan: Plan, inventory: Inventory, connections: Connections): Promise<void> {
  const step = plan.phases.flatMap((p) => p.steps).find((s) => !s.skipped);
  const spec = step && inventory.brokers.find((b) => b.id === step.broker);
  if (!spec || keys.length === 0) return;
  const host = await connections.host(spec.id);
  const release = linkedRelease(spec.installs, await host.facts());
  const known = release && host.configKeys ? await host.configKeys(release) : undefined;
  if (!known) return;
  for (const key of keys) {
    if (known.has(key) || OPEN_KEY_PREFIXES.some((p) => key.startsWith(p))) continue;
    const near = nearestKey(key, known, 3);
    throw new UserError(`${key} is not a broker config of Kafka ${release}${near ? `: did you mean ${near}?` : '.'}`, {
      code: 'UNKNOWN_CONFIG_KEY',
      action: `${near ? `Write --set ${near}=... ` : 'Check the key against the broker configs of this release, '}or pass --allow-unknown-key if a plugin (authorizer, metric reporter) reads it. Nothing was touched.`,
    });
  }
}

export interface ResumeRequest extends RunOptions {
  inventory?: string;
  /** Show the plan, the broker the resume starts with and the checks before its first restart; touch nothing. */
  dryRun?: boolean;
}

/**
 * The step a resume really starts with: the engine's own order (a broker not registered first, the
 * controller last: nextStepIndex), skipping the steps its host already has (config, install and a
 * process started after both), which the engine finds done and does not restart. One broker at a
 * time; a --batch resume starts with the batch this step belongs to.
 */
async function firstPendingStep(
  plan: Plan,
  inventory: Inventory,
  connections: Connections,
): Promise<{ phase: string; broker: number } | null> {
  const phases = plan.phases.filter((p) => !p.skipped && p.kind === 'roll');
  const snapshot = phases.length > 0 ? await (await connections.cluster()).snapshot() : undefined;
  for (const phase of phases) {
    const pending = phase.steps.filter((s) => !s.skipped);
    while (pending.length > 0 && snapshot) {
      const [step] = pending.splice(nextStepIndex(pending, snapshot), 1) as [(typeof pending)[number]];
      const spec = inventory.brokers.find((b) => b.id === step.broker);
      if (!spec) return { phase: phase.id, broker: step.broker };
      const host = await connections.host(step.broker);
      const [facts, configText] = await Promise.all([host.facts(), host.readConfig()]);
      const on = stepOnHost(step, spec, facts, configText);
      if (!(on.configDone && on.installDone && on.runsCurrent)) return { phase: phase.id, broker: step.broker };
    }
  }
  return null;
}

export async function resume(request: ResumeRequest, output: IoHost): Promise<UpgradeResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const journal = new FileJournal(request.stateDir, inventory.cluster);
  const last = journal.entries().at(-1);
  if (!existsSync(journal.planFile) || !last) {
    throw new UserError(`There is no run of cluster ${inventory.cluster} to resume under ${request.stateDir}.`, {
      code: 'NOTHING_TO_RESUME',
      action: 'Start one with `kafka-ops upgrade` or `kafka-ops roll`, or pass the --state-dir it used.',
    });
  }
  if (last.event === 'run.done' || last.event === 'run.aborted') {
    throw new UserError(
      `The last run of cluster ${inventory.cluster} ${last.event === 'run.done' ? 'completed' : 'was aborted'}; there is nothing to resume.`,
      {
        code: 'NOTHING_TO_RESUME',
        action: 'Check the cluster with `kafka-ops upgrade --dry-run`.',
      },
    );
  }
  const connections = openConnections(inventory);
  try {
    // A plan.yaml edited since its run wrote it, or one of another cluster, is refused before anything is read or touched.
    const plan = subsetOf(await bindToCluster(loadPlanFile(journal.planFile, inventory), inventory, connections, output), request);
    const at = await firstPendingStep(resolvePlanSecrets(plan), inventory, connections);
    const where = at ? `starts with broker ${at.broker} (phase ${at.phase})` : 'every step is already done on its host';
    if (request.dryRun) {
      const preview =
        inventory.mode === 'kraft'
          ? withBatches({ dryRun: true, plan }, request.batch, true)
          : await dryRunOf(plan, inventory, connections, request);
      return { ...preview, resumesAt: at };
    }
    output.info(
      `Resuming the ${plan.kind} of ${plan.cluster} (${plan.from} → ${plan.to}): ${where}; every step is re-checked on its host first.`,
    );
    return { dryRun: false, ...(await runPlan(plan, inventory, connections, request, output, 'resume', lastRunId(journal))) };
  } finally {
    await connections.close();
  }
}

/** The id of the run the journal's last `run.start` belongs to (journals before run ids have none). */
function lastRunId(journal: FileJournal): string | undefined {
  const start = journal
    .entries()
    .filter((e) => e.event === 'run.start')
    .at(-1);
  const id = start?.detail?.run;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

export interface RollServiceRequest extends RunOptions {
  inventory?: string;
  set: string[];
  unset: string[];
  canary: boolean;
  dryRun: boolean;
  /** Let keys through that the release does not know (plugins' own keys). */
  allowUnknownKey?: boolean;
  /** Let a per-broker key (broker.id, listeners, log.dirs...) get one value on several brokers. */
  allowSameValue?: boolean;
}

export async function roll(request: RollServiceRequest, output: IoHost): Promise<UpgradeResult> {
  const set = parseAssignments(request.set);
  assertNoLiteralSecrets(set);
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const connections = openConnections(inventory);
  try {
    const { observed, configs } = await observeCluster(inventory, connections);
    const plan = subsetOf(
      buildRollPlan(
        inventory,
        observed,
        { set, unset: request.unset, canary: request.canary, allowSameValue: request.allowSameValue ?? false },
        configs,
        (key, value) => resolveReference(key, value),
      ),
      request,
    );
    if (!request.allowUnknownKey) await assertKnownKeys(Object.keys(set), plan, inventory, connections);
    return await previewOrRun(plan, inventory, connections, request, output);
  } finally {
    await connections.close();
  }
}
