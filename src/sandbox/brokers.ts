/**
 * The sandbox's brokers: one directory each (server.properties, log4j.properties, data,
 * logs/server.log, pid file, install symlink), started through the install symlink the
 * way production hosts run them.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { javaCommand } from './java.js';
import type { BrokerPaths } from './layout.js';
import { launchDetached } from './processes.js';
import { fileLog4j } from './zookeeper-server.js';
import { fileLog4j2 } from './kraft-sandbox.js';

export interface BrokerConfigInput {
  paths: BrokerPaths;
  port: number;
  zookeeperConnect: string;
  interBrokerProtocolVersion: string;
  /** log.message.format.version pinned beside the IBP (releases from 0.10.0 on have it). */
  logMessageFormatVersion?: string;
  /** Release the brokers start on; 0.9 and older get advertised.host.name (gone from 3.0 on). */
  release?: string;
  partitions: number;
  /** broker.rack (`sandbox up --racks`; releases from 0.10.0 on, KIP-36). */
  rack?: string;
  /** `sandbox up --kraft-controllers`: a 3.9 cluster about to migrate, tuned for its KRaft rolls. */
  migration?: boolean;
}

/** The rack of broker `id` (1-based) when the sandbox spreads its brokers over `racks` racks: round robin, r1, r2, … */
export function sandboxRackOf(id: number, racks: number): string {
  return `r${((id - 1) % racks) + 1}`;
}

export function serverProperties({
  paths,
  port,
  zookeeperConnect,
  interBrokerProtocolVersion,
  logMessageFormatVersion,
  release,
  partitions,
  rack,
  migration,
}: BrokerConfigInput): string {
  const legacy = release === undefined || /^0\.[0-9]\./.test(release);
  const settings: Array<[string, string | number | boolean]> = [
    ['broker.id', paths.id],
    ['listeners', `PLAINTEXT://127.0.0.1:${port}`],
    ['advertised.listeners', `PLAINTEXT://127.0.0.1:${port}`],
    ...(legacy ? [['advertised.host.name', '127.0.0.1'] as [string, string]] : []),
    // With every broker in a rack, topics are created with rack-aware placement (replicas on distinct racks).
    ...(rack ? [['broker.rack', rack] as [string, string]] : []),
    ['log.dirs', paths.dataDir],
    ['zookeeper.connect', zookeeperConnect],
    ['zookeeper.session.timeout.ms', 6000],
    ['zookeeper.connection.timeout.ms', 15000],
    // The sandbox is a cluster in the middle of an upgrade: the "from" release's binaries (or
    // 0.9.0.1 for the embedded line), the protocol and message format still pinned to it.
    ['inter.broker.protocol.version', interBrokerProtocolVersion],
    ...(logMessageFormatVersion ? [['log.message.format.version', logMessageFormatVersion] as [string, string]] : []),
    ['controlled.shutdown.enable', true],
    ['controlled.shutdown.max.retries', 3],
    ['controlled.shutdown.retry.backoff.ms', 1000],
    ['auto.create.topics.enable', false],
    ['delete.topic.enable', true],
    ['num.partitions', partitions],
    ['default.replication.factor', 3],
    ['min.insync.replicas', 2],
    ['unclean.leader.election.enable', false],
    ['replica.lag.time.max.ms', 10000],
    ['offsets.topic.replication.factor', 3],
    ['offsets.topic.num.partitions', partitions],
    // Small and few: the sandbox shares 2 cores between ZooKeeper and every broker.
    ['num.network.threads', 2],
    ['num.io.threads', 2],
    ['background.threads', 2],
    ['num.recovery.threads.per.data.dir', 1],
    ['log.cleaner.enable', false],
    ['log.segment.bytes', 1048576],
    ['log.retention.bytes', 10485760],
    ['log.retention.hours', 1],
    ['log.retention.check.interval.ms', 60000],
    // A migrating broker registers with the KRaft quorum and, as a KRaft broker, is unfenced and
    // shut down through its heartbeats: every 0.5 s instead of 2 s (each start and stop waits for some).
    ...(migration
      ? ([
          ['broker.heartbeat.interval.ms', 500],
          ['group.initial.rebalance.delay.ms', 0],
        ] as Array<[string, number]>)
      : []),
  ];
  return [`# Broker ${paths.id} of a kafka-ops sandbox.`, ...settings.map(([k, v]) => `${k}=${v}`), ''].join('\n');
}

/** argv of a broker: started through its install symlink, log4j writing its server.log. */
export function brokerCommand(java: string, paths: BrokerPaths): string[] {
  return javaCommand(java, {
    heap: '256m',
    log4jConfig: paths.log4jPath,
    // A 4.x release (a migration continued to 4.x) logs through log4j2; 3.x ignores this one.
    properties: { 'kafka.logs.dir': paths.logsDir, 'log4j2.configurationFile': brokerLog4j2Path(paths) },
    home: paths.installLink,
    main: 'kafka.Kafka',
    args: [paths.configPath],
  });
}

/** Writes the broker's files and points its install symlink at `installDir`. */
export async function prepareBroker(input: BrokerConfigInput, installDir: string): Promise<void> {
  const { paths } = input;
  await mkdir(paths.dataDir, { recursive: true });
  await mkdir(paths.logsDir, { recursive: true });
  await writeFile(paths.configPath, serverProperties(input));
  await writeFile(paths.log4jPath, fileLog4j(paths.logFile));
  await writeFile(brokerLog4j2Path(paths), fileLog4j2(paths.logFile));
  await symlink(installDir, paths.installLink);
}

/** Where a broker's log4j2 configuration is (the same file a KRaft sandbox node has). */
export const brokerLog4j2Path = (paths: BrokerPaths): string => path.join(paths.dir, 'log4j2.xml');

export function startBroker(java: string, paths: BrokerPaths): Promise<number> {
  return launchDetached({ command: brokerCommand(java, paths), pidFile: paths.pidFile, outputFile: paths.outputFile });
}
