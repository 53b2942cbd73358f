/**
 * The ETA of a run, learnt as it goes: the plan's estimate assumes a restart time; once a broker
 * is done, the time left is the restarts still pending × the restart time measured so far (plus
 * --pause-between). Said after each restart as a sub-step of that broker, so the live tree, the
 * plain lines and the --log-file all show it.
 */
import type { EngineClock } from '../engine/ports.js';
import type { EngineIOSession } from '../io-host.js';
import type { Plan } from '../plan/model.js';
import { formatDuration } from '../plan/preview.js';

/** The engine's IO of a run, with "about T left" after every broker restarted while others are pending. */
export function etaIO(io: EngineIOSession, plan: Plan, clock: Pick<EngineClock, 'now'>, pauseBetweenMs = 0): EngineIOSession {
  const key = (phase: string, broker: number) => `${phase}\u0000${broker}`;
  const pending = new Set(
    plan.phases
      .filter((p) => !p.skipped && p.kind === 'roll')
      .flatMap((p) => p.steps.filter((s) => !s.skipped).map((s) => key(p.id, s.broker))),
  );
  const startedAt = new Map<string, number>();
  const measured: number[] = [];
  return {
    event(event) {
      if (event.code === 'step.start') startedAt.set(key(event.phase, event.broker), clock.now());
      if (event.code === 'step.skip') pending.delete(key(event.phase, event.broker));
      if (event.code === 'step.done') {
        const k = key(event.phase, event.broker);
        const start = startedAt.get(k);
        if (start !== undefined && pending.has(k)) measured.push(clock.now() - start);
        pending.delete(k);
        if (measured.length > 0 && pending.size > 0) {
          const perRestartMs = measured.reduce((a, b) => a + b, 0) / measured.length;
          const leftS = Math.round((pending.size * (perRestartMs + pauseBetweenMs)) / 1000);
          io.event({
            code: 'step.substep',
            phase: event.phase,
            broker: event.broker,
            message: `about ${formatDuration(leftS)} left: ${pending.size} restart(s) at the ${(perRestartMs / 1000).toFixed(1)} s measured per restart`,
          });
        }
      }
      io.event(event);
    },
    confirm: (question, defaultAnswer) => io.confirm(question, defaultAnswer),
    notice: (message) => io.notice(message),
    close: (error) => io.close(error),
  };
}
