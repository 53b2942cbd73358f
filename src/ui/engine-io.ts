/**
 * The engine's IoHost, and the one place that chooses how progress is shown:
 * - a live listr2 tree (src/ui/progress-tree.ts) when the progress stream is a terminal;
 * - plain lines otherwise (a pipe, a file, CI logs).
 * The progress stream is stdout, or stderr under --json so stdout keeps only the result
 * document. KAFKA_OPS_PROGRESS=tree|plain overrides the choice (auto by default).
 * Questions go to inquirer on a terminal, are answered with their default under --yes,
 * and are an error (never a hang) with neither.
 */
import type { EngineEvent } from '../engine/ports.js';
import { UserError } from '../errors.js';
import type { Output } from './output.js';
import type { EngineIOSession, IoHost, PromptPolicy } from '../io-host.js';
import { answerText, answerWithoutAsking, promptFailure } from './questions.js';

/** The IO host the services are given: lines through `output`, a run's engine IO by `openEngineIO`. */
export function ioHostOf(output: Output): IoHost {
  return { info: (message) => output.info(message), openEngineIO: (policy) => openEngineIO(output, policy) };
}

export type ProgressMode = 'tree' | 'plain';
const PROGRESS_MODES = ['auto', 'tree', 'plain'] as const;

export function progressMode(output: Output, env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const wanted = env.KAFKA_OPS_PROGRESS || 'auto';
  if (!(PROGRESS_MODES as readonly string[]).includes(wanted)) {
    throw new UserError(`KAFKA_OPS_PROGRESS is "${wanted}", which is not one of ${PROGRESS_MODES.join(', ')}.`, {
      code: 'BAD_ENV',
      action: 'Set KAFKA_OPS_PROGRESS to tree (live tree), plain (one line per event) or auto (tree on a terminal), or unset it.',
    });
  }
  if (wanted !== 'auto') return wanted as ProgressMode;
  return (output.progress as NodeJS.WriteStream).isTTY ? 'tree' : 'plain';
}

/** The engine's IO for a run: the tree or plain lines, chosen by `progressMode`. */
export async function openEngineIO(output: Output, policy: PromptPolicy, env: NodeJS.ProcessEnv = process.env): Promise<EngineIOSession> {
  if (progressMode(output, env) === 'plain') return engineIO(output, policy);
  const { ProgressTree } = await import('./progress-tree.js');
  return new ProgressTree(policy, { stream: output.progress });
}

export function formatEvent(event: EngineEvent): string {
  const where = [event.phase, 'broker' in event && event.broker !== undefined ? `broker ${event.broker}` : undefined]
    .filter(Boolean)
    .join(' / ');
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

/** The plain renderer: one line per event on the progress stream. */
export function engineIO(output: Output, policy: PromptPolicy): EngineIOSession {
  return {
    event(event) {
      output.info(formatEvent(event));
    },
    async confirm(question, defaultAnswer) {
      const given = answerWithoutAsking(policy, question, defaultAnswer);
      if (given !== undefined) {
        output.info(`? ${question} ${answerText(given)} (--yes)`);
        return given;
      }
      const { confirm } = await import('@inquirer/prompts');
      try {
        return await confirm({ message: question, default: defaultAnswer }, { output: process.stderr });
      } catch (error) {
        throw promptFailure(error, question);
      }
    },
    notice(message) {
      output.info(message);
    },
    async close() {},
  };
}
