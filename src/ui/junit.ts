/**
 * JUnit XML of a check/verify report: one test case per check; a failing check carries its
 * findings in one <failure>, a check that could not be done is <skipped>, warnings that do
 * not fail (no --strict) go to <system-out>. No timestamps, so the same cluster gives the same file.
 */
import { fails, type CheckReport, type Finding } from '../check/model.js';

export function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot carry at all.
      .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function describe(f: Finding): string {
  const subject = f.broker !== undefined ? `broker ${f.broker}` : f.topic !== undefined ? `topic ${f.topic}` : 'cluster';
  return `[${f.severity}] ${subject}: ${f.message}\n  fix: ${f.fix}`;
}

export function junitXml(report: CheckReport): string {
  const suite = `kafka-ops ${report.command} ${report.cluster} ${report.command === 'check' ? '--to' : '--at'} ${report.release}`;
  const { total, failed, notChecked } = report.summary.checks;
  const counts = `tests="${total}" failures="${failed}" errors="0" skipped="${notChecked}"`;
  const cases = report.checks.map((check) => {
    const own = report.findings.filter((f) => f.id === check.id);
    const failing = own.filter((f) => fails(f, report.strict));
    const open = `    <testcase classname="kafka-ops.${report.command}" name="${escapeXml(check.id)}">`;
    const body: string[] = [];
    if (failing.length > 0) {
      const first = failing[0] as Finding;
      const message = failing.length === 1 ? first.message : `${first.message} (and ${failing.length - 1} more)`;
      body.push(
        `      <failure type="${first.severity}" message="${escapeXml(message)}">${escapeXml(failing.map(describe).join('\n'))}</failure>`,
      );
    } else if (check.status === 'not-checked') {
      body.push(
        `      <skipped message="${escapeXml(own.map((f) => f.message).join(' ') || 'not checked: a host or the cluster state it needs could not be read')}"/>`,
      );
    }
    const rest = own.filter((f) => !failing.includes(f) && check.status !== 'not-checked');
    if (rest.length > 0) body.push(`      <system-out>${escapeXml(rest.map(describe).join('\n'))}</system-out>`);
    return body.length === 0 ? `${open.slice(0, -1)}/>` : [open, ...body, '    </testcase>'].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kafka-ops ${report.command}" ${counts}>`,
    `  <testsuite name="${escapeXml(suite)}" ${counts}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
