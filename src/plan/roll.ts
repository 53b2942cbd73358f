/** A one-phase rolling configuration change (`kafka-ops roll --set k=v --unset k`). Pure. */
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import { brokerOrder, controllerNote, currentRelease } from './build.js';
import { ROLL_GATES, estimateFor, phaseTimeouts } from './steps.js';
import { currentKraftRelease, kraftNodeOrder, kraftRollGates } from './kraft.js';
import type { ConfigChange, Plan, PlanStep } from './model.js';
import { PLAN_SCHEMA_VERSION } from './model.js';
import type { ObservedCluster } from './observed.js';
import { isSecretKey, REDACTED } from '../config/secret-keys.js';

export interface RollRequest {
  /** key → value; `{id}` in a value becomes the broker's id (e.g. log.dirs=/data/kafka-{id}). */
  set: Record<string, string>;
  unset: string[];
  canary?: boolean;
  /** Let a key that must differ per broker (PER_BROKER_KEYS) get one value on several brokers. */
  allowSameValue?: boolean;
}

/**
 * Keys whose value identifies one broker: one value on several brokers breaks them (two
 * brokers with one id: the second never registers; one log dir or listener for all). A value
 * with `{id}` differs per broker. `broker.rack` counts when the brokers' racks differ today.
 */
export const PER_BROKER_KEYS = ['broker.id', 'node.id', 'listeners', 'advertised.listeners', 'log.dirs', 'log.dir'] as const;

/** Refuses `--set` of a per-broker key to one value on several brokers. */
export function assertPerBrokerValues(
  request: RollRequest,
  brokers: readonly number[],
  full: Record<number, Record<string, string>>,
): void {
  if (request.allowSameValue || brokers.length < 2) return;
  const racks = new Set(brokers.map((id) => full[id]?.['broker.rack']));
  const perBroker = new Set<string>([...PER_BROKER_KEYS, ...(racks.size > 1 ? ['broker.rack'] : [])]);
  for (const [key, template] of Object.entries(request.set)) {
    if (!perBroker.has(key) || template.includes('{id}') || (key === 'listeners' && bindsNoHost(template))) continue;
    throw new UserError(`--set ${key}=${template} would give ${brokers.length} brokers the same ${key}; each broker needs its own.`, {
      code: 'PER_BROKER_KEY',
      action: `Use {id} in the value (e.g. --set '${key}=${exampleWithId(key)}'), roll one broker's file by hand, or pass --allow-same-value if one value on every broker is really meant. Nothing was touched.`,
    });
  }
}

/** `PLAINTEXT://:9092` or `0.0.0.0`: a listener that binds every interface is the same on every broker by design. */
function bindsNoHost(listeners: string): boolean {
  return listeners.split(',').every((l) => /^[A-Za-z0-9_]+:\/\/(|0\.0\.0\.0|\[::\]):\d+$/.test(l.trim()));
}

function exampleWithId(key: string): string {
  if (key === 'broker.id' || key === 'node.id') return '{id}';
  if (key === 'log.dirs' || key === 'log.dir') return '/data/kafka-{id}';
  if (key === 'broker.rack') return 'rack-{id}';
  return 'PLAINTEXT://broker-{id}:9092';
}

/** Parse `KEY=VALUE` flags; a bad one is a UserError. */
export function parseAssignments(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const match = /^([a-z][a-z0-9._-]*)=(.*)$/.exec(v);
    if (!match || /[\r\n]/.test(v)) {
      throw new UserError(`--set "${v}" is not KEY=VALUE with a server.properties key.`, {
        code: 'USAGE',
        action: 'Write it as --set key.name=value (one line).',
      });
    }
    out[match[1] as string] = match[2] as string;
  }
  return out;
}

export function buildRollPlan(
  inventory: Inventory,
  observed: ObservedCluster,
  request: RollRequest,
  full: Record<number, Record<string, string>>,
  /** The value a `--set` value stands for (a secret's `@env:NAME` reference resolved); the plan keeps the reference. */
  valueOf: (key: string, value: string) => string = (_key, value) => value,
): Plan {
  if (Object.keys(request.set).length === 0 && request.unset.length === 0) {
    throw new UserError('Nothing to change.', { code: 'USAGE', action: 'Give at least one --set KEY=VALUE or --unset KEY.' });
  }
  const kraft = inventory.mode === 'kraft';
  const order = kraft
    ? kraftNodeOrder(inventory.brokers, observed.controller)
    : brokerOrder(
        inventory.brokers.map((b) => b.id),
        observed.controller,
      );
  assertPerBrokerValues(request, order, full);
  const steps: PlanStep[] = order.map((id) => {
    const spec = inventory.brokers.find((b) => b.id === id);
    const config = full[id] ?? {};
    const changes: Record<string, ConfigChange> = {};
    for (const [key, template] of Object.entries(request.set)) {
      const value = template.replaceAll('{id}', String(id));
      if (config[key] !== valueOf(key, value)) changes[key] = { from: shown(key, config[key]), to: value };
    }
    for (const key of request.unset) if (config[key] !== undefined) changes[key] = { from: shown(key, config[key]), to: null };
    const skipped = Object.keys(changes).length === 0;
    return { broker: id, host: spec?.host ?? '', changes, skipped, ...(skipped ? { reason: 'Already has these values.' } : {}) };
  });
  const restarts = steps.filter((s) => !s.skipped).length;
  const release = kraft ? currentKraftRelease(observed) : currentRelease(observed);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: 'roll',
    ...(kraft ? { mode: 'kraft' as const } : {}),
    cluster: inventory.cluster,
    from: release,
    to: release,
    observed: observed.source,
    order,
    controller: controllerNote(observed.controller),
    phases: [
      {
        id: 'roll-config',
        title: `Rolling configuration change: ${[...Object.keys(request.set).map((k) => `set ${k}`), ...request.unset.map((k) => `unset ${k}`)].join(', ')}`,
        kind: 'roll',
        strategy: request.canary ? 'serial-canary' : 'serial',
        skipped: restarts === 0,
        ...(restarts === 0 ? { reason: 'Every broker already has these values.' } : {}),
        gates: kraft ? kraftRollGates().filter((g) => g !== 'target-install-present') : ROLL_GATES,
        consecutiveHealthyChecks: 3,
        timeouts: phaseTimeouts(inventory),
        steps,
      },
    ],
    notes: [],
    estimate: estimateFor(restarts),
  };
}

/** A value read from a host as the plan stores it: a secret's is REDACTED. */
function shown(key: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  return isSecretKey(key) ? REDACTED : value;
}
