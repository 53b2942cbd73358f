import { defineConfig } from 'vitest/config';
import SandboxAwareSequencer from './test/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two files at a time, but never two real Kafka sandboxes: each takes the one sandbox
    // slot (test/helpers/sandbox.ts), and the sequencer keeps the other worker on files that
    // need no sandbox meanwhile.
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SandboxAwareSequencer },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
