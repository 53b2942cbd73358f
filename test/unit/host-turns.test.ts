/**
 * ShellBrokerHost runs its short commands one at a time (over SSH a second command while the
 * session is busy would get an exec channel and a login shell of its own, 300+ ms each), while a
 * stop, which may take minutes, does not wait its turn and holds up nothing. Real `sh` through
 * LocalRunner; the runner around it only counts the commands in flight.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRunner, type CommandRunner } from '../../src/hosts/shell/runner.js';
import { ShellBrokerHost } from '../../src/hosts/shell/shell-host.js';
import { localBrokerSpec } from '../helpers/inventory-fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'kafka-ops-turns-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
writeFileSync(join(scratch, 'server.properties'), 'broker.id=1\n');

const spec = localBrokerSpec(scratch);

/** LocalRunner, each command held 100 ms before it runs, so overlapping commands overlap for sure. */
function countingRunner(): CommandRunner & { maxInFlight: number; ran: number } {
  const local = new LocalRunner();
  let inFlight = 0;
  const runner = {
    maxInFlight: 0,
    ran: 0,
    async run(...args: Parameters<CommandRunner['run']>) {
      inFlight++;
      runner.maxInFlight = Math.max(runner.maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 100));
        return await local.run(...args);
      } finally {
        inFlight--;
        runner.ran++;
      }
    },
    close: () => local.close(),
  };
  return runner;
}

describe('ShellBrokerHost command turns', () => {
  it('runs facts, config reads and disk reads asked together one after the other, each with its own answer', async () => {
    const runner = countingRunner();
    const host = new ShellBrokerHost(runner, spec);
    const [facts, config, again, disk] = await Promise.all([host.facts(), host.readConfig(), host.readConfig(), host.diskUsage([scratch])]);
    expect(runner.ran).toBe(4);
    expect(runner.maxInFlight).toBe(1);
    expect(facts.process).toBeUndefined();
    expect(config).toBe('broker.id=1\n');
    expect(again).toBe(config);
    expect(disk.map((d) => d.path)).toEqual([scratch]);
  });

  it('a failed command does not block the turns after it', async () => {
    const runner = countingRunner();
    const host = new ShellBrokerHost(runner, { ...spec, configPath: join(scratch, 'missing.properties') });
    const [config, facts] = await Promise.allSettled([host.readConfig(), host.facts()]);
    expect(config.status).toBe('rejected');
    expect(facts.status).toBe('fulfilled');
  });

  it('a stop does not wait its turn: facts read while it runs', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const runner = countingRunner();
      const host = new ShellBrokerHost(runner, spec);
      const [stopped] = await Promise.all([host.stop('SIGTERM', 10_000, child.pid), host.facts()]);
      expect(stopped.exited).toBe(true);
      expect(runner.maxInFlight).toBe(2);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
