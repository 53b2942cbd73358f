/**
 * Faults injected into a real sandbox while kafka-ops rolls it, in sequence on ONE sandbox.
 * Each scenario: inject the fault, run the CLI (--yes --json), expect a halt (exit 4) with
 * the right code naming the broker and no other broker touched; fix the cause, `resume`,
 * expect exit 0 with every broker changed, running and every ISR full.
 */
import { readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/config/properties.js';
import { isAlive } from '../../src/sandbox/processes.js';
import { sandboxStatus } from '../../src/sandbox/status.js';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import {
  brokerOf,
  collect,
  fileSize,
  ignoresSigint,
  inventoryCopy,
  isBrokerJvm,
  journalSince,
  launchIgnoringSigint,
  launchProperly,
  readInventory,
  sigIgnMask,
  stopPid,
  waitFor,
  waitHealthy,
  waitForDist,
  waitJournal,
} from '../helpers/faults.js';
import { SANDBOX_HOOK_TIMEOUT_MS, startSandbox, type TestSandbox } from '../helpers/sandbox.js';

/** The modern line the faults run on (ZooKeeper mode): real brokers of both releases. */
const FROM = '2.8.2';
const TO = '3.9.2';
let sandbox: TestSandbox;
/** Processes this file started or froze itself, cleaned up whatever happens. */
const startedPids = new Set<number>();
const frozenPids = new Set<number>();
const children: Array<ReturnType<typeof spawnCli>> = [];

beforeAll(async () => {
  sandbox = await startSandbox('faults', 3, { from: FROM, to: TO });
  await waitHealthy(sandbox.dir, 60_000);
}, SANDBOX_HOOK_TIMEOUT_MS);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of frozenPids) if (isAlive(pid)) process.kill(pid, 'SIGCONT');
  if (!sandbox) return;
  // A broker still ignoring SIGINT would make `down` wait its whole stop timeout.
  for (const pid of startedPids) if (isAlive(pid) && ignoresSigint(pid)) await stopPid(pid, 'SIGTERM', 60_000).catch(() => undefined);
  const pids = [...Object.values(sandbox.pids()).filter((p): p is number => p !== undefined), ...startedPids];
  await sandbox.down();
  for (const pid of startedPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  expect(pids.filter(isAlive)).toEqual([]);
}, 180_000);

async function cli(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  await waitForDist();
  return runCli(args, options);
}
async function spawnRun(args: string[]): Promise<ReturnType<typeof spawnCli>> {
  await waitForDist();
  const child = spawnCli(args);
  children.push(child);
  return child;
}

const journalFile = () => path.join(sandbox.stateDir, 'sandbox', 'journal.jsonl');
const runFlags = () => ['--state-dir', sandbox.stateDir, '--yes', '--json'];
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const valueOf = (id: number, key: string) => parseProperties(sandbox.configOf(id))[key];
const brokerIn = (message: string) => Number(/\bbroker (\d+)\b/i.exec(message)?.[1]);

interface Before {
  pids: Record<number, number | undefined>;
  configs: Record<number, string>;
}
const snapshot = (): Before => ({ pids: sandbox.pids(), configs: sandbox.configs() });

/** Every broker runs `release`, as its JVM's open core jar and the last version line of its own server.log say. */
async function expectRunning(release: string): Promise<void> {
  const brokers = (await sandboxStatus(sandbox.dir)).processes.filter((p) => p.role === 'broker');
  expect(brokers.map((b) => [b.id, b.release, b.logRelease])).toEqual(sandbox.brokerIds.map((id) => [id, release, release]));
}

/** The brokers other than `except` have the same pid and a byte-identical server.properties. */
function expectUntouched(before: Before, except: number[]): void {
  const after = snapshot();
  for (const id of sandbox.brokerIds.filter((b) => !except.includes(b))) {
    expect(after.pids[id], `pid of broker ${id}`).toBe(before.pids[id]);
    expect(after.pids[id], `broker ${id} running`).toBeDefined();
    expect(after.configs[id], `server.properties of broker ${id}`).toBe(before.configs[id]);
  }
}

