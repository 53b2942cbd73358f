/**
 * Planning a ZooKeeper → KRaft migration (KIP-866, Kafka 3.9's operations documentation):
 * (inventory with `migration.controllers`, what was read from the hosts) → plan. Pure.
 *
 * The phases, in Kafka's order:
 *  1. provision-controllers: configure each new controller (process.roles=controller, the
 *     static quorum, zookeeper.metadata.migration.enable=true, zookeeper.connect), format its
 *     storage with the ZooKeeper cluster's id, start it; wait for a quorum leader.
 *  2. migrate-brokers: roll every broker with the migration flag and the quorum settings.
 *  3. await-migration: the active controller copies the metadata out of ZooKeeper and logs
 *     "Completed migration of metadata from ZooKeeper to KRaft" (dual-write from then on).
 *  4. kraft-brokers: roll every broker as a KRaft broker (process.roles=broker, node.id =
 *     broker.id, zookeeper.connect, the flag and the IBP removed).
 *  5. finalize-migration: roll the controllers without the flag and zookeeper.connect. The
 *     point of no return: ZooKeeper no longer receives the metadata, so no revert exists after.
 * Each phase before 5 carries the documented revert steps for a run that stops there.
 */
import { UserError } from '../errors.js';
import type { ControllerSpec, Inventory } from '../inventory/model.js';
import type { ConfigChange, GateId, Plan, PlanPhase, PlanStep } from './model.js';
import { PLAN_SCHEMA_VERSION } from './model.js';
import { ROLL_GATES, estimateFor, phaseTimeouts } from './steps.js';
import { IBP_KEY, releaseFamily } from './versions.js';

export const MIGRATION_FLAG = 'zookeeper.metadata.migration.enable';
export const CONTROLLER_LISTENER = 'CONTROLLER';
/** What the active controller logs once the metadata is in KRaft (KRaftMigrationDriver, 3.4–3.9). */
export const MIGRATION_COMPLETED_LINE = 'Completed migration of metadata from ZooKeeper to KRaft';
export const MIGRATION_PHASES = [
  'provision-controllers',
  'migrate-brokers',
  'await-migration',
  'kraft-brokers',
  'finalize-migration',
] as const;
/** The only release line that migrates: 4.x has no ZooKeeper mode, and 3.9 is the line the documentation covers. */
export const MIGRATION_RELEASE = '3.9';
const DEFAULT_PROTOCOL_MAP = 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL';

/** What was read from the hosts (or nothing, for a preview from the inventory alone). */
export interface MigrationObservation {
  source: 'hosts' | 'assumed';
  /** Per broker: its release and its whole server.properties. */
  brokers: Array<{ id: number; release: string; config: Record<string, string> }>;
  /** Per controller: its properties file (null when there is none yet) and whether it runs. */
  controllers: Array<{ id: number; config: Record<string, string> | null; running: boolean }>;
  /** The ZooKeeper cluster's id (`/cluster/id`). */
  clusterId?: string;
  /** The ZooKeeper connect string the brokers use (read from their config when not given). */
  zookeeperConnect?: string;
}

export interface MigrationTarget {
  canary?: boolean;
  /** Seconds to wait for the controller to report the metadata migrated. */
  migrationTimeoutSeconds?: number;
}

/** `3000@host:9093,…`: the static voter set (Kafka 3.9 migrates to a static quorum). */
export function quorumVoters(controllers: readonly ControllerSpec[]): string {
  return controllers.map((c) => `${c.id}@${c.listener}`).join(',');
}

function withControllerProtocol(map: string | undefined): string {
  const base = map ?? DEFAULT_PROTOCOL_MAP;
  return base.split(',').some((e) => e.split(':')[0] === CONTROLLER_LISTENER) ? base : `${CONTROLLER_LISTENER}:PLAINTEXT,${base}`;
}

/** The inter-broker listener the controllers send their RPCs to the ZooKeeper-mode brokers on. */
function interBrokerListener(config: Record<string, string>): string {
  return config['inter.broker.listener.name'] ?? config['security.inter.broker.protocol'] ?? 'PLAINTEXT';
}

