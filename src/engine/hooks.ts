/**
 * Inventory hooks (`hooks.preStop`, `hooks.postStart`, `hooks.postRoll`): argv (no shell parses
 * it) run around each broker's restart. `preStop` once the step is known to restart the broker
 * (before the pre-stop gate, so the gate is still the last check before the stop), `postStart`
 * once it is back and caught up, `postRoll` once per broker after the whole run (every phase)
 * completed. Where: `hooks.on: local` (the default) runs them where kafka-ops runs, for every
 * executor, with a minimal environment (never kafka-ops' own, which may hold secrets);
 * `hooks.on: host` runs them on the broker host through its executor (ssh only), every argv
 * element quoted. A non-zero exit or the timeout halts the run like a failed gate. Journaled
 * (`hook.start`, `hook.done`, `hook.failed`, with the run's id): a resume runs a `postStart` or
 * `postRoll` again that did not finish in this run, even though the broker itself is done; a
 * `preStop` runs again with its step. Hooks should therefore be safe to run twice.
 */
import { HaltError, UserError } from '../errors.js';
import type { BrokerHost } from '../hosts/port.js';
import type { BrokerSpec } from '../inventory/model.js';
import type { EngineDeps } from './ports.js';

export type HookName = 'preStop' | 'postStart' | 'postRoll';

/** A broker with on-host hooks on an executor that cannot run them: refused before any restart. */
export function hooksUnsupported(spec: BrokerSpec): UserError {
  return new UserError(
    `Broker ${spec.id} has hooks with \`on: host\` in the inventory, but its executor cannot run commands on its host (only the ssh executor can). Nothing was restarted.`,
    {
      code: 'HOOKS_UNSUPPORTED',
      action: 'Use `hooks.on: local` (the default: the hooks run where kafka-ops runs), or remove `hooks` for this executor.',
    },
  );
}

/** Whether this broker's hooks need the host to run them and it cannot. */
export function hooksRefused(spec: BrokerSpec, host: BrokerHost): boolean {
  return spec.hooks?.on === 'host' && !host.runHook;
}

function lastOf(deps: Pick<EngineDeps, 'journal' | 'run'>, phase: string, broker: number, hook: HookName) {
  const runId = deps.run?.id;
  return deps.journal
    .entries()
    .filter((e) => e.phase === phase && e.broker === broker && e.detail?.hook === hook && e.detail?.run === runId)
    .at(-1);
}

/** Whether `hook` of `broker` started in this run (`runId`) and did not end with `hook.done`. */
export function hookUnfinished(deps: Pick<EngineDeps, 'journal' | 'run'>, phase: string, broker: number, hook: HookName): boolean {
  if (deps.run?.id === undefined) return false;
  const last = lastOf(deps, phase, broker, hook);
  return last !== undefined && last.event !== 'hook.done';
}

/** Whether `hook` of `broker` ended with `hook.done` in this run (never without a run id). */
export function hookDone(deps: Pick<EngineDeps, 'journal' | 'run'>, phase: string, broker: number, hook: HookName): boolean {
  return deps.run?.id !== undefined && lastOf(deps, phase, broker, hook)?.event === 'hook.done';
}

export async function runHook(
  deps: Pick<EngineDeps, 'journal' | 'io' | 'inventory' | 'run' | 'localHook'>,
  phase: string,
  spec: BrokerSpec,
  host: BrokerHost,
  hook: HookName,
): Promise<void> {
  const argv = spec.hooks?.[hook];
  if (!argv || !spec.hooks) return;
  const onHost = spec.hooks.on === 'host';
  if (onHost && !host.runHook) throw hooksUnsupported(spec);
  const local = deps.localHook;
  if (!onHost && !local) throw new TypeError('local hooks need EngineDeps.localHook');
  const timeoutMs = spec.hooks.timeoutSeconds * 1000;
  const detail = { hook, run: deps.run?.id ?? null };
  deps.journal.append({ event: 'hook.start', phase, broker: spec.id, detail });
  deps.io.event({ code: 'step.substep', phase, broker: spec.id, message: `hook ${hook}: ${argv[0]}` });
  const env = {
    KAFKA_OPS_CLUSTER: deps.inventory.cluster,
    KAFKA_OPS_BROKER_ID: String(spec.id),
    KAFKA_OPS_BROKER_HOST: spec.host,
    KAFKA_OPS_PHASE: phase,
    ...(deps.run?.planFile ? { KAFKA_OPS_PLAN: deps.run.planFile } : {}),
    KAFKA_OPS_HOOK: hook,
  };
  const result =
    onHost && host.runHook ? await host.runHook(argv, env, timeoutMs) : await (local as NonNullable<typeof local>)(argv, env, timeoutMs);
  if (result.code === 0) {
    deps.journal.append({ event: 'hook.done', phase, broker: spec.id, detail: { ...detail, elapsedMs: result.elapsedMs } });
    return;
  }
  deps.journal.append({
    event: 'hook.failed',
    phase,
    broker: spec.id,
    detail: { ...detail, elapsedMs: result.elapsedMs, ...(result.code === undefined ? { timedOut: true } : { exit: result.code }) },
  });
  const state =
    hook === 'preStop'
      ? `Broker ${spec.id} was not stopped.`
      : hook === 'postStart'
        ? `Broker ${spec.id} is running and caught up; the run halts before the next broker.`
        : `Every broker of the run is done; only the postRoll hooks are left.`;
  const what =
    result.code === undefined
      ? `did not finish within ${spec.hooks.timeoutSeconds} s (it was killed)${result.output ? `: ${result.output}` : ''}`
      : `exited with ${result.code}${result.output ? `: ${result.output}` : ''}`;
  const where = onHost ? `on ${spec.host}` : 'where kafka-ops runs';
  throw new HaltError(`The ${hook} hook of broker ${spec.id} (${argv[0]}, ${where}) ${what}. ${state}`, {
    code: result.code === undefined ? 'HOOK_TIMEOUT' : 'HOOK_FAILED',
    action: `Fix what the hook reports (or the hook), then \`kafka-ops resume\`: it runs the ${hook} hook again.`,
    brokerId: spec.id,
  });
}

/**
 * After every phase of the run completed: each broker of the plan that has a `postRoll` hook
 * runs it once, in broker order, with the run's last phase; one done in this run is not run again.
 */
export async function runPostRoll(
  deps: Pick<EngineDeps, 'journal' | 'io' | 'inventory' | 'run' | 'host' | 'localHook'>,
  phase: string,
  brokers: readonly number[],
): Promise<void> {
  for (const spec of deps.inventory.brokers) {
    if (!brokers.includes(spec.id) || !spec.hooks?.postRoll || hookDone(deps, phase, spec.id, 'postRoll')) continue;
    await runHook(deps, phase, spec, await deps.host(spec.id), 'postRoll');
  }
}
