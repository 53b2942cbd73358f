/**
 * Where everything of a sandbox lives under its directory. One function per thing, so the
 * service, the inventory writer and the tests agree on every path.
 */
import path from 'node:path';

export const SANDBOX_TOPIC = 'kafka-ops-sandbox';

export interface BrokerPaths {
  id: number;
  dir: string;
  configPath: string;
  log4jPath: string;
  dataDir: string;
  logsDir: string;
  /** The broker's server.log (log4j writes it; kafka-ops reads it to tell clean from unclean stops). */
  logFile: string;
  pidFile: string;
  outputFile: string;
  /** Install symlink the broker is started through (what an upgrade repoints). */
  installLink: string;
}

export interface ZooKeeperPaths {
  dir: string;
  configPath: string;
  log4jPath: string;
  dataDir: string;
  logFile: string;
  pidFile: string;
  outputFile: string;
}

export interface SandboxLayout {
  root: string;
  stateFile: string;
  inventoryFile: string;
  installsDir: string;
  installsReadme: string;
  sshdDir: string;
  zookeeper: ZooKeeperPaths;
  broker(id: number): BrokerPaths;
  /** A migration's KRaft controller (sandbox up --kraft-controllers): the same files as a broker's. */
  controller(id: number): BrokerPaths;
}

export function sandboxLayout(dir: string): SandboxLayout {
  const root = path.resolve(dir);
  const zkDir = path.join(root, 'zookeeper');
  return {
    root,
    stateFile: path.join(root, 'sandbox.json'),
    inventoryFile: path.join(root, 'inventory.yaml'),
    installsDir: path.join(root, 'installs'),
    installsReadme: path.join(root, 'installs', 'README.txt'),
    sshdDir: path.join(root, 'sshd'),
    zookeeper: {
      dir: zkDir,
      configPath: path.join(zkDir, 'zoo.cfg'),
      log4jPath: path.join(zkDir, 'log4j.properties'),
      dataDir: path.join(zkDir, 'data'),
      logFile: path.join(zkDir, 'zookeeper.log'),
      pidFile: path.join(zkDir, 'zookeeper.pid'),
      outputFile: path.join(zkDir, 'zookeeper.out'),
    },
    broker: (id: number) => nodePaths(root, `broker-${id}`, id),
    controller: (id: number) => nodePaths(root, `controller-${id}`, id),
  };
}

function nodePaths(root: string, name: string, id: number): BrokerPaths {
  const dir = path.join(root, name);
  return {
    id,
    dir,
    configPath: path.join(dir, 'server.properties'),
    log4jPath: path.join(dir, 'log4j.properties'),
    dataDir: path.join(dir, 'data'),
    logsDir: path.join(dir, 'logs'),
    logFile: path.join(dir, 'logs', 'server.log'),
    pidFile: path.join(dir, 'kafka.pid'),
    outputFile: path.join(dir, 'kafka.out'),
    installLink: path.join(dir, 'kafka'),
  };
}
