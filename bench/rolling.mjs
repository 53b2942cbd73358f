#!/usr/bin/env node
// bench/rolling [FROM] [TO]: brings up a sandbox of real Kafka FROM (default 2.8.2, ZooKeeper
// mode) with TO (default 3.9.2) installed beside it, runs `kafka-ops upgrade --to <TO's x.y>`
// over real SSH and prints, per broker restart, the broker's own stop / start / catch-up time,
// what kafka-ops added on top, and of that what it held on purpose (leadership-settled gate,
// healthy-check hysteresis), then the sums and the ratio of the whole upgrade's wall time to
// the sum of the brokers' own times (target <= 1.15). `FROM` alone (e.g. 3.9.2) rolls one
// release (IBP/config only). The releases resolve from Maven Central once, then from the cache.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliJson, tearDownSandbox } from './sandbox-cli.mjs';
import { printOutside, printRestarts, printWhole } from './restart-figures.mjs';

const [from = '2.8.2', to = '3.9.2'] = process.argv.slice(2);
const target = to.split('.').slice(0, 2).join('.');
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-rolling-'));
try {
  const up = cliJson('sandbox', 'up', '--dir', dir, '--from', from, '--to', to);
  console.log(`real Kafka ${from} → ${to} (ZooKeeper mode, 3 brokers): kafka-ops upgrade --to ${target}`);
  const startedAt = Date.now();
  const result = cliJson(
    'upgrade',
    '--to',
    target,
    '--inventory',
    up.inventoryPath,
    '--state-dir',
    join(dir, 'state'),
    '--yes',
    '--clients-upgraded',
  );
  const wallMs = Date.now() - startedAt;
  printRestarts(result.run);
  printWhole(result.run, wallMs);
  printOutside(startedAt, wallMs, readFileSync(join(dir, 'state', 'sandbox', 'journal.jsonl'), 'utf8'));
} finally {
  tearDownSandbox(dir);
}
