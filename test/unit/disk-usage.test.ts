/**
 * ShellBrokerHost.diskUsage on this machine (LocalRunner: the same script SSH runs): log dirs
 * with hostile names reach `df` as quoted arguments, are reported with their exact path and the
 * file system's real size, and a missing dir is left out (check reports it), never guessed.
 */
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRunner } from '../../src/hosts/shell/runner.js';
import { ShellBrokerHost } from '../../src/hosts/shell/shell-host.js';
import { localBrokerSpec } from '../helpers/inventory-fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-disk-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const spec = localBrokerSpec(scratch);

describe('ShellBrokerHost.diskUsage', () => {
  it('reports each existing log dir with its file system size; a missing one is left out, hostile names reach df intact', async () => {
    // Expanded by a shell, this name would become another path, which df would not find.
    const odd = join(scratch, "data $(id) ; 'x' * `id` \\n");
    const plain = join(scratch, 'plain');
    mkdirSync(odd);
    mkdirSync(plain);
    const usage = await new ShellBrokerHost(new LocalRunner(), spec).diskUsage([odd, join(scratch, 'missing'), plain]);
    expect(usage.map((u) => u.path)).toEqual([odd, plain]);
    const fs = statfsSync(plain);
    const total = fs.blocks * fs.bsize;
    for (const u of usage) {
      // df rounds to 1 KiB blocks and reserves differ: within 1 % of what statfs says.
      expect(Math.abs(u.totalBytes - total) / total).toBeLessThan(0.01);
      expect(u.availableBytes).toBeGreaterThan(0);
      expect(u.availableBytes).toBeLessThanOrEqual(u.totalBytes);
    }
  });

  it('returns nothing for no dirs without running anything', async () => {
    const runner = new LocalRunner();
    let ran = false;
    const counting = { run: (...args: Parameters<LocalRunner['run']>) => ((ran = true), runner.run(...args)), close: () => runner.close() };
    expect(await new ShellBrokerHost(counting, spec).diskUsage([])).toEqual([]);
    expect(ran).toBe(false);
  });
});
