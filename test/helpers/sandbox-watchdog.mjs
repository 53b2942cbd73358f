#!/usr/bin/env node
/**
 * The teardown of a test's sandbox that outlives the test: started detached by
 * test/helpers/sandbox.ts for each sandbox, it waits for the test process (and its parent, the
 * vitest run) and, if either goes before the sandbox is downed, kills every process of the
 * sandbox. An interrupted `npm test` (Ctrl-C: SIGINT to the whole group; SIGTERM to vitest)
 * ends the workers without their afterAll hooks, and the JVMs and sshd, started detached so
 * they outlive a CLI, would run on. A normal `down()` ends this watchdog itself.
 *
 *   node sandbox-watchdog.mjs DIR OWNER_PID [OWNER_PID...]
 *
 * Plain JavaScript on purpose: it must work without the build and after the worker is gone.
 * A test sandbox is disposable: SIGTERM, then SIGKILL a few seconds later, no controlled shutdown.
 * Linux only, as the sandbox is: which processes are the sandbox's is read from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';

const [dir, ...owners] = process.argv.slice(2);
const ownerPids = owners.map(Number).filter((p) => Number.isInteger(p) && p > 1);
if (!dir || ownerPids.length === 0) {
  console.error('usage: sandbox-watchdog.mjs DIR OWNER_PID [OWNER_PID...]');
  process.exit(2);
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

/** Every process whose command line names the sandbox's directory (ZooKeeper, brokers, controllers, sshd, a shell of `up`). */
function sandboxProcesses() {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .some((arg) => arg.includes(dir))
      )
        pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const send = (pid, signal) => {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
};

async function reap() {
  // A process may start while `up` is still running (its shell outlives the worker by a moment): look twice.
  for (let round = 0; round < 2; round++) {
    const pids = sandboxProcesses();
    for (const pid of pids) send(pid, 'SIGTERM');
    const deadline = Date.now() + 3000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(100);
    for (const pid of pids.filter(alive)) send(pid, 'SIGKILL');
    await sleep(500);
  }
}

process.on('SIGTERM', () => process.exit(0));
for (;;) {
  if (!ownerPids.every(alive)) {
    await reap();
    process.exit(0);
  }
  await sleep(250);
}
