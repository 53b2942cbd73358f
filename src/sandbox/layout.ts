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
    broker(id: number): BrokerPaths {
      const brokerDir = path.join(root, `broker-${id}`);
      return {
        id,
        dir: brokerDir,
        configPath: path.join(brokerDir, 'server.properties'),
        log4jPath: path.join(brokerDir, 'log4j.properties'),
        dataDir: path.join(brokerDir, 'data'),
        logsDir: path.join(brokerDir, 'logs'),
        logFile: path.join(brokerDir, 'logs', 'server.log'),
        pidFile: path.join(brokerDir, 'kafka.pid'),
        outputFile: path.join(brokerDir, 'kafka.out'),
        installLink: path.join(brokerDir, 'kafka'),
      };
    },
  };
}
