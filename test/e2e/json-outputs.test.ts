/**
 * The --json documents of every command against their published schemas (schemas/*.v1.schema.json),
 * and the exit codes of check/verify that need no cluster: bad input (2) and an unreachable
 * host and ZooKeeper (3, with the findings still printed). The built CLI runs as a process.
 * (upgrade/roll results of real runs and check/verify on a live cluster: check-verify.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { waitForDist } from '../helpers/faults.js';
import { VALID_INVENTORY, useScratchDir } from '../helpers/inventory-fixtures.js';
import { schemaErrors } from '../helpers/schemas.js';

const scratch = useScratchDir('json-outputs');
const inventory = scratch.write('inventory.yaml', VALID_INVENTORY);
const cli = async (args: string[]) => {
  await waitForDist();
  return runCli(args, { env: { GITHUB_ACTIONS: '' }, timeoutMs: 60_000 });
};

describe('plan and upgrade --json', () => {
  it('plan --json and plan -o --json match plan-result.v1', async () => {
    const plain = await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--json']);
    expect(plain.code).toBe(0);
    expect(schemaErrors('plan-result.v1.schema.json', plain.json)).toEqual([]);
    const file = join(scratch.dir, 'plan.yaml');
    const written = await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '-o', file, '--json']);
    expect(written.json.file).toBe(file);
    expect(schemaErrors('plan-result.v1.schema.json', written.json)).toEqual([]);
    expect(schemaErrors('plan-result.v1.schema.json', { ...written.json, phases: 'none' })).not.toEqual([]);
  });

  it('plan and a dry run without a cluster --batch auto say the batches are chosen at run time from the placement', async () => {
    const plan = await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--batch', 'auto', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(schemaErrors('plan-result.v1.schema.json', plan.json)).toEqual([]);
    expect(plan.json.batches).toMatchObject({ size: 'auto', phase: 'pin-versions' });
    expect(plan.json.batches.notes.join(' ')).toMatch(/chosen at run time from the live replica placement/);
    const dry = await cli(['upgrade', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--dry-run', '--batch', '3', '--json']);
    expect(schemaErrors('upgrade-result.v1.schema.json', dry.json)).toEqual([]);
    expect(dry.json.batches).toMatchObject({ size: 3, phase: 'pin-versions' });
    const human = await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--batch', 'auto']);
    expect(human.stdout).toMatch(/^ {2}Batches \(--batch auto\): chosen at run time from the live replica placement/m);
    const none = await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--json']);
    expect(none.json.batches).toBeUndefined();
  });

  it('--brokers: the plan and the dry run restart only those and say the others stay as they are; a bad list is exit 2', async () => {
    const plan = await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--brokers', '2', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(schemaErrors('plan-result.v1.schema.json', plan.json)).toEqual([]);
    expect(plan.json.subset.brokers).toEqual([2]);
    const pin = plan.json.phases.find((p: any) => p.id === 'pin-versions');
    expect(pin.steps.filter((s: any) => !s.skipped).map((s: any) => s.broker)).toEqual([2]);
    expect(plan.json.phases.find((p: any) => p.id === 'bump-ibp').skipped).toBe(true);
    const file = join(scratch.dir, 'plan-subset.yaml');
    await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '-o', file]);
    const dry = await cli(['upgrade', '--plan', file, '--dry-run', '--brokers', '2']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Note: Restricted to brokers 2 \(--brokers\): broker\(s\) [\d,]+ stay as they are\./);
    const bad = await cli(['upgrade', '--plan', file, '--dry-run', '--brokers', '2,x', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json.error.code).toBe('BAD_FLAG');
    const unknown = await cli(['upgrade', '--plan', file, '--dry-run', '--brokers', '99', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.json.error.message).toMatch(/--brokers names 99, not in cluster/);
  });

  it('upgrade --dry-run --json (from a plan file and from --from/--to) matches upgrade-result.v1', async () => {
    const file = join(scratch.dir, 'plan-for-upgrade.yaml');
    await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '-o', file]);
    for (const args of [
      ['--plan', file],
      ['--from', '0.10.2', '--to', '0.11', '--inventory', inventory],
    ]) {
      const result = await cli(['upgrade', ...args, '--dry-run', '--json']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.json.dryRun).toBe(true);
      expect(schemaErrors('upgrade-result.v1.schema.json', result.json)).toEqual([]);
    }
    // A real run must carry its report and journal.
    expect(
      schemaErrors('upgrade-result.v1.schema.json', {
        dryRun: false,
        plan: (await cli(['plan', '--from', '0.10.2', '--to', '0.11', '--inventory', inventory, '--json'])).json,
      }),
    ).not.toEqual([]);
  });
});

describe('check and verify exit codes without a cluster', () => {
  it.each([
    [['check', '--to', '0.99', '--inventory', inventory], 'UNKNOWN_VERSION'],
    [['check', '--inventory', inventory], 'USAGE'],
    [['check', '--to', '0.11', '--inventory', join(scratch.dir, 'missing.yaml')], 'FILE_UNREADABLE'],
    [['check', '--to', '0.11', '--inventory', inventory, '--min-free-disk', '200'], 'USAGE'],
    [['verify', '--inventory', inventory], 'USAGE'],
  ])('%j: exit 2 with an error document (%s)', async (args, code) => {
    const result = await cli([...args, '--json']);
    expect(result.code, result.stdout).toBe(2);
    expect(result.json.error.code).toBe(code);
    expect(schemaErrors('error.v1.schema.json', result.json)).toEqual([]);
  });

  it('an unreachable SSH host and ZooKeeper: exit 3, and the report is still printed with both findings', { timeout: 90_000 }, async () => {
    const key = join(scratch.dir, 'id');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const known = scratch.write('known_hosts', '');
    const down = scratch.write(
      'down.yaml',
      VALID_INVENTORY.replace('cluster: test', `cluster: down\nstate:\n  zookeeper: 127.0.0.1:1`)
        .replace('  kind: ssh', `  kind: ssh\n  knownHosts: ${known}\n  connectTimeoutSeconds: 2`)
        .replace('    user: kafka', `    user: kafka\n    port: 1\n    identityFile: ${key}`)
        .replace(/host: kafka(\d)\.example\.com/g, 'host: 127.0.0.$1'),
    );
    const [checked, verified] = await Promise.all([
      cli(['check', '--to', '0.11', '--inventory', down, '--json']),
      cli(['verify', '--at', '0.11', '--inventory', down, '--json']),
    ]);
    for (const result of [checked, verified]) {
      expect(result.code, result.stdout).toBe(3);
      expect(schemaErrors('check-result.v1.schema.json', result.json)).toEqual([]);
      expect(result.json.exitCode).toBe(3);
      expect(result.json.findings.map((f: any) => f.id).sort()).toEqual(['cluster-reachable', 'host-reachable', 'host-reachable']);
      expect(result.json.checks.filter((c: any) => c.status === 'passed')).toEqual([]);
    }
  });

  it.each(['check', 'verify'])('%s --help states the exit codes', async (command) => {
    const help = await cli([command, '--help']);
    expect(help.code).toBe(0);
    for (const code of ['0', '1', '2', '3', '130']) expect(help.stdout).toMatch(new RegExp(`^\\s+${code}\\s+\\S`, 'm'));
  });
});
