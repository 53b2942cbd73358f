/**
 * Issue 13: a real run asked "Start the rolling restart?" with nothing said of what it would do.
 * Before its first question a run prints the plan in one paragraph: phases, restarts, points of
 * no return and the ETA; once a broker is done, the time left is learnt from the measured restarts
 * (a real run of the engine over an in-memory cluster; the summary's text is pure and tested on a
 * planned upgrade too).
 */
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { assumedPlan } from '../../src/plan/build.js';
import { planSummaryLines } from '../../src/plan/preview.js';
import { runPlan } from '../../src/services/run-service.js';
import { memoryCluster, memoryConnections } from '../helpers/memory-engine.js';
import { templateInventory } from '../helpers/plan-templates.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-plan-summary-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the plan summary before the first question', () => {
  it('comes before "Start the rolling restart?": phases, restarts, points of no return, ETA, in the log file too; then the time left is learnt', async () => {
    const memory = memoryCluster({ ids: [1, 2, 3], controller: 3, partitions: 3, replicasOf: () => [1, 2, 3] });
    const deps = memory.deps();
    const connections = memoryConnections(deps);
    const said: string[] = [];
    const events: Array<{ code: string; broker?: number; message: string }> = [];
    const io = {
      info: (m: string) => said.push(`info: ${m}`),
      openEngineIO: async () => ({
        event: (e: { code: string; broker?: number; message: string }) => events.push(e),
        confirm: async (q: string) => (said.push(`question: ${q}`), true),
        notice: (m: string) => said.push(`info: ${m}`),
        close: async () => undefined,
      }),
    };
    const logFile = join(root, 'log.jsonl');
    await runPlan(
      memory.rollPlan(3),
      { ...memory.inventory, state: {} },
      connections,
      { stateDir: join(root, 'state'), killOnStopTimeout: false, clientsUpgraded: false, yes: true, interactive: false, logFile },
      io,
    );
    const question = said.findIndex((l) => l.startsWith('question: Start the rolling restart'));
    const summary = said.findIndex((l) => l.startsWith('info: Plan: rolling configuration change of cluster'));
    expect(question, said.join('\n')).toBeGreaterThan(0);
    expect(summary, said.join('\n')).toBeGreaterThanOrEqual(0);
    expect(summary).toBeLessThan(question);
    expect(said[summary]).toMatch(/1 of 1 phases to run \(roll-config\), 3 broker restart\(s\), ETA about \d+ (s|min) \(/);
    expect(said[summary + 1]).toBe('info:   Points of no return: none.');
    expect(readFileSync(logFile, 'utf8')).toContain('ETA about');

    // Once a broker is done, the time left is learnt from the measured restarts: said before each step.done but the last.
    const lefts = events.filter((e) => e.code === 'step.substep' && / left: /.test(e.message));
    expect(lefts.map((e) => e.message.match(/left: (\d+) restart/)?.[1])).toEqual(['2', '1']);
    expect(lefts[0]?.message).toMatch(/^about \d+ (s|min) left: 2 restart\(s\) at the \d+\.\d s measured per restart$/);
    const done = events.filter((e) => e.code === 'step.done').map((e) => e.broker);
    expect(done).toHaveLength(3);
    expect(events.indexOf(lefts[0]!)).toBe(events.findIndex((e) => e.code === 'step.done') - 1);
  });

  it('of an upgrade names its points of no return and the time of all its restarts', () => {
    const inventory = templateInventory('2.8.2', '3.0.2');
    const plan = assumedPlan(inventory, '2.8', '3.0');
    const [head, noReturn] = planSummaryLines(plan, 'resume');
    expect(head).toContain(`Plan: upgrade of cluster ${inventory.cluster} 2.8 → 3.0:`);
    expect(head).toContain(`${plan.estimate.restarts} broker restart(s)`);
    expect(head).toMatch(/; steps already done on their hosts are skipped, so less remains\.$/);
    expect(noReturn).toMatch(/^ {2}Points of no return: \S/);
    expect(noReturn).not.toContain('none');
  });
});
