/**
 * Inventory hooks (`hooks.preStop`, `hooks.postStart`) in the rolling engine, on the
 * in-memory ports: where they run in a step, that a failure or timeout halts like a failed gate
 * (before the stop: the broker is not touched), that resume runs an unfinished postStart again,
 * and that an executor that cannot run them is refused before any restart.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HaltError } from '../../src/errors.js';
import { applyPlan } from '../../src/engine/roll.js';
import { runLocalHook } from '../../src/hosts/local-hook.js';
import type { HookResult } from '../../src/hosts/port.js';
import { memoryCluster, SIX_OVER_THREE_RACKS, type MemoryClusterOptions } from '../helpers/memory-engine.js';

const three = (p: number) => [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)];
const HOOKS = {
  on: 'host' as const,
  preStop: ['/usr/local/bin/drain', '$(touch pwned)', 'a b'],
  postStart: ['/usr/local/bin/undrain'],
  timeoutSeconds: 30,
};

function simulate(extra: Partial<MemoryClusterOptions> = {}) {
  const sim = memoryCluster({ ids: [1, 2, 3], controller: 3, partitions: 3, replicasOf: three, hooks: HOOKS, ...extra });
  const deps = { ...sim.deps(), run: { id: 'run-1', planDigest: 'digest-1' } };
  return { ...sim, run: () => applyPlan(sim.rollPlan(3), deps) };
}

const haltOf = async (p: Promise<unknown>): Promise<HaltError> => {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(HaltError);
    return error as HaltError;
  }
  throw new Error('expected a halt');
};

describe('inventory hooks', () => {
  it('preStop runs before the stop, postStart once the broker is caught up; argv and environment as given', async () => {
    const sim = simulate();
    await sim.run();
    expect(sim.log).toEqual([
      'hook preStop 1',
      'stop 1',
      'start 1',
      'hook postStart 1',
      'hook preStop 2',
      'stop 2',
      'start 2',
      'hook postStart 2',
      'hook preStop 3',
      'stop 3',
      'start 3',
      'hook postStart 3',
    ]);
    expect(sim.hookRuns[0]).toEqual({
      argv: HOOKS.preStop,
      env: {
        KAFKA_OPS_CLUSTER: sim.inventory.cluster,
        KAFKA_OPS_BROKER_ID: '1',
        KAFKA_OPS_BROKER_HOST: 'kafka1.example.com',
        KAFKA_OPS_PHASE: 'roll-config',
        KAFKA_OPS_HOOK: 'preStop',
      },
    });
    expect(sim.journal.entries().filter((e) => e.event === 'hook.done')).toHaveLength(6);
  });

  it('a failing preStop halts with its output and leaves that broker untouched', async () => {
    const sim = simulate({
      hookResult: (hook, broker): HookResult =>
        hook === 'preStop' && broker === 2
          ? { code: 3, output: 'load balancer refused to drain', elapsedMs: 5 }
          : { code: 0, output: '', elapsedMs: 1 },
    });
    const halt = await haltOf(sim.run());
    expect(halt).toMatchObject({ code: 'HOOK_FAILED', exitCode: 4, brokerId: 2 });
    expect(halt.message).toMatch(
      /preStop hook of broker 2 \(\/usr\/local\/bin\/drain, on kafka2\.example\.com\) exited with 3: load balancer refused to drain\. Broker 2 was not stopped/,
    );
    expect(sim.log).not.toContain('stop 2');
    expect(sim.log.at(-1)).toBe('hook preStop 2');
    expect(sim.journal.entries().find((e) => e.event === 'hook.failed')?.detail).toMatchObject({
      hook: 'preStop',
      exit: 3,
      run: 'run-1',
    });
  });

  it('a postStart that times out halts after the broker is back; resume runs it again, then goes on', async () => {
    let failing = true;
    const sim = simulate({
      hookResult: (hook, broker): HookResult =>
        hook === 'postStart' && broker === 1 && failing ? { output: '', elapsedMs: 30_000 } : { code: 0, output: '', elapsedMs: 1 },
    });
    const halt = await haltOf(sim.run());
    expect(halt).toMatchObject({ code: 'HOOK_TIMEOUT', brokerId: 1 });
    expect(halt.message).toMatch(/did not finish within 30 s \(it was killed\)\. Broker 1 is running and caught up/);
    expect(sim.log).toEqual(['hook preStop 1', 'stop 1', 'start 1', 'hook postStart 1']);

    failing = false;
    const report = await sim.run();
    // Broker 1 is done on its host (not restarted again), but its postStart hook is run again first.
    expect(report.steps.find((s) => s.broker === 1)?.outcome).toBe('already-done');
    expect(sim.log.slice(4, 6)).toEqual(['hook postStart 1', 'hook preStop 2']);
    expect(sim.restarted()).toEqual([1, 2, 3]);

    // A third run of the same run id finds every hook done: none runs again.
    const before = sim.log.length;
    await sim.run();
    expect(sim.log.slice(before)).toEqual([]);
  });

  it('in a batch, each member runs its preStop before the batch stops', async () => {
    const sim = memoryCluster({ ...SIX_OVER_THREE_RACKS, hooks: HOOKS });
    await applyPlan(sim.rollPlan(6), sim.deps({ batch: 'auto' }));
    expect(sim.stopGroups()[0]).toEqual([1, 2]);
    const firstStop = sim.log.findIndex((l) => l.startsWith('stop'));
    expect(
      sim.log
        .slice(0, firstStop)
        .filter((l) => l.startsWith('hook'))
        .sort(),
    ).toEqual(['hook preStop 1', 'hook preStop 2']);
  });

  it('hooks on an executor that cannot run them: refused before any restart', async () => {
    const sim = simulate({ noRunHook: true });
    await expect(sim.run()).rejects.toMatchObject({ code: 'HOOKS_UNSUPPORTED', exitCode: 2 });
    expect(sim.log).toEqual([]);
  });
});

describe('local hooks (hooks.on: local, the default): real child processes where kafka-ops runs', () => {
  const script = (dir: string, body: string) => {
    const file = join(dir, 'hook.sh');
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };

  it('run in order around each restart, postRoll once per broker after the whole run, with the env and nothing of ours', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooks-'));
    const record = join(dir, 'record');
    const hook = script(
      dir,
      `echo "$KAFKA_OPS_HOOK $KAFKA_OPS_BROKER_ID $KAFKA_OPS_PHASE $KAFKA_OPS_PLAN \${SECRET_TOKEN:-none}" >> ${record}`,
    );
    process.env.SECRET_TOKEN = 'hunter2';
    try {
      const sim = memoryCluster({
        ids: [1, 2, 3],
        controller: 3,
        partitions: 3,
        replicasOf: three,
        hooks: { on: 'local', preStop: [hook], postStart: [hook], postRoll: [hook], timeoutSeconds: 10 },
        noRunHook: true,
      });
      await applyPlan(sim.rollPlan(3), {
        ...sim.deps(),
        localHook: runLocalHook,
        run: { id: 'run-1', planDigest: 'd', planFile: '/state/plan.json' },
      });
      const lines = readFileSync(record, 'utf8').trim().split('\n');
      expect(lines).toEqual([
        ...[1, 2, 3].flatMap((b) => [`preStop ${b} roll-config /state/plan.json none`, `postStart ${b} roll-config /state/plan.json none`]),
        ...[1, 2, 3].map((b) => `postRoll ${b} roll-config /state/plan.json none`),
      ]);
    } finally {
      delete process.env.SECRET_TOKEN;
    }
  });

  it('a failing postRoll halts with its output; resume runs only the unfinished ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooks-'));
    const flag = join(dir, 'fail');
    writeFileSync(flag, '');
    const hook = script(
      dir,
      `echo "$KAFKA_OPS_BROKER_ID" >> ${dir}/ran; if [ "$KAFKA_OPS_BROKER_ID" = 2 ] && [ -e ${flag} ]; then echo "chat is down" >&2; exit 5; fi`,
    );
    const sim = memoryCluster({
      ids: [1, 2, 3],
      controller: 3,
      partitions: 3,
      replicasOf: three,
      hooks: { on: 'local', postRoll: [hook], timeoutSeconds: 10 },
    });
    const deps = { ...sim.deps(), localHook: runLocalHook, run: { id: 'run-1', planDigest: 'd' } };
    const halt = await haltOf(applyPlan(sim.rollPlan(3), deps));
    expect(halt).toMatchObject({ code: 'HOOK_FAILED', brokerId: 2 });
    expect(halt.message).toMatch(/postRoll hook of broker 2 .* exited with 5: chat is down/);
    rmSync(flag);
    await applyPlan(sim.rollPlan(3), deps);
    expect(readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n')).toEqual(['1', '2', '2', '3']);
    expect(sim.restarted()).toEqual([1, 2, 3]);
  });

  it('a preStop past its timeout is killed with its children, and the broker is not stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooks-'));
    const hook = script(dir, `sleep 30 & echo $! > ${dir}/child; wait`);
    const sim = memoryCluster({
      ids: [1, 2, 3],
      controller: 3,
      partitions: 3,
      replicasOf: three,
      hooks: { on: 'local', preStop: [hook], timeoutSeconds: 1 },
    });
    const halt = await haltOf(applyPlan(sim.rollPlan(3), { ...sim.deps(), localHook: runLocalHook }));
    expect(halt).toMatchObject({ code: 'HOOK_TIMEOUT', brokerId: 1 });
    expect(sim.log).toEqual([]);
    const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
    // Gone, or a zombie no one reaped yet (state Z): either way no longer running.
    const state = existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8').split(') ')[1]?.[0] : 'gone';
    expect(['gone', 'Z']).toContain(state);
  });
});
