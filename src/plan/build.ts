/**
 * Planning: (inventory, observed state, target) → plan. Pure: no I/O, no clock.
 *
 * Every phase is defined by the value it wants per key; a broker whose current value
 * already reaches it is a skipped step, so a re-run after a partial upgrade (or after
 * a crash) restarts only the brokers still behind.
 */
import { UserError } from '../errors.js';
import type { BrokerSpec, Inventory } from '../inventory/model.js';
import type { ConfigChange, Plan, PlanPhase, PlanStep, Strategy } from './model.js';
import { PLAN_SCHEMA_VERSION } from './model.js';
import type { ObservedBroker, ObservedCluster } from './observed.js';
import {
  IBP_KEY,
  IBP_NO_DOWNGRADE_FROM,
  LMFV_IGNORED_FROM,
  LMFV_INTRODUCED,
  LMFV_KEY,
  assertUpgradePath,
  assertZooKeeperTarget,
  compareProtocol,
  compareRelease,
  configValueFor,
  hasMessageFormatConfig,
  kraftReleaseFamily,
  messageFormatOf,
  releaseFamily,
  resolveProtocolVersion,
} from './versions.js';
import { buildKraftUpgradePlan } from './kraft.js';
import { ROLL_GATES, estimateFor, phaseTimeouts, swapStep, type UpgradeTarget } from './steps.js';

/** Brokers in roll order: by id, the active controller (when known) last. */
export function brokerOrder(ids: readonly number[], controller?: number): number[] {
  const sorted = [...ids].sort((a, b) => a - b);
  if (controller === undefined || !sorted.includes(controller)) return sorted;
  return [...sorted.filter((id) => id !== controller), controller];
}

/** The release family the cluster is on: the lowest of every broker's release and pinned IBP. */
export function currentRelease(observed: ObservedCluster): string {
  const families = observed.brokers.flatMap((b) => {
    const release = releaseFamily(b.release);
    const ibp = b.config[IBP_KEY];
    const pinned = ibp ? releaseFamily(ibp) : undefined;
    return [release, pinned].filter((f): f is string => f !== undefined);
  });
  if (families.length === 0) {
    throw new UserError('The installed Kafka release could not be determined on any broker.', {
      code: 'UNKNOWN_CURRENT_VERSION',
      action: 'Pass --from with the release the cluster runs now.',
    });
  }
  return families.reduce((low, f) => (compareRelease(f, low) < 0 ? f : low));
}

