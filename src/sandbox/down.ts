/** `kafka-ops sandbox down`: stop the sandbox's processes (SIGINT, then SIGKILL with a warning), optionally delete it. */
import { rm } from 'node:fs/promises';
import { InfrastructureError } from '../errors.js';
import type { SandboxLayout } from './layout.js';
import { sandboxLayout } from './layout.js';
import { isAlive, readPidFile, signal, waitGone } from './processes.js';
import { readSshdHandle, stopSshd } from './sshd.js';
import { isKraftState, kraftSandboxDown } from './kraft-sandbox.js';
import { readState, type SandboxState } from './state.js';
import { describe, ours, processStatuses, type SandboxRole } from './status.js';

const BROKER_STOP_TIMEOUT_MS = 45_000;
const ZOOKEEPER_STOP_TIMEOUT_MS = 10_000;

export interface StoppedProcess {
  role: SandboxRole;
  id?: number;
  pid: number;
  outcome: 'stopped' | 'killed';
}

export interface SandboxDownResult {
  dir: string;
  /** False when there was no sandbox in the directory (nothing to do). */
  found: boolean;
  stopped: StoppedProcess[];
  warnings: string[];
  purged: boolean;
}

// ---------------------------------------------------------------------------------------
// up

/** SIGINT to every process of a group, a bounded wait, then SIGKILL (with a warning) for the rest. */
async function stopGroup(
  members: Array<{ role: SandboxRole; id?: number; pid: number }>,
  timeoutMs: number,
  warnings: string[],
): Promise<StoppedProcess[]> {
  for (const m of members) signal(m.pid, 'SIGINT');
  const left = await waitGone(
    members.map((m) => m.pid),
    timeoutMs,
  );
  for (const pid of left) signal(pid, 'SIGKILL');
  if (left.length > 0) {
    warnings.push(
      `Killed ${members
        .filter((m) => left.includes(m.pid))
        .map((m) => describe({ ...m, alive: true }))
        .join(', ')}: no exit within ${timeoutMs / 1000} s of SIGINT`,
    );
    await waitGone(left, 5000);
  }
  return members.map((m) => ({ ...m, outcome: left.includes(m.pid) ? 'killed' : 'stopped' }));
}

/** Brokers together, then ZooKeeper (brokers need it for a controlled shutdown), then sshd. */
export async function stopAll(layout: SandboxLayout, state: SandboxState, warnings: string[]): Promise<StoppedProcess[]> {
  const brokerPids = state.brokers.flatMap((b) =>
    [...new Set([readPidFile(b.pidFile), b.pid])]
      .filter((pid) => ours(layout, pid))
      .map((pid) => ({ role: 'broker' as const, id: b.id, pid: pid as number })),
  );
  // A migration's controllers outlive the brokers: KRaft brokers shut down through them.
  const controllerPids = (state.controllers ?? []).flatMap((c) =>
    [readPidFile(c.pidFile)].filter((pid) => ours(layout, pid)).map((pid) => ({ role: 'broker' as const, id: c.id, pid: pid as number })),
  );
  const zkPid = [readPidFile(state.zookeeper.pidFile), state.zookeeper.pid].find((pid) => ours(layout, pid));
  const stopped = [
    ...(await stopGroup(brokerPids, BROKER_STOP_TIMEOUT_MS, warnings)),
    ...(await stopGroup(controllerPids, BROKER_STOP_TIMEOUT_MS, warnings)),
    ...(await stopGroup(zkPid === undefined ? [] : [{ role: 'zookeeper', pid: zkPid }], ZOOKEEPER_STOP_TIMEOUT_MS, warnings)),
  ];
  const sshdPid = readSshdHandle(layout.sshdDir)?.pid;
  if (isAlive(sshdPid)) {
    await stopSshd(layout.sshdDir);
    stopped.push({ role: 'sshd', pid: sshdPid as number, outcome: 'stopped' });
  }
  return stopped;
}

export async function sandboxDown(dir: string, opts: { purge: boolean }): Promise<SandboxDownResult> {
  const layout = sandboxLayout(dir);
  const state = readState(layout.stateFile);
  if (!state) return { dir: layout.root, found: false, stopped: [], warnings: [], purged: false };
  if (isKraftState(state)) return kraftSandboxDown(state, opts);
  const warnings: string[] = [];
  const stopped = await stopAll(layout, state, warnings);
  const stillAlive = processStatuses(layout, state).filter((p) => p.alive);
  if (stillAlive.length > 0) {
    throw new InfrastructureError(`Processes of the sandbox are still alive: ${stillAlive.map(describe).join(', ')}`, {
      code: 'SANDBOX_STOP_FAILED',
      retriable: true,
      action: `Look at them with \`ps -o pid,stat,cmd -p ${stillAlive.map((p) => p.pid).join(',')}\` and run \`kafka-ops sandbox down --dir ${layout.root}\` again.`,
    });
  }
  if (opts.purge) await rm(layout.root, { recursive: true, force: true });
  return { dir: layout.root, found: true, stopped, warnings, purged: opts.purge };
}
