/**
 * The sandbox's single ZooKeeper server (standalone QuorumPeerMain), bound to 127.0.0.1.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { InfrastructureError } from '../errors.js';
import { javaCommand } from './java.js';
import type { ZooKeeperPaths } from './layout.js';
import { isAlive, launchDetached, sleep, tail } from './processes.js';

export function zooCfg(paths: ZooKeeperPaths, port: number): string {
  return [
    '# ZooKeeper of a kafka-ops sandbox (standalone).',
    'tickTime=2000',
    `dataDir=${paths.dataDir}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'maxClientCnxns=0',
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

export function zooKeeperCommand(java: string, kafkaHome: string, paths: ZooKeeperPaths): string[] {
  return javaCommand(java, {
    heap: '128m',
    log4jConfig: paths.log4jPath,
    properties: { 'zookeeper.log.dir': path.dirname(paths.logFile) },
    home: kafkaHome,
    main: 'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    args: [paths.configPath],
  });
}

/** Writes zoo.cfg and log4j.properties and starts ZooKeeper detached; returns its pid. */
export async function startZooKeeper(java: string, kafkaHome: string, paths: ZooKeeperPaths, port: number): Promise<number> {
  await mkdir(paths.dataDir, { recursive: true });
  await writeFile(paths.configPath, zooCfg(paths, port));
  await writeFile(paths.log4jPath, fileLog4j(paths.logFile));
  return launchDetached({ command: zooKeeperCommand(java, kafkaHome, paths), pidFile: paths.pidFile, outputFile: paths.outputFile });
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
