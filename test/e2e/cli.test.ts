/**
 * The built CLI as a user runs it: `node bin/run.js ...` in a separate process, from an
 * unrelated working directory, checking exit codes, stdout/stderr discipline and --json.
 * Needs dist/ (npm test builds first); builds once here only if dist/ is missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VALID_INVENTORY, positionOf, useScratchDir } from '../helpers/inventory-fixtures.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/run.js');
const example = join(root, 'examples/inventory.yaml');
const scratch = useScratchDir('cli');

beforeAll(() => {
  if (!existsSync(join(root, 'dist/bundle/cli.js')) || !existsSync(join(root, 'oclif.manifest.json'))) {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the CLI as from a user's shell, in the scratch directory: no KAFKA_OPS_* variables
 * but `env`, and no NODE_ENV (vitest sets it to "test", which puts oclif in development
 * mode; oclif then warns "did not parse its arguments" on stderr after a usage error).
 */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KAFKA_OPS_') && k !== 'NODE_ENV'));
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd: scratch.dir, env: { ...base, NO_COLOR: '1', ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** stdout must be one JSON document and nothing else. */
const json = (run: Run): Record<string, unknown> => JSON.parse(run.stdout) as Record<string, unknown>;

const PLAN_ARGS = ['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', example];

const inventory28 = scratch.write(
  'cluster-2.8.yaml',
  VALID_INVENTORY.replace('"0.10.2.1": /opt/kafka_2.11-0.10.2.1', '"2.8.2": /opt/kafka_2.13-2.8.2').replace(
    '"0.11.0.3": /opt/kafka_2.11-0.11.0.3',
    '"3.0.2": /opt/kafka_2.13-3.0.2',
  ),
);
const badInventoryText = VALID_INVENTORY.replace('  configPath:', '  confgPath:');
const badInventory = scratch.write('bad.yaml', badInventoryText);

describe('start-up paths', () => {
  it('answers --version without oclif, in the words oclif itself would use', async () => {
    const run = await cli(['--version']);
    const { Config } = await import('@oclif/core');
    expect(run).toEqual({ code: 0, stdout: `${(await Config.load(root)).userAgent}\n`, stderr: '' });
  });

  it('finds every command of the manifest in the bundle (explicit discovery): each one shows its help', async () => {
    const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
    const ids = Object.keys(manifest.commands).sort();
    expect(ids).toEqual([
      'abort',
      'check',
      'plan',
      'plan:validate',
      'resume',
      'roll',
      'sandbox:down',
      'sandbox:status',
      'sandbox:up',
      'status',
      'unlock',
      'upgrade',
      'verify',
    ]);
    const runs = await Promise.all(ids.map((id) => cli([...id.split(':'), '--help'])));
    runs.forEach((run, i) => {
      expect(run.code, ids[i]).toBe(0);
      expect(run.stdout, ids[i]).toContain(`$ kafka-ops ${ids[i]!.replace(':', ' ')}`);
    });
  });
});

describe('plan', () => {
  it('previews the plan and exits 0, with nothing on stderr', async () => {
    const run = await cli(PLAN_ARGS);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Upgrade plan for cluster prod-east: 0.10.2 → 0.11.0');
    for (const id of ['pin-versions', 'swap-binaries', 'bump-ibp', 'upgrade-clients', 'bump-lmfv']) expect(run.stdout).toContain(id);
  });

  it('--json prints exactly one plan document', async () => {
    const run = await cli(['plan', '--from', '2.8', '--to', '3.0', '-i', inventory28, '--json']);
    expect(run.code).toBe(0);
    const plan = json(run) as {
      cluster: string;
      from: string;
      to: string;
      phases: Array<{
        id: string;
        kind: string;
        skipped: boolean;
        reason?: string;
        steps: Array<{ broker: number; changes: Record<string, { from: string | null; to: string | null }> }>;
      }>;
    };
    expect([plan.cluster, plan.from, plan.to]).toEqual(['test', '2.8', '3.0']);
    // From 3.0 the client gate stands before bump-ibp (where the message format would change).
    expect(plan.phases.map((p) => [p.id, p.kind, p.skipped])).toEqual([
      ['pin-versions', 'roll', false],
      ['swap-binaries', 'roll', false],
      ['upgrade-clients', 'gate', true],
      ['bump-ibp', 'roll', false],
      ['bump-lmfv', 'roll', true],
    ]);
    for (const phase of plan.phases) {
      if (phase.skipped) expect(typeof phase.reason).toBe('string');
      // A running phase carries a reason only where it explains log.message.format.version: not pinned from 2.8 to 3.x.
      else if (phase.id === 'pin-versions') expect(phase.reason).toContain('log.message.format.version is not pinned');
      else expect(phase.reason).toBeUndefined();
    }
    const bumpIbp = plan.phases.find((p) => p.id === 'bump-ibp');
    expect(bumpIbp?.steps.map((s) => s.broker)).toEqual([1, 2]);
    for (const step of bumpIbp?.steps ?? []) expect(step.changes).toEqual({ 'inter.broker.protocol.version': { from: '2.8', to: '3.0' } });
  });

  it('reads its flags from KAFKA_OPS_INVENTORY, KAFKA_OPS_FROM and KAFKA_OPS_TO', async () => {
    const [byFlags, byEnv] = await Promise.all([
      cli(PLAN_ARGS),
      cli(['plan'], { KAFKA_OPS_INVENTORY: example, KAFKA_OPS_FROM: '0.10.2', KAFKA_OPS_TO: '0.11' }),
    ]);
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toBe(byFlags.stdout);
  });

  it('a flag wins over its environment variable', async () => {
    const run = await cli(['plan', '--to', '0.11', '--json'], {
      KAFKA_OPS_INVENTORY: example,
      KAFKA_OPS_FROM: '0.10.2',
      KAFKA_OPS_TO: '3.0',
    });
    expect(run.code).toBe(0);
    expect(json(run).to).toBe('0.11.0');
  });

  it('--help shows the examples and exits 0', async () => {
    const run = await cli(['plan', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kafka-ops plan --from 0.10.2 --to 0.11 --inventory cluster.yaml -o upgrade.yaml');
    expect(run.stdout).toContain('KAFKA_OPS_INVENTORY=cluster.yaml kafka-ops plan --from 2.8 --to 3.0 --json');
    expect(run.stdout).toContain('--inventory');
  });

  it('--version exits 0 and names the package version', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(run.stdout).toContain(`kafka-ops/${version}`);
  });
});

describe('bad input exits 2', () => {
  const cases: Array<{ what: string; args: string[]; code: string; says: string }> = [
    {
      what: 'a bad inventory',
      args: ['plan', '--from', '0.10.2', '--to', '0.11', '-i', badInventory],
      code: 'SCHEMA',
      says: 'unknown key `confgPath`',
    },
    {
      what: 'a missing inventory file',
      args: ['plan', '--from', '0.10.2', '--to', '0.11', '-i', 'nowhere.yaml'],
      code: 'FILE_UNREADABLE',
      says: 'does not exist',
    },
    {
      what: 'an unknown version',
      args: ['plan', '--from', '0.10.2', '--to', '0.12', '-i', example],
      code: 'UNKNOWN_VERSION',
      says: '"0.12"',
    },
    { what: 'a downgrade', args: ['plan', '--from', '0.11', '--to', '0.10.2', '-i', example], code: 'DOWNGRADE', says: 'downgrades' },
    { what: 'a missing --to', args: ['plan', '--from', '0.10.2', '-i', example], code: 'USAGE', says: '--to' },
    {
      what: 'an unknown flag',
      args: ['plan', '--from', '0.10.2', '--to', '0.11', '-i', example, '--bogus'],
      code: 'USAGE',
      says: '--bogus',
    },
    { what: 'a plan file that is not one', args: ['plan', 'validate', badInventory], code: 'SCHEMA', says: 'Invalid plan' },
    {
      what: 'roll --batch 0',
      args: ['roll', '-i', example, '--set', 'num.io.threads=8', '--batch', '0'],
      code: 'BAD_FLAG',
      says: '--batch 0',
    },
    {
      what: 'upgrade --batch many',
      args: ['upgrade', '--to', '0.11', '-i', example, '--batch', 'many'],
      code: 'BAD_FLAG',
      says: 'expected auto or a positive whole number',
    },
    {
      what: 'roll --pause-between 5x',
      args: ['roll', '-i', example, '--set', 'num.io.threads=8', '--pause-between', '5x'],
      code: 'BAD_FLAG',
      says: '--pause-between 5x',
    },
    {
      what: 'sandbox up --racks above --brokers',
      args: ['sandbox', 'up', '--dir', 'no-sandbox', '--brokers', '3', '--racks', '4'],
      code: 'SANDBOX_USAGE',
      says: '--racks must be between 1 and --brokers 3',
    },
    {
      what: 'sandbox up --mode kraft --racks',
      args: ['sandbox', 'up', '--dir', 'no-sandbox', '--mode', 'kraft', '--from', '3.9.2', '--to', '4.4.0', '--racks', '3'],
      code: 'SANDBOX_USAGE',
      says: '--racks is for ZooKeeper-mode sandboxes',
    },
    {
      what: 'sandbox up --security sasl-ssl without --mode kraft',
      args: ['sandbox', 'up', '--dir', 'no-sandbox', '--security', 'sasl-ssl'],
      code: 'SANDBOX_USAGE',
      says: '--security sasl-ssl is for KRaft sandboxes',
    },
    {
      what: 'roll --set of a literal secret (issue 14: it was printed and stored)',
      args: ['roll', '-i', example, '--set', 'ssl.keystore.password=Hunter2-literal'],
      code: 'SECRET_LITERAL',
      says: 'the value of a secret key is not given on the command line',
    },
    {
      what: 'upgrade with both --plan and --to',
      args: ['upgrade', '--plan', 'x.yaml', '--to', '0.11', '--dry-run'],
      code: 'USAGE',
      says: '--plan and --to',
    },
  ];

  it.each(cases)('$what: human error on stderr, nothing on stdout', async ({ args, says }) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Error: /);
    expect(run.stderr).toContain(says);
    expect(run.stderr).toContain('What to do: ');
    expect(run.stderr).not.toContain('Hunter2-literal');
  });

  it.each(cases)(
    '$what --json: only the error document on stdout, the same error for the reader on stderr',
    async ({ args, code, says }) => {
      const run = await cli([...args, '--json']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^Error: /);
      expect(run.stderr).toContain(says);
      const doc = json(run);
      expect(Object.keys(doc)).toEqual(['schemaVersion', 'exitCode', 'error']);
      expect(doc.exitCode).toBe(2);
      const error = doc.error as Record<string, unknown>;
      expect(error).toMatchObject({ code, exitCode: 2 });
      expect(error.message).toEqual(expect.stringContaining(says));
      expect(typeof error.action).toBe('string');
    },
  );

  it('KAFKA_OPS_BATCH is read like --batch: a bad value is the same usage error', async () => {
    const run = await cli(['roll', '-i', example, '--set', 'num.io.threads=8', '--json'], { KAFKA_OPS_BATCH: 'lots' });
    expect(run.code).toBe(2);
    expect(json(run).error).toMatchObject({ code: 'BAD_FLAG', exitCode: 2, message: expect.stringContaining('--batch lots') });
  });

  it('the inventory error is located at file:line:column in both forms', async () => {
    const { line, column } = positionOf(badInventoryText, '/etc/kafka/server.properties');
    const [human, machine] = await Promise.all([cli(cases[0]?.args ?? []), cli([...(cases[0]?.args ?? []), '--json'])]);
    expect(human.stderr).toContain(`Error: ${badInventory}:${line}:${column}: `);
    expect((json(machine).error as { location: unknown }).location).toEqual({ file: badInventory, line, column });
  });
});

describe('plan files', () => {
  it('plan -o writes a file that plan validate accepts and upgrade --dry-run previews identically', async () => {
    const file = join(scratch.dir, 'upgrade.yaml');
    const written = await cli([...PLAN_ARGS, '-o', file]);
    expect(written.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(written.stdout).toContain(`Plan written to ${file}`);

    const validated = await cli(['plan', 'validate', file, '--json']);
    expect(validated.code).toBe(0);
    expect(json(validated)).toMatchObject({ file, valid: true, plan: { from: '0.10.2', to: '0.11.0' } });

    const [preview, dryRun] = await Promise.all([cli(PLAN_ARGS), cli(['upgrade', '--plan', file, '--dry-run'])]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toBe(`${preview.stdout}\nDry run: nothing was touched.\n`);
  });

  it.each(['0.8.2-to-0.9.0.yaml', '2.8-to-3.0.yaml'])('the shipped template %s validates', async (template) => {
    const run = await cli(['plan', 'validate', join(root, 'plans', template)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('valid upgrade plan');
  });
});
