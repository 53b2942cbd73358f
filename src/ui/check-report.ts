/** Publishing a check/verify report: the human text, the JUnit file and the GitHub Actions annotations. */
import { writeFileSync } from 'node:fs';
import type { CheckReport, Finding } from '../check/model.js';
import { UserError } from '../errors.js';
import { annotations, inGitHubActions } from './annotations.js';
import { junitXml } from './junit.js';
import type { Output } from './output.js';

/** Side outputs that exist with and without --json: the JUnit file and, under GitHub Actions, annotations. */
export function publishReport(report: CheckReport, output: Output, options: { junit?: string }): void {
  if (options.junit) {
    try {
      writeFileSync(options.junit, junitXml(report));
    } catch (error) {
      throw new UserError(`Cannot write the JUnit file ${options.junit}: ${(error as Error).message}`, {
        code: 'JUNIT_UNWRITABLE',
        action: 'Pass a --junit path in a directory that exists and is writable.',
        location: { file: options.junit },
      });
    }
  }
  // The runner reads workflow commands from stdout and stderr; under --json they go to stderr.
  if (inGitHubActions()) for (const line of annotations(report)) output.info(line);
}

const LABEL = { error: 'ERROR  ', warning: 'WARNING', info: 'INFO   ' } as const;

function subject(f: Finding): string {
  return f.broker !== undefined ? `broker ${f.broker}` : f.topic !== undefined ? `topic ${f.topic}` : 'cluster';
}

export function renderCheckReport(report: CheckReport, output: Output): void {
  const flag = report.command === 'check' ? '--to' : '--at';
  for (const f of report.findings) {
    output.line(`${LABEL[f.severity]} [${f.id}] ${subject(f)}: ${f.message}`);
    output.line(`        fix: ${f.fix}`);
  }
  const { errors, warnings, checks } = report.summary;
  // The checks' counts are the JSON summary's and the JUnit file's (tests, failures, skipped); findings are counted apart.
  output.line(
    `\nkafka-ops ${report.command} ${flag} ${report.release} on ${report.cluster}: ${report.passed ? 'PASSED' : 'FAILED'} ` +
      `(${checks.total} checks: ${checks.passed} passed, ${checks.warnings} with warnings, ${checks.failed} failed, ${checks.notChecked} not checked; ` +
      `${errors} error(s), ${warnings} warning(s)${report.strict ? '; --strict: warnings fail' : ''}; exit ${report.exitCode})`,
  );
}
