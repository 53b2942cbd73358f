/**
 * The live tree is driven only by the engine's events: phases → brokers → sub-steps,
 * skipped phases and brokers, questions inside the tree, and the failing task marked
 * failed when the run stops. listr2's own task objects are inspected (snapshot()), and
 * the default renderer is drawn onto a fake terminal to check what a person sees.
 */
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/ports.js';
import { HaltError, InterruptedError, UserError } from '../../src/errors.js';
import { engineIO, openEngineIO, progressMode } from '../../src/ui/engine-io.js';
import { Output } from '../../src/ui/output.js';
import { ProgressTree, type TreeNode } from '../../src/ui/progress-tree.js';
import { MemoryStream } from '../helpers/snapshots.js';

const YES = { yes: true, interactive: false };
const NOBODY = { yes: false, interactive: false };

function silentTree(policy = YES) {
  return new ProgressTree(policy, { stream: new MemoryStream(), heldBack: new MemoryStream(), renderer: 'silent' });
}

/** [title, state, children?] for every titled task: the tree a person sees, without timing. */
const shape = (nodes: TreeNode[]): unknown[] =>
  nodes.map((n) => (n.children.length ? [n.title, n.state, shape(n.children)] : [n.title, n.state]));

const settle = () => new Promise((r) => setTimeout(r, 20));

/** What the engine emits for one broker that is restarted. */
function restart(phase: string, broker: number): EngineEvent[] {
  return [
    { code: 'step.start', phase, broker, message: `broker ${broker} (host-${broker})` },
    { code: 'gate.wait', phase, broker, message: 'waiting until safe to stop: 2 under-replicated partitions' },
    { code: 'step.substep', phase, broker, message: 'server.properties updated (inter.broker.protocol.version)' },
    { code: 'step.substep', phase, broker, message: 'sending SIGINT to pid 42' },
    { code: 'step.substep', phase, broker, message: 'stopped in 1.0 s (controlled shutdown)' },
    { code: 'step.substep', phase, broker, message: 'started' },
    { code: 'step.done', phase, broker, message: `broker ${broker} done in 3.0 s` },
  ];
}

const SUBSTEPS_OF_A_RESTART = [
  ['waiting until safe to stop: 2 under-replicated partitions', 'COMPLETED'],
  ['server.properties updated (inter.broker.protocol.version)', 'COMPLETED'],
  ['sending SIGINT to pid 42', 'COMPLETED'],
  ['stopped in 1.0 s (controlled shutdown)', 'COMPLETED'],
  ['started', 'COMPLETED'],
];

