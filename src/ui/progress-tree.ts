/**
 * The engine's events as a live listr2 tree on a terminal: phases → brokers → sub-steps,
 * with the questions asked inside the tree through the inquirer prompt adapter (so the
 * prompt and the tree share the terminal instead of fighting over it).
 *
 * The engine knows nothing of listr2: events arrive one at a time and this file turns them
 * into tasks. listr2 runs a list fixed when it starts, so every level is a chain: a task
 * without a title waits for the level's next item and returns [that item, the next link].
 * The default renderer draws a title-less task's children at its own level, so a chain
 * reads as one flat list. A task ends when the event that ends it arrives; when the run
 * fails, whatever task is waiting fails with the error, and its parents with it.
 */
import { confirm } from '@inquirer/prompts';
import { ListrInquirerPromptAdapter } from '@listr2/prompt-adapter-inquirer';
import {
  DefaultRenderer,
  figures,
  Listr,
  ListrDefaultRendererLogLevels,
  ListrLogger,
  ProcessOutput,
  PRESET_TIMER,
  type ListrTask,
  type ListrTaskWrapper,
} from 'listr2';
import type { EngineEvent } from '../engine/ports.js';
import { InterruptedError } from '../errors.js';
import type { EngineIOSession, PromptPolicy } from '../io-host.js';
import { answerText, answerWithoutAsking, promptFailure } from './questions.js';

type Ctx = object;
type AdapterPrompt = Parameters<ListrInquirerPromptAdapter['run']>[0];
// listr2's generics fix the renderer classes at compile time; ours is chosen at run time
// (tree or silent), so its task types are left open here and nowhere else.
/* eslint-disable @typescript-eslint/no-explicit-any */
type Item = ListrTask<Ctx, any, any>;
type Wrapper = ListrTaskWrapper<Ctx, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A level's items, handed out in order; `undefined` once closed and drained. */
class Feed {
  private readonly items: Item[] = [];
  private waiter?: { resolve: (item: Item | undefined) => void; reject: (error: unknown) => void };
  private closed = false;
  private error: { value: unknown } | undefined;

  push(item: Item): void {
    if (this.waiter) {
      this.waiter.resolve(item);
      this.waiter = undefined;
    } else this.items.push(item);
  }

  close(): void {
    this.closed = true;
    this.waiter?.resolve(undefined);
    this.waiter = undefined;
  }

  fail(error: unknown): void {
    this.error ??= { value: error };
    this.waiter?.reject(error);
    this.waiter = undefined;
  }

  /** Items that arrived before a failure are still handed out, so the tree shows them (and where it failed). */
  next(): Promise<Item | undefined> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    if (this.error) return Promise.reject(this.error.value);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  // A failure may reach a sub-step listr2 has not started awaiting yet: not an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
type Deferred<T> = ReturnType<typeof deferred<T>>;

/** The title-less link that makes a fixed listr2 list grow as items arrive. */
function link(feed: Feed): Item {
  return {
    task: async (_ctx, task: Wrapper) => {
      const item = await feed.next();
      return item ? task.newListr([item, link(feed)]) : undefined;
    },
  };
}

/**
 * listr2 judges "is this a terminal" by process.stdout alone; under --json the tree is drawn
 * on stderr while stdout is a pipe. engine-io.ts has already checked the stream we draw on.
 */
class TreeRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

/**
 * listr2 wraps lines at process.stdout's width; under --json the tree is drawn on the
 * terminal on stderr while stdout is a file or a pipe (no width). Lend it stderr's width
 * for the life of the tree; returns the function that gives it back.
 */
function lendWidth(stream: NodeJS.WriteStream): () => void {
  if (stream === process.stdout || process.stdout.isTTY || !stream.isTTY) return () => undefined;
  const own = Object.getOwnPropertyDescriptor(process.stdout, 'columns');
  Object.defineProperty(process.stdout, 'columns', { configurable: true, get: () => stream.columns });
  return () => {
    if (own) Object.defineProperty(process.stdout, 'columns', own);
    else delete (process.stdout as { columns?: number }).columns;
  };
}

/** A task that shows warnings under its title: the last output stays, and all of them do. */
const KEEPS_OUTPUT = { outputBar: Infinity, persistentOutput: true, bottomBar: false };

interface Open {
  feed: Feed;
  wrapper?: Wrapper;
  /** Warnings that arrived before listr2 started the task. */
  pendingOutput: string[];
  /** Said after the title once the task runs (an interruption that came before listr2 started it). */
  titleSuffix?: string;
}

interface OpenBroker extends Open {
  id: number;
  skip?: string;
  substep?: Deferred<void>;
  /** The engine's name of its last sub-step that did something to the broker (config, stop.begin, safety-start, ...). */
  touched?: string;
}

/** What an interruption left a broker as, by the last thing done to it: the tree says so instead of "failed". */
function interruptedBroker(id: number, touched: string | undefined): string {
  if (touched === undefined) return `broker ${id}: not touched (interrupted before anything was changed on it)`;
  if (touched === 'safety-start')
    return `broker ${id}: interrupted while down; safety restart with its new config (not waited for: resume checks it)`;
  if (touched === 'start' || touched === 'registered')
    return `broker ${id}: interrupted while it caught up; it runs its new config (resume checks it)`;
  return `broker ${id}: interrupted after ${touched}`;
}

export interface ProgressTreeOptions {
  /** Where the tree is drawn (a terminal); the other process stream is held back meanwhile. */
  stream: NodeJS.WriteStream | NodeJS.WritableStream;
  /** The other stream, whose writes are held back while the tree is live (default: the other of stdout/stderr). */
  heldBack?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** `silent` draws nothing (tests inspect the tasks). */
  renderer?: 'default' | 'silent';
}

/** One node of the drawn tree, for tests and debugging: title-less links are flattened away. */
export interface TreeNode {
  title: string;
  state: string;
  skip?: string;
  output?: string;
  children: TreeNode[];
}

export class ProgressTree implements EngineIOSession {
  private readonly root = new Feed();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Item
  private readonly listr: Listr<Ctx, any, any>;
  private readonly finished: Promise<void>;
  private readonly pendingAnswers = new Set<Deferred<boolean>>();
  private readonly looseWarnings: string[] = [];
  private phase?: Open;
  private broker?: OpenBroker;
  private failure: { value: unknown } | undefined;
  private closed = false;
  private readonly giveWidthBack: () => void;

