/** Flags shared by several commands; each main flag has an environment variable. */
import { Flags } from '@oclif/core';
import { defaultStateDir } from '../store/journal.js';
import type { BatchSize } from '../engine/batches.js';
import { UserError } from '../errors.js';

export const inventoryFlag = Flags.string({
  char: 'i',
  description: 'Inventory file describing the cluster.',
  env: 'KAFKA_OPS_INVENTORY',
});

export const toFlag = Flags.string({
  description: 'Target Kafka release, e.g. 0.11 or 2.8.',
  env: 'KAFKA_OPS_TO',
});

export const fromFlag = Flags.string({
  description: 'Release the cluster runs now (read from the hosts when omitted).',
  env: 'KAFKA_OPS_FROM',
});

export const canaryFlag = Flags.boolean({
  description: 'Pause for confirmation after the first broker of every roll phase (the binary swap always pauses).',
  env: 'KAFKA_OPS_CANARY',
  default: false,
});

export const stateDirFlag = Flags.string({
  description:
    'Where the journal, the plan being applied and the local lock live (default: $XDG_STATE_HOME/kafka-ops, else ~/.local/state/kafka-ops; one folder per cluster).',
  env: 'KAFKA_OPS_STATE_DIR',
});

/** `--state-dir`, or the default one. */
export const stateDirOf = (flags: { 'state-dir'?: string }): string => flags['state-dir'] ?? defaultStateDir();

export const yesFlag = Flags.boolean({
  char: 'y',
  description: 'Accept the default answer of every question (for CI).',
  env: 'KAFKA_OPS_YES',
  default: false,
});

/** Flags of every command that restarts brokers. */
export const runFlags = {
  yes: yesFlag,
  'state-dir': stateDirFlag,
  'clients-upgraded': Flags.boolean({
    description: 'Confirm the client-upgrade gate up front (every producer and consumer already runs the new client).',
    env: 'KAFKA_OPS_CLIENTS_UPGRADED',
    default: false,
  }),
  'kill-on-stop-timeout': Flags.boolean({
    description: 'SIGKILL a broker that has not exited when its stop timeout ends (default: halt).',
    default: false,
  }),
  'stop-signal': Flags.string({
    description: 'Signal that stops a broker (overrides the inventory).',
    options: ['SIGINT', 'SIGTERM'],
    env: 'KAFKA_OPS_STOP_SIGNAL',
  }),
  batch: Flags.string({
    description:
      'Brokers stopped together: 1 (one at a time), N (at most N) or auto (as many as are safe). A batch is chosen from the live replica placement so that stopping it keeps every partition at or above min.insync.replicas; the controller goes alone and last.',
    env: 'KAFKA_OPS_BATCH',
    default: '1',
  }),
  brokers: Flags.string({
    description:
      'Restart only these brokers (ids, e.g. 1,3); the others stay as they are. A phase that needs every broker done first (IBP or message-format bump, client gate) waits for a run that includes the rest.',
    env: 'KAFKA_OPS_BROKERS',
  }),
  'pause-between': Flags.string({
    description: 'Pause this long after each broker or batch is caught up, before the next (e.g. 30s, 5m, 500ms).',
    env: 'KAFKA_OPS_PAUSE_BETWEEN',
  }),
  'log-file': Flags.string({
    description:
      'Also write every event of the run (engine events, questions and answers, start, end or error) to this file as JSON lines with timestamps; appended, created 0600, secret values redacted.',
    env: 'KAFKA_OPS_LOG_FILE',
  }),
  'elect-preferred-leaders': Flags.boolean({
    description:
      'After each broker or batch is caught up, move back the leaderships whose preferred replica it is (a preferred leader election through ZooKeeper) and wait until they are back; a wait past 60 s warns, never fails the run. Default: on when a broker has auto.leader.rebalance.enable=false. Not supported with the admin-API reader (an error before any restart).',
    env: 'KAFKA_OPS_ELECT_PREFERRED_LEADERS',
    allowNo: true,
  }),
  'quorum-timeout': Flags.string({
    description:
      'KRaft: how long a controller waits for the other voters to form a caught-up majority before it is stopped; then the run halts (default 120s).',
    env: 'KAFKA_OPS_QUORUM_TIMEOUT',
  }),
};

/** `--pause-between`, `--quorum-timeout`: a whole number with ms, s, m or h (seconds when bare). */
export function durationMsOf(value: string, flag = '--pause-between'): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m)
    throw new UserError(`${flag} ${value}: expected a duration such as 30s, 5m or 500ms.`, {
      code: 'BAD_FLAG',
      action: 'Pass a whole number followed by ms, s, m or h.',
    });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** `--batch`: `auto` or a positive whole number. */
export function batchOf(value: string): BatchSize {
  const v = value.trim().toLowerCase();
  if (v === 'auto') return 'auto';
  if (/^[1-9]\d*$/.test(v)) return Number(v);
  throw new UserError(`--batch ${value}: expected auto or a positive whole number (1 = one broker at a time).`, {
    code: 'BAD_FLAG',
    action: 'Pass --batch auto, or --batch N with N >= 1.',
  });
}

/** `--brokers 1,3` → [1, 3] (each a whole number, at least one). */
export function parseBrokerList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new UserError(`--brokers ${value}: expected broker ids separated by commas, e.g. 1,3.`, {
      code: 'BAD_FLAG',
      action: 'Pass the ids of the brokers to restart, as in the inventory: --brokers 1,3.',
    });
  }
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

export function runOptionsOf(flags: {
  yes: boolean;
  'state-dir'?: string;
  'kill-on-stop-timeout': boolean;
  'clients-upgraded': boolean;
  'stop-signal'?: string;
  batch?: string;
  brokers?: string;
  'pause-between'?: string;
  'elect-preferred-leaders'?: boolean;
  'quorum-timeout'?: string;
  'log-file'?: string;
}) {
  return {
    yes: flags.yes,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    stateDir: stateDirOf(flags),
    killOnStopTimeout: flags['kill-on-stop-timeout'],
    clientsUpgraded: flags['clients-upgraded'],
    ...(flags['stop-signal'] ? { stopSignal: flags['stop-signal'] as 'SIGINT' | 'SIGTERM' } : {}),
    batch: batchOf(flags.batch ?? '1'),
    brokers: flags.brokers ? parseBrokerList(flags.brokers) : undefined,
    ...(flags['pause-between'] ? { pauseBetweenMs: durationMsOf(flags['pause-between']) } : {}),
    ...(flags['log-file'] ? { logFile: flags['log-file'] } : {}),
    ...(flags['elect-preferred-leaders'] !== undefined ? { electPreferredLeaders: flags['elect-preferred-leaders'] } : {}),
    ...(flags['quorum-timeout'] ? { quorumTimeoutMs: durationMsOf(flags['quorum-timeout'], '--quorum-timeout') } : {}),
  };
}

/** Flags of the CI gates `check` and `verify`. */
export const gateFlags = {
  strict: Flags.boolean({ description: 'Warnings fail too (exit 1), not only errors.', env: 'KAFKA_OPS_STRICT', default: false }),
  junit: Flags.string({
    description: 'Also write the result as JUnit XML to this file (one test case per check).',
    env: 'KAFKA_OPS_JUNIT',
  }),
};
