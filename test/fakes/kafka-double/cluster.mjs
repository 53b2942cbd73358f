// Setting up a kafka-double cluster for a test: the state directory, install directories, faults.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterView, faultsFile, writeJsonAtomic, clusterFile, liveRegistrations } from './state.mjs';

export const BROKER_SCRIPT = fileURLToPath(new URL('./broker.mjs', import.meta.url));

const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * spec: { clusterId?, users?: { name: password }, topics: [{ name, replicas: number[][], config? }],
 *         defaults?: { controlledShutdownMs?, catchUpMs?, startDelayMs? } }
 */
export function createCluster(dir, spec) {
  mkdirSync(join(dir, 'brokers'), { recursive: true });
  mkdirSync(join(dir, 'faults'), { recursive: true });
  writeJsonAtomic(clusterFile(dir), {
    clusterId: spec.clusterId ?? 'kafka-double',
    topics: spec.topics,
    // SASL users (PLAIN and SCRAM) live here, as SCRAM credentials live in ZooKeeper.
    users: spec.users ?? {},
    defaults: { controlledShutdownMs: 300, catchUpMs: 500, startDelayMs: 0, ...spec.defaults },
  });
}

/** An install directory of `release`: libs/kafka_2.11-<release>.jar and bin/kafka-server-start.sh. */
export function createInstall(dir, release, node = process.execPath) {
  mkdirSync(join(dir, 'libs'), { recursive: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'libs', `kafka_2.11-${release}.jar`), '');
  const launcher = join(dir, 'bin', 'kafka-server-start.sh');
  writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      '# kafka-double launcher: like Kafka\'s, the install directory is where this script lives.',
      'base_dir=$(cd "$(dirname "$0")/.." && pwd -P)',
      `exec ${sq(node)} ${sq(BROKER_SCRIPT)} "$base_dir" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  return dir;
}

/** faults: { failStart?, neverCatchUp?, catchUpMs? } for broker `id`, read at its next start. */
export function setFaults(dir, id, faults) {
  writeJsonAtomic(faultsFile(dir, id), faults);
}

/** server.properties text of a double broker. */
export function serverProperties({ id, port, ibp, lmfv, protocol = 'PLAINTEXT', extra = {} }) {
  const lines = [`broker.id=${id}`, `listeners=${protocol}://127.0.0.1:${port}`, 'zookeeper.connect=127.0.0.1:2181', `log.dirs=/tmp/kafka-double-${id}`];
  if (ibp) lines.push(`inter.broker.protocol.version=${ibp}`);
  if (lmfv) lines.push(`log.message.format.version=${lmfv}`);
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}=${v}`);
  return `${lines.join('\n')}\n`;
}

export { clusterView, liveRegistrations };
