/**
 * `kafka-ops abort --revert`: a ZooKeeper → KRaft migration taken back to ZooKeeper mode before
 * finalize, as far as the hosts show it went (plan/migration-revert.ts): the controller quorum
 * deprovisioned and ZooKeeper's /controller and /migration deleted (under the cluster's locks,
 * journaled as a `migration-revert` run), the brokers rolled without the migration keys (a roll
 * run with every gate: `resume` finishes it if it halts), then their __cluster_metadata-0
 * deleted and a broker awaited as the ZooKeeper controller. Re-running it continues from where
 * the hosts are.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { acquireZooKeeperLock } from '../cluster/zookeeper-lock.js';
import { clearMigrationZnodes, readZooKeeperController } from '../cluster/migration-znodes.js';
import { cleanUpBrokers, deprovisionControllers, type RevertDeps, type RevertPorts } from '../engine/migration-revert.js';
import { UserError } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import type { IoHost, PromptPolicy } from '../io-host.js';
import { migrationInventory } from '../plan/migration.js';
import { buildRevertRollPlan, refuseRevert, revertPointOf } from '../plan/migration-revert.js';
import type { RevertResult } from '../results.js';
import { FileJournal } from '../store/journal.js';
import { loadPlanFile } from '../store/plan-file.js';
import { lastRun } from '../store/run-view.js';
import { describeHolder, thisProcess } from '../store/lock-holder.js';
import { openConnections } from './connections.js';
import { observeMigration } from './migration-service.js';
import { requireFlag } from './plan-service.js';
import { runPlan } from './run-service.js';

export interface RevertRequest extends PromptPolicy {
  inventory?: string;
  stateDir: string;
}

const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

/** What each broker had before roll 1, as the migration's stored plan recorded it (`from` of its migrate-brokers step). */
function valuesBeforeMigration(journal: FileJournal): Record<number, Record<string, string | null>> {
  if (!existsSync(journal.planFile)) return {};
  try {
    const plan = loadPlanFile(journal.planFile);
    if (plan.kind !== 'migration') return {};
    const phase = plan.phases.find((p) => p.id === 'migrate-brokers');
    return Object.fromEntries(
      (phase?.steps ?? []).map((s) => [s.broker, Object.fromEntries(Object.entries(s.changes).map(([k, c]) => [k, c.from]))]),
    );
  } catch {
    return {};
  }
}

function logDirsOf(config: Record<string, string>): string[] {
  return (config['log.dirs'] ?? config['log.dir'] ?? '/tmp/kafka-logs')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
}

export async function revertMigration(request: RevertRequest, io: IoHost): Promise<RevertResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const controllers = inventory.migration?.controllers ?? [];
  const connect = inventory.state.zookeeper;
  if (controllers.length === 0 || !connect)
    throw new UserError(
      '`abort --revert` takes a ZooKeeper → KRaft migration back: the inventory names no `migration.controllers` (or no `state.zookeeper`).',
      {
        code: 'USAGE',
        action: 'Use the inventory the migration ran with, or `kafka-ops abort` (without --revert) to discard an unfinished run.',
        location: { file: inventory.source },
      },
    );
  const journal = new FileJournal(request.stateDir, inventory.cluster, clock);
  const connections = openConnections(migrationInventory(inventory));
  try {
    const observed = await observeMigration(inventory, connections);
    const point = revertPointOf(observed);
    const refused = refuseRevert(point, inventory);
    if (refused) throw refused;
    const ports: RevertPorts = {
      tools: await connections.migration(),
      znodes: { clear: () => clearMigrationZnodes(connect), controller: () => readZooKeeperController(connect) },
    };
    const rollPlan = buildRevertRollPlan(inventory, observed, valuesBeforeMigration(journal));
    const rolled = rollPlan.phases[0]?.steps.filter((s) => !s.skipped).map((s) => s.broker) ?? [];
    const result: RevertResult = { cluster: inventory.cluster, reverted: false, point, journal: journal.file, warnings: [] };

    // 1. Under the cluster's locks: the quorum deprovisioned, /controller and /migration deleted.
    journal.lock();
    try {
      const clusterLock = await acquireZooKeeperLock(connect);
      try {
        const session = await io.openEngineIO(request);
        try {
          const what = [
            `stop the controllers ${controllers.map((c) => c.id).join(', ')} and move their log dirs aside`,
            ...(point === 'brokers-in-migration'
              ? [
                  'delete /controller and /migration in ZooKeeper',
                  `roll broker(s) ${rolled.join(', ') || '(none)'} without the migration keys, every gate`,
                  'delete each broker’s __cluster_metadata-0',
                ]
              : []),
          ].join('; ');
          const yes =
            request.yes || (await session.confirm(`Revert the migration of ${inventory.cluster} to ZooKeeper mode: ${what}?`, false));
          if (!yes) {
            await session.close();
            return result;
          }
          const last = lastRun(journal.entries());
          if (last && !last.ended)
            journal.append({
              event: 'run.aborted',
              detail: { by: describeHolder(thisProcess()), brokersDone: last.view.brokersDone, revert: true },
            });
          journal.append({ event: 'run.start', detail: { kind: 'migration-revert', run: randomUUID() } });
          const deps: RevertDeps = { host: (id) => connections.host(id), io: session, journal, clock };
          const report = await deprovisionControllers(controllers, point === 'brokers-in-migration', deps, ports);
          result.controllers = report.controllers;
          if (report.znodes) result.znodes = report.znodes;
          journal.append({ event: 'run.done' });
          await session.close();
        } catch (error) {
          await session.close(error);
          journal.append({ event: 'run.stopped', detail: { message: error instanceof Error ? error.message : String(error) } });
          throw error;
        }
      } finally {
        await clusterLock.release();
      }
    } finally {
      journal.unlock();
    }
    if (point !== 'brokers-in-migration') {
      result.reverted = true;
      return result;
    }

    // 2. The brokers' roll: its own run, every gate.
    if (rolled.length > 0) {
      const roll = await runPlan(rollPlan, inventory, connections, { ...request, killOnStopTimeout: false, clientsUpgraded: false }, io);
      result.roll = roll;
    }

    // 3. The metadata logs the migrating brokers kept, and a broker as the ZooKeeper controller.
    journal.lock();
    const session = await io.openEngineIO(request);
    try {
      journal.append({ event: 'run.start', detail: { kind: 'migration-revert', run: randomUUID() } });
      const deps: RevertDeps = { host: (id) => connections.host(id), io: session, journal, clock };
      const brokers = observed.brokers.map((b) => ({ id: b.id, logDirs: logDirsOf(b.config) }));
      const controller = await cleanUpBrokers(brokers, deps, ports);
      result.controller = controller;
      const kraftEpoch = Number(/"kraftControllerEpoch"\s*:\s*(\d+)/.exec(result.znodes?.migration ?? '')?.[1] ?? Number.NaN);
      if (controller.epoch !== undefined && Number.isFinite(kraftEpoch) && controller.epoch <= kraftEpoch)
        result.warnings.push(
          `The ZooKeeper controller epoch (${controller.epoch}) is not above the KRaft controller's (${kraftEpoch}, from /migration): brokers may ignore the new controller's requests. See Kafka 3.9's "Reverting to ZooKeeper mode During the Migration" for the workaround.`,
        );
      journal.append({ event: 'run.done' });
      await session.close();
    } catch (error) {
      await session.close(error);
      journal.append({ event: 'run.stopped', detail: { message: error instanceof Error ? error.message : String(error) } });
      throw error;
    } finally {
      journal.unlock();
    }
    result.reverted = true;
    return result;
  } finally {
    await connections.close();
  }
}