/**
 * Starts `roll --set <setting>` and sends `signal` to the CLI as it sends the stop signal to a
 * broker with `doneFirst` brokers already done, so that broker is shutting down when the CLI
 * gets the signal. SIGKILL: nobody is left watching it; SIGINT (Ctrl-C): the CLI's own safe stop.
 */
async function signalAtStop(
  setting: string,
  signal: 'SIGKILL' | 'SIGINT',
  doneFirst: number,
): Promise<{ stopping: number; doneBefore: number[]; exited: ReturnType<typeof collect> }> {
  const offset = fileSize(journalFile());
  const child = await spawnRun(['roll', '--set', setting, '--inventory', sandbox.inventory, ...runFlags()]);
  const exited = collect(child);
  const stopLine = await waitJournal(journalFile(), offset, 150_000, child, `the stop of broker ${doneFirst + 1} of the roll`, (lines) => {
    const done = new Set(lines.filter((l) => l.event === 'step.done').map((l) => l.broker));
    return lines.find((l) => l.event === 'step.stop.begin' && done.size === doneFirst && !done.has(l.broker));
  });
  child.kill(signal);
  const doneBefore = [
    ...new Set(
      journalSince(journalFile(), offset)
        .filter((l) => l.event === 'step.done')
        .map((l) => l.broker as number),
    ),
  ];
  return { stopping: stopLine.broker as number, doneBefore, exited };
}

/** SIGKILLs the CLI at the second broker's stop: one broker done, one shutting down with nobody watching. */
async function killAtSecondStop(setting: string): Promise<{ stopping: number; doneBefore: number[] }> {
  const { stopping, doneBefore, exited } = await signalAtStop(setting, 'SIGKILL', 1);
  expect((await exited).signal).toBe('SIGKILL');
  return { stopping, doneBefore };
}

function expectHalted(
  result: { code: number | null; json: any; stderr: string; stdout: string },
  codes: string[],
): { code: string; message: string } {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(4);
  const error = result.json?.error;
  expect(error, result.stdout).toBeDefined();
  expect(codes).toContain(error.code);
  expect(error.exitCode).toBe(4);
  return error;
}

async function resumeWith(inventory: string): Promise<CliResult> {
  const result = await cli(['resume', '--inventory', inventory, ...runFlags()], { timeoutMs: 240_000 });
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.json.run.status).toBe('completed');
  return result;
}

/** Every broker has `key=value` (or value(id)), is running, and every ISR is full. */
async function expectRolledOut(key: string, value: (id: number) => string): Promise<void> {
  const status = await waitHealthy(sandbox.dir, 30_000);
  for (const id of sandbox.brokerIds) {
    expect(valueOf(id, key), `${key} of broker ${id}`).toBe(value(id));
    expect(sandbox.pidOf(id), `broker ${id} running`).toBeDefined();
  }
  expect(status.cluster?.underReplicatedCount).toBe(0);
  expect(status.cluster?.brokers.sort()).toEqual(sandbox.brokerIds);
}

const missingInstall = () => path.join(sandbox.dir, 'missing-install');
const missingInventory = () => path.join(sandbox.dir, 'inventory-missing.yaml');
const outcomes = (result: CliResult) =>
  Object.fromEntries(result.json.run.steps.map((s: any) => [s.broker, s.outcome])) as Record<number, string>;

/**
 * `resume` of a roll whose broker `done` already runs the new setting (process `pid`): that
 * broker counts as done and keeps its process, every other one is restarted. Returns resume's time.
 */
async function resumeFindingDone(inventory: string, done: number, pid: number, key: string, value: string): Promise<number> {
  const t0 = Date.now();
  const resumed = await resumeWith(inventory);
  const resumeMs = Date.now() - t0;
  const o = outcomes(resumed);
  expect(o[done]).toBe('already-done');
  for (const id of sandbox.brokerIds.filter((b) => b !== done)) expect(o[id]).toBe('restarted');
  expect(sandbox.pidOf(done)).toBe(pid);
  await expectRolledOut(key, () => value);
  return resumeMs;
}

