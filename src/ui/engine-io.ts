/**
 * The engine's IoHost: events become progress lines (stderr under --json, so stdout keeps
 * only the result document); questions go to inquirer on a terminal, are answered with
 * their default under --yes, and are an error (never a hang) with neither.
 */
import type { EngineEvent, EngineIO } from '../engine/roll.js';
import { UserError } from '../errors.js';
import type { Output } from './output.js';

export interface PromptPolicy {
  yes: boolean;
  interactive: boolean;
}

export function formatEvent(event: EngineEvent): string {
  const where = [event.phase, 'broker' in event && event.broker !== undefined ? `broker ${event.broker}` : undefined].filter(Boolean).join(' / ');
  const mark: Record<EngineEvent['code'], string> = {
    'phase.start': '▶',
    'phase.skip': '⏭',
    'phase.done': '✔',
    'step.start': '  ▸',
    'step.substep': '    ·',
    'step.done': '  ✔',
    'step.skip': '  ⏭',
    'gate.wait': '    …',
    warning: '  ⚠',
  };
  return `${mark[event.code]} ${where ? `[${where}] ` : ''}${event.message}`;
}

export function engineIO(output: Output, policy: PromptPolicy): EngineIO {
  return {
    event(event) {
      output.info(formatEvent(event));
    },
    async confirm(question, defaultAnswer) {
      if (policy.yes) {
        output.info(`? ${question} ${defaultAnswer ? 'yes' : 'no'} (--yes)`);
        return defaultAnswer;
      }
      if (!policy.interactive) {
        throw new UserError(`An answer is needed and there is no terminal to ask: ${question}`, {
          code: 'NEEDS_ANSWER',
          action: 'Run in a terminal to answer, or pass --yes (KAFKA_OPS_YES=1) to accept the default answers, as CI should.',
        });
      }
      const { default: inquirer } = await import('inquirer');
      const answer = await inquirer.prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message: question, default: defaultAnswer }], { output: process.stderr });
      return answer.ok;
    },
  };
}