export function buildUpgradePlan(inventory: Inventory, observed: ObservedCluster, target: UpgradeTarget, from?: string): Plan {
  if (inventory.mode === 'kraft') return buildKraftUpgradePlan(inventory, observed, target, from);
  assertZooKeeperTarget(target.to);
  const current = from ?? currentRelease(observed);
  const to = target.to;
  // Read from the hosts, a cluster already on the target is a re-run: every phase is skipped.
  const rerun = observed.source === 'hosts' && compareRelease(current, to) === 0;
  assertUpgradePath(current, to, observed.source === 'hosts');
  const order = brokerOrder(
    inventory.brokers.map((b) => b.id),
    observed.controller,
  );
  // Each phase plans against the state the previous phases leave behind.
  const brokers = order.map((id) => pair(inventory, observed, id));
  const applied = (step: PlanStep, seen: ObservedBroker): PlanStep => {
    for (const [key, change] of Object.entries(step.changes)) seen.config[key] = change.to ?? undefined;
    if (step.install) seen.installDir = step.install.to;
    return step;
  };
  const fromValue = configValueFor(current);
  const toValue = configValueFor(to);
  const withLmfv = hasMessageFormatConfig(to);
  const lmfvIgnored = compareRelease(to, LMFV_IGNORED_FROM) >= 0;
  const timeouts = phaseTimeouts(inventory);
  const strategy: Strategy = target.canary ? 'serial-canary' : 'serial';
  // A skipped phase's reason says why it is skipped; a running phase's (`extra.reason`) why it does what it does.
  const roll = (id: PlanPhase['id'], title: string, steps: PlanStep[], skipReason: string, extra: Partial<PlanPhase> = {}): PlanPhase => {
    const { skipped: forced, reason: why, ...rest } = extra;
    const skipped = forced ?? steps.every((s) => s.skipped);
    const reason = skipped ? (forced ? why : skipReason) : why;
    return {
      id,
      title,
      kind: 'roll',
      strategy,
      skipped,
      ...(reason ? { reason } : {}),
      gates: id === 'swap-binaries' ? [...ROLL_GATES, 'target-install-present'] : ROLL_GATES,
      consecutiveHealthyChecks: 3,
      timeouts,
      steps,
      ...rest,
    };
  };

  // From IBP 3.0 the message format follows the protocol version and log.message.format.version
  // is ignored (KIP-724): Kafka's 3.x notes pin it only to hold a pre-0.11 format (v0/v1) through
  // the swap, and advise clearing it in the same restart as the IBP bump.
  const fromFormat = formatOf(fromValue);
  const pinsLmfv = withLmfv && (!lmfvIgnored || fromFormat < 2);
  const pinKeys: Record<string, string> = { [IBP_KEY]: fromValue, ...(pinsLmfv ? { [LMFV_KEY]: fromValue } : {}) };
  const lmfvSetBefore = brokers.some(([, seen]) => seen.config[LMFV_KEY] !== undefined);
  const pinWhy = !lmfvIgnored
    ? undefined
    : pinsLmfv
      ? `${LMFV_KEY} is pinned to ${fromValue} (the message format v${fromFormat} the cluster writes now) so the ${to} binaries keep that format through the swap; from ${IBP_KEY} ${LMFV_IGNORED_FROM} on it is ignored and the format becomes v2 at bump-ibp.`
      : `${LMFV_KEY} is not pinned: ${withLmfv ? `the cluster writes message format v2 already (every release from 0.11 does), and ` : ''}from ${IBP_KEY} ${LMFV_IGNORED_FROM} on the message format follows the protocol version (KIP-724), so Kafka's upgrade notes pin only ${IBP_KEY}.${lmfvSetBefore ? ` The ${LMFV_KEY} already set is kept until bump-ibp removes it.` : ''}`;
  const pin = roll(
    'pin-versions',
    `Pin ${pinsLmfv ? 'inter.broker.protocol.version and log.message.format.version' : 'inter.broker.protocol.version'} to the current ${current}`,
    // An LMFV the operator already set (even lower than the current release) is kept, as
    // Kafka's upgrade notes say; only an unset one is pinned.
    brokers.map(([spec, seen]) =>
      rerun
        ? { broker: spec.id, host: spec.host, changes: {}, skipped: true, reason: `Already on ${to}.` }
        : applied(configStep(spec, seen, seen.config[LMFV_KEY] === undefined ? pinKeys : { [IBP_KEY]: fromValue }), seen),
    ),
    [
      rerun
        ? `The cluster already runs ${to}.`
        : `Already pinned: every broker has inter.broker.protocol.version >= ${fromValue}${pinsLmfv ? ' and log.message.format.version set' : ''}.`,
      ...(pinWhy && !rerun ? [pinWhy] : []),
    ].join(' '),
    pinWhy && !rerun ? { reason: pinWhy } : {},
  );

  const swap = roll(
    'swap-binaries',
    `Swap the binaries to ${to} (flip the install symlink)`,
    brokers.map(([spec, seen]) => applied(swapStep(spec, seen, to), seen)),
    `Every broker already runs a ${to} install.`,
    { strategy: 'serial-canary' },
  );

  const crossesNoDowngrade = compareRelease(current, IBP_NO_DOWNGRADE_FROM) < 0 && compareRelease(to, IBP_NO_DOWNGRADE_FROM) >= 0;
  // The message format each broker writes when bump-ibp starts (after the pin and the swap).
  const lowestFormat = brokers.reduce((m, [, seen]) => Math.min(m, formatOf(seen.config[LMFV_KEY] ?? fromValue)), Infinity);
  const formatChangesAtIbp = lmfvIgnored && withLmfv && lowestFormat < 2;
  const ibpNoReturn = [
    lmfvIgnored
      ? `Kafka's ${to} upgrade notes: once the brokers use inter.broker.protocol.version ${toValue}, the cluster can no longer be downgraded to an older release.`
      : undefined,
    crossesNoDowngrade
      ? `Once inter.broker.protocol.version is ${IBP_NO_DOWNGRADE_FROM} or higher, a downgrade below ${IBP_NO_DOWNGRADE_FROM} is impossible (new consumer-offsets schema).`
      : undefined,
    formatChangesAtIbp
      ? `From inter.broker.protocol.version ${LMFV_IGNORED_FROM}, log.message.format.version is ignored: the message format becomes v2 now (from v${lowestFormat}), so older clients pay for down-conversion and a binary downgrade is no longer safe.`
      : undefined,
  ].filter((s): s is string => s !== undefined);
  // From 3.0 the IBP bump also clears log.message.format.version where it is set (Kafka's 3.0 notes).
  const ibpWanted = (seen: ObservedBroker): Record<string, string | null> => ({
    [IBP_KEY]: toValue,
    ...(lmfvIgnored && seen.config[LMFV_KEY] !== undefined ? { [LMFV_KEY]: null } : {}),
  });
  const ibpSteps = brokers.map(([spec, seen]) => applied(configStep(spec, seen, ibpWanted(seen)), seen));
  const removesLmfv = ibpSteps.some((s) => s.changes[LMFV_KEY]?.to === null);
  const bumpIbp = roll(
    'bump-ibp',
    `Bump inter.broker.protocol.version to ${toValue}${removesLmfv ? ' and remove log.message.format.version' : ''}`,
    ibpSteps,
    `Every broker already has inter.broker.protocol.version >= ${toValue}${lmfvIgnored ? ` and no ${LMFV_KEY}` : ''}.`,
    {
      ...(ibpNoReturn.length > 0 ? { pointOfNoReturn: ibpNoReturn.join(' ') } : {}),
      ...(removesLmfv
        ? {
            reason: `${LMFV_KEY} is removed in the same restart: it is deprecated and ignored from ${IBP_KEY} ${LMFV_IGNORED_FROM} (KIP-724), and Kafka's 3.0 notes advise clearing it with the IBP bump (a stale value would count again if ${IBP_KEY} were ever lowered).`,
          }
        : {}),
    },
  );

  const lmfvBump = withLmfv && !lmfvIgnored;
  const lmfvSteps = brokers.map(([spec, seen]) =>
    lmfvBump
      ? applied(configStep(spec, seen, { [LMFV_KEY]: toValue }), seen)
      : { broker: spec.id, host: spec.host, changes: {}, skipped: true, reason: 'No message format change in this upgrade.' },
  );
  const lmfvNotApplicable = !withLmfv
    ? `log.message.format.version does not exist before ${LMFV_INTRODUCED}: there is no message format to bump.`
    : lmfvIgnored
      ? `log.message.format.version is deprecated and ignored from inter.broker.protocol.version ${LMFV_IGNORED_FROM} (KIP-724): the message format follows the protocol version, so there is nothing to bump${removesLmfv ? ' (bump-ibp removes the key)' : ''}.`
      : undefined;
  const bumpLmfv = roll(
    'bump-lmfv',
    `Bump log.message.format.version to ${toValue}`,
    lmfvSteps,
    lmfvNotApplicable ?? `Every broker already has log.message.format.version >= ${toValue}.`,
    lmfvBump
      ? {
          pointOfNoReturn:
            'After the message format is bumped, consumers older than the new format need down-conversion on the brokers, and a binary downgrade is no longer safe.',
        }
      : { skipped: true, reason: lmfvNotApplicable },
  );

  // The client gate stands where the message format changes: before bump-lmfv, or from 3.0
  // (where bump-lmfv is a no-op) before bump-ibp, which moves a v0/v1 cluster to v2.
  const clientsSkipped = lmfvIgnored ? !formatChangesAtIbp : bumpLmfv.skipped;
  const clientsReason = lmfvIgnored
    ? formatChangesAtIbp
      ? `From inter.broker.protocol.version ${LMFV_IGNORED_FROM} the message format follows the protocol version: bump-ibp, next, moves the brokers from message format v${lowestFormat} to v2, so clients older than 0.11 must be upgraded before it.`
      : `The message format is v2 already and stays v2 (from inter.broker.protocol.version ${LMFV_IGNORED_FROM} it follows the protocol version), so nothing waits on the clients; upgrade them at your own pace.`
    : clientsSkipped
      ? 'No message format bump follows, so nothing waits on the clients; upgrade them at your own pace.'
      : undefined;
  const clients: PlanPhase = {
    id: 'upgrade-clients',
    title: `Upgrade the clients to ${to}`,
    kind: 'gate',
    strategy: 'serial',
    skipped: clientsSkipped,
    ...(clientsReason ? { reason: clientsReason } : {}),
    gates: [],
    consecutiveHealthyChecks: 0,
    timeouts,
    prompt: `Have all producers and consumers of cluster ${inventory.cluster} been upgraded to ${to} clients?`,
    steps: [],
  };

  const phases = lmfvIgnored ? [pin, swap, clients, bumpIbp, bumpLmfv] : [pin, swap, bumpIbp, clients, bumpLmfv];
  const restarts = phases.reduce((n, p) => n + (p.skipped ? 0 : p.steps.filter((s) => !s.skipped).length), 0);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: 'upgrade',
    cluster: inventory.cluster,
    from: current,
    to,
    observed: observed.source,
    order,
    controller: controllerNote(observed.controller),
    phases,
    notes: [
      ...(compareRelease(current, '0.10.0') < 0 && withLmfv
        ? [
            `The ${current} binaries do not know log.message.format.version; pinning it before the swap is what Kafka's upgrade notes require.`,
          ]
        : []),
      ...(observed.source === 'assumed'
        ? [`State was assumed from --from ${current} (no host was contacted); the executor re-reads every broker before touching it.`]
        : []),
    ],
    estimate: estimateFor(restarts),
  };
}