  constructor(
    private readonly policy: PromptPolicy,
    private readonly options: ProgressTreeOptions,
  ) {
    const stream = options.stream as NodeJS.WriteStream;
    const heldBack = (options.heldBack ?? (stream === process.stdout ? process.stderr : process.stdout)) as NodeJS.WriteStream;
    this.giveWidthBack = lendWidth(stream);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Item
    this.listr = new Listr<Ctx, any, any>([link(this.root)], {
      renderer: options.renderer === 'silent' ? 'silent' : TreeRenderer,
      // We choose the renderer (engine-io.ts); listr2 must not second-guess it from process.stdout.
      fallbackRendererCondition: () => false,
      silentRendererCondition: () => false,
      // Ctrl-C is the run service's: bring the current broker to a safe state. listr2's own handler would exit(127).
      registerSignalListeners: false,
      exitOnError: true,
      rendererOptions: {
        logger: new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, heldBack) }),
        timer: PRESET_TIMER,
        // listr2 marks a failed task with children by a red pointer; without colour only a cross says "failed".
        icon: { [ListrDefaultRendererLogLevels.FAILED_WITH_FAILED_SUBTASKS]: figures.cross },
        collapseSubtasks: true,
        showErrorMessage: false,
      },
    });
    this.finished = this.listr.run().then(
      () => undefined,
      (error: unknown) => this.failEverything(error),
    );
  }

  event(event: EngineEvent): void {
    if (this.closed) return;
    switch (event.code) {
      case 'phase.start': {
        this.endPhase();
        const phase: Open = { feed: new Feed(), pendingOutput: [] };
        this.phase = phase;
        this.root.push({
          title: `${event.phase}: ${event.message}`,
          rendererOptions: KEEPS_OUTPUT,
          task: (_ctx, task: Wrapper) => {
            this.started(phase, task);
            return task.newListr([link(phase.feed)]);
          },
        });
        return;
      }
      case 'phase.skip':
        this.endPhase();
        this.root.push({ title: event.phase, skip: () => `${event.phase}: ${event.message}`, task: () => undefined });
        return;
      case 'phase.done':
        this.endPhase();
        return;
      case 'step.start': {
        this.endBroker();
        const broker: OpenBroker = { id: event.broker, feed: new Feed(), pendingOutput: [] };
        this.broker = broker;
        this.level().push({
          title: event.message,
          rendererOptions: KEEPS_OUTPUT,
          skip: () => broker.skip ?? false,
          task: (_ctx, task: Wrapper) => {
            this.started(broker, task);
            return task.newListr([link(broker.feed)]);
          },
        });
        return;
      }
      case 'step.substep':
        if (event.substep && this.broker?.id === event.broker) this.broker.touched = event.substep;
        this.substep(event.broker, event.message);
        return;
      case 'gate.wait':
        if (event.broker !== undefined) this.substep(event.broker, event.message);
        else this.warn(event.message);
        return;
      case 'step.done':
        if (this.broker?.id === event.broker) this.endBroker();
        return;
      case 'step.skip':
        if (this.broker?.id === event.broker) {
          // Found done on the host after it started: the broker's task turns skipped.
          this.broker.skip = `broker ${event.broker}: ${event.message}`;
          this.broker.wrapper?.skip(this.broker.skip);
          this.endBroker();
        } else {
          this.endBroker();
          const reason = `broker ${event.broker}: ${event.message}`;
          this.level().push({ title: `broker ${event.broker}`, skip: () => reason, task: () => undefined });
        }
        return;
      case 'warning':
        this.warn(event.message);
        return;
    }
  }

  /** Shown under the running broker or phase (written after the tree when nothing runs). */
  notice(message: string): void {
    this.warn(message);
  }

  async confirm(question: string, defaultAnswer: boolean): Promise<boolean> {
    if (this.failure) throw this.failure.value;
    const given = answerWithoutAsking(this.policy, question, defaultAnswer);
    this.endBroker();
    if (given !== undefined) {
      this.level().push({ title: `${question} ${answerText(given)} (--yes)`, task: () => undefined });
      return given;
    }
    const answer = deferred<boolean>();
    this.pendingAnswers.add(answer);
    this.level().push({
      title: question,
      task: async (_ctx, task: Wrapper) => {
        try {
          // The adapter (3.x, the line for listr2 9) is typed against @inquirer/type 3, whose prompts
          // also had cancel(); it cancels through the AbortSignal it passes, which inquirer 13's prompts take.
          const ok = (await task
            .prompt(ListrInquirerPromptAdapter)
            .run(confirm as unknown as AdapterPrompt, { message: question, default: defaultAnswer })) as boolean;
          task.title = `${question} ${answerText(ok)}`;
          answer.resolve(ok);
        } catch (error) {
          const failure = promptFailure(error, question);
          answer.reject(failure);
          throw failure;
        }
      },
    });
    try {
      return await answer.promise;
    } finally {
      this.pendingAnswers.delete(answer);
    }
  }

  /** End the tree: every open task ends (or, with an error, the running one fails), and the last frame stays. */
  async close(error?: unknown): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (error === undefined) {
        this.endPhase();
        this.root.close();
      } else if (error instanceof InterruptedError && !this.failure) this.interrupt(error);
      else this.failEverything(error);
    }
    await this.finished;
    this.giveWidthBack();
    const stream = this.options.stream;
    for (const warning of this.looseWarnings) stream.write(`warning: ${warning}\n`);
    this.looseWarnings.length = 0;
  }

  /** The tree as drawn (title-less links flattened away). */
  snapshot(): TreeNode[] {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- listr2's task objects, read for their state only
    const walk = (tasks: readonly any[]): TreeNode[] =>
      tasks.flatMap((task) => {
        const children = walk(task.subtasks ?? []);
        if (!task.hasTitle()) return children;
        return [
          {
            title: task.title,
            state: task.state,
            ...(task.message?.skip ? { skip: task.message.skip } : {}),
            ...(task.output ? { output: task.output } : {}),
            children,
          },
        ];
      });
    return walk(this.listr.tasks);
  }

  private level(): Feed {
    return (this.phase ?? { feed: this.root }).feed;
  }

  private started(open: Open, task: Wrapper): void {
    open.wrapper = task;
    if (open.titleSuffix) task.title += open.titleSuffix;
    for (const line of open.pendingOutput.splice(0)) task.output = line;
  }

  private substep(brokerId: number, message: string): void {
    const broker = this.broker;
    if (broker?.id !== brokerId) {
      this.warn(`broker ${brokerId}: ${message}`);
      return;
    }
    broker.substep?.resolve();
    const done = deferred<void>();
    broker.substep = done;
    broker.feed.push({ title: message, task: () => done.promise });
  }

  private warn(message: string): void {
    const open = this.broker ?? this.phase;
    const line = `⚠ ${message}`;
    if (!open) this.looseWarnings.push(message);
    else if (open.wrapper) open.wrapper.output = line;
    else open.pendingOutput.push(line);
  }

  private endBroker(): void {
    this.broker?.substep?.resolve();
    this.broker?.feed.close();
    this.broker = undefined;
  }

  private endPhase(): void {
    this.endBroker();
    this.phase?.feed.close();
    this.phase = undefined;
  }

  /**
   * Ctrl-C: the run brought the current broker to a safe state and stopped. The broker is drawn
   * as what it was left as (untouched, or safety-restarted), not as failed; its phase, which did
   * not finish, fails with the interruption in its title, and stays open so its brokers show.
   */
  private interrupt(error: InterruptedError): void {
    this.failure = { value: error };
    const broker = this.broker;
    if (broker) {
      broker.skip = interruptedBroker(broker.id, broker.touched);
      broker.wrapper?.skip(broker.skip);
    }
    this.endBroker();
    const phase = this.phase;
    if (phase) {
      phase.titleSuffix = ' (interrupted)';
      if (phase.wrapper) phase.wrapper.title += phase.titleSuffix;
    }
    phase?.feed.fail(error);
    this.phase = undefined;
    this.root.fail(error);
    for (const answer of this.pendingAnswers) answer.reject(error);
  }

  private failEverything(error: unknown): void {
    this.failure ??= { value: error };
    this.broker?.substep?.reject(error);
    this.broker?.feed.fail(error);
    this.phase?.feed.fail(error);
    this.root.fail(error);
    for (const answer of this.pendingAnswers) answer.reject(error);
  }
}
