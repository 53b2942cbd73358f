/**
 * The rolling engine: applies a plan one broker at a time through the ports
 * (ClusterState, BrokerHost). It never prints: it emits events and asks questions
 * through EngineIO, and records every sub-step in the journal.
 *
 * Per broker: re-derive from the host whether the step is already done (config values,
 * install link, a process younger than both, caught up); if not: check, edit + lint the
 * config, wait for the pre-stop gates, stop gracefully, swap the install, start, and wait
 * until registered and caught up for N checks in a row.
 */
import type { ClusterSnapshot, ClusterState } from '../cluster/port.js';
import { lintConfig } from '../config/lint.js';
import { editProperties, parseProperties, type PropertyEdits } from '../config/properties.js';
import { HaltError, InterruptedError, KafkaOpsError } from '../errors.js';
import { linkedRelease, type BrokerHost, type HostFacts } from '../hosts/port.js';
import type { BrokerSpec, StopSignal } from '../inventory/model.js';
import type { Plan, PlanPhase, PlanStep } from '../plan/model.js';
import { eachOf, settleEach } from './concurrently.js';
import { batchesFromPlacement, batchStopFindings, describeBatches } from './batches.js';
import { beforeStopFindings, caughtUpFindings, type GateFinding } from './gates.js';
import { Elections } from './elect.js';
import { hooksRefused, hooksUnsupported, hookUnfinished, runHook, runPostRoll } from './hooks.js';
import { brokerPreflight, editsOf, finalConfig, releaseAfter, restartingSteps, staleValue, type StaleValue } from './preflight.js';
import { autoRebalanceOf, DEFAULT_LEADERSHIP_SETTLE, LeadershipTracker, type AutoRebalance } from './leadership.js';
import { leadershipRulesFor, lowestProtocol, type LeadershipRules } from '../plan/leadership-rules.js';
import { IBP_KEY, releaseFamily } from '../plan/versions.js';
import type { EngineClock, EngineDeps, EngineOptions, Journal, RunReport, StepReport } from './ports.js';

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  killOnStopTimeout: false,
  clientsUpgraded: false,
  healthyCheckIntervalMs: 150,
  maxPollMs: 1000,
  leadershipSettle: DEFAULT_LEADERSHIP_SETTLE,
};

