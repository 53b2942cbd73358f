#!/usr/bin/env node
// bench/kraft: the real KRaft upgrade, Kafka 3.9.2 → 4.4.0 (resolved from Maven Central, cached)
// on 3 dedicated controllers and 3 brokers over real SSH: `kafka-ops sandbox up --mode kraft`,
// then `kafka-ops upgrade --to 4.4`, then per node restart the node's own stop / start / catch-up
// (a broker: registered, unfenced and back in its ISRs; a controller: back in the quorum and
// caught up), the time kafka-ops added on top (gates, quorum reads, SSH round trips, swap,
// healthy-check hysteresis), and of that what the gates held on purpose; then, from the run's
// journal, each node's pre-stop checks (for a controller: the quorum gate, the other voters a
// caught-up majority), the finalize of metadata.version, and the whole upgrade's wall time.
// A benchmark, not a test: it prints figures and asserts nothing. Run after `npm run build`,
// under the machine-wide lock if other heavy things share the machine:
//   flock -o /tmp/kafka-ops-heavy.lock node bench/kraft.mjs
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliJson, tearDownSandbox } from './sandbox-cli.mjs';
import { printRestarts } from './restart-figures.mjs';

const FROM = process.env.KAFKA_OPS_BENCH_FROM ?? '3.9.2';
const TO = process.env.KAFKA_OPS_BENCH_TO ?? '4.4.0';
const sec = (ms) => (ms / 1000).toFixed(2).padStart(7);
const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-bench-kraft-'));
try {
  const up = cliJson('sandbox', 'up', '--mode', 'kraft', '--from', FROM, '--to', TO, '--controllers', '3', '--dir', dir);
  console.log(`sandbox up (resolve, format, start 6 JVMs, topic): ${sec(up.elapsedMs)} s`);
  const stateDir = join(dir, 'state');
  const started = Date.now();
  const target = TO.split('.').slice(0, 2).join('.');
  const result = cliJson('upgrade', '--to', target, '--inventory', up.inventoryPath, '--state-dir', stateDir, '--yes');
  const wallMs = Date.now() - started;
  console.log(`Kafka ${FROM} → ${TO}, 3 controllers + 3 brokers`);
  printRestarts(result.run);

  const entries = readFileSync(join(stateDir, 'sandbox-kraft', 'journal.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map((e) => ({ ...e, t: Date.parse(e.at) }));
  const roles = new Map([...up.controllers.map((c) => [c.id, 'controller']), ...up.brokers.map((b) => [b.id, 'broker'])]);
  console.log('pre-stop checks per node (a controller: the quorum gate, read with DescribeQuorum):');
  for (const e of entries.filter((x) => x.event === 'step.done' && x.detail?.preStopMs !== undefined))
    console.log(`  ${roles.get(e.broker) ?? 'node'} ${e.broker}: ${sec(e.detail.preStopMs)} s`);
  const finalizeStart = entries.find((e) => e.event === 'phase.start' && /finalize/.test(e.phase ?? ''));
  const finalizeDone = entries.find((e) => e.event === 'phase.done' && e.phase === finalizeStart?.phase);
  if (finalizeStart && finalizeDone)
    console.log(
      `finalize (supported ranges, kafka-features.sh upgrade over SSH, re-read): ${sec(finalizeDone.t - finalizeStart.t)} s → ${finalizeDone.detail?.metadataVersion}`,
    );
  const sum = (k) => result.run.steps.reduce((t, s) => t + (s[k] ?? 0), 0);
  console.log(
    `total: upgrade wall time ${sec(wallMs)} s (CLI start to exit), of which restarts ${sec(sum('totalMs'))} s; nodes' own stop + start + catch-up ${sec(sum('stopMs') + sum('startMs') + sum('catchUpMs'))} s`,
  );
} finally {
  tearDownSandbox(dir);
}
