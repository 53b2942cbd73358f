/**
 * The one error taxonomy of kafka-ops. Every failure a user can see is one of these
 * classes; each carries what went wrong, what to do about it, its exit code and
 * whether retrying the same thing could succeed (the executor uses `retriable` to
 * choose between retry and halt).
 */

/** Documented exit codes (README "Exit codes"); the only place they are defined. */
export const ExitCode = {
  ok: 0,
  findings: 1,
  badInput: 2,
  infrastructure: 3,
  halted: 4,
  bug: 70,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'user' | 'infrastructure' | 'halted' | 'interrupted' | 'bug';

/** A position in an input file, 1-based as editors show it. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface ErrorDetails {
  /** Stable machine-readable code, e.g. `INVENTORY_SCHEMA`, `SSH_HOST_KEY_CHANGED`. */
  code: string;
  /** What the user should do next. */
  action: string;
  location?: SourceLocation;
  cause?: unknown;
}

export abstract class KafkaOpsError extends Error {
  abstract readonly kind: ErrorKind;
  abstract readonly exitCode: ExitCodeValue;
  abstract readonly retriable: boolean;
  readonly code: string;
  readonly action: string;
  readonly location?: SourceLocation;
  /**
   * What the command had done when this error stopped it (a halted run's brokers done, where and
   * why it stopped); printed beside the error as the --json document's `result`.
   */
  result?: object;

  constructor(message: string, details: ErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code;
    this.action = details.action;
    this.location = details.location;
  }

  /** `file:line:column: message` when the error points into a file. */
  get where(): string | undefined {
    if (!this.location) return undefined;
    const { file, line, column } = this.location;
    return [file, line, line === undefined ? undefined : column].filter((p) => p !== undefined).join(':');
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      action: this.action,
      exitCode: this.exitCode,
      retriable: this.retriable,
      ...(this.location ? { location: this.location } : {}),
    };
  }
}

/** Bad input or usage: the user can fix it; nothing was touched. */
export class UserError extends KafkaOpsError {
  readonly kind = 'user' as const;
  readonly exitCode = ExitCode.badInput;
  readonly retriable = false;
}

/** An external system (SSH host, ZooKeeper, Kafka) could not be reached or misbehaved. */
export class InfrastructureError extends KafkaOpsError {
  readonly kind = 'infrastructure' as const;
  readonly exitCode = ExitCode.infrastructure;
  readonly retriable: boolean;
  constructor(message: string, details: ErrorDetails & { retriable: boolean }) {
    super(message, details);
    this.retriable = details.retriable;
  }
}

/** The rolling engine stopped on purpose: a gate failed or a broker did not come back. */
export class HaltError extends KafkaOpsError {
  readonly kind = 'halted' as const;
  readonly exitCode = ExitCode.halted;
  readonly retriable = false;
  readonly brokerId?: number;
  constructor(message: string, details: ErrorDetails & { brokerId?: number }) {
    super(message, details);
    this.brokerId = details.brokerId;
  }
}

/** The operator pressed Ctrl-C (or the process got SIGINT/SIGTERM). */
export class InterruptedError extends KafkaOpsError {
  readonly kind = 'interrupted' as const;
  readonly exitCode = ExitCode.interrupted;
  readonly retriable = true;
}

/** A defect in kafka-ops itself. */
export class BugError extends KafkaOpsError {
  readonly kind = 'bug' as const;
  readonly exitCode = ExitCode.bug;
  readonly retriable = false;
}

/** Anything thrown that is not ours becomes a BugError so it still has an action and an exit code. */
export function asKafkaOpsError(error: unknown): KafkaOpsError {
  if (error instanceof KafkaOpsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BugError(`Unexpected error: ${message}`, {
    code: 'UNEXPECTED',
    action: 'This is a bug in kafka-ops; please report it with the command you ran and this message.',
    cause: error,
  });
}
