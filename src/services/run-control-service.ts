/**
 * What an operator reaches for mid-upgrade, one function per command: `status` (where the last
 * run stands and who holds the cluster), `abort` (discard an unfinished run; brokers stay as
 * they are) and `unlock` (break a lock whose holder is provably gone, or, with force, one whose
 * holder cannot be judged from here). Each reads the state dir and the cluster's ZooKeeper lock.
 */
import { breakZooKeeperLock, readZooKeeperLock, ZOOKEEPER_LOCK_PATH, acquireZooKeeperLock } from '../cluster/zookeeper-lock.js';
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import { loadInventory } from '../inventory/load.js';
import type { IoHost, PromptPolicy } from '../io-host.js';
import type { AbortResult, LockView, RunState, RunView, StatusResult, UnlockResult } from '../results.js';
import { lastRun } from '../store/run-view.js';
import { FileJournal } from '../store/journal.js';
import { describeHolder, livenessOf, thisProcess } from '../store/lock-holder.js';
import { requireFlag } from './plan-service.js';

export interface RunControlRequest {
  inventory?: string;
  stateDir: string;
}

/** How long `status` waits for the cluster's ZooKeeper: it must answer even when ZooKeeper does not. */
const STATUS_ZOOKEEPER_TIMEOUT_MS = 5_000;

function localLock(journal: FileJournal): LockView | undefined {
  const holder = journal.lockHolder();
  return holder && { where: journal.lockPath, holder, liveness: livenessOf(holder) };
}

async function zookeeperLock(inventory: Inventory, timeoutMs?: number): Promise<LockView | undefined> {
  const connect = inventory.state.zookeeper;
  if (!connect) return undefined;
  const holder = await readZooKeeperLock(connect, timeoutMs);
  return holder && { where: `${connect} ${ZOOKEEPER_LOCK_PATH}`, holder, liveness: livenessOf(holder) };
}

function stateOf(run: ReturnType<typeof lastRun>, held: boolean): RunState {
  if (held) return 'running';
  if (!run) return 'none';
  if (run.ended) return run.ended;
  const kind = run.stopped?.detail?.kind;
  if (kind === 'interrupted') return 'interrupted';
  if (run.stopped) return 'halted';
  return 'crashed';
}

export async function status(request: RunControlRequest): Promise<StatusResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const journal = new FileJournal(request.stateDir, inventory.cluster);
  const local = localLock(journal);
  let zookeeper: LockView | undefined;
  let zookeeperError: string | undefined;
  try {
    zookeeper = await zookeeperLock(inventory, STATUS_ZOOKEEPER_TIMEOUT_MS);
  } catch (error) {
    zookeeperError = error instanceof Error ? error.message : String(error);
  }
  const run = lastRun(journal.entries());
  const live = [local, zookeeper].find((l) => l !== undefined && l.liveness !== 'gone');
  const state = stateOf(run, live !== undefined);
  const inv = `-i ${inventory.source}`;
  const stale = [local, zookeeper].some((l) => l?.liveness === 'gone');
  // Where the resume starts is the engine's rule applied to what the hosts run now: only the dry run reads them.
  const preview = `\`kafka-ops resume ${inv} --dry-run\` names the broker it starts with, read from the hosts`;
  const next: Record<RunState, string> = {
    running: `A run is in progress (${live ? describeHolder(live.holder) : ''}): wait for it, or stop it with Ctrl-C where it runs, then \`kafka-ops resume ${inv}\`. If its holder is gone (another host), \`kafka-ops unlock ${inv} --force\`.`,
    halted: `Fix what it halted on${run?.view.stopped?.action ? ` (${run.view.stopped.action})` : ''}, then \`kafka-ops resume ${inv}\` (${preview}); or discard it with \`kafka-ops abort ${inv}\`.`,
    interrupted: `\`kafka-ops resume ${inv}\` (${preview}), or discard it with \`kafka-ops abort ${inv}\`.`,
    crashed: `The run ended without a word (killed?): \`kafka-ops resume ${inv}\` (${preview}), or discard it with \`kafka-ops abort ${inv}\`.`,
    completed: 'Nothing to resume: the last run completed.',
    aborted: 'Nothing to resume: the last run was aborted; a new upgrade or roll starts from what the hosts run now.',
    none: 'No run of this cluster is recorded here; start one with `kafka-ops upgrade` or `kafka-ops roll`.',
  };
  // A migration not finalized can also be taken back to ZooKeeper mode.
  const revertible =
    run?.view.kind === 'migration' &&
    !run.view.stepsDone.some((s) => s.phase === 'finalize-migration') &&
    run.view.phase !== 'finalize-migration';
  const revert =
    revertible && ['halted', 'interrupted', 'crashed'].includes(state)
      ? ` Or go back to ZooKeeper mode: \`kafka-ops abort --revert ${inv}\`.`
      : '';
  return {
    cluster: inventory.cluster,
    journalDir: journal.dir,
    state,
    ...(run ? { run: run.view } : {}),
    locks: { ...(local ? { local } : {}), ...(zookeeper ? { zookeeper } : {}), ...(zookeeperError ? { zookeeperError } : {}) },
    next: `${next[state]}${revert}${stale && state !== 'running' ? ` A lock whose holder is gone is left: \`kafka-ops unlock ${inv}\`.` : ''}`,
  };
}

export interface AbortRequest extends RunControlRequest, PromptPolicy {}

/**
 * Discards an unfinished run: journals `run.aborted`, so neither `resume` continues it nor a
 * new run is refused for it. Refused while a run holds the cluster (the locks are taken for
 * the moment of the abort). Brokers are not touched; the result says what the journal says of them.
 */
export async function abort(request: AbortRequest, io: IoHost): Promise<AbortResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const journal = new FileJournal(request.stateDir, inventory.cluster);
  const run = lastRun(journal.entries());
  if (!run || run.ended) {
    throw new UserError(
      `There is no unfinished run of cluster ${inventory.cluster} under ${request.stateDir}${run?.ended ? ` (the last one ${run.ended === 'completed' ? 'completed' : 'was aborted'})` : ''}.`,
      { code: 'NOTHING_TO_ABORT', action: `See \`kafka-ops status -i ${inventory.source}\`; pass the --state-dir the run used.` },
    );
  }
  journal.lock();
  try {
    const clusterLock = inventory.state.zookeeper ? await acquireZooKeeperLock(inventory.state.zookeeper) : undefined;
    try {
      const brokers = brokersLeft(run.view);
      const what = `the unfinished ${run.view.kind ?? 'run'}${run.view.from ? ` ${run.view.from} → ${run.view.to}` : ''} of ${inventory.cluster} (started ${run.view.startedAt})`;
      io.info(`Brokers are left as they are: ${brokers}`);
      const session = await io.openEngineIO(request);
      let yes: boolean;
      try {
        yes = request.yes || (await session.confirm(`Discard ${what}? resume will no longer continue it.`, false));
        await session.close();
      } catch (error) {
        await session.close(error);
        throw error;
      }
      if (yes) journal.append({ event: 'run.aborted', detail: { by: describeHolder(thisProcess()), brokersDone: run.view.brokersDone } });
      return { cluster: inventory.cluster, aborted: yes, run: run.view, journal: journal.file, brokers };
    } finally {
      await clusterLock?.release();
    }
  } finally {
    journal.unlock();
  }
}

