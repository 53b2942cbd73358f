/**
 * Starting a broker process in the background so that it honours SIGINT.
 *
 * A shell starts `cmd &` with SIGINT and SIGQUIT ignored when job control is off (always,
 * for `sh -c` over SSH), and a JVM that inherits SIGINT as ignored never runs its shutdown
 * hook on SIGINT. `set -m` cannot help without a tty, so the disposition is reset on exec:
 * `env --default-signal=INT` (coreutils >= 8.31) or, on older hosts, perl. The caller still
 * checks SigIgn of the new process, because this is the one thing a rolling restart relies on.
 */
import { shScript } from './shell.js';

const LAUNCH_SCRIPT = [
  'pidfile=$1; out=$2; shift 2',
  'if env --default-signal=INT true 2>/dev/null; then reset="env --default-signal=INT";',
  'elif command -v perl >/dev/null 2>&1; then reset="perl -e \\$SIG{INT}=q(DEFAULT);exec(@ARGV)or(die(q(exec:).\\$!))";',
  'else echo "cannot reset SIGINT to default: need coreutils env >= 8.31 or perl" >&2; exit 97; fi',
  'mkdir -p "$(dirname "$pidfile")" "$(dirname "$out")"',
  'nohup $reset "$@" </dev/null >>"$out" 2>&1 &',
  'echo $! >"$pidfile"',
  'echo $!',
].join('\n');

export interface LaunchSpec {
  command: readonly string[];
  pidFile: string;
  outputFile: string;
  env?: Record<string, string>;
}

/** The full shell command line that starts `spec.command` detached and prints its pid. */
export function launchCommandLine(spec: LaunchSpec): string {
  const envArgs = Object.entries(spec.env ?? {}).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new TypeError(`invalid environment variable name: ${k}`);
    return `${k}=${v}`;
  });
  const argv = envArgs.length > 0 ? ['env', ...envArgs, ...spec.command] : [...spec.command];
  return shScript(LAUNCH_SCRIPT, [spec.pidFile, spec.outputFile, ...argv]);
}

/** Signal names whose bit is set in a /proc/PID/status `SigIgn:` hex mask. */
export function ignoredSignals(sigIgnHex: string): string[] {
  const mask = BigInt(`0x${sigIgnHex.trim()}`);
  const names: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 13: 'SIGPIPE', 15: 'SIGTERM' };
  const out: string[] = [];
  for (let sig = 1; sig <= 64; sig++) {
    if ((mask >> BigInt(sig - 1)) & 1n) out.push(names[sig] ?? `SIG${sig}`);
  }
  return out;
}