describe('ProgressTree: the tree follows the events', () => {
  it('builds phases → brokers → sub-steps, with skipped phases and brokers and the --yes answers in place', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.skip', phase: 'pin-versions', message: 'already pinned' });
    tree.event({ code: 'phase.start', phase: 'bump-ibp', message: 'Bump inter.broker.protocol.version' });
    expect(await tree.confirm('Start the rolling restart?', true)).toBe(true);
    tree.event({ code: 'step.skip', phase: 'bump-ibp', broker: 3, message: 'nothing to change' });
    for (const e of restart('bump-ibp', 1)) tree.event(e);
    // Found done on the host after it started: the broker's task turns skipped.
    tree.event({ code: 'step.start', phase: 'bump-ibp', broker: 2, message: 'broker 2 (host-2)' });
    await settle();
    tree.event({ code: 'step.skip', phase: 'bump-ibp', broker: 2, message: 'already done on the host' });
    tree.event({ code: 'phase.done', phase: 'bump-ibp', message: 'Bump inter.broker.protocol.version' });
    expect(await tree.confirm('Are all clients upgraded?', false)).toBe(false);
    await tree.close();

    expect(shape(tree.snapshot())).toEqual([
      ['pin-versions', 'SKIPPED'],
      [
        'bump-ibp: Bump inter.broker.protocol.version',
        'COMPLETED',
        [
          ['Start the rolling restart? yes (--yes)', 'COMPLETED'],
          ['broker 3', 'SKIPPED'],
          ['broker 1 (host-1)', 'COMPLETED', SUBSTEPS_OF_A_RESTART],
          ['broker 2 (host-2)', 'SKIPPED'],
        ],
      ],
      ['Are all clients upgraded? no (--yes)', 'COMPLETED'],
    ]);
    const [pin, bump] = tree.snapshot();
    expect(pin?.skip).toBe('pin-versions: already pinned');
    expect(bump?.children.find((c) => c.title === 'broker 2 (host-2)')?.skip).toBe('broker 2: already done on the host');
  });

  it('shows a sub-step as running until the next one arrives', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    for (const e of restart('roll', 1).slice(0, 4)) tree.event(e);
    await settle();
    const broker = tree.snapshot()[0]?.children[0];
    expect(broker?.state).toBe('STARTED');
    expect(broker?.children.map((c) => c.state)).toEqual(['COMPLETED', 'COMPLETED', 'STARTED']);
    await tree.close();
  });

  it('on a halt marks the running sub-step, its broker and its phase failed, and leaves done work done', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    for (const e of restart('roll', 1)) tree.event(e);
    for (const e of restart('roll', 2).slice(0, 2)) tree.event(e);
    await settle();
    await tree.close(new HaltError('Broker 2 is not safe to stop after 60 s', { code: 'GATE_TIMEOUT', action: 'fix it' }));

    expect(shape(tree.snapshot())).toEqual([
      [
        'roll: Roll',
        'FAILED',
        [
          ['broker 1 (host-1)', 'COMPLETED', SUBSTEPS_OF_A_RESTART],
          ['broker 2 (host-2)', 'FAILED', [['waiting until safe to stop: 2 under-replicated partitions', 'FAILED']]],
        ],
      ],
    ]);
  });

  it('on a halt between sub-steps fails the broker waiting for its next one', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    tree.event({ code: 'step.start', phase: 'roll', broker: 4, message: 'broker 4 (host-4)' });
    await settle();
    await tree.close(new HaltError('config lint', { code: 'CONFIG_LINT', action: 'fix it' }));
    expect(shape(tree.snapshot())).toEqual([['roll: Roll', 'FAILED', [['broker 4 (host-4)', 'FAILED']]]]);
  });

  it('a halt before any phase (preflight) ends the tree without hanging', async () => {
    const tree = silentTree();
    await tree.close(new HaltError('target install missing', { code: 'TARGET_INSTALL_MISSING', action: 'install it' }));
    expect(tree.snapshot()).toEqual([]);
  });

  it('keeps warnings under the broker they concern', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    tree.event({ code: 'step.start', phase: 'roll', broker: 1, message: 'broker 1 (host-1)' });
    tree.event({ code: 'warning', phase: 'roll', broker: 1, message: 'Broker 1 shut down uncleanly' });
    await tree.close();
    expect(tree.snapshot()[0]?.children[0]?.output).toBe('⚠ Broker 1 shut down uncleanly');
  });

  it('shows a notice of the run (Ctrl-C received) under the running broker at once', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    tree.event({ code: 'step.start', phase: 'roll', broker: 1, message: 'broker 1 (host-1)' });
    await settle();
    tree.notice('Interrupt received: bringing the current broker to a safe state, then stopping.');
    expect(tree.snapshot()[0]?.children[0]?.output).toBe(
      '⚠ Interrupt received: bringing the current broker to a safe state, then stopping.',
    );
    await tree.close();
  });

  it('without --yes and without a terminal, a question is NEEDS_ANSWER (exit 2), and the tree still closes', async () => {
    const tree = silentTree(NOBODY);
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    const error = await tree.confirm('Start the rolling restart?', true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('NEEDS_ANSWER');
    expect((error as UserError).exitCode).toBe(2);
    await tree.close(error);
    expect(shape(tree.snapshot())).toEqual([['roll: Roll', 'FAILED']]);
  });
});

