/**
 * The steps of a migration's revert that are not a roll (plan/migration-revert.ts), in Kafka
 * 3.9's order: deprovision the controller quorum (each controller stopped, its log dir moved
 * aside), then at once `/controller` and `/migration` deleted in ZooKeeper (so that a broker
 * becomes the ZooKeeper controller again); after the brokers' roll, each broker's
 * __cluster_metadata-0 deleted and a broker awaited as the ZooKeeper controller.
 */
import type { ClearedZnodes, MigrationTools, ZooKeeperControllerView } from '../cluster/kraft-port.js';
import { HaltError } from '../errors.js';
import type { ControllerSpec } from '../inventory/model.js';
import type { EngineDeps } from './ports.js';

export interface RevertPorts {
  tools: Pick<MigrationTools, 'moveLogDirAside' | 'removeMetadataLog'>;
  znodes: { clear(): Promise<ClearedZnodes>; controller(): Promise<ZooKeeperControllerView> };
  pollMs?: number;
}

export type RevertDeps = Pick<EngineDeps, 'host' | 'io' | 'journal' | 'clock'>;

export interface DeprovisionReport {
  controllers: Array<{ id: number; stopped: boolean; movedTo?: string }>;
  znodes?: ClearedZnodes;
}

/** Stops every controller, moves its log dir aside; then (brokers in migration mode) clears /controller and /migration. */
export async function deprovisionControllers(
  controllers: readonly ControllerSpec[],
  clearZnodes: boolean,
  deps: RevertDeps,
  ports: RevertPorts,
): Promise<DeprovisionReport> {
  const { io, journal, clock } = deps;
  const suffix = new Date(clock.now()).toISOString().replace(/[:.]/g, '-');
  io.event({
    code: 'phase.start',
    phase: 'revert-controllers',
    message: `Deprovision the controller quorum ${controllers.map((c) => c.id).join(', ')}`,
  });
  journal.append({ event: 'phase.start', phase: 'revert-controllers' });
  const report: DeprovisionReport = { controllers: [] };
  // Every controller stops before any log dir moves: a voter left running would keep leading.
  for (const c of controllers) {
    const host = await deps.host(c.id);
    const facts = await host.facts();
    let stopped = false;
    if (facts.process) {
      const result = await host.stop(c.stop.signal, c.stop.timeoutSeconds * 1000, facts.process.pid);
      if (!result.exited) await host.kill();
      stopped = true;
      journal.append({ event: 'step.stop.done', phase: 'revert-controllers', broker: c.id, detail: { exited: result.exited } });
      io.event({ code: 'step.substep', phase: 'revert-controllers', broker: c.id, message: `controller ${c.id} stopped` });
    }
    report.controllers.push({ id: c.id, stopped });
  }
  if (clearZnodes) {
    report.znodes = await ports.znodes.clear();
    journal.append({ event: 'step.znodes', phase: 'revert-controllers', detail: { ...report.znodes } });
    io.event({
      code: 'phase.done',
      phase: 'revert-zookeeper',
      message: `ZooKeeper: /controller ${report.znodes.controller === undefined ? 'was absent' : 'deleted'}, /migration ${report.znodes.migration === undefined ? 'was absent' : `deleted (was ${report.znodes.migration})`}`,
    });
  }
  for (const entry of report.controllers) {
    const spec = controllers.find((c) => c.id === entry.id) as ControllerSpec;
    const movedTo = await ports.tools.moveLogDirAside(spec.id, spec.logDir, suffix);
    if (movedTo) entry.movedTo = movedTo;
    journal.append({ event: 'step.done', phase: 'revert-controllers', broker: spec.id, detail: { movedTo: movedTo ?? null } });
    io.event({
      code: 'step.done',
      phase: 'revert-controllers',
      broker: spec.id,
      message: movedTo ? `log dir ${spec.logDir} moved to ${movedTo}` : `controller ${spec.id}: no log dir ${spec.logDir}`,
    });
  }
  journal.append({ event: 'phase.done', phase: 'revert-controllers' });
  io.event({ code: 'phase.done', phase: 'revert-controllers', message: 'the controller quorum is deprovisioned' });
  return report;
}

/** After the roll: each broker's __cluster_metadata-0 deleted; a broker (not a KRaft controller) must hold /controller. */
export async function cleanUpBrokers(
  brokers: ReadonlyArray<{ id: number; logDirs: string[] }>,
  deps: RevertDeps,
  ports: RevertPorts,
  timeoutMs = 60_000,
): Promise<ZooKeeperControllerView> {
  const { io, journal, clock } = deps;
  journal.append({ event: 'phase.start', phase: 'revert-metadata-logs' });
  for (const b of brokers) {
    await ports.tools.removeMetadataLog(b.id, b.logDirs);
    journal.append({ event: 'step.done', phase: 'revert-metadata-logs', broker: b.id, detail: { logDirs: b.logDirs } });
    io.event({
      code: 'step.done',
      phase: 'revert-metadata-logs',
      broker: b.id,
      message: `__cluster_metadata-0 deleted from ${b.logDirs.join(', ')}`,
    });
  }
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const view = await ports.znodes.controller();
    if (view.brokerId !== undefined && brokers.some((b) => b.id === view.brokerId)) {
      journal.append({
        event: 'phase.done',
        phase: 'revert-metadata-logs',
        detail: { controller: view.brokerId, epoch: view.epoch ?? null },
      });
      io.event({
        code: 'phase.done',
        phase: 'revert-metadata-logs',
        message: `broker ${view.brokerId} is the ZooKeeper controller (epoch ${view.epoch ?? '?'})`,
      });
      return view;
    }
    if (clock.now() >= deadline)
      throw new HaltError(
        `No broker became the ZooKeeper controller within ${timeoutMs / 1000} s of the revert (/controller: ${view.raw ?? 'absent'}).`,
        {
          code: 'REVERT_NO_CONTROLLER',
          action:
            'With zookeeper-shell.sh: `get /controller`. If a KRaft controller still claims it, stop every controller and `delete /controller`; read the brokers’ logs, then run `kafka-ops abort --revert` again.',
        },
      );
    await clock.sleep(ports.pollMs ?? 1000);
  }
}
