/**
 * What both progress renderers do before asking a person: --yes answers with the default,
 * and with no terminal to ask on, a needed answer is an error (exit 2), never a hang.
 */
import { InterruptedError, UserError } from '../errors.js';
import type { PromptPolicy } from '../io-host.js';

/** The answer given without asking (--yes), or `undefined` when a person must be asked. */
export function answerWithoutAsking(policy: PromptPolicy, question: string, defaultAnswer: boolean): boolean | undefined {
  if (policy.yes) return defaultAnswer;
  if (!policy.interactive) {
    throw new UserError(`An answer is needed and there is no terminal to ask: ${question}`, {
      code: 'NEEDS_ANSWER',
      action: 'Run in a terminal to answer, or pass --yes (KAFKA_OPS_YES=1) to accept the default answers, as CI should.',
    });
  }
  return undefined;
}

export const answerText = (answer: boolean) => (answer ? 'yes' : 'no');

/** Ctrl-C inside an inquirer prompt is the operator stopping the run, not a bug. */
export function promptFailure(error: unknown, question: string): unknown {
  if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
    return new InterruptedError(`Interrupted at the question: ${question}`, {
      code: 'INTERRUPTED',
      action: 'Run `kafka-ops resume --inventory <file>` when ready; brokers already done are not restarted.',
    });
  }
  return error;
}