describe('ProgressTree drawn by listr2 on a (fake) terminal', () => {
  it('leaves the final tree on the terminal: ticks, crosses, skips and indentation by level', async () => {
    const screen = Object.assign(new MemoryStream(), { isTTY: true, columns: 120, rows: 40 });
    const held = new MemoryStream();
    const tree = new ProgressTree(YES, { stream: screen, heldBack: held });
    tree.event({ code: 'phase.skip', phase: 'pin-versions', message: 'already pinned' });
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    for (const e of restart('roll', 1)) tree.event(e);
    for (const e of restart('roll', 2).slice(0, 3)) tree.event(e);
    tree.event({ code: 'warning', phase: 'roll', broker: 2, message: 'log recovery may take long' });
    await settle();
    held.write('written elsewhere while the tree was live\n');
    await tree.close(new HaltError('stop timeout', { code: 'STOP_TIMEOUT', action: 'x' }));

    // The last frame: after log-update's last "cursor to column 1", without colours and cursor codes.
    const raw = screen.text;
    // eslint-disable-next-line no-control-regex
    const last = raw.slice(raw.lastIndexOf('\u001b[G')).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    const lines = last.split('\n');
    expect(lines[0]).toMatch(/^\S+ pin-versions: already pinned$/);
    expect(lines[1]).toMatch(/^✖ roll: Roll$/);
    // Broker 1 is done: its sub-steps collapse; broker 2 failed: it stays open with the failed sub-step.
    expect(lines[2]).toMatch(/^ {2}✔ broker 1 \(host-1\) \[\d+(\.\d)?s\]$/);
    expect(lines[3]).toMatch(/^ {2}✖ broker 2 \(host-2\)$/);
    expect(lines[4]).toMatch(/^ {4}› ⚠ log recovery may take long$/);
    expect(lines[5]).toMatch(/^ {4}✔ waiting until safe to stop/);
    expect(lines[6]).toMatch(/^ {4}✖ server\.properties updated/);
    expect(lines.filter(Boolean)).toHaveLength(7);
    expect(last).not.toContain('started');
    // What was written to the other stream meanwhile comes out after the tree, not through it.
    expect(held.text).toContain('written elsewhere while the tree was live');
  });
});

describe('ProgressTree after Ctrl-C (the run interrupted)', () => {
  const interrupted = () => new InterruptedError('Interrupted.', { code: 'INTERRUPTED', action: 'resume' });

  async function interruptedAt(events: EngineEvent[]) {
    const screen = Object.assign(new MemoryStream(), { isTTY: true, columns: 120, rows: 40 });
    const tree = new ProgressTree(YES, { stream: screen, heldBack: new MemoryStream() });
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    for (const e of restart('roll', 1)) tree.event(e);
    for (const e of events) tree.event(e);
    await settle();
    tree.notice('Interrupt received: bringing the current broker to a safe state, then stopping.');
    await tree.close(interrupted());
    const raw = screen.text;
    // eslint-disable-next-line no-control-regex
    const frame = raw.slice(raw.lastIndexOf('\u001b[G')).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    return { tree, lines: frame.split('\n').filter(Boolean) };
  }

  it('a broker waiting at its pre-stop gate, never touched, is drawn as not touched, not as failed', async () => {
    const { tree, lines } = await interruptedAt(restart('roll', 2).slice(0, 2));
    expect(tree.snapshot()[0]?.children[1]).toMatchObject({
      state: 'SKIPPED',
      skip: 'broker 2: not touched (interrupted before anything was changed on it)',
    });
    expect(lines[0]).toBe('✖ roll: Roll (interrupted)');
    expect(lines[1]).toMatch(/^ {2}✔ broker 1 \(host-1\)/);
    expect(lines[2]).toBe('  ↓ broker 2: not touched (interrupted before anything was changed on it)');
    expect(lines.filter((l) => /^ +✖/.test(l))).toEqual([]);
  });

  it('a broker stopped when Ctrl-C came shows its safety restart as one, and is not drawn as failed', async () => {
    const { tree, lines } = await interruptedAt([
      ...restart('roll', 2).slice(0, 2),
      { code: 'step.substep', phase: 'roll', broker: 2, message: 'server.properties updated', substep: 'config' },
      { code: 'step.substep', phase: 'roll', broker: 2, message: 'sending SIGINT to pid 43', substep: 'stop.begin' },
      { code: 'step.substep', phase: 'roll', broker: 2, message: 'stopped in 1.0 s (controlled shutdown)', substep: 'stop.done' },
      { code: 'step.substep', phase: 'roll', broker: 2, message: 'started again so it is not left stopped', substep: 'safety-start' },
    ]);
    const broker2 = tree.snapshot()[0]?.children[1];
    expect(broker2?.state).toBe('SKIPPED');
    expect(broker2?.children.at(-1)).toMatchObject({ title: 'started again so it is not left stopped', state: 'COMPLETED' });
    expect(lines[2]).toBe('  ↓ broker 2: interrupted while down; safety restart with its new config (not waited for: resume checks it)');
    expect(lines.filter((l) => /^ +✖/.test(l))).toEqual([]);
  });

  it('a broker interrupted while it caught up says it runs its new config', async () => {
    const { lines } = await interruptedAt([
      ...restart('roll', 2)
        .slice(0, 4)
        .map((e) => (e.code === 'step.substep' ? { ...e, substep: 'config' } : e)),
      { code: 'step.substep', phase: 'roll', broker: 2, message: 'started', substep: 'start' },
    ]);
    expect(lines[2]).toBe('  ↓ broker 2: interrupted while it caught up; it runs its new config (resume checks it)');
  });

  it('a halt (not an interruption) still fails the broker it stopped at', async () => {
    const tree = silentTree();
    tree.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    tree.event({ code: 'step.start', phase: 'roll', broker: 2, message: 'broker 2 (host-2)' });
    await settle();
    await tree.close(new HaltError('gate', { code: 'GATE_TIMEOUT', action: 'x' }));
    expect(shape(tree.snapshot())).toEqual([['roll: Roll', 'FAILED', [['broker 2 (host-2)', 'FAILED']]]]);
  });
});