/** A controller's whole properties file during the migration (provision-controllers). */
export function controllerMigrationConfig(
  spec: ControllerSpec,
  controllers: readonly ControllerSpec[],
  brokerConfig: Record<string, string>,
  zookeeperConnect: string,
): Record<string, string> {
  return {
    'process.roles': 'controller',
    'node.id': String(spec.id),
    'controller.quorum.voters': quorumVoters(controllers),
    'controller.listener.names': CONTROLLER_LISTENER,
    listeners: `${CONTROLLER_LISTENER}://${spec.listener}`,
    'listener.security.protocol.map': withControllerProtocol(brokerConfig['listener.security.protocol.map']),
    'inter.broker.listener.name': interBrokerListener(brokerConfig),
    'log.dirs': spec.logDir,
    [MIGRATION_FLAG]: 'true',
    'zookeeper.connect': zookeeperConnect,
  };
}

function diff(current: Record<string, string> | null, wanted: Record<string, string | null>): Record<string, ConfigChange> {
  const changes: Record<string, ConfigChange> = {};
  for (const [key, to] of Object.entries(wanted)) {
    const from = current?.[key] ?? null;
    if (from !== to) changes[key] = { from, to };
  }
  return changes;
}

/** Roll 1: a ZooKeeper-mode broker into migration mode. */
export function brokerMigrationEdits(
  config: Record<string, string>,
  controllers: readonly ControllerSpec[],
): Record<string, string | null> {
  return {
    [MIGRATION_FLAG]: 'true',
    'controller.quorum.voters': quorumVoters(controllers),
    'controller.listener.names': CONTROLLER_LISTENER,
    'listener.security.protocol.map': withControllerProtocol(config['listener.security.protocol.map']),
  };
}

/** Roll 2: a migrating broker as a KRaft broker (every ZooKeeper client key and the IBP go). */
export function brokerKraftEdits(config: Record<string, string>, id: number): Record<string, string | null> {
  const zookeeperKeys = Object.keys(config).filter((k) => k.startsWith('zookeeper.'));
  return {
    'process.roles': 'broker',
    'node.id': String(id),
    'broker.id': null,
    ...Object.fromEntries(zookeeperKeys.map((k) => [k, null])),
    [MIGRATION_FLAG]: null,
    'zookeeper.connect': null,
    [IBP_KEY]: null,
  };
}

/** Finalize: a controller out of migration mode. */
export const CONTROLLER_FINAL_EDITS: Record<string, null> = { [MIGRATION_FLAG]: null, 'zookeeper.connect': null };

const isKraftBroker = (config: Record<string, string>) => config['process.roles'] === 'broker' && config['zookeeper.connect'] === undefined;

function precondition(message: string, action: string, file?: string): UserError {
  return new UserError(message, { code: 'MIGRATION_PRECONDITION', action, ...(file ? { location: { file } } : {}) });
}