export async function applyPlan(plan: Plan, given: EngineDeps): Promise<RunReport> {
  const leadership = new LeadershipTracker(given.options.leadershipSettle);
  const deps: StepDeps = {
    ...given,
    cluster: observedBy(given.cluster, leadership, given.clock),
    leadership,
    checkFrom: plan.observed === 'hosts',
  };
  const steps: StepReport[] = [];
  const warnings: string[] = [];
  const warn = (message: string, phase?: string, broker?: number) => {
    warnings.push(message);
    deps.io.event({ code: 'warning', phase, broker, message });
  };
  const runId = given.run?.id;
  const digest = given.run?.planDigest ?? null;
  const binding = { run: runId ?? null, plan: digest };
  // Read before this run writes: a confirmation belongs to one run of one plan, never to the journal at large.
  const confirmed = new Set(
    runId === undefined
      ? []
      : deps.journal
          .entries()
          .filter((e) => e.event === 'gate.confirmed' && e.detail?.run === runId && e.detail?.plan === digest)
          .map((e) => e.phase),
  );
  deps.journal.append({ event: 'run.start', detail: { kind: plan.kind, from: plan.from, to: plan.to, ...binding } });
  // Decided (and refused when the reader cannot ask) before anything is restarted.
  const elections = await Elections.start(plan, deps, warn);
  await preflight(plan, deps);
  let askedFirstRestart = false;
  for (const phase of plan.phases) {
    if (phase.skipped) {
      deps.io.event({ code: 'phase.skip', phase: phase.id, message: phase.reason ?? 'nothing to do' });
      continue;
    }
    if (phase.kind === 'gate') {
      if (!confirmed.has(phase.id) && !deps.options.clientsUpgraded) {
        // Journaled before asking: a run stopped at the question (no answer possible, or Ctrl-C) says it stopped at this gate.
        deps.journal.append({ event: 'gate.asked', phase: phase.id });
        await confirmOrHalt(deps, phase, phase.prompt ?? phase.title, false);
      }
      deps.journal.append({
        event: 'gate.confirmed',
        phase: phase.id,
        detail: { ...binding, by: confirmed.has(phase.id) ? 'earlier-answer' : deps.options.clientsUpgraded ? 'flag' : 'answer' },
      });
      continue;
    }
    deps.io.event({ code: 'phase.start', phase: phase.id, message: phase.title });
    deps.journal.append({ event: 'phase.start', phase: phase.id });
    if (phase.gates.includes('leadership-settled')) await decideLeadershipRules(deps, phase);
    const pending = phase.steps.filter((s) => !s.skipped);
    for (const s of phase.steps.filter((s) => s.skipped)) {
      steps.push({ phase: phase.id, broker: s.broker, outcome: 'skipped' });
      deps.io.event({ code: 'step.skip', phase: phase.id, broker: s.broker, message: s.reason ?? 'nothing to change' });
    }
    let restartedInPhase = 0;
    while (pending.length > 0) {
      // The controller can move at any time: re-read it before every broker, keep it last.
      // A broker that is not registered (left stopped by a crashed or killed run) goes first:
      // until it is back, every other broker's pre-stop gate sees under-replicated partitions.
      const snapshot = await deps.cluster.snapshot();
      const { brokers: registered } = snapshot;
      const down = pending.findIndex((s) => !registered.includes(s.broker));
      const canaryFirst = phase.strategy === 'serial-canary' && restartedInPhase === 0;
      // KRaft's quorum gate judges one node at a time: batches are for ZooKeeper-mode brokers.
      if ((deps.options.batch ?? 1) !== 1 && !deps.preStopGate && down < 0 && !canaryFirst && pending.length > 1) {
        const batch = await nextBatch(deps, phase, pending, snapshot);
        if (batch.members.length > 1) {
          if (!askedFirstRestart) {
            askedFirstRestart = true;
            const names = batch.members.map((m) => m.broker).join(',');
            await confirmOrHalt(
              deps,
              phase,
              `Start the rolling restart of cluster ${plan.cluster} (phase ${phase.id}, brokers ${names} first)?`,
              true,
            );
          }
          for (const m of batch.members) pending.splice(pending.indexOf(m), 1);
          try {
            const reports = await runBatch(phase, batch, deps, warn, pending);
            for (const report of reports) {
              steps.push(report);
              if (report.outcome === 'restarted') restartedInPhase++;
            }
            await elections.after(
              phase.id,
              reports.filter((r) => r.outcome === 'restarted').map((r) => r.broker),
            );
            await pauseBetween(deps, phase, pending.length);
          } catch (error) {
            if (!(error instanceof BrokerDownFirst)) throw error;
            deps.io.event({ code: 'gate.wait', phase: phase.id, message: `broker ${error.brokerId} is down: it goes first` });
            pending.push(...batch.members);
          }
          continue;
        }
      }
      const index = nextStepIndex(pending, snapshot);
      const [step] = pending.splice(index, 1) as [PlanStep];
      if (!askedFirstRestart) {
        askedFirstRestart = true;
        await confirmOrHalt(
          deps,
          phase,
          `Start the rolling restart of cluster ${plan.cluster} (phase ${phase.id}, broker ${step.broker} first)?`,
          true,
        );
      }
      let report: StepReport;
      try {
        report = await runStep(phase, step, deps, warn, (s) => pending.find((p) => !s.brokers.includes(p.broker))?.broker);
      } catch (error) {
        if (!(error instanceof BrokerDownFirst)) throw error;
        // Nothing was changed on this broker yet: take the one that went down first, this one later.
        deps.io.event({
          code: 'gate.wait',
          phase: phase.id,
          broker: step.broker,
          message: `broker ${error.brokerId} is down: it goes first, broker ${step.broker} after it`,
        });
        pending.push(step);
        continue;
      }
      steps.push(report);
      if (report.outcome === 'restarted') restartedInPhase++;
      if (report.outcome === 'restarted') {
        await elections.after(phase.id, [step.broker]);
        await pauseBetween(deps, phase, pending.length);
      }
      if (phase.strategy === 'serial-canary' && restartedInPhase === 1 && report.outcome === 'restarted' && pending.length > 0) {
        await confirmOrHalt(
          deps,
          phase,
          `Canary: broker ${step.broker} is back and caught up. Continue with the other ${pending.length} broker(s) of ${phase.id}?`,
          true,
        );
      }
    }
    deps.journal.append({ event: 'phase.done', phase: phase.id });
    deps.io.event({ code: 'phase.done', phase: phase.id, message: phase.title });
  }
  const leaderElection = elections.on ? await elections.report() : undefined;
  const lastPhase = plan.phases.filter((p) => p.kind !== 'gate' && !p.skipped).at(-1);
  if (lastPhase) await runPostRoll(deps, lastPhase.id, [...new Set(plan.phases.flatMap((p) => p.steps.map((s) => s.broker)))]);
  deps.journal.append({ event: 'run.done' });
  return { status: 'completed', steps, warnings, ...(leaderElection ? { leaderElection } : {}) };
}

/**
 * Which rules of the leadership-settled gate this phase needs (leadershipRulesFor), from the
 * inter.broker.protocol.version every broker of the cluster runs now: its config's value, or
 * its release's own when unset. A broker whose config changed after its process started may
 * run another value than its config says: then it is not known, and every rule holds. The
 * phase's own restarts only raise the IBP, so the value at its start holds for all of it.
 */
async function decideLeadershipRules(deps: StepDeps, phase: PlanPhase): Promise<void> {
  const running = await eachOf(deps.inventory.brokers, async (spec) => {
    const host = await deps.host(spec.id);
    const [facts, configText] = await Promise.all([host.facts(), host.readConfig()]);
    const configured = parseProperties(configText)[IBP_KEY];
    const started = facts.process?.startedAtMs;
    if (facts.process && (started === undefined || (facts.configModifiedAtMs ?? 0) > started)) return undefined;
    if (configured !== undefined) return configured;
    const release = linkedRelease(spec.installs, facts);
    return release === undefined ? undefined : releaseFamily(release);
  });
  const rules: LeadershipRules = leadershipRulesFor(lowestProtocol(running));
  deps.leadership.useRules(rules);
  deps.journal.append({
    event: 'leadership.rules',
    phase: phase.id,
    detail: { settleAfterMoves: rules.settleAfterMoves, interBrokerProtocol: rules.interBrokerProtocol ?? null, reason: rules.reason },
  });
  deps.io.event({
    code: 'gate.wait',
    phase: phase.id,
    message: `leadership-settled: ${rules.settleAfterMoves ? 'every rule holds' : 'time rules off'}: ${rules.reason}`,
  });
}

