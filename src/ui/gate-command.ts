/** Base of the CI gates `check` and `verify`: the report's exit code, its human form, the JUnit file and annotations. */
import type { CheckReport } from '../check/model.js';
import { KafkaOpsCommand } from './base-command.js';
import { publishReport, renderCheckReport } from './check-report.js';
import type { Output } from './output.js';

export abstract class GateCommand extends KafkaOpsCommand<CheckReport> {
  /** Parse the flags and run the one service call; `junit` is the --junit path, if any. */
  protected abstract report(): Promise<{ report: CheckReport; junit?: string }>;

  protected async execute(): Promise<CheckReport> {
    const { report, junit } = await this.report();
    publishReport(report, this.output, { junit });
    return report;
  }

  protected render(report: CheckReport, output: Output): void {
    renderCheckReport(report, output);
  }

  protected override exitCodeOf(report: CheckReport): number {
    return report.exitCode;
  }
}