describe('faults during a roll, each halted and then resumed', () => {
  it('1. a broker that ignores SIGINT is caught in preflight, before anything is touched', { timeout: 240_000 }, async () => {
    const t0 = Date.now();
    const inv = readInventory(sandbox.inventory);
    const broker2 = brokerOf(inv, 2);
    const oldPid = sandbox.pidOf(2) as number;
    await stopPid(oldPid, 'SIGINT', 60_000);
    const badPid = await launchIgnoringSigint(broker2);
    startedPids.add(badPid);
    await waitFor('broker 2 past its launcher', 10_000, () => isBrokerJvm(badPid));
    expect((sigIgnMask(badPid) ?? 0n) & 0x2n).toBe(0x2n);
    await waitHealthy(sandbox.dir, 90_000);
    expect(sandbox.pidOf(2)).toBe(badPid);

    const before = snapshot();
    const tRun = Date.now();
    const result = await cli(['roll', '--set', 'num.io.threads=9', '--inventory', sandbox.inventory, ...runFlags()]);
    const haltMs = Date.now() - tRun;
    const error = expectHalted(result, ['SIGNAL_IGNORED']);
    expect(brokerIn(error.message)).toBe(2);
    expect(error.message).toContain(String(badPid));
    expectUntouched(before, []); // preflight: NO broker touched, not even broker 2
    for (const id of sandbox.brokerIds) expect(valueOf(id, 'num.io.threads')).toBe('2');

    // Fix: SIGTERM still works; start it again the way kafka-ops does.
    await stopPid(badPid, 'SIGTERM', 60_000);
    const goodPid = await launchProperly(broker2);
    startedPids.add(goodPid);
    await waitFor('broker 2 past its launcher', 10_000, () => isBrokerJvm(goodPid));
    expect(ignoresSigint(goodPid)).toBe(false);
    await waitHealthy(sandbox.dir, 90_000);

    const tResume = Date.now();
    const resumed = await resumeWith(sandbox.inventory);
    const resumeMs = Date.now() - tResume;
    expect(outcomes(resumed)).toEqual({ 1: 'restarted', 2: 'restarted', 3: 'restarted' });
    await expectRolledOut('num.io.threads', () => '9');
    console.log(
      `[faults] 1 ${error.code} (broker 2): halt after ${secs(haltMs)}, resume ${secs(resumeMs)}, scenario ${secs(Date.now() - t0)}`,
    );
  });

  it('2. a config the broker cannot start with halts on that broker; resume after the fix', { timeout: 240_000 }, async () => {
    const t0 = Date.now();
    const blocked = path.join(sandbox.dir, 'blocked');
    writeFileSync(blocked, 'a file where the log dirs should go\n');
    const template = `${blocked}/broker-{id}`;
    const before = snapshot();
    const tRun = Date.now();
    const result = await cli(['roll', '--set', `log.dirs=${template}`, '--inventory', sandbox.inventory, ...runFlags()], {
      timeoutMs: 200_000,
    });
    const haltMs = Date.now() - tRun;
    const error = expectHalted(result, ['BROKER_EXITED', 'CATCH_UP_TIMEOUT']);
    expect(error.code).toBe('BROKER_EXITED'); // the JVM exits at once: no need to wait for the start timeout
    const failed = brokerIn(error.message);
    expect(sandbox.brokerIds).toContain(failed);
    expect(sandbox.pidOf(failed)).toBeUndefined();
    expect(valueOf(failed, 'log.dirs')).toBe(template.replace('{id}', String(failed)));
    expectUntouched(before, [failed]);

    rmSync(blocked);
    const tResume = Date.now();
    const resumed = await resumeWith(sandbox.inventory);
    const resumeMs = Date.now() - tResume;
    expect(outcomes(resumed)).toEqual({ 1: 'restarted', 2: 'restarted', 3: 'restarted' });
    await expectRolledOut('log.dirs', (id) => template.replace('{id}', String(id)));
    for (const id of sandbox.brokerIds) expect(statSync(`${blocked}/broker-${id}`).isDirectory()).toBe(true);
    console.log(
      `[faults] 2 ${error.code} (broker ${failed}): halt after ${secs(haltMs)}, resume ${secs(resumeMs)}, scenario ${secs(Date.now() - t0)}`,
    );
  });

  it('3. the CLI SIGKILLed while stopping a broker: resume finishes without restarting done brokers', { timeout: 240_000 }, async () => {
    const t0 = Date.now();
    const before = snapshot();
    const { stopping, doneBefore } = await killAtSecondStop('num.io.threads=7');
    const killMs = Date.now() - t0;
    expect(doneBefore.length).toBeGreaterThan(0);
    const untouchedIds = sandbox.brokerIds.filter((id) => id !== stopping && !doneBefore.includes(id));
    expectUntouched(before, [stopping, ...doneBefore]);
    const pidsAfterKill = sandbox.pids();
    // The broker the CLI was stopping finishes its shutdown on its own (the signal went out).
    await waitFor(`broker ${stopping} to finish stopping`, 60_000, () => sandbox.pidOf(stopping) === undefined || undefined).catch(
      () => undefined,
    );
    const stoppingLeftDown = sandbox.pidOf(stopping) === undefined;

    const tResume = Date.now();
    try {
      // Watched as it runs: a broker done before the kill that reaches its pre-stop gate is
      // being restarted again (the bug this scenario guards against) and would only halt
      // after the whole start timeout (GATE_TIMEOUT, 120 s); fail at once instead.
      const resume = await spawnRun(['resume', '--inventory', sandbox.inventory, ...runFlags()]);
      let progress = '';
      resume.stderr?.on('data', (d: Buffer) => (progress += d.toString()));
      const ended = collect(resume);
      let regated: number | undefined;
      await waitFor('resume to finish', 240_000, () => {
        if (resume.exitCode !== null || resume.signalCode !== null) return true;
        const gate = [...progress.matchAll(/\[roll-config \/ broker (\d+)\] waiting until safe to stop/g)]
          .map((m) => Number(m[1]))
          .find((id) => doneBefore.includes(id));
        if (gate !== undefined) {
          regated = gate;
          resume.kill('SIGINT');
          return true;
        }
        return undefined;
      });
      const resumed = await ended;
      const resumeMs = Date.now() - tResume;
      console.log(
        `[faults] 3 SIGKILL of the CLI at step.stop.begin of broker ${stopping} (done before: ${doneBefore.join(',')}; left ${stoppingLeftDown ? 'stopped' : 'running'}): killed after ${secs(killMs)}, resume ${secs(resumeMs)} exit ${resumed.code}${regated === undefined ? '' : ` (interrupted: broker ${regated} sent to its pre-stop gate)`}`,
      );
      expect(
        regated,
        `resume did not count broker ${regated} (done before the kill) as done: it waits for it to be "safe to stop" while broker ${stopping}, left stopped by the killed CLI, makes partitions under-replicated; it would halt with GATE_TIMEOUT and never start broker ${stopping}.\n${progress}`,
      ).toBeUndefined();
      expect(resumed.code, `${resumed.stdout}\n${progress}`).toBe(0);
      const o = outcomes(resumed as CliResult);
      for (const id of doneBefore) expect(o[id], `broker ${id} was done before the kill`).toBe('already-done');
      expect(o[stopping]).toBe('restarted');
      for (const id of untouchedIds) expect(o[id]).toBe('restarted');
      expect(
        resumed.json.run.steps
          .filter((s: any) => s.outcome === 'restarted')
          .map((s: any) => s.broker)
          .sort(),
      ).toEqual([stopping, ...untouchedIds].sort());
      const after = sandbox.pids();
      for (const id of doneBefore) expect(after[id], `broker ${id} not restarted by resume`).toBe(pidsAfterKill[id]);
      expect(after[stopping]).not.toBe(before.pids[stopping]);
      await expectRolledOut('num.io.threads', () => '7');
      console.log(`[faults] 3 done: scenario ${secs(Date.now() - t0)}`);
    } finally {
      // Whatever happened, leave every broker running with full ISRs for the next scenarios.
      for (const id of sandbox.brokerIds)
        if (sandbox.pidOf(id) === undefined) startedPids.add(await launchProperly(brokerOf(readInventory(sandbox.inventory), id)));
      await waitHealthy(sandbox.dir, 90_000);
    }
  });

  it(
    '3b. resume started at once after the kill, while that broker is still shutting down, neither waits for it nor restarts a done broker',
    { timeout: 240_000 },
    async () => {
      const t0 = Date.now();
      const { stopping, doneBefore } = await killAtSecondStop('num.io.threads=5');
      const stillUp = sandbox.pidOf(stopping) !== undefined;
      const pidsAfterKill = sandbox.pids();
      try {
        // No waiting for the stopping broker: its controlled shutdown is still under way.
        const resumed = await cli(['resume', '--inventory', sandbox.inventory, ...runFlags()], { timeoutMs: 200_000 });
        console.log(
          `[faults] 3b resume right after the kill at broker ${stopping}'s stop (its process ${stillUp ? 'still up' : 'already gone'} when resume began): exit ${resumed.code} in ${secs(Date.now() - t0)}`,
        );
        expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
        const o = outcomes(resumed);
        for (const id of doneBefore) expect(o[id], `broker ${id} was done before the kill`).toBe('already-done');
        const after = sandbox.pids();
        for (const id of doneBefore) expect(after[id], `broker ${id} not restarted by resume`).toBe(pidsAfterKill[id]);
        expect(after[stopping]).toBeDefined();
        await expectRolledOut('num.io.threads', () => '5');
      } finally {
        for (const id of sandbox.brokerIds)
          if (sandbox.pidOf(id) === undefined) startedPids.add(await launchProperly(brokerOf(readInventory(sandbox.inventory), id)));
        await waitHealthy(sandbox.dir, 90_000);
      }
    },
  );

  it(
    '3c. Ctrl-C while a broker stops: that broker is started again, the journal says so, exit 130; resume counts it done',
    { timeout: 240_000 },
    async () => {
      const t0 = Date.now();
      const before = snapshot();
      const offset = fileSize(journalFile());
      const { stopping, doneBefore, exited } = await signalAtStop('num.io.threads=4', 'SIGINT', 0);
      const interrupted = await exited;
      const interruptMs = Date.now() - t0;
      expect(doneBefore).toEqual([]);
      expect(interrupted.code, `${interrupted.stdout}\n${interrupted.stderr}`).toBe(130);
      expect(interrupted.json?.error).toMatchObject({ code: 'INTERRUPTED', exitCode: 130 });
      // Never left stopped: the broker whose stop was under way runs again, with the new config.
      const restartedPid = sandbox.pidOf(stopping);
      expect(restartedPid, `broker ${stopping} running after Ctrl-C`).toBeDefined();
      expect(restartedPid).not.toBe(before.pids[stopping]);
      expect(valueOf(stopping, 'num.io.threads')).toBe('4');
      const journal = journalSince(journalFile(), offset).map((l) => `${l.event}${l.broker === undefined ? '' : `:${l.broker}`}`);
      expect(journal).toContain(`step.safety-start:${stopping}`);
      expect(journal.at(-1)).toBe('run.stopped');
      expectUntouched(before, [stopping]);

      await waitHealthy(sandbox.dir, 90_000);
      const resumeMs = await resumeFindingDone(sandbox.inventory, stopping, restartedPid as number, 'num.io.threads', '4');
      console.log(
        `[faults] 3c Ctrl-C at broker ${stopping}'s stop: exit 130 after ${secs(interruptMs)} with the broker running again, resume ${secs(resumeMs)}, scenario ${secs(Date.now() - t0)}`,
      );
    },
  );

  it(
    '4. a broker that never catches up halts at the start timeout; resume counts it done once it is back',
    { timeout: 240_000 },
    async () => {
      const t0 = Date.now();
      const inventory = inventoryCopy(sandbox.inventory, path.join(sandbox.dir, 'inventory-timeout.yaml'), (inv) => {
        inv.defaults.startTimeoutSeconds = 15;
      });
      const before = snapshot();
      const offset = fileSize(journalFile());
      const child = await spawnRun(['roll', '--set', 'num.io.threads=6', '--inventory', inventory, ...runFlags()]);
      const exited = collect(child);
      const startLine = await waitJournal(journalFile(), offset, 120_000, child, 'the first broker started', (lines) =>
        lines.find((l) => l.event === 'step.start'),
      );
      const frozen = startLine.broker as number;
      const stopBegin = journalSince(journalFile(), offset).find((l) => l.event === 'step.stop.begin' && l.broker === frozen);
      const stepBegan = Date.parse(stopBegin?.at ?? startLine.at);
      const pidFile = brokerOf(readInventory(inventory), frozen).run.pidFile;
      const pid = await waitFor(
        `the new pid of broker ${frozen}`,
        10_000,
        () => {
          const p = sandbox.pidOf(frozen);
          return p !== undefined && p !== before.pids[frozen] && statSync(pidFile).mtimeMs >= stepBegan - 1000 && isBrokerJvm(p)
            ? p
            : undefined;
        },
        50,
      );
      process.kill(pid, 'SIGSTOP');
      frozenPids.add(pid);
      const result = await exited;
      const haltMs = Date.now() - t0;
      const error = expectHalted(result, ['CATCH_UP_TIMEOUT']);
      expect(brokerIn(error.message)).toBe(frozen);
      expect(error.message).toContain('15 s');
      expect(sandbox.pidOf(frozen)).toBe(pid);
      expectUntouched(before, [frozen]);

      process.kill(pid, 'SIGCONT');
      frozenPids.delete(pid);
      await waitHealthy(sandbox.dir, 90_000);
      const resumeMs = await resumeFindingDone(inventory, frozen, pid, 'num.io.threads', '6');
      console.log(
        `[faults] 4 ${error.code} (broker ${frozen} SIGSTOPped): halt after ${secs(haltMs)}, resume ${secs(resumeMs)}, scenario ${secs(Date.now() - t0)}`,
      );
    },
  );

  it('5. a target install missing on one host is caught before any restart', { timeout: 300_000 }, async () => {
    const t0 = Date.now();
    const target = sandbox.up.installs.to;
    expect(target.release).toBe(TO);
    await expectRunning(FROM); // the faults so far restarted brokers on the release they ran
    const missing = missingInstall();
    const inventory = inventoryCopy(sandbox.inventory, missingInventory(), (inv) => {
      brokerOf(inv, 3).installs = { [target.release]: missing };
    });
    const inv = readInventory(inventory);
    const links = () => Object.fromEntries(sandbox.brokerIds.map((id) => [id, readlinkSync(brokerOf(inv, id).installLink)]));
    const linksBefore = links();
    const before = snapshot();
    const tRun = Date.now();
    const result = await cli(['upgrade', '--to', '3.9', '--inventory', inventory, ...runFlags()]);
    const haltMs = Date.now() - tRun;
    const error = expectHalted(result, ['TARGET_INSTALL_MISSING']);
    expect(brokerIn(error.message)).toBe(3);
    expect(error.message).toContain(missing);
    expectUntouched(before, []);
    expect(links()).toEqual(linksBefore);

    symlinkSync(target.dir, missing);
    const tResume = Date.now();
    const resumed = await resumeWith(inventory);
    const resumeMs = Date.now() - tResume;
    const restarted = resumed.json.run.steps.filter((s: any) => s.outcome === 'restarted');
    for (const phase of ['swap-binaries', 'bump-ibp']) {
      expect(
        restarted
          .filter((s: any) => s.phase === phase)
          .map((s: any) => s.broker)
          .sort(),
      ).toEqual([1, 2, 3]);
    }
    for (const id of sandbox.brokerIds) expect(readlinkSync(brokerOf(inv, id).installLink)).toBe(id === 3 ? missing : target.dir);
    await expectRolledOut('inter.broker.protocol.version', () => '3.9');
    await expectRunning(TO);
    console.log(
      `[faults] 5 ${error.code} (broker 3): halt after ${secs(haltMs)}, resume ${secs(resumeMs)}, scenario ${secs(Date.now() - t0)}`,
    );
  });

  it('5b. the same upgrade again (install dir given through a symlink) plans no restart', async () => {
    // After scenario 5, broker 3's install of the target release is <dir>/missing-install, a symlink to the
    // real directory: the link points at it, so nothing is left to do.
    const again = await cli(['upgrade', '--to', '3.9', '--dry-run', '--inventory', missingInventory(), '--json']);
    expect(again.code, again.stderr).toBe(0);
    const planned = again.json.plan.phases.flatMap((p: any) =>
      (p.steps ?? [])
        .filter((s: any) => !s.skipped)
        .map((s: any) => `${p.id}/broker ${s.broker}: ${s.install ? `${s.install.from} -> ${s.install.to}` : JSON.stringify(s.changes)}`),
    );
    expect(planned).toEqual([]);
  });
});
