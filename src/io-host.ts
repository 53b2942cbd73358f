/**
 * What the services are given to talk to a person: built by the base command (src/ui/),
 * so services/ never import ui/. Every line, prompt and the engine's events of a run pass
 * through it; the terminal, plain lines and --json are its implementations.
 */
import type { EngineIO } from './engine/ports.js';

/** How questions are answered: --yes takes the default; with no terminal a needed answer is an error. */
export interface PromptPolicy {
  yes: boolean;
  interactive: boolean;
}

/** An EngineIO that must be closed when the run ends, with the error that ended it if any. */
export interface EngineIOSession extends EngineIO {
  /** A notice from the run itself (not the engine), e.g. that Ctrl-C was received: shown at once. */
  notice(message: string): void;
  close(error?: unknown): Promise<void>;
}

export interface IoHost {
  /** A progress line (stderr under --json). */
  info(message: string): void;
  /** The engine's IO for one run: a live tree on a terminal, plain lines otherwise. */
  openEngineIO(policy: PromptPolicy): Promise<EngineIOSession>;
}
