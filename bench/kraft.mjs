#!/usr/bin/env node
// bench/kraft: the real KRaft upgrade, Kafka 3.9.2 → 4.4.0 (resolved from Maven Central, cached)
// on 3 dedicated controllers and 3 brokers over real SSH: `kafka-ops sandbox up --mode kraft`,
// then `kafka-ops upgrade --to 4.4`, then per node restart the node's own stop / start / catch-up
// (a broker: registered, unfenced and back in its ISRs; a controller: back in the quorum and
// caught up), the time kafka-ops added on top (gates, quorum reads, SSH round trips, swap,
// healthy-check hysteresis), and of that what the gates held on purpose; then the medians.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`,
// under the machine-wide lock if other heavy things share the machine:
//   flock -o /tmp/kafka-ops-heavy.lock node bench/kraft.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliJson, tearDownSandbox } from './sandbox-cli.mjs';
import { printRestarts } from './restart-figures.mjs';

const FROM = process.env.KAFKA_OPS_BENCH_FROM ?? '3.9.2';
const TO = process.env.KAFKA_OPS_BENCH_TO ?? '4.4.0';
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-kraft-'));
try {
  const up = cliJson('sandbox', 'up', '--mode', 'kraft', '--from', FROM, '--to', TO, '--controllers', '3', '--dir', dir);
  const started = Date.now();
  const target = TO.split('.').slice(0, 2).join('.');
  const result = cliJson('upgrade', '--to', target, '--inventory', up.inventoryPath, '--state-dir', join(dir, 'state'), '--yes');
  console.log(`Kafka ${FROM} → ${TO}, 3 controllers + 3 brokers: upgrade wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  printRestarts(result.run);
} finally {
  tearDownSandbox(dir);
}
