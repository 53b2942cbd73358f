#!/usr/bin/env node
// Wall time of `kafka-ops check --to 0.9` and `verify --at 0.9` (built CLI, --json) against a
// fresh 3-broker sandbox: median of N runs each (argv[2], default 5). The sandbox is started
// and torn down around the runs (not timed). Run `npm run build` first.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`usage: node bench/check.mjs [RUNS], got ${process.argv[2]}`);
const cli = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const kafkaOps = (...args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const dir = path.join(mkdtempSync(path.join(tmpdir(), 'kafka-ops-bench-check-')), 'sandbox');
try {
  kafkaOps('sandbox', 'up', '--dir', dir, '--json');
  const inventory = path.join(dir, 'inventory.yaml');
  for (const [name, args] of [
    ['check --to 0.9', ['check', '--to', '0.9']],
    ['verify --at 0.9', ['verify', '--at', '0.9']],
  ]) {
    const times = [];
    let exit;
    for (let i = 0; i < runs; i++) {
      const started = process.hrtime.bigint();
      // Exit codes 0 and 1 are both results here (verify fails on the un-upgraded sandbox).
      const result = spawnSync(process.execPath, [cli, ...args, '--inventory', inventory, '--json'], { encoding: 'utf8' });
      times.push(Number(process.hrtime.bigint() - started) / 1e9);
      exit = result.status;
    }
    console.log(
      `${name} (3 brokers over SSH + ZooKeeper): median ${median(times).toFixed(2)} s over ${runs} run(s); min ${Math.min(...times).toFixed(2)} s, max ${Math.max(...times).toFixed(2)} s; exit ${exit}`,
    );
  }
} finally {
  kafkaOps('sandbox', 'down', '--dir', dir, '--purge', '--json');
  rmSync(path.dirname(dir), { recursive: true, force: true });
}
