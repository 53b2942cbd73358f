/**
 * The layer rules of `npm run lint` (.dependency-cruiser.cjs) bite: a copy of src/ with
 * deliberately wrong imports added fails `npm run lint:layers`, naming each broken rule and
 * the file that broke it, and the same copy without them passes. The copy is real (src/,
 * the config, tsconfig, package.json and node_modules), only the probe files are new.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const copy = mkdtempSync(join(tmpdir(), 'kafka-ops-layers-'));

/** [rule, probe file, its contents]: each probe breaks exactly one rule. */
const PROBES: ReadonlyArray<readonly [string, string, string]> = [
  ['plan-is-pure', 'src/plan/probe-fs.ts', "import { readFileSync } from 'node:fs';\nexport const probe = readFileSync;\n"],
  ['plan-is-pure', 'src/plan/probe-exec.ts', "import { execFile } from 'node:child_process';\nexport const probe = execFile;\n"],
  [
    'plan-below-adapters',
    'src/plan/probe-adapter.ts',
    "import { ShellBrokerHost } from '../hosts/shell/shell-host.js';\nexport const probe = ShellBrokerHost;\n",
  ],
  [
    'engine-only-ports',
    'src/engine/probe-store.ts',
    "import { FileJournal } from '../store/journal.js';\nexport const probe = FileJournal;\n",
  ],
  ['services-not-ui', 'src/services/probe-ui.ts', "import { Output } from '../ui/output.js';\nexport const probe = Output;\n"],
  ['no-circular', 'src/plan/probe-a.ts', "import { b } from './probe-b.js';\nexport const a = (): number => b() + 1;\n"],
];
/** The other half of the circle (a circle is reported once, at the module where it was found). */
const CIRCLE_HALF = ['src/plan/probe-b.ts', "import { a } from './probe-a.js';\nexport const b = (): number => a() - 1;\n"] as const;

const lintLayers = async (): Promise<{ code: number; output: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '--silent', 'lint:layers'], { cwd: copy });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
};

beforeAll(() => {
  cpSync(join(root, 'src'), join(copy, 'src'), { recursive: true });
  for (const file of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) cpSync(join(root, file), join(copy, file));
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('npm run lint:layers', () => {
  it('passes on the sources as they are', { timeout: 120_000 }, async () => {
    const { code, output } = await lintLayers();
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails on each deliberately wrong import, naming the rule and the importing file', { timeout: 120_000 }, async () => {
    for (const [file, text] of [...PROBES.map(([, f, t]) => [f, t] as const), CIRCLE_HALF]) writeFileSync(join(copy, file), text);
    try {
      const { code, output } = await lintLayers();
      expect(code).not.toBe(0);
      const broken = output.split('\n').filter((line) => /^\s*error /.test(line));
      for (const [rule, file] of PROBES) {
        expect(
          broken.some((line) => line.includes(`error ${rule}:`) && line.includes(file)),
          `${rule} not reported for ${file}`,
        ).toBe(true);
      }
      expect(output).toMatch(/error no-circular: src\/plan\/probe-a\.ts →\s+src\/plan\/probe-b\.ts/);
      // Nothing but the probes is reported.
      expect(broken.every((line) => PROBES.some(([, file]) => line.includes(file)))).toBe(true);
    } finally {
      for (const file of [...PROBES.map(([, f]) => f), CIRCLE_HALF[0]]) rmSync(join(copy, file), { force: true });
    }
  });
});
