/**
 * What the rolling engine needs from the machine (or pod, or app) a broker runs on.
 * Adapters: SSH (hosts/shell/shell-host.ts over hosts/ssh/), Kubernetes (hosts/kubernetes.ts), Marathon (hosts/marathon.ts). The engine knows
 * only this interface.
 */
import type { StopSignal } from '../inventory/model.js';

export interface ProcessFacts {
  pid: number;
  /** Signals whose disposition is "ignored" in the running process (from SigIgn in /proc/PID/status). */
  ignoredSignals: string[];
  /**
   * When the process started (epoch ms), to tell whether it runs the current config and
   * install. Rounded up to what the host can tell, never earlier than the real start: a broker
   * started just after a change must not look older than it (resume would restart a done
   * broker); only one started within that precision before a change could look newer.
   */
  startedAtMs?: number;
}

export interface InstallFacts {
  /** Release the install directory actually holds (from its libs/kafka_*.jar), undefined if none found. */
  release?: string;
  present: boolean;
  /** The install directory with every symlink resolved, to compare with the link's target. */
  realPath?: string;
}

/**
 * The release key of `installs` whose directory the install link points at: the inventory
 * path itself or, when that path is (or goes through) a symlink, its resolved path.
 */
export function linkedRelease(installs: Record<string, string>, facts: HostFacts): string | undefined {
  if (facts.linkTarget === undefined) return undefined;
  return Object.keys(installs).find(
    (release) => installs[release] === facts.linkTarget || facts.installs[release]?.realPath === facts.linkTarget,
  );
}

export interface HostFacts {
  /** The running broker process, if any. */
  process?: ProcessFacts;
  /** Where the install symlink points now (absolute path), undefined if it does not exist. */
  linkTarget?: string;
  /** Per release key of the inventory's `installs`. */
  installs: Record<string, InstallFacts>;
  /** Last change of server.properties and of the install symlink (epoch ms), where known. */
  configModifiedAtMs?: number;
  linkModifiedAtMs?: number;
}

export type ShutdownOutcome = 'controlled' | 'unclean' | 'unknown';

export interface StopResult {
  /** The process exited within the timeout. */
  exited: boolean;
  /** What the broker log says about the shutdown. */
  shutdown: ShutdownOutcome;
  /** Lines of the broker log that led to `shutdown`. */
  evidence: string[];
  elapsedMs: number;
  /** From the signal to the process being gone, as measured on the host (the broker's own stop time). */
  exitMs?: number;
}

/** Space of the file system holding one log dir (from `df -Pk`). */
export interface DiskUsage {
  /** The log dir as configured. */
  path: string;
  totalBytes: number;
  availableBytes: number;
}

export interface BrokerHost {
  readonly brokerId: number;
  /**
   * Stopping the broker replaces it at once from what is activated (a pod deleted under a
   * StatefulSet is recreated from its template right away), so a new release must be
   * activated BEFORE stop(). Absent or false: activated between stop() and start().
   */
  readonly replacesOnStop?: boolean;
  facts(): Promise<HostFacts>;
  /** The broker's server.properties, verbatim. */
  readConfig(): Promise<string>;
  /** Replace server.properties atomically (temp file + rename), keeping a timestamped backup. Returns the backup path. */
  writeConfig(content: string, backupSuffix: string): Promise<string>;
  /** Point the install symlink at the install of `release`, atomically. */
  activateRelease(release: string): Promise<void>;
  /**
   * Send `signal` to the broker process and wait for it to exit, up to `timeoutMs`.
   * `knownPid`: the pid the caller just read from facts(), to skip looking it up again.
   */
  stop(signal: StopSignal, timeoutMs: number, knownPid?: number): Promise<StopResult>;
  /** SIGKILL the broker process (only with the operator's explicit consent). */
  kill(): Promise<void>;
  /** Start the broker so that it honours SIGINT. */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Space left on the file system of each of `dirs` (the broker's log dirs). Optional: an
   * executor that cannot tell leaves it out, and `check` reports the fact as not checked.
   * A dir that does not exist is missing from the result.
   */
  diskUsage?(dirs: readonly string[]): Promise<DiskUsage[]>;
  /**
   * Optional: the broker config keys the install of `release` knows, to catch keys Kafka
   * would ignore. Undefined (or absent) when the executor cannot tell: not checked, not passed.
   */
  configKeys?(release: string): Promise<ReadonlySet<string> | undefined>;
  /**
   * Optional: runs `argv` (an inventory hook) on the broker host with `env` added, every element
   * quoted (no shell parses it), killed after `timeoutMs`. Never rejects for a non-zero exit.
   * Absent where the executor cannot run a command there: hooks are then refused before any restart.
   */
  runHook?(argv: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<HookResult>;
}

export interface HookResult {
  /** Exit status (128 + n when killed by signal n); undefined when it did not end within the timeout. */
  code?: number;
  /** The end of its stderr (then stdout), for the operator. */
  output: string;
  elapsedMs: number;
}
