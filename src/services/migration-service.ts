/** `kafka-ops plan|upgrade --migrate-to-kraft`: read the brokers and controllers, plan the migration, preview or apply it. */
import { restrictPlan } from '../plan/subset.js';
import { parseProperties } from '../config/properties.js';
import { UserError } from '../errors.js';
import { linkedRelease } from '../hosts/port.js';
import type { Inventory } from '../inventory/model.js';
import { loadInventory } from '../inventory/load.js';
import { buildChainedPlan, chainTargetFamily, type ChainObservation } from '../plan/chain.js';
import { buildMigrationPlan, migrationInventory, MIGRATION_RELEASE, type MigrationObservation } from '../plan/migration.js';
import type { Plan } from '../plan/model.js';
import { parseRelease, releaseFamily } from '../plan/versions.js';
import { writePlanFile } from '../store/plan-file.js';
import type { IoHost } from '../io-host.js';
import type { UpgradeResult } from '../results.js';
import { openConnections, type Connections } from './connections.js';
import { requireFlag, type PlanResult } from './plan-service.js';
import { runPlan, type RunOptions } from './run-service.js';

export interface MigrationPlanRequest {
  inventory?: string;
  canary?: boolean;
  output?: string;
  /** `--to 4.x`: continue the migration with the KRaft upgrade to that release in the same plan. */
  to?: string | undefined;
}

/** `--to` beside `--migrate-to-kraft`: none (or 3.9) is the migration alone, a 4.x release chains the KRaft upgrade. */
function chainTo(to: string | undefined): string | undefined {
  if (to === undefined) return undefined;
  const release = parseRelease(to, '--to');
  if (releaseFamily(release) === MIGRATION_RELEASE) return undefined;
  return chainTargetFamily(release);
}

/** What the chained upgrade plans from: each node's install link target, and metadata.version once the quorum runs as KRaft. */
export async function observeChain(
  inventory: Inventory,
  observed: MigrationObservation,
  connections: Connections,
): Promise<ChainObservation> {
  const nodes = migrationInventory(inventory).brokers;
  const installDirs: Record<number, string | null> = {};
  for (const spec of nodes) {
    // As observeCluster reads it: the inventory's install the link points at (a resolved path counts too).
    const label = linkedRelease(spec.installs, await (await connections.host(spec.id)).facts());
    installDirs[spec.id] = label ? (spec.installs[label] ?? null) : null;
  }
  // Only a finalized migration can have moved metadata.version; before that it is the IBP's, and the controllers may not run yet.
  const finalized = observed.controllers.every(
    (c) => c.running && c.config && c.config['zookeeper.metadata.migration.enable'] === undefined,
  );
  if (!finalized) return { installDirs };
  const metadataVersion = await (
    await connections.kraft()
  )
    .finalized()
    .then((f) => f.metadataVersion)
    .catch(() => undefined); // read again before finalizing
  return { installDirs, ...(metadataVersion ? { metadataVersion } : {}) };
}

async function planFor(
  inventory: Inventory,
  connections: Connections,
  request: { canary?: boolean; to?: string | undefined },
): Promise<Plan> {
  const to = chainTo(request.to);
  const observed = await observeMigration(inventory, connections);
  const target = { canary: request.canary ?? false };
  if (!to) return buildMigrationPlan(inventory, observed, target);
  return buildChainedPlan(inventory, observed, await observeChain(inventory, observed, connections), { ...target, to });
}

/** Every broker's release and config, every controller's config (if any) and process, and the cluster id. */
export async function observeMigration(inventory: Inventory, connections: Connections): Promise<MigrationObservation> {
  const brokers: MigrationObservation['brokers'] = [];
  for (const spec of inventory.brokers) {
    const host = await connections.host(spec.id);
    const [facts, text] = await Promise.all([host.facts(), host.readConfig()]);
    const label = linkedRelease(spec.installs, facts);
    const release = (label && facts.installs[label]?.release) ?? label;
    if (!release)
      throw new UserError(
        `Cannot tell which Kafka release broker ${spec.id} runs: ${spec.installLink} points at ${facts.linkTarget ?? 'nothing'}.`,
        {
          code: 'UNKNOWN_INSTALLED_RELEASE',
          action: 'Add that directory under `installs` with its release.',
          location: { file: inventory.source },
        },
      );
    brokers.push({ id: spec.id, release, config: parseProperties(text) });
  }
  const controllers: MigrationObservation['controllers'] = [];
  for (const spec of inventory.migration?.controllers ?? []) {
    const host = await connections.host(spec.id);
    const facts = await host.facts();
    // A controller not provisioned yet has no properties file.
    const text = await host.readConfig().catch(() => undefined);
    controllers.push({ id: spec.id, config: text === undefined ? null : parseProperties(text), running: facts.process !== undefined });
  }
  const clusterId = await (await connections.migration()).clusterId();
  return { source: 'hosts', brokers, controllers, clusterId };
}

export async function planMigration(request: MigrationPlanRequest): Promise<PlanResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const connections = openConnections(migrationInventory(inventory));
  try {
    const plan = await planFor(inventory, connections, request);
    if (request.output) writePlanFile(plan, request.output);
    return request.output ? { ...plan, file: request.output } : plan;
  } finally {
    await connections.close();
  }
}

export interface MigrateRequest extends RunOptions {
  inventory?: string;
  canary?: boolean;
  to?: string | undefined;
  dryRun: boolean;
}

export async function migrate(request: MigrateRequest, output: IoHost): Promise<UpgradeResult> {
  const inventory = loadInventory(requireFlag(request.inventory, 'inventory', 'KAFKA_OPS_INVENTORY'));
  const nodes = migrationInventory(inventory);
  const connections = openConnections(nodes);
  try {
    const built = await planFor(inventory, connections, request);
    const plan = request.brokers ? restrictPlan(built, request.brokers) : built;
    if (request.dryRun) return { dryRun: true, plan };
    return { dryRun: false, ...(await runPlan(plan, nodes, connections, request, output)) };
  } finally {
    await connections.close();
  }
}
