/** The exit codes as a command's --help states them (values from src/errors.ts, meanings as in the README). */
import { ExitCode } from '../errors.js';

export function exitCodesHelp(findingsMeaning: string | undefined, options: { halts: boolean; infrastructure?: boolean }): string {
  return [
    'Exit codes:',
    `  ${ExitCode.ok}    ${findingsMeaning === undefined ? 'done' : 'passed'}`,
    ...(findingsMeaning === undefined ? [] : [`  ${ExitCode.findings}    ${findingsMeaning}`]),
    `  ${ExitCode.badInput}    bad input or usage (file, line and column named; nothing touched)`,
    ...(options.infrastructure === false ? [] : [`  ${ExitCode.infrastructure}    infrastructure unreachable (an SSH host, ZooKeeper)`]),
    ...(options.halts ? [`  ${ExitCode.halted}    upgrade halted (see the message and the journal; fix, then resume)`] : []),
    `  ${ExitCode.interrupted}  interrupted (Ctrl-C)`,
  ].join('\n');
}