/** --pause-between, after a broker or batch is caught up, when another one follows. */
async function pauseBetween(deps: EngineDeps, phase: PlanPhase, remaining: number): Promise<void> {
  const ms = deps.options.pauseBetweenMs ?? 0;
  if (ms <= 0 || remaining === 0) return;
  deps.io.event({
    code: 'gate.wait',
    phase: phase.id,
    message: `pausing ${(ms / 1000).toFixed(1)} s before the next broker (--pause-between)`,
  });
  deps.journal.append({ event: 'pause', phase: phase.id, detail: { ms } });
  await deps.clock.sleep(ms);
}

interface ChosenBatch {
  members: PlanStep[];
  brokerMinIsr: number;
  autoRebalance: AutoRebalance;
}

/**
 * The next batch, chosen from the live replica placement now (not at plan time): every pending
 * broker's server.properties gives its min.insync.replicas default (the highest counts) and broker.rack (a hint).
 */
async function nextBatch(deps: StepDeps, phase: PlanPhase, pending: PlanStep[], snapshot: ClusterSnapshot): Promise<ChosenBatch> {
  const configs = await Promise.all(pending.map(async (s) => parseProperties(await (await deps.host(s.broker)).readConfig())));
  const choice = batchesFromPlacement(
    snapshot,
    pending.map((s) => s.broker),
    configs,
    deps.options.batch ?? 1,
  );
  const first = choice.batches[0]?.brokers ?? [];
  const members = pending.filter((s) => first.includes(s.broker));
  deps.journal.append({
    event: 'batch.chosen',
    phase: phase.id,
    detail: {
      batches: choice.batches.map((b) => b.brokers),
      apart: choice.apart,
      ...(choice.degraded ? { degraded: choice.degraded } : {}),
    },
  });
  if (choice.degraded) deps.io.event({ code: 'warning', phase: phase.id, message: choice.degraded });
  else
    deps.io.event({
      code: 'gate.wait',
      phase: phase.id,
      message: `batches: ${describeBatches(choice)}`,
    });
  return { members, brokerMinIsr: choice.brokerMinIsr, autoRebalance: autoRebalanceOf(configs[0] ?? {}) };
}

/**
 * Restarts a batch: each member runs its step at once; their stops wait for one pre-stop gate over
 * the whole set (batchStopFindings plus leadership settled for each member), re-checked on the live
 * cluster right before they stop. Every member ends (done or halted) before the first error is raised.
 */