describe('choosing the renderer', () => {
  const tty = () => Object.assign(new MemoryStream(), { isTTY: true });
  it.each([
    [false, true, false, undefined, 'tree'],
    [false, false, true, undefined, 'plain'],
    // --json: progress goes to stderr, so stderr's terminal decides, never stdout's.
    [true, false, true, undefined, 'tree'],
    [true, true, false, undefined, 'plain'],
    [false, true, false, 'plain', 'plain'],
    [false, false, false, 'tree', 'tree'],
    [false, true, false, 'auto', 'tree'],
  ] as const)('json=%s stdout tty=%s stderr tty=%s KAFKA_OPS_PROGRESS=%s → %s', (json, stdoutTty, stderrTty, env, mode) => {
    const output = new Output({ json }, stdoutTty ? tty() : new MemoryStream(), stderrTty ? tty() : new MemoryStream());
    expect(progressMode(output, env === undefined ? {} : { KAFKA_OPS_PROGRESS: env })).toBe(mode);
  });

  it('rejects an unknown KAFKA_OPS_PROGRESS with exit 2, naming the variable and the accepted values', () => {
    const output = new Output({ json: false }, new MemoryStream(), new MemoryStream());
    const error = (() => {
      try {
        return progressMode(output, { KAFKA_OPS_PROGRESS: 'fancy' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('KAFKA_OPS_PROGRESS');
    expect((error as UserError).action).toMatch(/tree.*plain.*auto/);
  });

  it('opens the plain renderer off a terminal: lines on the progress stream', async () => {
    const stdout = new MemoryStream();
    const io = await openEngineIO(new Output({ json: false }, stdout, new MemoryStream()), YES, {});
    expect(io).not.toBeInstanceOf(ProgressTree);
    io.event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    await io.close();
    expect(stdout.text).toBe('▶ [roll] Roll\n');
    // It is the plain renderer itself: the same event through engineIO prints the same line.
    const direct = new MemoryStream();
    engineIO(new Output({ json: false }, direct, new MemoryStream()), YES).event({ code: 'phase.start', phase: 'roll', message: 'Roll' });
    expect(direct.text).toBe(stdout.text);
  });
});