export function controllerNote(controller?: number): Plan['controller'] {
  return controller === undefined
    ? { broker: null, note: 'The active controller is not known yet; the executor re-reads it before each broker and moves it last.' }
    : {
        broker: controller,
        note: `Broker ${controller} is the active controller: it goes last (re-read before each broker, since it can move).`,
      };
}

function pair(inventory: Inventory, observed: ObservedCluster, id: number): [BrokerSpec, ObservedBroker] {
  const spec = inventory.brokers.find((b) => b.id === id);
  const seen = observed.brokers.find((b) => b.id === id);
  if (!spec || !seen) throw new TypeError(`broker ${id} missing from inventory or observed state`);
  return [spec, { ...seen, config: { ...seen.config } }];
}

/** A step setting `wanted` keys (null: removing them), skipping keys whose current value already reaches the wanted one. */
function configStep(spec: BrokerSpec, seen: ObservedBroker, wanted: Record<string, string | null>): PlanStep {
  const changes: Record<string, ConfigChange> = {};
  for (const [key, value] of Object.entries(wanted)) {
    const current = seen.config[key];
    if (value === null) {
      if (current !== undefined) changes[key] = { from: current, to: null };
      continue;
    }
    const resolved = current === undefined ? undefined : resolveProtocolVersion(current);
    if (resolved !== undefined && compareProtocol(resolved, value) >= 0) continue;
    changes[key] = { from: current ?? null, to: value };
  }
  const skipped = Object.keys(changes).length === 0;
  return {
    broker: spec.id,
    host: spec.host,
    changes,
    skipped,
    ...(skipped
      ? {
          reason: `Already set: ${Object.keys(wanted)
            .map((k) => `${k}=${seen.config[k] ?? '(unset)'}`)
            .join(', ')}.`,
        }
      : {}),
  };
}

/** The message format a protocol version (or release) writes: v0, v1 or v2; 0 when it does not resolve. */
function formatOf(version: string): 0 | 1 | 2 {
  const id = resolveProtocolVersion(version);
  return id ? messageFormatOf(id) : 0;
}

/**
 * The observed state `plan --from` assumes when no host is contacted: every broker on
 * `from`, linked to its `from` install if the inventory has one, IBP/LMFV unset.
 */
export function assumedState(inventory: Inventory, from: string): ObservedCluster {
  const familyOf = inventory.mode === 'kraft' ? kraftReleaseFamily : releaseFamily;
  return {
    source: 'assumed',
    brokers: inventory.brokers.map((b) => {
      const install = Object.entries(b.installs).find(([release]) => familyOf(release) === from);
      return { id: b.id, release: install?.[0] ?? from, installDir: install?.[1] ?? null, config: {} };
    }),
  };
}

/** The plan when no host is contacted: every broker assumed on `from`. */
export function assumedPlan(inventory: Inventory, from: string, to: string, canary?: boolean): Plan {
  return buildUpgradePlan(inventory, assumedState(inventory, from), { to, canary }, from);
}