function brokersLeft(run: RunView): string {
  const done = run.brokersDone.length ? `broker(s) ${run.brokersDone.join(', ')} done` : 'no broker done';
  const mid = run.brokerMidStep
    ? `; broker ${run.brokerMidStep.broker} stopped mid-step (after ${run.brokerMidStep.lastSubStep}${run.brokerMidStep.phase ? ` of ${run.brokerMidStep.phase}` : ''}): check it runs and is in every ISR`
    : '';
  return `${done}${mid}; the others untouched by this run.`;
}

export interface UnlockRequest extends RunControlRequest {
  force: boolean;
}

/**
 * Breaks the cluster's locks. A holder provably gone (this host and boot, no such process) is
 * removed; one that cannot be judged from here (another host or container) only with `force`;
 * one provably alive never, forced or not: that run is working on the cluster.
 */
export async function unlock(request: UnlockRequest): Promise<UnlockResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const journal = new FileJournal(request.stateDir, inventory.cluster);
  const locks = [localLock(journal), await zookeeperLock(inventory)].filter((l): l is LockView => l !== undefined);
  for (const lock of locks) {
    if (lock.liveness === 'alive') {
      throw new UserError(`The lock ${lock.where} is held by a running process: ${describeHolder(lock.holder)}.`, {
        code: 'LOCK_HOLDER_ALIVE',
        action: `That run is working on the cluster; --force does not break it. Stop it (Ctrl-C where it runs, or kill ${lock.holder.pid}), then \`kafka-ops resume -i ${inventory.source}\`.`,
      });
    }
    if (lock.liveness === 'unknown' && !request.force) {
      throw new UserError(`The lock ${lock.where} is held by ${describeHolder(lock.holder)}, which cannot be checked from this host.`, {
        code: 'LOCK_HOLDER_UNKNOWN',
        action: `Make sure that run is gone (on ${lock.holder.host}), then \`kafka-ops unlock -i ${inventory.source} --force\`.`,
      });
    }
  }
  const removed: LockView[] = [];
  for (const lock of locks) {
    if (lock.where === journal.lockPath) {
      journal.unlock(true);
      removed.push(lock);
    } else if (inventory.state.zookeeper && (await breakZooKeeperLock(inventory.state.zookeeper, lock.holder))) removed.push(lock);
  }
  return { cluster: inventory.cluster, removed };
}
