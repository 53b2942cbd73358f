/**
 * Inventory hooks with `hooks.on: local` (engine/hooks.ts): run where kafka-ops runs, through
 * execa with argv (no shell), whatever the executor.
 */
import { execa } from 'execa';
import type { HookResult } from './port.js';

/** How much of a hook's output (stderr, else stdout) a halt shows. */
const HOOK_OUTPUT_CHARS = 800;
/** After the timeout's SIGTERM, how long the hook's process group has before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** The only variables of kafka-ops' environment a local hook gets (the rest may hold secrets). */
const PASSED_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

/**
 * Runs `argv` where kafka-ops runs: no shell, its own process group (killed as a whole on the
 * timeout, so a script's children go too), stdin closed, only `env` and PASSED_ENV.
 */
export async function runLocalHook(argv: readonly string[], env: Readonly<Record<string, string>>, timeoutMs: number): Promise<HookResult> {
  const [file, ...args] = argv as [string, ...string[]];
  const passed = Object.fromEntries(PASSED_ENV.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] as string]])));
  const started = Date.now();
  const child = execa(file, args, { env: { ...passed, ...env }, extendEnv: false, stdin: 'ignore', reject: false, detached: true });
  let timedOut = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  let grace: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    grace = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
  }, timeoutMs);
  try {
    const result = await child;
    const output = (String(result.stderr).trim() || String(result.stdout).trim()).slice(-HOOK_OUTPUT_CHARS);
    const elapsedMs = Date.now() - started;
    if (timedOut) return { output, elapsedMs };
    // Could not be started at all (ENOENT, EACCES): say so like a failed command.
    if (result.exitCode === undefined && result.signal === undefined) return { code: 127, output: result.shortMessage ?? '', elapsedMs };
    const code = result.exitCode ?? 128 + signalNumber(result.signal);
    return { code, output, elapsedMs };
  } finally {
    clearTimeout(timer);
    if (grace) clearTimeout(grace);
  }
}

function signalNumber(signal: string | undefined): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return (signal && numbers[signal]) || 0;
}
