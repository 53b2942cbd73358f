/**
 * The CI outputs of a check report: JUnit XML (well-formed, one test case per check, a
 * failure carrying the finding and its fix, skipped for not-checked, warnings failing only
 * under --strict) and GitHub Actions annotations (level, file/line, the runner's escaping).
 */
import { describe, expect, it } from 'vitest';
import { CHECK_IDS, reportOf, type Finding, type Observations } from '../../src/check/model.js';
import type { Inventory } from '../../src/inventory/model.js';
import { annotation, annotations, escapeData, escapeProperty, inGitHubActions } from '../../src/ui/annotations.js';
import { renderCheckReport } from '../../src/ui/check-report.js';
import { junitXml } from '../../src/ui/junit.js';
import { Output } from '../../src/ui/output.js';
import { parseJUnit } from '../helpers/schemas.js';

const observations = {
  inventory: { cluster: 'prod', source: 'inv.yaml', brokers: [] } as unknown as Inventory,
  brokers: [],
  cluster: { snapshot: { brokers: [], partitions: [], topics: [] } },
} as Observations;
const FINDINGS: Finding[] = [
  {
    id: 'config-lint',
    severity: 'error',
    broker: 2,
    message: 'num.io.threads=four is not a whole number >= 1 & <fine>.',
    fix: 'Give num.io.threads a whole number.',
    location: { file: 'inv.yaml', line: 20, column: 5 },
  },
  { id: 'config-lint', severity: 'error', broker: 3, message: 'Second "bad" value.', fix: 'Fix it.' },
  {
    id: 'topic-replication-factor',
    severity: 'warning',
    topic: 'solo',
    message: 'Topic solo has replication factor 1.',
    fix: 'Add replicas.',
  },
  {
    id: 'disk-free',
    severity: 'info',
    broker: 1,
    message: 'Broker 1: not checked: this executor cannot report free disk space.',
    fix: 'Check by other means.',
  },
];
const testcases = (xml: string) => parseJUnit(xml).testsuites.testsuite[0].testcase as any[];

describe('JUnit XML', () => {
  const report = reportOf('check', CHECK_IDS, observations, '0.11.0', FINDINGS, false);
  const xml = junitXml(report);

  it('is one well-formed suite with one test case per check and the counts', () => {
    const doc = parseJUnit(xml);
    const suite = doc.testsuites.testsuite[0];
    expect(doc.testsuites.testsuite).toHaveLength(1);
    expect(suite.testcase.map((t: any) => t.name)).toEqual(CHECK_IDS);
    expect(suite).toMatchObject({ tests: String(CHECK_IDS.length), failures: '1', skipped: '1', errors: '0' });
  });

  it('gives a failing check one failure carrying every finding and its fix, XML-escaped', () => {
    const lint = testcases(xml).find((t) => t.name === 'config-lint');
    expect(lint.failure).toHaveLength(1);
    expect(lint.failure[0].type).toBe('error');
    expect(lint.failure[0].message).toBe('num.io.threads=four is not a whole number >= 1 & <fine>. (and 1 more)');
    expect(lint.failure[0]['#text']).toContain('broker 3: Second "bad" value.');
    expect(lint.failure[0]['#text']).toContain('fix: Give num.io.threads a whole number.');
    expect(xml).toContain('&lt;fine&gt;');
  });

  it('skips a check that could not be done and passes one with findings below the bar', () => {
    const cases = testcases(xml);
    expect(cases.find((t) => t.name === 'disk-free').skipped[0].message).toContain('not checked');
    const rf = cases.find((t) => t.name === 'topic-replication-factor');
    expect(rf.failure).toBeUndefined();
    expect(rf['system-out']).toContain('Topic solo has replication factor 1.');
    expect(cases.find((t) => t.name === 'host-reachable').failure).toBeUndefined();
  });

  it('skips, with a reason, the checks a down cluster state kept from being done', () => {
    const down = testcases(junitXml(reportOf('check', CHECK_IDS, { ...observations, cluster: {} }, '0.11.0', [], false)));
    expect(down.find((t) => t.name === 'no-under-replicated-partitions').skipped[0].message).toContain('could not be read');
  });

  it('fails warnings under --strict', () => {
    const strict = testcases(junitXml(reportOf('check', CHECK_IDS, observations, '0.11.0', FINDINGS, true)));
    expect(strict.find((t) => t.name === 'topic-replication-factor').failure[0].type).toBe('warning');
  });

  it('replaces characters XML cannot carry instead of writing a broken file', () => {
    const odd = reportOf(
      'check',
      CHECK_IDS,
      observations,
      '0.11.0',
      [{ ...(FINDINGS[1] as Finding), message: 'bell \u0007 and NUL \u0000' }],
      false,
    );
    expect(() => parseJUnit(junitXml(odd))).not.toThrow();
  });
});

