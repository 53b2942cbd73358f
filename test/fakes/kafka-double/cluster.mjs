// Setting up a kafka-double cluster for a test: the state directory, install directories, faults.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
      "# kafka-double launcher: like Kafka's, the install directory is where this script lives.",
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
  const lines = [
    `broker.id=${id}`,
    `listeners=${protocol}://127.0.0.1:${port}`,
    'zookeeper.connect=127.0.0.1:2181',
    `log.dirs=/tmp/kafka-double-${id}`,
  ];
  if (ibp) lines.push(`inter.broker.protocol.version=${ibp}`);
  if (lmfv) lines.push(`log.message.format.version=${lmfv}`);
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}=${v}`);
  return `${lines.join('\n')}\n`;
}

/**
 * One broker's host layout, as the SSH adapter expects a real host: server.properties, an
 * install symlink pointing at `install`, a log directory, pid and output files, and the
 * command that starts it through the symlink. `properties`: serverProperties() options.
 */
export function createBrokerLayout(root, stateDir, id, install, properties) {
  const dir = join(root, `broker-${id}`);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const broker = {
    id,
    port: properties.port,
    dir,
    configPath: join(dir, 'server.properties'),
    installLink: join(dir, 'kafka'),
    logDir,
    logFile: join(logDir, 'server.log'),
    pidFile: join(dir, 'broker.pid'),
    outputFile: join(dir, 'broker.out'),
    command: [join(dir, 'kafka', 'bin', 'kafka-server-start.sh'), join(dir, 'server.properties')],
    env: { KAFKA_DOUBLE_STATE: stateDir, LOG_DIR: logDir, KAFKA_DOUBLE_MAX_LIFETIME_S: '600' },
  };
  writeFileSync(broker.configPath, serverProperties({ id, ...properties }));
  symlinkSync(install, broker.installLink);
  return broker;
}

/**
 * An inventory (as a plain object, in the format of examples/inventory.yaml) for double
 * brokers reached over `ssh` ({ port, user, knownHostsFile, userKeyFile }), the cluster read
 * with the admin API through the brokers' listeners (the double has no ZooKeeper).
 */
export function doubleInventory({ cluster = 'double', brokers, installs, ssh }) {
  return {
    cluster,
    state: { bootstrapServers: brokers.map((b) => `127.0.0.1:${b.port}`) },
    executor: { kind: 'ssh', knownHosts: ssh.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutSeconds: 10 },
    defaults: {
      ssh: { user: ssh.user, port: ssh.port, identityFile: ssh.userKeyFile },
      installs,
      stop: { signal: 'SIGINT', timeoutSeconds: 30 },
      startTimeoutSeconds: 30,
    },
    brokers: brokers.map((b) => ({
      id: b.id,
      host: '127.0.0.1',
      configPath: b.configPath,
      installLink: b.installLink,
      logFile: b.logFile,
      run: { command: b.command, pidFile: b.pidFile, outputFile: b.outputFile, env: b.env },
    })),
  };
}

export { clusterView, liveRegistrations };
