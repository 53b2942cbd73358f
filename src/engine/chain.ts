/**
 * Applying a migration continued to 4.x (plan/chain.ts): the migration's phases by the migration
 * engine (engine/migration.ts), then, once the controllers are out of migration mode, the KRaft
 * upgrade's phases by the KRaft engine (engine/kraft.ts) on the KRaft view of the same nodes:
 * their roles, the quorum gate before each controller stops, the active controller re-read
 * before every node and kept last, the cluster read through the brokers (ZooKeeper's copy of
 * the metadata is no longer written after finalize), metadata.version finalized after checking
 * every node's supported range. Each step is re-checked on its host first (a re-run restarts
 * nothing done).
 */
import type { KraftFeatures } from '../cluster/kraft-port.js';
import type { ClusterState } from '../cluster/port.js';
import { InterruptedError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import type { Plan } from '../plan/model.js';
import { applyKraftPlan } from './kraft.js';
import { applyMigrationPlan, phaseJournal, type MigrationPorts } from './migration.js';
import type { EngineDeps, RunReport } from './ports.js';

export interface ChainPorts extends MigrationPorts {
  features: KraftFeatures;
  /** The nodes as a KRaft cluster (plan/chain.ts chainKraftInventory). */
  kraftInventory: Inventory;
  /** The cluster read through the brokers' listeners; opened when the KRaft phases start, closed after. */
  kraftCluster: () => Promise<ClusterState>;
}

export async function applyChainedPlan(plan: Plan, deps: EngineDeps, ports: ChainPorts): Promise<RunReport> {
  const split = plan.phases.findIndex((p) => p.id === 'swap-binaries');
  if (split < 0) throw new TypeError('a chained plan has a swap-binaries phase');
  deps.journal.append({ event: 'run.start', detail: { kind: plan.kind, from: plan.from, to: plan.to, run: deps.run?.id ?? null } });
  // Only the whole chained run says `run.start` and `run.done`.
  const journal = phaseJournal(deps.journal);
  const migrated = await applyMigrationPlan({ ...plan, to: plan.from, phases: plan.phases.slice(0, split) }, { ...deps, journal }, ports);
  if (deps.interrupted.aborted)
    throw new InterruptedError('Interrupted.', {
      code: 'INTERRUPTED',
      action: `Run the same \`kafka-ops upgrade --migrate-to-kraft --to ${plan.to}\` again: every node is re-read and what is done is skipped.`,
    });
  const cluster = await ports.kraftCluster();
  try {
    const upgraded = await applyKraftPlan(
      { ...plan, mode: 'kraft', kind: 'upgrade', phases: plan.phases.slice(split) },
      { ...deps, inventory: ports.kraftInventory, cluster, journal },
      { quorum: ports.quorum, features: ports.features, ...(ports.gate ? { gate: ports.gate } : {}) },
    );
    deps.journal.append({ event: 'run.done' });
    return {
      status: upgraded.status,
      steps: [...migrated.steps, ...upgraded.steps],
      warnings: [...migrated.warnings, ...upgraded.warnings],
    };
  } finally {
    await cluster.close();
  }
}