function assertReady(inventory: Inventory, observed: MigrationObservation): ControllerSpec[] {
  if (inventory.mode === 'kraft')
    throw precondition(
      'The cluster is already `mode: kraft`: there is nothing to migrate.',
      'Use `kafka-ops upgrade --to 4.x` for a KRaft upgrade.',
      inventory.source,
    );
  const controllers = inventory.migration?.controllers ?? [];
  if (controllers.length === 0 || controllers.length % 2 === 0)
    throw precondition(
      `A migration needs an odd number of KRaft controllers under \`migration.controllers\` (found ${controllers.length}).`,
      'Name 3 (or 5) controller nodes under `migration.controllers` in the inventory: id, host, listener, logDir, configPath, installLink, installs, run, logFile.',
      inventory.source,
    );
  for (const b of observed.brokers) {
    if (isKraftBroker(b.config)) continue;
    if (releaseFamily(b.release) !== MIGRATION_RELEASE)
      throw precondition(
        `Broker ${b.id} runs Kafka ${b.release}: a ZooKeeper → KRaft migration starts from ${MIGRATION_RELEASE} on every broker.`,
        `Upgrade the cluster to ${MIGRATION_RELEASE} first (kafka-ops upgrade --to ${MIGRATION_RELEASE}), then plan the migration.`,
      );
    const ibp = b.config[IBP_KEY];
    if (ibp !== undefined && !ibp.startsWith(MIGRATION_RELEASE))
      throw precondition(
        `Broker ${b.id} has ${IBP_KEY}=${ibp}: the migration needs ${MIGRATION_RELEASE} on every broker, and the metadata.version the controllers take from it must not change during the migration.`,
        `Finish the upgrade to ${MIGRATION_RELEASE} (its bump-ibp phase), then plan the migration.`,
      );
  }
  for (const c of controllers) {
    const install = Object.keys(c.installs).find((r) => releaseFamily(r) === MIGRATION_RELEASE);
    if (!install)
      throw precondition(
        `Controller ${c.id} has no ${MIGRATION_RELEASE} install in the inventory.`,
        `Give it an install of Kafka ${MIGRATION_RELEASE} under \`installs\`.`,
        inventory.source,
      );
  }
  return controllers;
}

