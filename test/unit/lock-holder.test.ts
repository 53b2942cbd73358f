/**
 * A lock's holder is judged alive or gone where /proc does not exist (macOS, the operator's
 * laptop): `kill(pid, 0)` decides, and /proc, where there is one, only tells a zombie apart.
 * The platform's /proc is injected: a check that read /proc alone would find every holder gone
 * on macOS (and take a live run's lock), which the "no /proc" cases below catch.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { livenessOf, pidAlive, thisProcess, type ProcStatus } from '../../src/store/lock-holder.js';

/** macOS and the BSDs: no /proc at all. */
const NO_PROC: ProcStatus = () => undefined;

/** A pid that existed and has exited (reaped): nobody has it now. */
function exitedPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid!;
}

describe('the lock holder liveness check', () => {
  it('without /proc: this process is alive, an exited one is gone', () => {
    expect(pidAlive(process.pid, NO_PROC)).toBe(true);
    expect(pidAlive(exitedPid(), NO_PROC)).toBe(false);
  });

  it('without /proc: a holder on this host and boot is alive while it runs and gone once it exited', () => {
    const self = thisProcess();
    expect(livenessOf(self, self, NO_PROC)).toBe('alive');
    expect(livenessOf({ ...self, pid: exitedPid() }, self, NO_PROC)).toBe('gone');
    // Another host or another boot are judged without the pid at all.
    expect(livenessOf({ ...self, host: 'operator-laptop' }, self, NO_PROC)).toBe('unknown');
    expect(livenessOf({ ...self, bootId: 'boot@1' }, self, NO_PROC)).toBe('gone');
  });

  it('a process of another user (EPERM from kill) counts as alive', () => {
    // pid 1 exists on every machine; as root kill(1, 0) succeeds, as anyone else it is EPERM: alive either way.
    expect(pidAlive(1, NO_PROC)).toBe(true);
  });

  it('with /proc: a zombie (exited, not reaped) is gone, though kill(0) still answers for it', async () => {
    // `sleep 0.1` exits under a parent that never waits for it (exec sleep 5): a zombie meanwhile.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((r) => parent.stdout.once('data', (c: Buffer) => r(c.toString()))));
      expect(zombie).toBeGreaterThan(0);
      await expect.poll(() => /^State:\s+Z/m.test(readFileSync(`/proc/${zombie}/status`, 'utf8')), { timeout: 5000 }).toBe(true);
      expect(pidAlive(zombie, NO_PROC)).toBe(true);
      expect(pidAlive(zombie)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
