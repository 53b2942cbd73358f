/**
 * Many commands through one long-lived remote shell.
 *
 * Every SSH exec channel makes sshd start the user's login shell, which reads its rc files
 * first (a `.bashrc` that runs `pyenv init` costs 0.3 s here, and production hosts carry
 * worse); a rolling restart runs several commands per broker, so that start-up would be
 * paid several times per broker. A session pays it once: it starts `sh` and feeds it one
 * framed request per command.
 *
 * Each request runs the command line in its own `sh -c` (so a syntax error or an `exit`
 * cannot end the session and no state leaks between commands), with stdin from
 * /dev/null or from the caller's bytes (sent base64-encoded, so they never meet the
 * parser), then prints a marker with a per-command nonce and the exit status on stdout
 * and a marker on stderr. Everything before the markers is the command's output.
 */
import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { InfrastructureError } from '../../errors.js';
import { commandTimeoutError, type RunOptions, type RunResult } from '../shell/runner.js';
import { quote } from '../shell/shell.js';

/** The pipes of a started `sh` that reads commands from its stdin. */
export interface ShellPipes {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  /** Tear the shell down (the running command, if any, is abandoned). */
  destroy(): void;
}

interface Pending {
  nonce: string;
  resolve(result: RunResult): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
  /** The session's first request: what came before its markers is the rc files' chatter, not output. */
  discard: boolean;
}

/** Longest wait for the shell to answer its first request (rc files, a slow host). */
const READY_TIMEOUT_MS = 30_000;

export class ShellSession {
  private stdout = Buffer.alloc(0);
  private stderr = Buffer.alloc(0);
  private pending: Pending | undefined;
  private ended: Error | undefined;

  private constructor(
    private readonly pipes: ShellPipes,
    private readonly where: string,
  ) {
    pipes.stdout.on('data', (chunk: Buffer) => {
      this.stdout = Buffer.concat([this.stdout, chunk]);
      this.settle();
    });
    pipes.stderr.on('data', (chunk: Buffer) => {
      this.stderr = Buffer.concat([this.stderr, chunk]);
      this.settle();
    });
    const lost = () =>
      this.fail(
        new InfrastructureError(`The shell session on ${where} ended unexpectedly.`, {
          code: 'SHELL_SESSION_LOST',
          action: `Check that ${where} is up and reachable, then retry.`,
          retriable: true,
        }),
      );
    pipes.stdout.once('end', lost);
    pipes.stdout.once('close', lost);
    pipes.stdin.on('error', lost);
  }

  /** Wraps a freshly started shell and waits until it answers (whatever its rc files printed is dropped). */
  static async start(pipes: ShellPipes, where: string): Promise<ShellSession> {
    const session = new ShellSession(pipes, where);
    try {
      await session.request(':', { timeoutMs: READY_TIMEOUT_MS }, true);
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /** True while a command runs: the caller should use another channel rather than queue behind it. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  run(commandLine: string, options: RunOptions = {}): Promise<RunResult> {
    if (this.pending) return Promise.reject(new TypeError('ShellSession runs one command at a time'));
    return this.request(commandLine, options, false);
  }

  close(): void {
    if (this.ended) return;
    this.ended = new InfrastructureError(`The shell session on ${this.where} was closed.`, {
      code: 'SHELL_SESSION_CLOSED',
      action: 'Retry.',
      retriable: true,
    });
    try {
      this.pipes.stdin.end('exit\n');
    } catch {
      // already gone
    }
    this.pipes.destroy();
  }

  private request(commandLine: string, options: RunOptions, discardBefore: boolean): Promise<RunResult> {
    if (this.ended) return Promise.reject(this.ended);
    const nonce = `KO${randomBytes(12).toString('hex')}`;
    const command = `sh -c ${quote(commandLine)}`;
    const run =
      options.stdin === undefined
        ? `${command} </dev/null`
        : `printf %s ${quote(Buffer.from(options.stdin).toString('base64'))} | base64 -d | ${command}`;
    const line = `${run}; printf '\\n%s %s\\n' ${nonce} "$?"; printf '\\n%s\\n' ${nonce} >&2\n`;
    return new Promise<RunResult>((resolve, reject) => {
      const pending: Pending = { nonce, resolve, reject, discard: discardBefore };
      if (options.timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          // The command cannot be interrupted without ending the whole session.
          this.fail(commandTimeoutError(this.where, options.timeoutMs ?? 0));
        }, options.timeoutMs);
      }
      this.pending = pending;
      this.pipes.stdin.write(line);
    });
  }

  private settle(): void {
    const pending = this.pending;
    if (!pending) return;
    const outMarker = Buffer.from(`\n${pending.nonce} `);
    const errMarker = Buffer.from(`\n${pending.nonce}\n`);
    const outAt = this.stdout.indexOf(outMarker);
    const errAt = this.stderr.indexOf(errMarker);
    if (outAt < 0 || errAt < 0) return;
    const codeEnd = this.stdout.indexOf(0x0a, outAt + outMarker.length);
    if (codeEnd < 0) return;
    const code = Number(this.stdout.subarray(outAt + outMarker.length, codeEnd).toString('ascii'));
    const result: RunResult = {
      code,
      stdout: this.stdout.subarray(0, outAt).toString('utf8'),
      stderr: this.stderr.subarray(0, errAt).toString('utf8'),
    };
    this.stdout = this.stdout.subarray(codeEnd + 1);
    this.stderr = this.stderr.subarray(errAt + errMarker.length);
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(pending.discard ? { code, stdout: '', stderr: '' } : result);
  }

  private fail(error: Error): void {
    if (!this.ended) {
      this.ended = error;
      this.pipes.destroy();
    }
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}
