#!/usr/bin/env node
// Start-up time of the CLI: wall time of `node bin/run.js --version` and
// `node bin/run.js plan --help`, N runs each (default 15; `node bench/startup.mjs 30`).
// Prints median, min and max next to the 200 ms target. No assertions; exits 0.
// Needs dist/ and oclif.manifest.json (`npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TARGET_MS = 200;
const runs = Number.parseInt(process.argv[2] ?? process.env.BENCH_RUNS ?? '15', 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));

if (!existsSync(new URL('../dist/commands', import.meta.url))) {
  console.log('dist/ is missing: run `npm run build` first.');
  process.exit(0);
}
if (!existsSync(new URL('../oclif.manifest.json', import.meta.url))) {
  console.log('note: oclif.manifest.json is missing, so oclif loads every command at start-up; `npm run build` writes it.');
}

const env = { ...process.env };
delete env.NODE_ENV;

function time(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) console.log(`  (exit ${result.status}: ${result.stderr.toString().trim().split('\n')[0]})`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (ms) => `${ms.toFixed(0).padStart(5)} ms`;

// Baseline: a bare node process, the floor no CLI can go under.
const baseline = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', ''], { env });
  baseline.push(Number(process.hrtime.bigint() - start) / 1e6);
}

console.log(`kafka-ops start-up, ${runs} runs each (node ${process.version}), target ${TARGET_MS} ms`);
console.log(`${'command'.padEnd(32)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}   target`);
const row = (name, xs, withTarget = true) => {
  const m = median(xs);
  const verdict = !withTarget
    ? ''
    : m <= TARGET_MS
      ? `<= ${TARGET_MS} ms  ok`
      : `> ${TARGET_MS} ms  OVER by ${(m - TARGET_MS).toFixed(0)} ms`;
  console.log(`${name.padEnd(32)} ${fmt(m)} ${fmt(Math.min(...xs))} ${fmt(Math.max(...xs))}   ${verdict}`);
};
row('node -e "" (baseline)', baseline, false);
for (const args of [['--version'], ['plan', '--help']]) {
  time(args); // warm the file-system cache once, not counted
  const xs = Array.from({ length: runs }, () => time(args));
  row(`kafka-ops ${args.join(' ')}`, xs);
}
