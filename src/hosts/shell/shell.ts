/**
 * The one place a command line for a POSIX shell is built. Every value that comes from
 * an inventory, a plan or a config file goes through `quote`, so no value can be
 * interpreted by the remote shell: not `$(...)`, backticks, `;`, newlines or spaces.
 */

/** Single-quote `value` for a POSIX shell; embedded single quotes become '\''. */
export function quote(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A shell command line that runs exactly `argv`. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('empty command');
  return argv.map(quote).join(' ');
}

/** `sh -c SCRIPT sh ARG...`: a fixed script with its values passed as positional parameters. */
export function shScript(script: string, args: readonly string[]): string {
  return commandLine(['sh', '-c', script, 'sh', ...args]);
}
