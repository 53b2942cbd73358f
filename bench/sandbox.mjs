#!/usr/bin/env node
// Wall time of `kafka-ops sandbox up` (3 brokers, built CLI), median of N runs (argv[2], default 3).
// Each run starts in a fresh temp dir and is torn down with `sandbox down --purge` (not timed).
// Target: < 30 s on a 2-core machine. Run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 3);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`usage: node bench/sandbox.mjs [RUNS], got ${process.argv[2]}`);
const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const kafkaOps = (...args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const times = [];
for (let i = 1; i <= runs; i++) {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'kafka-ops-bench-')), 'sandbox');
  const started = process.hrtime.bigint();
  try {
    const result = JSON.parse(kafkaOps('sandbox', 'up', '--dir', dir, '--brokers', '3', '--json'));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    times.push(seconds);
    console.log(`run ${i}/${runs}: ${seconds.toFixed(2)} s wall (service reported ${(result.elapsedMs / 1000).toFixed(2)} s)`);
  } finally {
    kafkaOps('sandbox', 'down', '--dir', dir, '--purge', '--json');
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}
const sorted = [...times].sort((a, b) => a - b);
const mid = Math.floor(sorted.length / 2);
const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
console.log(
  `sandbox up (3 brokers): median ${median.toFixed(2)} s over ${runs} run(s); min ${sorted[0].toFixed(2)} s, max ${sorted.at(-1).toFixed(2)} s; target < 30 s`,
);
