/**
 * The inventory a sandbox writes for itself: the same format as examples/inventory.yaml,
 * every broker reached over the sandbox's sshd and run as a plain command through its
 * install symlink.
 */
import { Document, isMap, isScalar } from 'yaml';
import { brokerCommand } from './brokers.js';
import { kraftNodeCommand } from './kraft-sandbox.js';
import type { SandboxLayout } from './layout.js';
import type { SandboxState } from './state.js';

export interface SshAccess {
  port: number;
  user: string;
  knownHostsFile: string;
  userKeyFile: string;
}

export function sandboxInventory(state: SandboxState, layout: SandboxLayout, ssh: SshAccess, notes: readonly string[]): string {
  const inventory = {
    cluster: 'sandbox',
    state: {
      zookeeper: state.zookeeper.connect,
      // A migration continued to 4.x reads the cluster through the brokers once ZooKeeper no longer holds the metadata.
      ...(state.controllers && Number(state.installs.to.release.split('.')[0]) >= 4
        ? { bootstrapServers: state.brokers.map((b) => `127.0.0.1:${b.port}`) }
        : {}),
    },
    executor: { kind: 'ssh', knownHosts: ssh.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutSeconds: 10 },
    defaults: {
      ssh: { user: ssh.user, port: ssh.port, identityFile: ssh.userKeyFile },
      installs: { [state.installs.from.release]: state.installs.from.dir, [state.installs.to.release]: state.installs.to.dir },
      stop: { signal: 'SIGINT', timeoutSeconds: 60 },
      startTimeoutSeconds: 120,
    },
    brokers: state.brokers.map((b) => {
      const paths = layout.broker(b.id);
      return {
        id: b.id,
        host: '127.0.0.1',
        configPath: paths.configPath,
        installLink: paths.installLink,
        logFile: paths.logFile,
        run: { command: brokerCommand(state.java, paths), pidFile: paths.pidFile, outputFile: paths.outputFile },
      };
    }),
    ...(state.controllers
      ? {
          migration: {
            controllers: state.controllers.map((c) => {
              const paths = layout.controller(c.id);
              return {
                id: c.id,
                host: '127.0.0.1',
                listener: `127.0.0.1:${c.port}`,
                logDir: paths.dataDir,
                configPath: paths.configPath,
                installLink: paths.installLink,
                logFile: paths.logFile,
                run: { command: kraftNodeCommand(state.java, paths, 'controller'), pidFile: paths.pidFile, outputFile: paths.outputFile },
              };
            }),
          },
        }
      : {}),
  };
  const header = [`Written by \`kafka-ops sandbox up\` for the sandbox in ${layout.root}.`, ...notes]
    .flatMap((line) => wrap(line, 88))
    .map((line) => `# ${line}`);
  const doc = new Document(inventory);
  // Release keys are quoted as in examples/inventory.yaml, so no reader takes "1.0" for a number.
  const installs = doc.getIn(['defaults', 'installs']);
  if (isMap(installs)) for (const { key } of installs.items) if (isScalar(key)) key.type = 'QUOTE_DOUBLE';
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0 })}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + word.length + 1 > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...lines, current];
}
