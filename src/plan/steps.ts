/** The parts every plan builder shares (upgrade, KRaft upgrade, rolling change): gates, steps, estimates. */
import { UserError } from '../errors.js';
import type { BrokerSpec, Inventory } from '../inventory/model.js';
import type { GateId, Plan, PlanPhase, PlanStep } from './model.js';
import type { ObservedBroker } from './observed.js';
import { releaseFamily } from './versions.js';

export interface UpgradeTarget {
  to: string;
  /** Pause for confirmation after the first broker of every roll phase (the binary swap always has one). */
  canary?: boolean;
}

/** Seconds one broker restart is assumed to take (stop + start + catch-up) for the estimate. */
export const ASSUMED_RESTART_SECONDS = 60;

export const ROLL_GATES: GateId[] = [
  'no-offline-partitions',
  'no-under-replicated-partitions',
  'min-isr-holds-without-broker',
  'leadership-settled',
  'controlled-shutdown-enabled',
  'stop-signal-honoured',
  'config-lint',
  'registered',
  'isr-caught-up',
];

/** A phase's timeouts: the longest any of its brokers is allowed. */
export function phaseTimeouts(inventory: Inventory): PlanPhase['timeouts'] {
  return {
    // reduce, not Math.max(...spread): one argument per broker overflows the stack past ~100k brokers (issue 14)
    stopSeconds: inventory.brokers.reduce((m, b) => Math.max(m, b.stop.timeoutSeconds), -Infinity),
    startSeconds: inventory.brokers.reduce((m, b) => Math.max(m, b.startTimeoutSeconds), -Infinity),
  };
}

export function estimateFor(restarts: number): Plan['estimate'] {
  return {
    restarts,
    seconds: restarts * ASSUMED_RESTART_SECONDS,
    assumption: `${ASSUMED_RESTART_SECONDS} s per broker restart (stop + start + catch-up); large logs take longer`,
  };
}

/** The install key of `spec` an upgrade to the family `to` swaps to: its newest release of that family. */
export function targetInstallOf(
  spec: BrokerSpec,
  to: string,
  familyOf: (release: string) => string | undefined = releaseFamily,
): string | undefined {
  return Object.keys(spec.installs)
    .filter((release) => familyOf(release) === to)
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0];
}

export function swapStep(
  spec: BrokerSpec,
  seen: ObservedBroker,
  to: string,
  familyOf: (release: string) => string | undefined = releaseFamily,
): PlanStep {
  const release = targetInstallOf(spec, to, familyOf);
  if (!release) {
    throw new UserError(`Broker ${spec.id} has no install of a ${to} release in the inventory.`, {
      code: 'TARGET_INSTALL_UNKNOWN',
      action: `Add the ${to} install directory under \`installs\` (e.g. "${to}.0": /opt/kafka_2.13-${to}.0) for this broker or in \`defaults\`.`,
    });
  }
  const target = spec.installs[release] as string;
  const done = seen.installDir === target;
  return {
    broker: spec.id,
    host: spec.host,
    changes: {},
    install: { link: spec.installLink, from: seen.installDir, to: target, release },
    skipped: done,
    ...(done ? { reason: `${spec.installLink} already points at ${target}.` } : {}),
  };
}
