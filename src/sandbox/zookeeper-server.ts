/**
 * The sandbox's single ZooKeeper server (standalone QuorumPeerMain), bound to 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { InfrastructureError } from '../errors.js';
import { embeddedKafkaHome, findJava, javaCommand } from './java.js';
import type { ZooKeeperPaths } from './layout.js';
import { freePorts, isAlive, launchDetached, signal, sleep, tail, waitGone } from './processes.js';

export interface ZooKeeperTuning {
  /** JVM heap (default 128m, the sandbox's: a few thousand znodes). */
  heap?: string;
  /** false: no fsync of the transaction log (a throwaway server loaded with many znodes). */
  forceSync?: boolean;
}

export function zooCfg(paths: ZooKeeperPaths, port: number, tuning: ZooKeeperTuning = {}): string {
  return [
    '# ZooKeeper of a kafka-ops sandbox (standalone).',
    'tickTime=2000',
    `dataDir=${paths.dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'maxClientCnxns=0',
    // ZooKeeper 3.5+ (Kafka 2.x/3.x): no admin HTTP server on 8080, and `ruok` allowed (the readiness probe). 3.4 ignores both.
    'admin.enableServer=false',
    '4lw.commands.whitelist=ruok,srvr,stat',
    ...(tuning.forceSync === false ? ['forceSync=no'] : []),
    '',
  ].join('\n');
}

/** log4j 1.2 configuration: root logger INFO to one file. */
export function fileLog4j(logFile: string): string {
  return [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.Append=true',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

export function zooKeeperCommand(java: string, kafkaHome: string, paths: ZooKeeperPaths, heap = '128m'): string[] {
  return javaCommand(java, {
    heap,
    log4jConfig: paths.log4jPath,
    properties: { 'zookeeper.log.dir': path.dirname(paths.logFile) },
    home: kafkaHome,
    main: 'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    args: [paths.configPath],
  });
}

/** Writes zoo.cfg and log4j.properties and starts ZooKeeper detached; returns its pid. */
export async function startZooKeeper(
  java: string,
  kafkaHome: string,
  paths: ZooKeeperPaths,
  port: number,
  tuning: ZooKeeperTuning & { lifetimeSeconds?: number } = {},
): Promise<number> {
  await mkdir(paths.dataDir, { recursive: true });
  await writeFile(paths.configPath, zooCfg(paths, port, tuning));
  await writeFile(paths.log4jPath, fileLog4j(paths.logFile));
  const command = zooKeeperCommand(java, kafkaHome, paths, tuning.heap);
  // coreutils timeout relays SIGTERM/SIGINT to the JVM and kills it when the lifetime is over.
  const bounded = tuning.lifetimeSeconds ? ['timeout', '-s', 'KILL', String(tuning.lifetimeSeconds), ...command] : command;
  return launchDetached({ command: bounded, pidFile: paths.pidFile, outputFile: paths.outputFile });
}

/** One `ruok` four-letter-word round trip: true when the server answers `imok`. */
function ruok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write('ruok'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(answer === 'imok'));
  });
}

/** Waits until ZooKeeper answers; nothing to watch before it listens, so this one polls. */
export async function waitZooKeeperReady(pid: number, port: number, paths: ZooKeeperPaths, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ruok(port)) return;
    if (!isAlive(pid)) break;
    await sleep(100);
  }
  throw new InfrastructureError(
    `ZooKeeper on 127.0.0.1:${port} did not come up${isAlive(pid) ? ` within ${timeoutMs} ms` : ' (its process exited)'}:\n${tail(paths.outputFile) || tail(paths.logFile)}`,
    {
      code: 'SANDBOX_ZOOKEEPER_FAILED',
      retriable: true,
      action: `Read ${paths.logFile} and ${paths.outputFile}, then run \`kafka-ops sandbox down\` and try again.`,
    },
  );
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface StandaloneZooKeeper {
  /** `127.0.0.1:PORT` */
  connect: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and deletes its directory; true when nothing is left running. */
  stop(): Promise<boolean>;
}

/**
 * One ZooKeeper server on 127.0.0.1 in `dir`, from the embedded Kafka distribution, for tests and
 * benches that need a real ZooKeeper and no brokers. It kills itself after `lifetimeSeconds`
 * whatever happens to the process that started it.
 */
export async function startStandaloneZooKeeper(
  dir: string,
  options: ZooKeeperTuning & { lifetimeSeconds: number; kafkaHome?: string },
): Promise<StandaloneZooKeeper> {
  const paths: ZooKeeperPaths = {
    dir,
    configPath: path.join(dir, 'zoo.cfg'),
    log4jPath: path.join(dir, 'log4j.properties'),
    dataDir: path.join(dir, 'data'),
    logFile: path.join(dir, 'zookeeper.log'),
    pidFile: path.join(dir, 'zookeeper.pid'),
    outputFile: path.join(dir, 'zookeeper.out'),
  };
  const [port] = (await freePorts(1)) as [number];
  const pid = await startZooKeeper(findJava(), options.kafkaHome ?? embeddedKafkaHome(), paths, port, options);
  const stop = async (): Promise<boolean> => {
    // The JVM is the child of `timeout`: both are waited for, so neither is left behind.
    const pids = [pid, ...childrenOf(pid)];
    signal(pid, 'SIGTERM');
    const left = await waitGone(pids, 10_000);
    for (const p of left) signal(p, 'SIGKILL');
    const gone = (await waitGone(left, 5_000)).length === 0;
    await rm(dir, { recursive: true, force: true });
    return gone;
  };
  try {
    await waitZooKeeperReady(pid, port, paths, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { connect: `127.0.0.1:${port}`, port, pid, stop };
}
