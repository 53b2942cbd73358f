/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`) for the findings of a
 * report, so they show on the run's summary and beside the inventory line they concern.
 * Escaping follows the runner's rules: `%`, CR and LF in data; also `:` and `,` in properties.
 */
import type { CheckReport, Finding } from '../check/model.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'notice' } as const;

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotation(finding: Finding, command: string): string {
  const where = finding.location;
  const props = [
    ...(where ? [`file=${escapeProperty(where.file)}`] : []),
    ...(where?.line !== undefined ? [`line=${where.line}`] : []),
    ...(where?.column !== undefined ? [`col=${where.column}`] : []),
    `title=${escapeProperty(`kafka-ops ${command}: ${finding.id}`)}`,
  ];
  return `::${LEVEL[finding.severity]} ${props.join(',')}::${escapeData(`${finding.message} Fix: ${finding.fix}`)}`;
}

export function annotations(report: CheckReport): string[] {
  return report.findings.map((f) => annotation(f, report.command));
}

/** GitHub sets GITHUB_ACTIONS=true in every step of a workflow run. */
export function inGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}
