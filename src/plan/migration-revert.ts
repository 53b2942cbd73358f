/**
 * Reverting a ZooKeeper → KRaft migration before finalize (`kafka-ops abort --revert`), after
 * Kafka 3.9's "Reverting to ZooKeeper mode During the Migration": where the hosts stand decides
 * what is left to undo (the table's rows, last completed step first). Pure.
 *  - controllers provisioned: deprovision the quorum (stop the controllers, their log dirs moved aside);
 *  - brokers in migration mode: the above, `delete /controller` and `delete /migration` in ZooKeeper
 *    at once, then every broker rolled without the migration flag and the quorum settings
 *    (node.id → broker.id), and its __cluster_metadata-0 deleted;
 *  - brokers already KRaft brokers, or the controllers finalized: not automated (refused; the first
 *    needs each broker rolled back to migration mode first, the second has no way back).
 */
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import type { Plan, PlanStep } from './model.js';
import { PLAN_SCHEMA_VERSION } from './model.js';
import { CONTROLLER_LISTENER, MIGRATION_FLAG, MIGRATION_RELEASE, type MigrationObservation } from './migration.js';
import { ROLL_GATES, estimateFor, phaseTimeouts } from './steps.js';

export type RevertPoint = 'nothing' | 'controllers' | 'brokers-in-migration' | 'kraft-brokers' | 'finalized';

const MIGRATION_BROKER_KEYS = [
  MIGRATION_FLAG,
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'controller.listener.names',
];

const inMigration = (config: Record<string, string>) =>
  MIGRATION_BROKER_KEYS.some((k) => config[k] !== undefined) || hasControllerProtocol(config['listener.security.protocol.map']);
const hasControllerProtocol = (map: string | undefined) => map?.split(',').some((e) => e.split(':')[0] === CONTROLLER_LISTENER) ?? false;

/** The furthest step of the migration the hosts show done (or begun). */
export function revertPointOf(observed: MigrationObservation): RevertPoint {
  const provisioned = observed.controllers.filter((c) => c.config?.['process.roles'] === 'controller');
  if (provisioned.some((c) => c.config?.[MIGRATION_FLAG] !== 'true')) return 'finalized';
  if (observed.brokers.some((b) => b.config['process.roles'] !== undefined)) return 'kraft-brokers';
  if (observed.brokers.some((b) => inMigration(b.config))) return 'brokers-in-migration';
  if (provisioned.length > 0 || observed.controllers.some((c) => c.running)) return 'controllers';
  return 'nothing';
}

/** A broker in migration mode back to a ZooKeeper-mode broker: the keys roll 1 added go, node.id → broker.id. */
export function brokerRevertEdits(config: Record<string, string>, before?: Record<string, string | null>): Record<string, string | null> {
  const edits: Record<string, string | null> = Object.fromEntries(
    MIGRATION_BROKER_KEYS.filter((k) => config[k] !== undefined).map((k) => [k, null]),
  );
  const map = config['listener.security.protocol.map'];
  if (hasControllerProtocol(map)) {
    // The value it had before roll 1, when the plan recorded it; else the same map without CONTROLLER.
    const recorded = before?.['listener.security.protocol.map'];
    edits['listener.security.protocol.map'] =
      recorded !== undefined
        ? recorded
        : (map as string)
            .split(',')
            .filter((e) => e.split(':')[0] !== CONTROLLER_LISTENER)
            .join(',') || null;
  }
  if (config['node.id'] !== undefined) {
    edits['node.id'] = null;
    if (config['broker.id'] === undefined) edits['broker.id'] = config['node.id'];
  }
  return edits;
}

export function refuseRevert(point: RevertPoint, inventory: Inventory): UserError | undefined {
  if (point === 'finalized')
    return new UserError(
      'The migration is finalized (a controller runs without zookeeper.metadata.migration.enable): there is no way back to ZooKeeper mode.',
      {
        code: 'MIGRATION_FINALIZED',
        action: 'Kafka documents no revert after finalizing: the cluster is KRaft for good. Nothing was touched.',
        location: { file: inventory.source },
      },
    );
  if (point === 'kraft-brokers')
    return new UserError(
      'Some brokers already run as KRaft brokers (process.roles set): `abort --revert` does not automate that revert yet.',
      {
        code: 'REVERT_NOT_AUTOMATED',
        action:
          'On each KRaft broker, one at a time: remove process.roles, replace node.id with broker.id, restore zookeeper.connect (and the other zookeeper.* keys) and inter.broker.protocol.version, and restart it (it is back in migration mode); then run `kafka-ops abort --revert` again. Nothing was touched.',
      },
    );
  if (point === 'nothing')
    return new UserError(
      'Nothing to revert: no controller of `migration.controllers` is provisioned or running and no broker is in migration mode.',
      {
        code: 'NOTHING_TO_REVERT',
        action: 'The cluster runs in ZooKeeper mode. Nothing was touched.',
      },
    );
  return undefined;
}

/** The roll of the revert: every broker still in migration mode, without its migration keys, with every gate. */
export function buildRevertRollPlan(
  inventory: Inventory,
  observed: MigrationObservation,
  before: Record<number, Record<string, string | null>> = {},
): Plan {
  const steps: PlanStep[] = [...inventory.brokers]
    .sort((a, b) => a.id - b.id)
    .map((spec) => {
      const config = observed.brokers.find((b) => b.id === spec.id)?.config ?? {};
      const edits = inMigration(config) || config['node.id'] !== undefined ? brokerRevertEdits(config, before[spec.id]) : {};
      const changes = Object.fromEntries(Object.entries(edits).map(([k, to]) => [k, { from: config[k] ?? null, to }]));
      const skipped = Object.keys(changes).length === 0;
      return { broker: spec.id, host: spec.host, changes, skipped, ...(skipped ? { reason: 'in ZooKeeper mode already' } : {}) };
    });
  const restarts = steps.filter((s) => !s.skipped).length;
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: 'roll',
    cluster: inventory.cluster,
    from: MIGRATION_RELEASE,
    to: MIGRATION_RELEASE,
    observed: observed.source,
    order: steps.map((s) => s.broker),
    controller: { broker: null, note: 'A broker became the ZooKeeper controller again when /controller was deleted.' },
    phases: [
      {
        // A roll-config phase (the plan file's own kinds): its title says it is the revert.
        id: 'roll-config',
        title: `Revert: roll the brokers back to ZooKeeper mode (${MIGRATION_FLAG}, controller.quorum.voters, controller.listener.names removed)`,
        kind: 'roll',
        strategy: 'serial',
        skipped: restarts === 0,
        ...(restarts === 0 ? { reason: 'Every broker is in ZooKeeper mode already.' } : {}),
        gates: [...ROLL_GATES],
        consecutiveHealthyChecks: 3,
        timeouts: phaseTimeouts(inventory),
        steps,
      },
    ],
    notes: ['Reverting a ZooKeeper → KRaft migration before finalize (kafka-ops abort --revert).'],
    estimate: estimateFor(restarts),
  };
}
