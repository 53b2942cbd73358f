#!/usr/bin/env node
/**
 * A scripted engine run through the BUILT UI (dist/): the same Output, renderer choice
 * (openEngineIO), --yes/terminal policy (runOptionsOf), questions and exit codes as
 * `kafka-ops upgrade`, without a cluster. The engine itself is tested on real processes
 * elsewhere; this exists so a real pseudo-terminal can be put in front of the UI.
 *
 *   node test/helpers/progress-driver.mjs [--json] [--yes]
 * A "no" answer halts as the engine does (exit 4); prints {"answers": [...]} as the result.
 */
import { asKafkaOpsError, HaltError } from '../../dist/errors.js';
import { openEngineIO } from '../../dist/ui/engine-io.js';
import { runOptionsOf } from '../../dist/ui/flags.js';
import { Output } from '../../dist/ui/output.js';

const json = process.argv.includes('--json');
const output = new Output({ json });
const policy = runOptionsOf({
  yes: process.argv.includes('--yes'),
  'state-dir': '.',
  'kill-on-stop-timeout': false,
  'clients-upgraded': false,
});
const pause = () => new Promise((resolve) => setTimeout(resolve, 40));

function restart(phase, broker) {
  return [
    { code: 'step.start', phase, broker, message: `broker ${broker} (127.0.0.${broker})` },
    { code: 'gate.wait', phase, broker, message: 'waiting until safe to stop: 1 under-replicated partition' },
    {
      code: 'step.substep',
      phase,
      broker,
      message: 'server.properties updated (inter.broker.protocol.version); backup server.properties.bak',
    },
    { code: 'step.substep', phase, broker, message: 'sending SIGINT to pid 4242' },
    { code: 'step.substep', phase, broker, message: 'stopped in 1.2 s (controlled shutdown)' },
    { code: 'step.substep', phase, broker, message: 'started' },
    { code: 'step.substep', phase, broker, message: 'registered after 2.0 s' },
    { code: 'step.done', phase, broker, message: `broker ${broker} done in 4.1 s` },
  ];
}

let io;
const answers = [];
async function ask(question, defaultAnswer) {
  const answer = await io.confirm(question, defaultAnswer);
  answers.push({ question, answer });
  if (!answer)
    throw new HaltError(`Stopped at your answer to: ${question}`, { code: 'DECLINED', action: 'Run `kafka-ops resume` when ready.' });
}
async function play(events) {
  for (const event of events) {
    io.event(event);
    await pause();
  }
}

try {
  io = await openEngineIO(output, policy);
  await play([
    { code: 'phase.skip', phase: 'pin-versions', message: 'already pinned' },
    { code: 'phase.start', phase: 'bump-ibp', message: 'Bump inter.broker.protocol.version to 0.10.2' },
  ]);
  await ask('Start the rolling restart of cluster demo (phase bump-ibp, broker 1 first)?', true);
  await play(restart('bump-ibp', 1));
  await ask('Canary: broker 1 is back and caught up. Continue with the other 1 broker(s) of bump-ibp?', true);
  await play([
    ...restart('bump-ibp', 2),
    { code: 'phase.done', phase: 'bump-ibp', message: 'Bump inter.broker.protocol.version to 0.10.2' },
  ]);
  await io.close();
  if (json) output.document({ answers });
  else output.line(`Completed: ${answers.length} answer(s).`);
} catch (error) {
  await io?.close(error);
  const failure = asKafkaOpsError(error);
  output.error(failure);
  process.exitCode = failure.exitCode;
}
