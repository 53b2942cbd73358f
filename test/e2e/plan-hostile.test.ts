/**
 * Issue 14, "plan files are trusted too much": hand-edited plan files that bypass the client gate,
 * name brokers or hosts the inventory does not have, contradict their own pins, add keys an upgrade
 * never changes or hold a value with a line break are refused by the built CLI, as a process:
 * `plan validate FILE -i INV` and the apply itself (`upgrade --plan`), exit 2 at the offending
 * file:line:column, before any host is contacted (the example inventory's hosts do not resolve).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useScratchDir } from '../helpers/inventory-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/run.js');
const inventory = join(root, 'examples/inventory.yaml');
const scratch = useScratchDir('plan-hostile');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KAFKA_OPS_') && k !== 'NODE_ENV'));
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: scratch.dir, env: { ...env, NO_COLOR: '1' }, timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The plan `kafka-ops plan` writes for the example inventory, 0.10.2 → 0.11 (every phase runs), unsealed: an operator's edit. */
let base = '';
/** The same for a 2.8 → 3.0 cluster whose format is v2 already: no client gate is due. */
let noGate = '';

beforeAll(() => {
  if (!existsSync(join(root, 'dist/bundle/cli.js'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const write = (args: string[], file: string): string => {
    execFileSync(process.execPath, [bin, 'plan', ...args, '-o', file], { cwd: scratch.dir, stdio: 'ignore' });
    return readFileSync(file, 'utf8').replace(/^reviewed: .*\n/m, '');
  };
  base = write(['--from', '0.10.2', '--to', '0.11', '-i', inventory], join(scratch.dir, 'base.yaml'));
  noGate = write(['--from', '2.8', '--to', '3.0', '-i', scratch.write('inv-2.8.yaml', inventory28())], join(scratch.dir, 'nogate.yaml'));
}, 60_000);

function inventory28(): string {
  return readFileSync(inventory, 'utf8')
    .replace('"0.10.2.1": /opt/kafka_2.11-0.10.2.1', '"2.8.2": /opt/kafka_2.13-2.8.2')
    .replace('"0.11.0.3": /opt/kafka_2.11-0.11.0.3', '"3.0.2": /opt/kafka_2.13-3.0.2');
}

/** `text` with the first `from` after `after` replaced by `to`. */
function edit(text: string, from: string, to: string, after = ''): string {
  const start = text.indexOf(after);
  const at = text.indexOf(from, start);
  if (start < 0 || at < 0) throw new Error(`plan does not contain ${JSON.stringify(from)} after ${JSON.stringify(after)}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** Where `needle` starts (after `after`), as the CLI prints it: file:line:column. */
function where(file: string, text: string, needle: string, after = ''): string {
  const at = text.indexOf(needle, text.indexOf(after));
  const before = text.slice(0, at).split('\n');
  return `${file}:${before.length}:${(before.at(-1) ?? '').length + 1}`;
}

const GATE = '  - id: upgrade-clients\n';
const BUMP_IBP = '  - id: bump-ibp\n';

interface Row {
  what: string;
  /** The plan text after the edit. */
  text: () => string;
  /** Where the error points: the needle and the text it follows. */
  at: () => [needle: string, after: string];
  says: RegExp[];
  /** Refused only with the inventory (`-i`): it is about the inventory. */
  needsInventory?: boolean;
}

const rows: Row[] = [
  {
    what: 'the client gate turned into a roll with no steps',
    text: () => edit(base, 'kind: gate', 'kind: roll', GATE),
    at: () => ['roll', GATE],
    says: [/upgrade-clients/, /gate/],
  },
  {
    what: 'the client gate marked skipped while the message format bump follows',
    text: () => edit(base, 'skipped: false', 'skipped: true', GATE),
    at: () => ['true', GATE],
    says: [/upgrade-clients/, /bump-lmfv/],
  },
  {
    what: 'a step for a broker the inventory lacks (added to `order` too)',
    text: () => edit(base, '  - 3\n', '  - 3\n  - 4\n').replaceAll('- broker: 3\n', '- broker: 4\n'),
    at: () => ['4\n        host', ''],
    says: [/broker 4/, /inventory/],
    needsInventory: true,
  },
  {
    what: "a step's host other than the inventory's",
    text: () => edit(base, 'host: kafka2.example.com', 'host: evil.example.com', BUMP_IBP),
    at: () => ['evil.example.com', BUMP_IBP],
    says: [/evil\.example\.com/, /kafka2\.example\.com/],
    needsInventory: true,
  },
  {
    what: "a step's `from` contradicting what the pin set",
    text: () => edit(base, 'from: 0.10.2\n            to: 0.11.0', 'from: 0.9.0\n            to: 0.11.0', BUMP_IBP),
    at: () => ['0.9.0', BUMP_IBP],
    says: [/0\.9\.0/, /pin-versions/, /0\.10\.2/],
  },
  {
    what: "the pins contradicting the plan's `from`",
    text: () => base.replaceAll('to: 0.10.2\n', 'to: 0.10.1\n'),
    at: () => ['0.10.1', ''],
    says: [/0\.10\.1/, /`from` 0\.10\.2/],
  },
  {
    what: 'an upgrade phase adding `listeners`',
    text: () =>
      edit(
        base,
        '        changes:\n',
        '        changes:\n          listeners:\n            from: null\n            to: PLAINTEXT://0.0.0.0:9092\n',
        BUMP_IBP,
      ),
    at: () => ['PLAINTEXT://0.0.0.0:9092', BUMP_IBP],
    says: [/listeners/, /upgrade/],
  },
  {
    what: 'an upgrade phase adding `unclean.leader.election.enable`',
    text: () =>
      edit(
        base,
        '        changes:\n',
        '        changes:\n          unclean.leader.election.enable:\n            from: null\n            to: "true"\n',
        BUMP_IBP,
      ),
    at: () => ['"true"', BUMP_IBP],
    says: [/unclean\.leader\.election\.enable/],
  },
  {
    what: 'a value holding a newline',
    text: () => edit(base, 'to: 0.11.0', 'to: "0.11.0\\nlisteners=PLAINTEXT://evil:9092"', BUMP_IBP),
    at: () => ['"0.11.0\\n', BUMP_IBP],
    says: [/line break/],
  },
];

describe('plan validate refuses a hand-edited plan at its line', () => {
  it.each(rows)('$what', async (row) => {
    const text = row.text();
    const file = scratch.write(`${row.what.replace(/\W+/g, '-')}.yaml`, text);
    const [needle, after] = row.at();
    if (!row.needsInventory) {
      const alone = await cli(['plan', 'validate', file]);
      expect(alone.code, alone.stderr + alone.stdout).toBe(2);
    }
    const run = await cli(['plan', 'validate', file, '-i', inventory]);
    expect(run.code, run.stderr + run.stdout).toBe(2);
    expect(run.stderr).toContain(where(file, text, needle, after));
    for (const says of row.says) expect(run.stderr).toMatch(says);
  });

  it('the unedited plan validates, with and without the inventory', async () => {
    const file = scratch.write('unedited.yaml', base);
    expect((await cli(['plan', 'validate', file])).code).toBe(0);
    const run = await cli(['plan', 'validate', file, '-i', inventory]);
    expect(run.code, run.stderr).toBe(0);
  });

  it('a client gate skipped where no gate is due (2.8 → 3.0, message format v2 already) validates', async () => {
    expect(noGate).toMatch(/- id: upgrade-clients\n(?:.*\n){3}\s+skipped: true/);
    const run = await cli(['plan', 'validate', scratch.write('nogate.yaml', noGate)]);
    expect(run.code, run.stderr).toBe(0);
  });

  it('the client gate of a 2.8 → 3.0 plan cannot be turned into a roll either', async () => {
    const file = scratch.write('nogate-roll.yaml', edit(noGate, 'kind: gate', 'kind: roll', GATE));
    const run = await cli(['plan', 'validate', file]);
    expect(run.code, run.stderr).toBe(2);
  });
});

describe('the apply refuses the same plans before contacting anything', () => {
  it.each(rows.filter((r) => r.needsInventory || r.what.includes('gate')))('$what: upgrade --plan exits 2', async (row) => {
    const text = row.text();
    const file = scratch.write(`apply-${row.what.replace(/\W+/g, '-')}.yaml`, text);
    const run = await cli([
      'upgrade',
      '--plan',
      file,
      '-i',
      inventory,
      '--yes',
      '--state-dir',
      join(scratch.dir, `state-${rows.indexOf(row)}`),
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(2);
    const [needle, after] = row.at();
    expect(run.stderr).toContain(where(file, text, needle, after));
  });
});
