/**
 * Inventory hooks (`hooks.beforeBroker`, `hooks.afterBroker`): commands run on the broker host
 * through its executor, every argv element quoted, around the broker's restart: `beforeBroker`
 * once the step is known to restart it (before the pre-stop gate, so the gate is still the last
 * check before the stop), `afterBroker` once it is back and caught up. A non-zero exit or the
 * timeout halts the run like a failed gate. Journaled (`hook.start`, `hook.done`, `hook.failed`,
 * with the run's id): a resume runs an `afterBroker` again that did not finish in this run, even
 * though the broker itself is done; a `beforeBroker` runs again with its step. Hooks should
 * therefore be safe to run twice.
 */
import { HaltError, UserError } from '../errors.js';
import type { BrokerHost } from '../hosts/port.js';
import type { BrokerSpec } from '../inventory/model.js';
import type { EngineDeps } from './ports.js';

export type HookName = 'beforeBroker' | 'afterBroker';

/** A broker with hooks on an executor that cannot run them: refused before any restart. */
export function hooksUnsupported(spec: BrokerSpec): UserError {
  return new UserError(
    `Broker ${spec.id} has hooks in the inventory, but its executor cannot run commands on its host (only the ssh executor can). Nothing was restarted.`,
    {
      code: 'HOOKS_UNSUPPORTED',
      action: 'Remove `hooks` from the inventory for this executor, or run the hooks yourself around the roll.',
    },
  );
}

/** Whether `hook` of `broker` started in this run (`runId`) and did not end with `hook.done`. */
export function hookUnfinished(deps: Pick<EngineDeps, 'journal' | 'run'>, phase: string, broker: number, hook: HookName): boolean {
  const runId = deps.run?.id;
  if (runId === undefined) return false;
  const last = deps.journal
    .entries()
    .filter((e) => e.phase === phase && e.broker === broker && e.detail?.hook === hook && e.detail?.run === runId)
    .at(-1);
  return last !== undefined && last.event !== 'hook.done';
}

export async function runHook(
  deps: Pick<EngineDeps, 'journal' | 'io' | 'inventory' | 'run'>,
  phase: string,
  spec: BrokerSpec,
  host: BrokerHost,
  hook: HookName,
): Promise<void> {
  const argv = spec.hooks?.[hook];
  if (!argv || !spec.hooks) return;
  if (!host.runHook) throw hooksUnsupported(spec);
  const timeoutMs = spec.hooks.timeoutSeconds * 1000;
  const detail = { hook, run: deps.run?.id ?? null };
  deps.journal.append({ event: 'hook.start', phase, broker: spec.id, detail });
  deps.io.event({ code: 'step.substep', phase, broker: spec.id, message: `hook ${hook}: ${argv[0]}` });
  const env = {
    KAFKA_OPS_CLUSTER: deps.inventory.cluster,
    KAFKA_OPS_BROKER_ID: String(spec.id),
    KAFKA_OPS_BROKER_HOST: spec.host,
    KAFKA_OPS_PHASE: phase,
    KAFKA_OPS_HOOK: hook,
  };
  const result = await host.runHook(argv, env, timeoutMs);
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
    hook === 'beforeBroker'
      ? `Broker ${spec.id} was not stopped.`
      : `Broker ${spec.id} is running and caught up; the run halts before the next broker.`;
  const what =
    result.code === undefined
      ? `did not finish within ${spec.hooks.timeoutSeconds} s (it was killed)`
      : `exited with ${result.code}${result.output ? `: ${result.output}` : ''}`;
  throw new HaltError(`The ${hook} hook of broker ${spec.id} (${argv[0]}) ${what}. ${state}`, {
    code: result.code === undefined ? 'HOOK_TIMEOUT' : 'HOOK_FAILED',
    action: `Fix what the hook reports (or the hook) on ${spec.host}, then \`kafka-ops resume\`: it runs the ${hook} hook again.`,
    brokerId: spec.id,
  });
}
