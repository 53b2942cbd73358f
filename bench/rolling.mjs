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

const bin = new URL('../bin/run.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-rolling-'));
const cli = (...args) => JSON.parse(execFileSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 }));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sec = (ms) => (ms / 1000).toFixed(2).padStart(7);
try {
  const up = cli('sandbox', 'up', '--dir', dir);
  const result = cli('upgrade', '--to', '0.9', '--inventory', up.inventoryPath, '--state-dir', join(dir, 'state'), '--yes');
  const steps = result.run.steps.filter((s) => s.outcome === 'restarted');
  console.log('phase           broker   stop s  start s  catch-up s  added s  total s');
  for (const s of steps) {
    console.log(`${s.phase.padEnd(15)} ${String(s.broker).padStart(6)} ${sec(s.stopMs)} ${sec(s.startMs)} ${sec(s.catchUpMs)}     ${sec(s.addedMs)} ${sec(s.totalMs)}`);
  }
  const m = (k) => median(steps.map((s) => s[k]));
  console.log(`median over ${steps.length} restarts: stop ${sec(m('stopMs'))} s, start ${sec(m('startMs'))} s, catch-up ${sec(m('catchUpMs'))} s, added by kafka-ops ${sec(m('addedMs'))} s (target < 1 s)`);
} finally {
  try {
    execFileSync(process.execPath, [bin, 'sandbox', 'down', '--dir', dir, '--purge'], { stdio: 'ignore' });
  } catch {
    console.error(`could not tear down ${dir}; run: kafka-ops sandbox down --dir ${dir}`);
  }
}