export function buildMigrationPlan(inventory: Inventory, observed: MigrationObservation, target: MigrationTarget = {}): Plan {
  const controllers = assertReady(inventory, observed);
  const brokerIds = inventory.brokers.map((b) => b.id).sort((a, b) => a - b);
  const configOf = (id: number) => observed.brokers.find((b) => b.id === id)?.config ?? {};
  const first = configOf(brokerIds[0] as number);
  const zookeeperConnect =
    observed.zookeeperConnect ??
    observed.brokers.map((b) => b.config['zookeeper.connect']).find((c) => c !== undefined) ??
    inventory.state.zookeeper ??
    (() => {
      throw precondition(
        'Cannot tell the ZooKeeper connect string the controllers must use: no broker config has zookeeper.connect and the inventory has no state.zookeeper.',
        'Add `state.zookeeper: host:2181[/chroot]` to the inventory.',
        inventory.source,
      );
    })();
  const timeouts = phaseTimeouts(inventory);
  const hostOf = (id: number) => inventory.brokers.find((b) => b.id === id)?.host ?? '';
  const seenController = (id: number) => observed.controllers.find((c) => c.id === id);
  const allKraft = observed.source === 'hosts' && brokerIds.every((id) => isKraftBroker(configOf(id)));
  const finalized =
    allKraft && controllers.every((c) => seenController(c.id)?.config && seenController(c.id)?.config?.[MIGRATION_FLAG] === undefined);

  const provisionSteps: PlanStep[] = controllers.map((c) => {
    const seen = seenController(c.id);
    const wanted = controllerMigrationConfig(c, controllers, first, zookeeperConnect);
    // Once finalized, a controller is past its migration config: provisioning is done for good.
    const changes = finalized ? {} : diff(seen?.config ?? null, wanted);
    const done = finalized || (Object.keys(changes).length === 0 && seen?.running === true);
    return {
      broker: c.id,
      host: c.host,
      roles: ['controller'],
      changes,
      skipped: done,
      ...(done ? { reason: 'runs as a migration controller already' } : {}),
    };
  });
  const gates: GateId[] = [...ROLL_GATES];
  const migrateSteps: PlanStep[] = brokerIds.map((id) => {
    const config = configOf(id);
    const changes =
      isKraftBroker(config) || config[MIGRATION_FLAG] === 'true' ? {} : diff(config, brokerMigrationEdits(config, controllers));
    const done = Object.keys(changes).length === 0 && observed.source === 'hosts';
    return { broker: id, host: hostOf(id), changes, skipped: done, ...(done ? { reason: 'in migration mode already' } : {}) };
  });
  const kraftSteps: PlanStep[] = brokerIds.map((id) => {
    const config = configOf(id);
    // The step is planned on the config roll 1 leaves behind.
    const after = isKraftBroker(config) ? config : applyEdits(config, brokerMigrationEdits(config, controllers));
    const changes = diff(after, brokerKraftEdits(after, id));
    const done = isKraftBroker(config) && observed.source === 'hosts';
    return {
      broker: id,
      host: hostOf(id),
      roles: ['broker'],
      changes: done ? {} : changes,
      skipped: done,
      ...(done ? { reason: 'a KRaft broker already' } : {}),
    };
  });
  const finalizeSteps: PlanStep[] = controllers.map((c) => {
    const seen = seenController(c.id)?.config ?? undefined;
    // A controller not provisioned yet (no file, or an empty one) is finalized from the config phase 1 gives it.
    const provisioned = seen?.['process.roles'] === 'controller';
    const base = provisioned ? seen : controllerMigrationConfig(c, controllers, first, zookeeperConnect);
    const changes = diff(base, CONTROLLER_FINAL_EDITS);
    const done = provisioned && Object.keys(changes).length === 0 && observed.source === 'hosts';
    return {
      broker: c.id,
      host: c.host,
      roles: ['controller'],
      changes,
      skipped: done,
      ...(done ? { reason: 'out of migration mode already' } : {}),
    };
  });

  const ids = controllers.map((c) => c.id).join(', ');
  const logDirs = controllers.map((c) => `${c.logDir} (${c.id})`).join(', ');
  const revertControllers = `Stop the controllers ${ids} and delete their log dirs (${logDirs}).`;
  const revertZooKeeper = `In ZooKeeper (bin/zookeeper-shell.sh ${zookeeperConnect}): \`deleteall /controller\` right after the controllers are stopped (a broker becomes the ZooKeeper controller again), then \`get /migration\` and \`delete /migration\`.`;
  const revertBrokers = `On each broker, one at a time: remove ${MIGRATION_FLAG}, controller.listener.names and controller.quorum.voters (and CONTROLLER from listener.security.protocol.map), delete the __cluster_metadata-0 directory from its log dirs, and restart it with every roll gate.`;
  const revertKraftBrokers = `On each broker that already runs as a KRaft broker, one at a time: remove process.roles, replace node.id with broker.id, restore zookeeper.connect (and the other zookeeper.* keys) and ${IBP_KEY}, and restart it: it is back in migration mode. Then:`;
  const allSkipped = (steps: PlanStep[]) => steps.every((s) => s.skipped);
  const skip = (skipped: boolean, reason: string) => (skipped ? { skipped: true, reason } : { skipped: false });
  const migrationTimeout = target.migrationTimeoutSeconds ?? 600;
  const strategy = target.canary ? 'serial-canary' : 'serial';
  const brokersDone = allSkipped(kraftSteps);

  const phases: PlanPhase[] = [
    {
      id: 'provision-controllers',
      title: `Provision the KRaft controller quorum ${ids} in migration mode (formatted with the ZooKeeper cluster's id)`,
      kind: 'provision',
      strategy: 'serial',
      ...skip(allSkipped(provisionSteps), 'Every controller runs in migration mode already.'),
      gates: ['target-install-present', 'quorum-has-leader'],
      consecutiveHealthyChecks: 0,
      timeouts,
      provision: { clusterId: observed.clusterId ?? null, logDirs: Object.fromEntries(controllers.map((c) => [String(c.id), c.logDir])) },
      revert: [revertControllers],
      steps: provisionSteps,
    },
    {
      id: 'migrate-brokers',
      title: `Roll the brokers into migration mode (${MIGRATION_FLAG}=true, the controller quorum configured)`,
      kind: 'roll',
      strategy,
      ...skip(allSkipped(migrateSteps), 'Every broker is in migration mode (or a KRaft broker) already.'),
      gates,
      consecutiveHealthyChecks: 3,
      timeouts,
      revert: [revertControllers, revertZooKeeper, revertBrokers],
      steps: migrateSteps,
    },
    {
      id: 'await-migration',
      title: 'Wait until the active controller has migrated the metadata from ZooKeeper (dual-write mode from then on)',
      kind: 'wait',
      strategy: 'serial',
      ...skip(brokersDone, 'The brokers run as KRaft brokers: the metadata was migrated.'),
      gates: ['migration-complete'],
      consecutiveHealthyChecks: 0,
      timeouts,
      wait: {
        until: `"${MIGRATION_COMPLETED_LINE}" (ZkMigrationState MIGRATION)`,
        source: "the active controller's log (quorum leader from kafka-metadata-quorum.sh describe --status)",
        timeoutSeconds: migrationTimeout,
      },
      revert: [revertControllers, revertZooKeeper, revertBrokers],
      steps: [],
    },
    {
      id: 'kraft-brokers',
      title: 'Roll the brokers as KRaft brokers (process.roles=broker, node.id = broker.id, zookeeper.connect removed)',
      kind: 'roll',
      strategy,
      ...skip(brokersDone, 'Every broker runs as a KRaft broker already.'),
      gates: [...ROLL_GATES],
      consecutiveHealthyChecks: 3,
      timeouts,
      revert: [revertKraftBrokers, revertControllers, revertZooKeeper, revertBrokers],
      steps: kraftSteps,
    },
    {
      id: 'finalize-migration',
      title: `Finalize: roll the controllers ${ids} out of migration mode (${MIGRATION_FLAG} and zookeeper.connect removed)`,
      kind: 'roll',
      strategy: 'serial',
      ...skip(allSkipped(finalizeSteps), 'The controllers are out of migration mode already: the migration is finalized.'),
      pointOfNoReturn:
        'Once the controllers leave migration mode they stop writing the metadata to ZooKeeper: ZooKeeper mode cannot be returned to, the cluster is KRaft for good (Kafka documents no revert after finalizing).',
      gates: ['quorum-majority-without-controller', 'registered'],
      consecutiveHealthyChecks: 1,
      timeouts,
      steps: finalizeSteps,
    },
  ];
  const restarts = phases.filter((p) => !p.skipped && p.kind === 'roll').flatMap((p) => p.steps.filter((s) => !s.skipped)).length;
  const controllerIds = controllers.map((c) => c.id);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: 'migration',
    cluster: inventory.cluster,
    from: MIGRATION_RELEASE,
    to: MIGRATION_RELEASE,
    observed: observed.source,
    order: [...controllerIds, ...brokerIds],
    controller: {
      broker: null,
      note: 'The KRaft quorum leader becomes the active controller once the brokers run in migration mode; the finalize roll checks the other voters before each controller stops.',
    },
    phases,
    notes: [
      `ZooKeeper → KRaft migration following Kafka ${MIGRATION_RELEASE}'s documented procedure; ZooKeeper at ${zookeeperConnect} keeps serving until finalize-migration is done, and may be retired only after it.`,
      "metadata.version must not change during the migration: it is not touched, and kafka-features.sh must not be run until the plan's last phase is done.",
      'The controllers listen on a PLAINTEXT CONTROLLER listener; a TLS or SASL controller listener is not planned by kafka-ops.',
      ...(observed.clusterId ? [] : ['The cluster id is read from ZooKeeper (/cluster/id) when the controllers are formatted.']),
      ...(observed.source === 'assumed'
        ? ['State was assumed (no host was contacted): the run re-reads every node before it changes it.']
        : []),
    ],
    estimate: estimateFor(restarts),
  };
}

function applyEdits(config: Record<string, string>, edits: Record<string, string | null>): Record<string, string> {
  const out = { ...config };
  for (const [k, v] of Object.entries(edits)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * The inventory a migration runs on: the brokers and the controllers as nodes of one cluster
 * (hosts are opened by id), and the KRaft tools pointed at the controllers' listeners.
 */
export function migrationInventory(inventory: Inventory): Inventory {
  const controllers = inventory.migration?.controllers ?? [];
  const first = controllers[0];
  if (!first) return inventory;
  return {
    ...inventory,
    brokers: [...inventory.brokers, ...controllers],
    kraft: { bootstrapController: controllers.map((c) => c.listener).join(','), toolsNode: first.id },
  };
}
