/**
 * The one place kafka-ops writes to the terminal. Human text goes to stdout only when
 * --json is off; with --json, stdout carries exactly one JSON document and everything
 * else (progress, notices) goes to stderr.
 */
import { KafkaOpsError } from '../errors.js';
import { RESULT_SCHEMA_VERSION, type RunView, type StoppedRunResult } from '../results.js';

export interface OutputOptions {
  json: boolean;
}

export class Output {
  constructor(
    readonly options: OutputOptions,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line of the human result (suppressed under --json). */
  line(text = ''): void {
    if (!this.options.json) this.stdout.write(`${text}\n`);
  }

  /** Where progress and notices go: stderr under --json, stdout otherwise. */
  get progress(): NodeJS.WritableStream {
    return this.options.json ? this.stderr : this.stdout;
  }

  /** A line of progress or a notice, on the progress stream. */
  info(text: string): void {
    this.progress.write(`${text}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`warning: ${text}\n`);
  }

  /** The single JSON document of a --json run. */
  document(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  error(error: KafkaOpsError): void {
    // With --json the document is for the pipeline and stderr for the person reading its log, who
    // has seen the progress lines there and must see why they stopped.
    if (this.options.json)
      this.document({
        schemaVersion: RESULT_SCHEMA_VERSION,
        exitCode: error.exitCode,
        error: error.toJSON(),
        ...(error.result ? { result: error.result } : {}),
      });
    const where = error.where ? `${error.where}: ` : '';
    const stopped = error.result && 'run' in error.result ? stoppedLines(error.result as StoppedRunResult) : '';
    this.stderr.write(`${stopped}Error: ${where}${error.message}\n  What to do: ${error.action}\n`);
  }
}

/** Where a run stopped and what it had done, before its error. */
function stoppedLines(result: StoppedRunResult): string {
  const { run } = result;
  const at = whereRunIs(run);
  const restarted = run.stepsDone.filter((s) => s.outcome === 'restarted');
  const done = restarted.length ? restarted.map((s) => `${s.broker} (${s.phase})`).join(', ') : 'none';
  const mid = run.brokerMidStep ? `; broker ${run.brokerMidStep.broker} stopped mid-step, after ${run.brokerMidStep.lastSubStep}` : '';
  return `Stopped${at ? ` at ${at}` : ''}. Restarted before it: ${done}${mid}. Journal: ${result.journal}\n`;
}

/** "phase roll, broker 3", or "the gate upgrade-clients" when it stopped at a question between phases. */
export function whereRunIs(run: RunView): string {
  if (run.gate && run.phase) return `the gate ${run.phase}`;
  return [run.phase && `phase ${run.phase}`, run.broker !== undefined && `broker ${run.broker}`].filter(Boolean).join(', ');
}