describe('the summary counts', () => {
  function text(report: ReturnType<typeof reportOf>): string {
    let out = '';
    const sink = { write: (chunk: string) => ((out += chunk), true) } as unknown as NodeJS.WritableStream;
    renderCheckReport(report, new Output({ json: false }, sink, sink));
    return out;
  }

  it('are the same checks by status in the text, the JSON summary and the JUnit file', () => {
    const report = reportOf('check', CHECK_IDS, observations, '0.11.0', FINDINGS, false);
    const { checks } = report.summary;
    // config-lint failed; the replication-factor warning is below the bar; disk-free could not be done.
    expect(checks).toEqual({
      total: CHECK_IDS.length,
      passed: CHECK_IDS.length - 3,
      warnings: 1,
      failed: 1,
      notChecked: 1,
    });
    expect(checks.passed + checks.warnings + checks.failed + checks.notChecked).toBe(checks.total);
    const suite = parseJUnit(junitXml(report)).testsuites.testsuite[0];
    expect(suite).toMatchObject({ tests: String(checks.total), failures: String(checks.failed), skipped: String(checks.notChecked) });
    expect(text(report)).toContain(
      `(${CHECK_IDS.length} checks: ${CHECK_IDS.length - 3} passed, 1 with warnings, 1 failed, 1 not checked; 2 error(s), 1 warning(s); exit 1)`,
    );
  });

  it('count the checks a down cluster kept from being done as not checked, not as infos', () => {
    const report = reportOf('check', CHECK_IDS, { ...observations, cluster: {} }, '0.11.0', [], false);
    const notChecked = report.checks.filter((c) => c.status === 'not-checked').length;
    expect(notChecked).toBeGreaterThan(0);
    expect(report.summary).toMatchObject({ infos: 0, checks: { notChecked } });
    expect(text(report)).toContain(`, ${notChecked} not checked;`);
  });

  it('under --strict a warning fails its check', () => {
    const report = reportOf('check', CHECK_IDS, observations, '0.11.0', FINDINGS, true);
    expect(report.summary.checks).toMatchObject({ warnings: 0, failed: 2 });
    expect(text(report)).toContain('; --strict: warnings fail; exit 1)');
  });
});

describe('GitHub Actions annotations', () => {
  it('map severities to error, warning and notice, with file, line and column when known', () => {
    const lines = annotations(reportOf('check', CHECK_IDS, observations, '0.11.0', FINDINGS, false));
    expect(lines[0]).toBe(
      '::error file=inv.yaml,line=20,col=5,title=kafka-ops check%3A config-lint::num.io.threads=four is not a whole number >= 1 & <fine>. Fix: Give num.io.threads a whole number.',
    );
    expect(lines[1]?.startsWith('::error title=kafka-ops check%3A config-lint::')).toBe(true);
    expect(lines[2]?.startsWith('::warning ')).toBe(true);
    expect(lines[3]?.startsWith('::notice ')).toBe(true);
  });

  it('escape what the runner would read as a new command or property', () => {
    expect(escapeData('50%\r\nnext ::error::x')).toBe('50%25%0D%0Anext ::error::x');
    expect(escapeProperty('C:\\a,b')).toBe('C%3A\\a%2Cb');
    const line = annotation(
      { id: 'config-lint', severity: 'error', message: 'two\nlines', fix: 'f', location: { file: '/x,y:z.yaml', line: 3 } },
      'verify',
    );
    expect(line).toBe('::error file=/x%2Cy%3Az.yaml,line=3,title=kafka-ops verify%3A config-lint::two%0Alines Fix: f');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('are on only when GITHUB_ACTIONS=true', () => {
    expect(inGitHubActions({ GITHUB_ACTIONS: 'true' })).toBe(true);
    expect(inGitHubActions({})).toBe(false);
    expect(inGitHubActions({ GITHUB_ACTIONS: 'false' })).toBe(false);
  });
});
