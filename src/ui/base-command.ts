/**
 * Base of every kafka-ops command: --json handling, the error envelope and exit codes.
 * A command implements `execute()` (parse flags, call one service, return a typed
 * result) and `render()` (the human form of that result).
 */
import { Command, Errors, Flags } from '@oclif/core';
import { ExitCode, UserError, asKafkaOpsError } from '../errors.js';
import type { IoHost } from '../io-host.js';
import { RESULT_SCHEMA_VERSION } from '../results.js';
import { ioHostOf } from './engine-io.js';
import { Output } from './output.js';

export abstract class KafkaOpsCommand<T> extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: 'Print one JSON document on stdout and nothing else there.', default: false }),
  };

  protected output!: Output;
  /** What services are handed to talk to a person (they never see Output itself). */
  protected get io(): IoHost {
    return ioHostOf(this.output);
  }

  protected abstract execute(): Promise<T>;
  protected abstract render(result: T, output: Output): void;
  /** Exit code for a successful result (e.g. 1 when a check has error findings). */
  protected exitCodeOf(_result: T): number {
    return ExitCode.ok;
  }

  override async init(): Promise<void> {
    const json = this.argv.includes('--json');
    this.output = new Output({ json });
    await super.init();
  }

  async run(): Promise<void> {
    const result = await this.execute();
    const code = this.exitCodeOf(result);
    if (this.output.options.json) this.output.document({ schemaVersion: RESULT_SCHEMA_VERSION, ...result, exitCode: code });
    else this.render(result, this.output);
    if (code !== ExitCode.ok) process.exitCode = code;
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    // oclif's own parse errors (unknown flag, missing value) are usage errors: exit 2.
    const isParseError = err instanceof Errors.CLIError && !(err instanceof Errors.ExitError);
    if (err instanceof Errors.ExitError) throw err;
    // We report the parse error ourselves; stop oclif warning that the command never parsed.
    if (isParseError) this.parsed = true;
    const error = isParseError
      ? new UserError(err.message.replace(/\n\s*See more help with --help$/m, ''), {
          code: 'USAGE',
          action: `Run \`kafka-ops ${this.id?.replace(/:/g, ' ') ?? ''} --help\` for the accepted flags.`,
        })
      : asKafkaOpsError(err);
    this.output ??= new Output({ json: this.argv.includes('--json') });
    this.output.error(error);
    if (error.kind === 'bug' && process.env.KAFKA_OPS_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = error.exitCode;
  }

  /** oclif's default `finally`/error printing would print again; we already did. */
  protected override async finally(_: Error | undefined): Promise<void> {}
}