async function runBatch(
  phase: PlanPhase,
  batch: ChosenBatch,
  deps: StepDeps,
  warn: (m: string, p?: string, b?: number) => void,
  rest: PlanStep[],
): Promise<StepReport[]> {
  const set = new Set(batch.members.map((m) => m.broker));
  const names = [...set].sort((a, b) => a - b).join(',');
  deps.journal.append({ event: 'batch.start', phase: phase.id, detail: { brokers: [...set] } });
  deps.io.event({
    code: 'gate.wait',
    phase: phase.id,
    message: `batch of brokers ${names}: stopping them together keeps every partition at or above min.insync.replicas`,
  });
  const findings = (s: ClusterSnapshot): GateFinding[] => {
    const down = rest.find((p) => !s.brokers.includes(p.broker));
    if (down) throw new BrokerDownFirst(down.broker);
    const now = deps.clock.now();
    const held = [...set].flatMap((b) => {
      const hold = s.brokers.includes(b) ? deps.leadership.hold(s, now, batch.autoRebalance, b) : undefined;
      return hold
        ? [
            {
              gate: 'leadership-settled' as const,
              blocking: true,
              message: `Leadership is not settled: ${hold.message}`,
              partitions: [],
              ...(hold.untilMs !== undefined ? { recheckAtMs: hold.untilMs } : {}),
            },
          ]
        : [];
    });
    return [
      ...batchStopFindings(s, set, batch.brokerMinIsr).map((f) => ({ ...f, gate: 'min-isr-holds-without-broker' as const })),
      ...held,
    ];
  };
  let gate: Promise<void> | undefined;
  const together = () =>
    (gate ??= waitForGate(
      deps,
      phase,
      Math.min(...set),
      phase.timeouts.startSeconds * 1000,
      `safe to stop together with brokers ${names}`,
      findings,
    ).then(() => undefined));
  const settled = await Promise.allSettled(batch.members.map((m) => runStep(phase, m, deps, warn, () => undefined, together)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  deps.journal.append({ event: 'batch.done', phase: phase.id, detail: { brokers: [...set] } });
  return settled.map((r) => (r as PromiseFulfilledResult<StepReport>).value);
}

/**
 * Which of a phase's pending steps goes next: a broker that is not registered (left stopped by a
 * crashed or killed run) first, since until it is back every other broker's pre-stop gate sees
 * under-replicated partitions; else the first that is not the controller: the controller goes last.
 * `resume --dry-run` names the broker a resume starts with by this same rule.
 */
export function nextStepIndex(pending: readonly PlanStep[], snapshot: Pick<ClusterSnapshot, 'controller' | 'brokers'>): number {
  const down = pending.findIndex((s) => !snapshot.brokers.includes(s.broker));
  if (down >= 0) return down;
  return Math.max(
    0,
    pending.findIndex((s) => s.broker !== snapshot.controller),
  );
}

async function confirmOrHalt(deps: EngineDeps, phase: PlanPhase, question: string, defaultAnswer: boolean): Promise<void> {
  const yes = await deps.io.confirm(question, defaultAnswer);
  if (!yes) {
    deps.journal.append({ event: 'halt', phase: phase.id, detail: { reason: 'declined', question } });
    throw new HaltError(`Stopped at your answer to: ${question}`, {
      code: 'DECLINED',
      action: 'Run `kafka-ops resume --inventory <file>` when ready; brokers already done are not restarted.',
    });
  }
}

/** The engine's deps inside a run: every snapshot read also feeds the leadership tracker. */
interface StepDeps extends EngineDeps {
  leadership: LeadershipTracker;
  /** The plan was read from the hosts: each step's `from` is what its host must still have (an assumed plan's is a guess). */
  checkFrom?: boolean;
}

function observedBy(cluster: ClusterState, tracker: LeadershipTracker, clock: EngineClock): ClusterState {
  return {
    snapshot: async () => {
      const snapshot = await cluster.snapshot();
      tracker.observe(snapshot, clock.now());
      return snapshot;
    },
    changed: (timeoutMs) => cluster.changed(timeoutMs),
    ...(cluster.brokerVersions ? { brokerVersions: () => cluster.brokerVersions!() } : {}),
    ...(cluster.answersAsRegistered ? { answersAsRegistered: (id: number) => cluster.answersAsRegistered!(id) } : {}),
    ...(cluster.electPreferredLeaders ? { electPreferredLeaders: (p) => cluster.electPreferredLeaders!(p) } : {}),
    close: () => cluster.close(),
  };
}

/**
 * Reads the cluster on every watch event while `work` (a stop) runs, so the leader moves it
 * causes are timed when they happen, not when the stop returns (the quiet period after them is
 * then mostly over by the time the broker is back), and are known as this stop's own.
 */
async function watchingLeadership<T>(deps: StepDeps, work: Promise<T>): Promise<T> {
  let finished = false;
  const ended = work.then(
    () => undefined,
    () => undefined,
  );
  // A failed read here is the gates' business, at their next read.
  const read = () => deps.cluster.snapshot().catch(() => undefined);
  deps.leadership.duringOwnStop(true);
  const watching = (async () => {
    while (!finished) {
      await Promise.race([deps.cluster.changed(deps.options.maxPollMs), ended]);
      if (!finished) await read();
    }
  })();
  try {
    return await work;
  } finally {
    finished = true;
    await watching;
    // What the stop moved and no watch reported yet is the stop's too.
    await read();
    deps.leadership.duringOwnStop(false);
  }
}

function specOf(deps: Pick<EngineDeps, 'inventory'>, id: number): BrokerSpec {
  const spec = deps.inventory.brokers.find((b) => b.id === id);
  if (!spec)
    throw new HaltError(`The plan names broker ${id}, which is not in the inventory.`, {
      code: 'PLAN_INVENTORY_MISMATCH',
      action: 'Regenerate the plan for this inventory.',
    });
  return spec;
}

function configSatisfies(config: Record<string, string>, edits: PropertyEdits): boolean {
  return Object.entries(edits).every(([k, v]) => (v === null ? config[k] === undefined : config[k] === v));
}

/** What the checks before the first restart need: the inventory, the hosts, the stop signal override. */
export type PreflightDeps = Pick<EngineDeps, 'inventory' | 'host'> & { options: Pick<EngineOptions, 'stopSignal'> };

/**
 * Checks every broker the run will restart before the first restart (see preflight.ts);
 * the first problem halts the run before anything is touched. A dry run makes the same
 * checks (and so ends with the code the real run would), which is why this is exported.
 * Returns the brokers checked.
 */
export async function checkBeforeFirstRestart(plan: Plan, deps: PreflightDeps): Promise<number[]> {
  const brokers = [
    ...new Set(
      plan.phases.filter((p) => !p.skipped && p.kind === 'roll').flatMap((p) => p.steps.filter((s) => !s.skipped).map((s) => s.broker)),
    ),
  ].sort((a, b) => a - b);
  // Read every host at once (reading a release's config keys starts a JVM there), then judge
  // the brokers in order, so the first problem reported is always the same one.
  const reads = await settleEach(brokers, (id) => preflightRead(plan, deps, id));
  brokers.forEach((id, i) => {
    const read = reads[i] as PromiseSettledResult<PreflightRead>;
    if (read.status === 'rejected') throw read.reason;
    const { spec, facts, configText, knownKeys } = read.value;
    const signal = deps.options.stopSignal ?? spec.stop.signal;
    const stale = plan.observed === 'hosts' ? staleValue(restartingSteps(plan, id), configText) : undefined;
    if (stale) throw staleHalt(spec, stale, 'No broker was restarted.');
    const [problem] = brokerPreflight(spec, facts, configText, restartingSteps(plan, id), signal, knownKeys);
    if (problem?.gate === 'stop-signal-honoured') throw signalIgnored(spec, facts, signal);
    if (problem?.gate === 'target-install-present') {
      throw new HaltError(problem.message, {
        code: 'TARGET_INSTALL_MISSING',
        action: `Install Kafka ${problem.release} at ${problem.dir} on ${spec.host}, then run the upgrade again. No broker was restarted.`,
        brokerId: id,
      });
    }
    if (problem?.gate === 'config-lint') throw lintHalt(spec, problem.findings);
  });
  return brokers;
}

async function preflight(plan: Plan, deps: EngineDeps): Promise<void> {
  const brokers = await checkBeforeFirstRestart(plan, deps);
  deps.journal.append({ event: 'preflight.ok', detail: { brokers } });
}

interface PreflightRead {
  spec: BrokerSpec;
  facts: HostFacts;
  configText: string;
  knownKeys?: ReadonlySet<string>;
}

async function preflightRead(plan: Plan, deps: PreflightDeps, id: number): Promise<PreflightRead> {
  const spec = specOf(deps, id);
  const host = await deps.host(id);
  const [facts, configText] = await Promise.all([host.facts(), host.readConfig()]);
  if (hooksRefused(spec, host)) throw hooksUnsupported(spec);
  const { release } = finalConfig(spec, facts, configText, restartingSteps(plan, id));
  const knownKeys = release && host.configKeys ? await host.configKeys(release) : undefined;
  return { spec, facts, configText, ...(knownKeys ? { knownKeys } : {}) };
}

/** The host's config is not where the plan says it is: the plan is stale (or was edited), and applying it would undo someone's change. */
function staleHalt(spec: BrokerSpec, stale: StaleValue, touched: string): HaltError {
  const show = (v: string | null) => (v === null ? '(unset)' : v);
  return new HaltError(
    `Broker ${spec.id}: ${stale.key} is ${show(stale.found)} in ${spec.configPath} on ${spec.host}, but the plan expects ${stale.expected.map(show).join(' or ')} there: the host changed since the plan was made, or the plan was edited.`,
    {
      code: 'PLAN_STALE',
      action: `Make a new plan from the hosts as they are now (\`kafka-ops upgrade --dry-run\` or \`kafka-ops roll --dry-run\`), review it and apply that one. ${touched}`,
      brokerId: spec.id,
    },
  );
}

function signalIgnored(spec: BrokerSpec, facts: HostFacts, signal: StopSignal): HaltError {
  return new HaltError(
    `Broker ${spec.id} (pid ${facts.process?.pid} on ${spec.host}) ignores ${signal}: its process was started with ${signal} set to "ignored" (SigIgn in /proc/${facts.process?.pid}/status), typically by a non-interactive shell that ran it with "&". Sending ${signal} would do nothing.`,
    {
      code: 'SIGNAL_IGNORED',
      action: `Restart broker ${spec.id} once by hand so it honours ${signal} (under systemd, or with the inventory's run command through kafka-ops), or pass --stop-signal SIGTERM; then run the command again. Nothing was touched.`,
      brokerId: spec.id,
    },
  );
}

function lintHalt(spec: BrokerSpec, errors: ReturnType<typeof lintConfig>): HaltError {
  return new HaltError(`Broker ${spec.id}: the new server.properties fails lint: ${errors.map((e) => e.message).join(' ')}`, {
    code: 'CONFIG_LINT',
    action: `${errors.map((e) => e.fix).join(' ')} No broker was restarted for this.`,
    brokerId: spec.id,
  });
}

/**
 * Thrown from a pre-stop gate when another broker of the phase is found down (e.g. a killed
 * run's stop completing while `resume` starts): the under-replication it causes would
 * otherwise hold this gate until it times out.
 */
class BrokerDownFirst extends Error {
  constructor(readonly brokerId: number) {
    super(`broker ${brokerId} is down and goes first`);
  }
}

/**
 * What of a step its host already has: the config values, the install link, and a process
 * started after the last change of either. All three = the step is done there (it is not restarted).
 */
export function stepOnHost(
  step: PlanStep,
  spec: BrokerSpec,
  facts: HostFacts,
  configText: string,
): { configDone: boolean; installDone: boolean; runsCurrent: boolean } {
  const configDone = configSatisfies(parseProperties(configText), editsOf(step));
  const installDone = !step.install || linkedRelease(spec.installs, facts) === step.install.release;
  const youngest = Math.max(facts.configModifiedAtMs ?? 0, step.install ? (facts.linkModifiedAtMs ?? 0) : 0);
  const runsCurrent = facts.process !== undefined && (facts.process.startedAtMs ?? 0) >= youngest;
  return { configDone, installDone, runsCurrent };
}

/** `downFirst`: a broker of the phase, other than this one, that must go first because it is down. */
async function runStep(
  phase: PlanPhase,
  step: PlanStep,
  given: StepDeps,
  warn: (m: string, p?: string, b?: number) => void,
  downFirst: (s: ClusterSnapshot) => number | undefined,
  /** In a batch: the batch's pre-stop gate over the set, passed once for all its members. */
  together?: () => Promise<void>,
): Promise<StepReport> {
  const { clock, io } = given;
  // Once the broker is going down, a journal that cannot be written (a full or failing state dir)
  // must not keep it down: the failure is kept, the broker started and caught up, and then the run halts.
  let journalFailure: unknown;
  let broughtDown = false;
  const journal: Journal = {
    append: (entry) => {
      try {
        given.journal.append(entry);
      } catch (error) {
        if (!broughtDown) throw error;
        journalFailure ??= error;
      }
    },
    entries: () => given.journal.entries(),
  };
  const deps: StepDeps = { ...given, journal };
  const spec = specOf(deps, step.broker);
  const host = await deps.host(step.broker);
  const signal = deps.options.stopSignal ?? spec.stop.signal;
  const sub = (name: string, message: string, detail?: Record<string, unknown>) => {
    journal.append({ event: `step.${name}`, phase: phase.id, broker: step.broker, detail });
    io.event({ code: 'step.substep', phase: phase.id, broker: step.broker, message, substep: name });
  };
  const checkInterrupt = () => {
    if (deps.interrupted.aborted)
      throw new InterruptedError('Interrupted.', { code: 'INTERRUPTED', action: 'Run `kafka-ops resume --inventory <file>` to continue.' });
  };
  const started = clock.now();
  io.event({ code: 'step.start', phase: phase.id, broker: step.broker, message: `broker ${step.broker} (${spec.host})` });

  const [facts, configText] = await Promise.all([host.facts(), host.readConfig()]);
  const edits = editsOf(step);
  const { configDone, installDone, runsCurrent } = stepOnHost(step, spec, facts, configText);
  // Done = this broker is current, registered and in every ISR it belongs to; partitions
  // under-replicated because of ANOTHER broker are that broker's step, not a reason to restart this one.
  const ownFindings = async (s: ClusterSnapshot) =>
    (await backFindings(deps, s, step.broker)).filter((f) => f.gate !== 'no-under-replicated-partitions');
  if (configDone && installDone && runsCurrent) {
    // Running what the step would give it, but not caught up (yet): e.g. resumed right after
    // a halt while it rejoins. A restart would only set it back; wait for it, within its start timeout.
    if ((await ownFindings(await deps.cluster.snapshot())).length > 0) {
      io.event({
        code: 'gate.wait',
        phase: phase.id,
        broker: step.broker,
        message: 'runs the current config and install; waiting until it is back in every ISR',
      });
      await waitUntil(deps, host, phase, step, clock.now(), ownFindings);
    }
    // Its postStart hook failed or was cut short in this run: the broker is done, the hook is not.
    if (hookUnfinished(deps, phase.id, step.broker, 'postStart')) await runHook(deps, phase.id, spec, host, 'postStart');
    journal.append({ event: 'step.already-done', phase: phase.id, broker: step.broker });
    io.event({
      code: 'step.skip',
      phase: phase.id,
      broker: step.broker,
      message: 'already done on the host (config, install and running process all current)',
    });
    return { phase: phase.id, broker: step.broker, outcome: 'already-done' };
  }
  checkInterrupt();
  const stale = given.checkFrom && !configDone ? staleValue([step], configText) : undefined;
  if (stale) throw staleHalt(spec, stale, `Broker ${step.broker} was not touched.`);

  if (facts.process?.ignoredSignals.includes(signal)) throw signalIgnored(spec, facts, signal);
  const newText = configDone ? configText : editProperties(configText, edits);
  const release = releaseAfter(step, spec, facts);
  const lintErrors = release ? lintConfig(parseProperties(newText), release).filter((f) => f.severity === 'error') : [];
  if (lintErrors.length > 0) throw lintHalt(spec, lintErrors);

  const currentConfig = parseProperties(configText);
  const brokerMinIsr = Number(currentConfig['min.insync.replicas'] ?? '1') || 1;
  const autoRebalance = autoRebalanceOf(currentConfig);
  const preStopStart = clock.now();
  let heldMs = 0;
  let heldSince: number | undefined;
  await runHook(deps, phase.id, spec, host, 'preStop');
  checkInterrupt();
  if (facts.process) {
    const safeToStop = (s: ClusterSnapshot): GateFinding[] => {
      const down = downFirst(s);
      if (down !== undefined) throw new BrokerDownFirst(down);
      const findings = beforeStopFindings(s, step.broker, brokerMinIsr);
      const now = clock.now();
      // A broker no longer registered takes no leadership with it: nothing to wait for.
      const hold = s.brokers.includes(step.broker) ? deps.leadership.hold(s, now, autoRebalance, step.broker) : undefined;
      if (hold) heldSince ??= now;
      else if (heldSince !== undefined) {
        heldMs += now - heldSince;
        heldSince = undefined;
      }
      if (!hold) return findings;
      return [
        ...findings,
        {
          gate: 'leadership-settled',
          blocking: true,
          message: `Leadership is not settled: ${hold.message}`,
          partitions: [],
          ...(hold.untilMs !== undefined ? { recheckAtMs: hold.untilMs } : {}),
        },
      ];
    };
    if (together) await together();
    else
      for (const f of await waitForGate(deps, phase, step.broker, phase.timeouts.startSeconds * 1000, 'safe to stop', safeToStop)) {
        warn(f.message, phase.id, step.broker);
      }
    await deps.preStopGate?.beforeStop(step.broker);
  }
  const preStopMs = clock.now() - preStopStart;
  checkInterrupt();

  let backup: string | undefined;
  if (!configDone) {
    backup = await host.writeConfig(newText, timestamp(clock.now()));
    sub('config', `server.properties updated (${Object.keys(edits).join(', ')}); backup ${backup}`, { backup, changes: step.changes });
  }

  let swapped = false;
  const swap = async () => {
    if (!step.install || installDone || swapped) return;
    await host.activateRelease(step.install.release);
    swapped = true;
    sub('swap', `${step.install.link} → ${step.install.to}`, { release: step.install.release });
  };
  if (host.replacesOnStop) await swap();

  let stopMs = 0;
  let shutdown: StepReport['shutdown'];
  if (facts.process) sub('stop.begin', `sending ${signal} to pid ${facts.process.pid}`, { pid: facts.process.pid, signal });
  broughtDown = true;
  if (facts.process) {
    const result = await watchingLeadership(deps, host.stop(signal, phase.timeouts.stopSeconds * 1000, facts.process.pid));
    stopMs = result.exitMs ?? result.elapsedMs;
    if (!result.exited) {
      if (!deps.options.killOnStopTimeout) {
        journal.append({ event: 'halt', phase: phase.id, broker: step.broker, detail: { reason: 'stop-timeout' } });
        throw new HaltError(
          `Broker ${step.broker} did not exit within ${phase.timeouts.stopSeconds} s of ${signal}; it is still running (with its old configuration).`,
          {
            code: 'STOP_TIMEOUT',
            action:
              'Find out why its shutdown hangs (is ZooKeeper reachable? see its log), then `kafka-ops resume`; or resume with --kill-on-stop-timeout to SIGKILL it (log recovery follows).',
            brokerId: step.broker,
          },
        );
      }
      warn(
        `Broker ${step.broker} did not exit within ${phase.timeouts.stopSeconds} s; sending SIGKILL as --kill-on-stop-timeout allows.`,
        phase.id,
        step.broker,
      );
      await host.kill();
    }
    shutdown = result.exited ? result.shutdown : 'unclean';
    sub('stop.done', `stopped in ${(stopMs / 1000).toFixed(1)} s (${shutdown} shutdown)`, {
      shutdown,
      evidence: result.evidence,
      elapsedMs: stopMs,
    });
    if (shutdown === 'unclean')
      warn(
        `Broker ${step.broker} shut down uncleanly: ${result.evidence.join(' | ') || 'see its log'}. Log recovery on start may take long.`,
        phase.id,
        step.broker,
      );
  }
  deps.preStopGate?.afterStop?.(step.broker);

  try {
    await swap();
  } catch (error) {
    await startForSafety(host, sub);
    throw error;
  }
  if (deps.interrupted.aborted) {
    await startForSafety(host, sub);
    checkInterrupt();
  }

  const startAt = clock.now();
  await host.start();
  sub('start', 'started');
  const registeredAt = await waitUntil(deps, host, phase, step, startAt, async (s) =>
    (await backFindings(deps, s, step.broker)).filter((f) => f.gate === 'registered'),
  );
  const startMs = registeredAt - startAt;
  sub('registered', `registered after ${(startMs / 1000).toFixed(1)} s`);
  const caughtUpAt = await waitUntil(deps, host, phase, step, startAt, (s) => backFindings(deps, s, step.broker));
  const catchUpMs = caughtUpAt - registeredAt;
  await holdHealthy(deps, host, phase, step, startAt);
  if (journalFailure !== undefined) throw journalFailedWhileDown(step.broker, journalFailure);
  await runHook(deps, phase.id, spec, host, 'postStart');
  const totalMs = clock.now() - started;
  sub('done', `caught up after ${(catchUpMs / 1000).toFixed(1)} s`, { stopMs, startMs, catchUpMs, preStopMs, totalMs });
  io.event({
    code: 'step.done',
    phase: phase.id,
    broker: step.broker,
    message: `broker ${step.broker} done in ${(totalMs / 1000).toFixed(1)} s`,
  });
  return {
    phase: phase.id,
    broker: step.broker,
    outcome: 'restarted',
    ...(shutdown ? { shutdown } : {}),
    ...(backup ? { backup } : {}),
    stopMs,
    startMs,
    catchUpMs,
    addedMs: totalMs - stopMs - startMs - catchUpMs,
    heldMs,
    totalMs,
  };
}

function journalFailedWhileDown(brokerId: number, failure: unknown): HaltError {
  const what = failure instanceof KafkaOpsError ? failure.message : `The journal cannot be written (${String(failure)}).`;
  return new HaltError(`${what} Broker ${brokerId} was down then: it was started and is caught up; the run halts here.`, {
    code: 'JOURNAL_WRITE_FAILED',
    action:
      failure instanceof KafkaOpsError
        ? failure.action
        : 'Make the state dir writable and give it space, then `kafka-ops resume` (the hosts say what is done).',
    brokerId,
    cause: failure,
  });
}

async function startForSafety(host: BrokerHost, sub: (name: string, message: string) => void): Promise<void> {
  // Never leave a broker stopped when it can be started.
  if ((await host.facts()).process) return;
  await host.start();
  sub('safety-start', 'started again so it is not left stopped');
}

function timestamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Wait (on watches, bounded) until `findings` has no blocking entry; return the non-blocking ones. Halt on timeout. */
async function waitForGate(
  deps: EngineDeps,
  phase: PlanPhase,
  brokerId: number,
  timeoutMs: number,
  what: string,
  findings: (s: ClusterSnapshot) => GateFinding[],
): Promise<GateFinding[]> {
  const deadline = deps.clock.now() + timeoutMs;
  let announced: string | undefined;
  for (;;) {
    const current = findings(await deps.cluster.snapshot());
    const blocking = current.filter((f) => f.blocking);
    if (blocking.length === 0) return current;
    if (deps.interrupted.aborted)
      throw new InterruptedError('Interrupted.', { code: 'INTERRUPTED', action: 'Run `kafka-ops resume --inventory <file>` to continue.' });
    if (deps.clock.now() >= deadline) {
      deps.journal.append({
        event: 'halt',
        phase: phase.id,
        broker: brokerId,
        detail: { reason: 'gate-timeout', gate: blocking[0]?.gate },
      });
      throw new HaltError(
        `Broker ${brokerId} is not ${what} after ${Math.round(timeoutMs / 1000)} s: ${blocking.map((f) => `${f.message} ${f.partitions.slice(0, 5).join(', ')}`).join(' ')}`,
        {
          code: 'GATE_TIMEOUT',
          action:
            'Bring the cluster back to full replication (check the brokers named, their logs and disks), then `kafka-ops resume`. Nothing was restarted for this step.',
          brokerId,
        },
      );
    }
    // Said once per reason: a wait for replication may turn into a wait for leadership to settle.
    if (announced !== blocking[0]?.gate) {
      announced = blocking[0]?.gate;
      deps.io.event({ code: 'gate.wait', phase: phase.id, broker: brokerId, message: `waiting until ${what}: ${blocking[0]?.message}` });
    }
    // A hold with an end time is checked again right when it ends, if no watch fires first.
    const recheckAt = blocking.reduce((m, f) => Math.min(m, f.recheckAtMs ?? deadline), deadline);
    await deps.cluster.changed(Math.min(deps.options.maxPollMs, Math.max(1, recheckAt - deps.clock.now())));
  }
}

/** Wait after a start until `findings` is empty; the broker process dying or the start timeout halts. */
async function waitUntil(
  deps: EngineDeps,
  host: BrokerHost,
  phase: PlanPhase,
  step: PlanStep,
  startAt: number,
  findings: (s: ClusterSnapshot) => GateFinding[] | Promise<GateFinding[]>,
): Promise<number> {
  const deadline = startAt + phase.timeouts.startSeconds * 1000;
  let lastProcessCheck = 0;
  for (;;) {
    const blocking = await findings(await deps.cluster.snapshot());
    if (blocking.length === 0) return deps.clock.now();
    const now = deps.clock.now();
    if (now - lastProcessCheck >= 1000) {
      lastProcessCheck = now;
      // Recovering logs is waiting, not failing; a process that is gone is failing.
      if (!(await host.facts()).process) {
        deps.journal.append({ event: 'halt', phase: phase.id, broker: step.broker, detail: { reason: 'exited-after-start' } });
        throw new HaltError(`Broker ${step.broker} exited after it was started: it cannot start with its new configuration or install.`, {
          code: 'BROKER_EXITED',
          action: `Read its log (${specOf(deps, step.broker).logFile} and the run command's output) and fix the cause, then \`kafka-ops resume\`. No other broker was touched.`,
          brokerId: step.broker,
        });
      }
    }
    if (now >= deadline) {
      deps.journal.append({
        event: 'halt',
        phase: phase.id,
        broker: step.broker,
        detail: { reason: 'start-timeout', findings: blocking.map((f) => f.message) },
      });
      throw new HaltError(
        `Broker ${step.broker} is not back and caught up ${phase.timeouts.startSeconds} s after its start: ${blocking.map((f) => f.message).join(' ')}`,
        {
          code: 'CATCH_UP_TIMEOUT',
          action:
            'Check the broker (log recovery, disk, network, replica fetchers), then `kafka-ops resume` once it has caught up or the cause is fixed. No other broker was touched.',
          brokerId: step.broker,
        },
      );
    }
    if (deps.interrupted.aborted)
      throw new InterruptedError('Interrupted while waiting for the broker to catch up; it is running.', {
        code: 'INTERRUPTED',
        action: 'Run `kafka-ops resume --inventory <file>` to continue.',
      });
    await deps.cluster.changed(Math.min(deps.options.maxPollMs, Math.max(1, deadline - now)));
  }
}

/**
 * What keeps a restarted broker from counting as back: the snapshot's findings, and, where the
 * snapshot is one broker's cached view (the admin API), the broker not yet listing itself as
 * live in its own answer. A stale answer from another broker cannot pass these gates.
 */
async function backFindings(deps: EngineDeps, snapshot: ClusterSnapshot, brokerId: number): Promise<GateFinding[]> {
  const findings = caughtUpFindings(snapshot, brokerId);
  if (findings.some((f) => f.gate === 'registered') || !deps.cluster.answersAsRegistered) return findings;
  if (await deps.cluster.answersAsRegistered(brokerId)) return findings;
  const own = `Broker ${brokerId} does not list itself as live in its own Metadata answer yet (other brokers' answers may be stale).`;
  return [{ gate: 'registered', blocking: true, message: own, partitions: [] }, ...findings];
}

/** N healthy checks in a row (hysteresis): a relapse restarts the count. */
async function holdHealthy(deps: EngineDeps, host: BrokerHost, phase: PlanPhase, step: PlanStep, startAt: number): Promise<void> {
  let inRow = 1; // the check that ended waitUntil
  while (inRow < phase.consecutiveHealthyChecks) {
    await deps.clock.sleep(deps.options.healthyCheckIntervalMs);
    if ((await backFindings(deps, await deps.cluster.snapshot(), step.broker)).length === 0) {
      inRow++;
    } else {
      await waitUntil(deps, host, phase, step, startAt, (s) => backFindings(deps, s, step.broker));
      inRow = 1;
    }
  }
}
