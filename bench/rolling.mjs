#!/usr/bin/env node
// bench/rolling: brings up a sandbox, runs `kafka-ops upgrade --to 0.9` (6 broker restarts
// over real SSH) and prints, per broker restart, the broker's own stop / start / catch-up
// time and the time kafka-ops added on top (gates, SSH round trips, config edit, swap,
// healthy-check hysteresis), then the medians. Target: added < 1 s per broker.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printRestarts } from './restart-figures.mjs';

const bin = new URL('../bin/run.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-rolling-'));
const cli = (...args) =>
  JSON.parse(
    execFileSync(process.execPath, [bin, ...args, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    }),
  );
try {
  const up = cli('sandbox', 'up', '--dir', dir);
  const result = cli('upgrade', '--to', '0.9', '--inventory', up.inventoryPath, '--state-dir', join(dir, 'state'), '--yes');
  printRestarts(result.run);
} finally {
  try {
    execFileSync(process.execPath, [bin, 'sandbox', 'down', '--dir', dir, '--purge'], { stdio: 'ignore' });
  } catch {
    console.error(`could not tear down ${dir}; run: kafka-ops sandbox down --dir ${dir}`);
  }
}
