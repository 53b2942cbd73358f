/**
 * Running one shell command line somewhere and getting back its exit code and output.
 * Two implementations: `LocalRunner` (this machine) and `SshRunner` (hosts/ssh/ssh.ts). The
 * host adapters only ever see this interface, so the same code drives a sandbox broker
 * and a remote one.
 */
import { constants } from 'node:os';
import { InfrastructureError } from '../../errors.js';

export interface RunOptions {
  /** Written to the command's stdin, which is then closed (a string as UTF-8). Without it stdin is empty. */
  stdin?: string | Uint8Array;
  /** Give up after this long: the command is killed (as far as the transport allows) and the call rejects. */
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit status; 128 + signal number when the command died of a signal (as a shell reports it). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandRunner {
  /** Runs `commandLine` with a POSIX shell. Never rejects because of a non-zero exit code. */
  run(commandLine: string, options?: RunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** A shell-style exit code for a process that died of `signal` (e.g. SIGKILL → 137). */
export function signalExitCode(signal: string): number {
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof constants.signals;
  return 128 + (constants.signals[name] ?? 0);
}

/** The one error a runner throws when a command outlives its timeout. */
export function commandTimeoutError(where: string, timeoutMs: number): InfrastructureError {
  return new InfrastructureError(`A command on ${where} did not finish within ${timeoutMs} ms and was abandoned.`, {
    code: 'COMMAND_TIMEOUT',
    action: `Check that ${where} is responsive (load, hung mounts); raise the timeout if the operation is legitimately slow.`,
    retriable: true,
  });
}

export class LocalRunner implements CommandRunner {
  async run(commandLine: string, options: RunOptions = {}): Promise<RunResult> {
    // Imported lazily: execa is only needed when something really runs locally.
    const { execa } = await import('execa');
    const subprocess = execa('sh', ['-c', commandLine], {
      reject: false,
      // Byte-exact output: a config file's trailing newline is part of the file.
      stripFinalNewline: false,
      // Its own process group, so a timeout kills the whole command: killing only `sh` would
      // leave its children holding stdout open, and the call would wait for them anyway.
      detached: true,
      ...(options.stdin === undefined ? { stdin: 'ignore' as const } : { input: options.stdin }),
    });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              if (subprocess.pid !== undefined) process.kill(-subprocess.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, options.timeoutMs);
    const result = await subprocess;
    clearTimeout(timer);
    if (timedOut) throw commandTimeoutError('localhost', options.timeoutMs ?? 0);
    if (result.exitCode === undefined && result.signal === undefined) {
      throw new InfrastructureError(`Could not run sh on localhost: ${result.shortMessage}`, {
        code: 'LOCAL_SPAWN_FAILED',
        action: 'Check that /bin/sh exists and that this process may start programs.',
        retriable: false,
        cause: result.cause,
      });
    }
    return {
      code: result.exitCode ?? signalExitCode(result.signal ?? 'SIGKILL'),
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  }

  async close(): Promise<void> {}
}
