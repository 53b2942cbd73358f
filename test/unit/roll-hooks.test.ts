/**
 * Inventory hooks (`hooks.beforeBroker`, `hooks.afterBroker`) in the rolling engine, on the
 * in-memory ports: where they run in a step, that a failure or timeout halts like a failed gate
 * (before the stop: the broker is not touched), that resume runs an unfinished afterBroker again,
 * and that an executor that cannot run them is refused before any restart.
 */
import { describe, expect, it } from 'vitest';
import { HaltError } from '../../src/errors.js';
import { applyPlan } from '../../src/engine/roll.js';
import type { HookResult } from '../../src/hosts/port.js';
import { memoryCluster, SIX_OVER_THREE_RACKS, type MemoryClusterOptions } from '../helpers/memory-engine.js';

const three = (p: number) => [1 + (p % 3), 1 + ((p + 1) % 3), 1 + ((p + 2) % 3)];
const HOOKS = {
  beforeBroker: ['/usr/local/bin/drain', '$(touch pwned)', 'a b'],
  afterBroker: ['/usr/local/bin/undrain'],
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
  it('beforeBroker runs before the stop, afterBroker once the broker is caught up; argv and environment as given', async () => {
    const sim = simulate();
    await sim.run();
    expect(sim.log).toEqual([
      'hook beforeBroker 1',
      'stop 1',
      'start 1',
      'hook afterBroker 1',
      'hook beforeBroker 2',
      'stop 2',
      'start 2',
      'hook afterBroker 2',
      'hook beforeBroker 3',
      'stop 3',
      'start 3',
      'hook afterBroker 3',
    ]);
    expect(sim.hookRuns[0]).toEqual({
      argv: HOOKS.beforeBroker,
      env: {
        KAFKA_OPS_CLUSTER: sim.inventory.cluster,
        KAFKA_OPS_BROKER_ID: '1',
        KAFKA_OPS_BROKER_HOST: 'kafka1.example.com',
        KAFKA_OPS_PHASE: 'roll-config',
        KAFKA_OPS_HOOK: 'beforeBroker',
      },
    });
    expect(sim.journal.entries().filter((e) => e.event === 'hook.done')).toHaveLength(6);
  });

  it('a failing beforeBroker halts with its output and leaves that broker untouched', async () => {
    const sim = simulate({
      hookResult: (hook, broker): HookResult =>
        hook === 'beforeBroker' && broker === 2
          ? { code: 3, output: 'load balancer refused to drain', elapsedMs: 5 }
          : { code: 0, output: '', elapsedMs: 1 },
    });
    const halt = await haltOf(sim.run());
    expect(halt).toMatchObject({ code: 'HOOK_FAILED', exitCode: 4, brokerId: 2 });
    expect(halt.message).toMatch(
      /beforeBroker hook of broker 2 \(\/usr\/local\/bin\/drain\) exited with 3: load balancer refused to drain\. Broker 2 was not stopped/,
    );
    expect(sim.log).not.toContain('stop 2');
    expect(sim.log.at(-1)).toBe('hook beforeBroker 2');
    expect(sim.journal.entries().find((e) => e.event === 'hook.failed')?.detail).toMatchObject({
      hook: 'beforeBroker',
      exit: 3,
      run: 'run-1',
    });
  });

  it('an afterBroker that times out halts after the broker is back; resume runs it again, then goes on', async () => {
    let failing = true;
    const sim = simulate({
      hookResult: (hook, broker): HookResult =>
        hook === 'afterBroker' && broker === 1 && failing ? { output: '', elapsedMs: 30_000 } : { code: 0, output: '', elapsedMs: 1 },
    });
    const halt = await haltOf(sim.run());
    expect(halt).toMatchObject({ code: 'HOOK_TIMEOUT', brokerId: 1 });
    expect(halt.message).toMatch(/did not finish within 30 s \(it was killed\)\. Broker 1 is running and caught up/);
    expect(sim.log).toEqual(['hook beforeBroker 1', 'stop 1', 'start 1', 'hook afterBroker 1']);

    failing = false;
    const report = await sim.run();
    // Broker 1 is done on its host (not restarted again), but its afterBroker hook is run again first.
    expect(report.steps.find((s) => s.broker === 1)?.outcome).toBe('already-done');
    expect(sim.log.slice(4, 6)).toEqual(['hook afterBroker 1', 'hook beforeBroker 2']);
    expect(sim.restarted()).toEqual([1, 2, 3]);

    // A third run of the same run id finds every hook done: none runs again.
    const before = sim.log.length;
    await sim.run();
    expect(sim.log.slice(before)).toEqual([]);
  });

  it('in a batch, each member runs its beforeBroker before the batch stops', async () => {
    const sim = memoryCluster({ ...SIX_OVER_THREE_RACKS, hooks: HOOKS });
    await applyPlan(sim.rollPlan(6), sim.deps({ batch: 'auto' }));
    expect(sim.stopGroups()[0]).toEqual([1, 2]);
    const firstStop = sim.log.findIndex((l) => l.startsWith('stop'));
    expect(
      sim.log
        .slice(0, firstStop)
        .filter((l) => l.startsWith('hook'))
        .sort(),
    ).toEqual(['hook beforeBroker 1', 'hook beforeBroker 2']);
  });

  it('hooks on an executor that cannot run them: refused before any restart', async () => {
    const sim = simulate({ noRunHook: true });
    await expect(sim.run()).rejects.toMatchObject({ code: 'HOOKS_UNSUPPORTED', exitCode: 2 });
    expect(sim.log).toEqual([]);
  });
});
