/** A one-phase rolling configuration change (`kafka-ops roll --set k=v --unset k`). Pure. */
import { UserError } from '../errors.js';
import type { Inventory } from '../inventory/model.js';
import { brokerOrder, controllerNote, currentRelease } from './build.js';
import { ROLL_GATES, estimateFor, phaseTimeouts } from './steps.js';
import { currentKraftRelease, kraftNodeOrder, kraftRollGates } from './kraft.js';
import type { ConfigChange, Plan, PlanStep } from './model.js';
import { PLAN_SCHEMA_VERSION } from './model.js';
import type { ObservedCluster } from './observed.js';

export interface RollRequest {
  /** key → value; `{id}` in a value becomes the broker's id (e.g. log.dirs=/data/kafka-{id}). */
  set: Record<string, string>;
  unset: string[];
  canary?: boolean;
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
  const steps: PlanStep[] = order.map((id) => {
    const spec = inventory.brokers.find((b) => b.id === id);
    const config = full[id] ?? {};
    const changes: Record<string, ConfigChange> = {};
    for (const [key, template] of Object.entries(request.set)) {
      const value = template.replaceAll('{id}', String(id));
      if (config[key] !== value) changes[key] = { from: config[key] ?? null, to: value };
    }
    for (const key of request.unset) if (config[key] !== undefined) changes[key] = { from: config[key], to: null };
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
