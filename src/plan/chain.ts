/**
 * A ZooKeeper → KRaft migration continued, in the same plan, by the KRaft upgrade to 4.x
 * (`plan|upgrade --migrate-to-kraft --to 4.x`, issue 16 item 6). Pure.
 *
 * The plan is the migration's five phases (plan/migration.ts) followed by the KRaft upgrade's
 * two (plan/kraft.ts): `swap-binaries` (controllers first, brokers next, the active controller
 * last) and `finalize-metadata-version` (an explicit `--feature metadata.version=<level>`, never
 * `--release-version`, so kraft.version stays as it is). Both halves are planned on the nodes
 * as the hosts are now; the run re-reads every node before it touches it.
 */
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import { buildKraftUpgradePlan } from './kraft.js';
import {
  buildMigrationPlan,
  migrationInventory,
  MIGRATION_PHASES,
  MIGRATION_RELEASE,
  type MigrationObservation,
  type MigrationTarget,
} from './migration.js';
import type { Plan, PhaseId } from './model.js';
import type { ObservedBroker } from './observed.js';
import { estimateFor } from './steps.js';
import { compareKraftRelease, isKraftOnlyRelease, kraftReleaseFamily } from './versions.js';

/** The KRaft upgrade phases a chained plan ends with, in this order. */
export const CHAIN_KRAFT_PHASES: readonly PhaseId[] = ['swap-binaries', 'finalize-metadata-version'];
export const CHAIN_PHASES: readonly PhaseId[] = [...MIGRATION_PHASES, ...CHAIN_KRAFT_PHASES];

/** A migration plan that continues with the KRaft upgrade (its `to` is a 4.x release). */
export function isChainedPlan(plan: Pick<Plan, 'kind' | 'phases'>): boolean {
  return plan.kind === 'migration' && plan.phases.some((p) => p.id === 'swap-binaries');
}

export interface ChainObservation {
  /** Every broker's and controller's install link target (null when it has none yet). */
  installDirs: Record<number, string | null>;
  /** The finalized metadata.version, when the cluster already runs as KRaft and it was read. */
  metadataVersion?: string;
}

export interface ChainTarget extends MigrationTarget {
  /** The KRaft release the migrated cluster is upgraded to (4.0 or later). */
  to: string;
}

/**
 * The KRaft inventory the chained upgrade runs on: the migration's nodes (brokers and
 * controllers) with their roles, the KRaft tools on the controllers, and the cluster read
 * through the brokers' listeners (`state.bootstrapServers`): after finalize the metadata lives
 * in the quorum only, and ZooKeeper's copy is no longer written.
 */
export function chainKraftInventory(inventory: Inventory): Inventory {
  const controllers = new Set((inventory.migration?.controllers ?? []).map((c) => c.id));
  const nodes = controllers.size > 0 && inventory.brokers.some((b) => controllers.has(b.id)) ? inventory : migrationInventory(inventory);
  const { zookeeper: _zookeeper, reader: _reader, ...state } = nodes.state;
  return {
    ...nodes,
    mode: 'kraft',
    state,
    brokers: nodes.brokers.map((b) => ({ ...b, roles: controllers.has(b.id) ? ['controller'] : ['broker'] })),
  };
}

function chainError(message: string, action: string, file?: string): UserError {
  return new UserError(message, { code: 'MIGRATION_PRECONDITION', action, ...(file ? { location: { file } } : {}) });
}

/** The target of a chained plan checked: a KRaft-only release (4.0+) kafka-ops plans. */
export function chainTargetFamily(to: string): string {
  const family = kraftReleaseFamily(to);
  if (!family || !isKraftOnlyRelease(family) || compareKraftRelease(family, MIGRATION_RELEASE) <= 0)
    throw new UserError(`--migrate-to-kraft --to ${to}: the migration runs on ${MIGRATION_RELEASE}; --to continues it to a 4.x release.`, {
      code: 'UNKNOWN_VERSION',
      action: `Leave out --to (or pass --to ${MIGRATION_RELEASE}) for the migration alone, or pass a 4.x release such as --to 4.4.`,
    });
  return family;
}

export function buildChainedPlan(inventory: Inventory, observed: MigrationObservation, seen: ChainObservation, target: ChainTarget): Plan {
  const to = chainTargetFamily(target.to);
  const migration = buildMigrationPlan(inventory, observed, target);
  if (!inventory.state.bootstrapServers?.length)
    throw chainError(
      `Continuing the migration to ${to} needs \`state.bootstrapServers\` in the inventory: once the migration is finalized the cluster's state is read from the brokers, not from ZooKeeper.`,
      'Add `state.bootstrapServers: [host:port, …]` (the brokers’ listeners) beside `state.zookeeper`; ZooKeeper stays the reader during the migration.',
      inventory.source,
    );
  const kraftInventory = chainKraftInventory(inventory);
  for (const node of kraftInventory.brokers)
    if (!Object.keys(node.installs).some((r) => kraftReleaseFamily(r) === to))
      throw chainError(
        `${node.roles?.includes('controller') ? 'Controller' : 'Broker'} ${node.id} has no ${to} install in the inventory: the chained plan rolls every node onto ${to} after the migration.`,
        `Name its ${to} install under \`installs\` (for example in \`defaults.installs\`: "${to}.0": /opt/kafka_2.13-${to}.0), present on its host.`,
        inventory.source,
      );
  const brokers: ObservedBroker[] = kraftInventory.brokers.map((b) => ({
    id: b.id,
    release: MIGRATION_RELEASE,
    installDir: seen.installDirs[b.id] ?? null,
    config: {},
  }));
  const kraft = buildKraftUpgradePlan(
    kraftInventory,
    { source: observed.source, brokers, ...(seen.metadataVersion ? { metadataVersion: seen.metadataVersion } : {}) },
    { to, ...(target.canary !== undefined ? { canary: target.canary } : {}) },
    MIGRATION_RELEASE,
  );
  const restarts = [...migration.phases, ...kraft.phases]
    .filter((p) => !p.skipped && p.kind === 'roll')
    .flatMap((p) => p.steps.filter((s) => !s.skipped)).length;
  return {
    ...migration,
    to,
    phases: [...migration.phases, ...kraft.phases],
    notes: [
      ...migration.notes.map((n) =>
        n.startsWith('metadata.version must not change')
          ? `metadata.version must not change during the migration: it is not touched until finalize-metadata-version, after finalize-migration and the ${to} binaries.`
          : n,
      ),
      `After finalize-migration the same run upgrades the KRaft cluster to ${to}: the ${to} binaries node by node (controllers first, then brokers, the active controller last), then metadata.version finalized with \`kafka-features.sh upgrade --feature metadata.version=<level>\` (kraft.version is left as it is). The cluster is read through state.bootstrapServers from then on.`,
      ...kraft.notes.filter((n) => n.includes('release-version')),
    ],
    estimate: estimateFor(restarts),
  };
}
