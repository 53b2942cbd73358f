/**
 * A kafka-double cluster for tests (test/fakes/kafka-double/SPEC.md): a state directory,
 * one install directory per release, and per broker a server.properties, an install
 * symlink, a log directory and a pid file, laid out as the SSH adapter expects a real host.
 * Brokers are started the way the sandbox starts real ones (SIGINT at its default).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, isAlive, launchDetached, readPidFile, signal, waitGone } from '../../src/sandbox/processes.js';
// @ts-expect-error the double is plain JavaScript (it runs under bare node as a broker process)
import { clusterView, createCluster, createInstall, serverProperties, setFaults } from '../fakes/kafka-double/cluster.mjs';
import { stringify } from 'yaml';
import type { SshAccess } from '../../src/sandbox/inventory-file.js';
import { waitFor } from './faults.js';

export interface DoubleBroker {
  id: number;
  port: number;
  dir: string;
  configPath: string;
  installLink: string;
  logDir: string;
  logFile: string;
  pidFile: string;
  outputFile: string;
  command: string[];
}

export interface DoubleTopic {
  name: string;
  replicas: number[][];
  config?: Record<string, string>;
}

export interface DoubleClusterOptions {
  /** Full releases of the install directories to create; the first is what brokers start on. */
  releases: string[];
  brokers: number[];
  topics: DoubleTopic[];
  ibp?: string;
  lmfv?: string;
  defaults?: { controlledShutdownMs?: number; catchUpMs?: number; startDelayMs?: number };
  /** Listener security: PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL, with its server.properties keys. */
  protocol?: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  security?: Record<string, string>;
  /** SASL users (PLAIN and SCRAM). */
  users?: Record<string, string>;
}

export class DoubleCluster {
  readonly stateDir: string;
  readonly installs: Record<string, string> = {};
  readonly brokers: DoubleBroker[] = [];
  private readonly seen = new Set<number>();

  constructor(
    readonly root: string,
    options: DoubleClusterOptions,
    ports: number[],
  ) {
    this.stateDir = join(root, 'state');
    createCluster(this.stateDir, { topics: options.topics, defaults: options.defaults, users: options.users });
    for (const release of options.releases) this.installs[release] = createInstall(join(root, `kafka_2.11-${release}`), release);
    const first = this.installs[options.releases[0] as string] as string;
    options.brokers.forEach((id, i) => {
      const dir = join(root, `broker-${id}`);
      const logDir = join(dir, 'logs');
      mkdirSync(logDir, { recursive: true });
      const broker: DoubleBroker = {
        id,
        port: ports[i] as number,
        dir,
        configPath: join(dir, 'server.properties'),
        installLink: join(dir, 'kafka'),
        logDir,
        logFile: join(logDir, 'server.log'),
        pidFile: join(dir, 'broker.pid'),
        outputFile: join(dir, 'broker.out'),
        command: [join(dir, 'kafka', 'bin', 'kafka-server-start.sh'), join(dir, 'server.properties')],
      };
      writeFileSync(broker.configPath, serverProperties({ id, port: broker.port, ibp: options.ibp, lmfv: options.lmfv, protocol: options.protocol, extra: options.security }));
      symlinkSync(first, broker.installLink);
      this.brokers.push(broker);
    });
  }

  /** The environment a broker process needs (also what the inventory's run.env gives). */
  env(broker: DoubleBroker): Record<string, string> {
    return { KAFKA_DOUBLE_STATE: this.stateDir, LOG_DIR: broker.logDir, KAFKA_DOUBLE_MAX_LIFETIME_S: '600' };
  }

  broker(id: number): DoubleBroker {
    const b = this.brokers.find((x) => x.id === id);
    if (!b) throw new Error(`no broker ${id}`);
    return b;
  }

  bootstrap(): string[] {
    return this.brokers.map((b) => `127.0.0.1:${b.port}`);
  }

  async start(id: number): Promise<number> {
    const b = this.broker(id);
    const pid = await launchDetached({ command: b.command, pidFile: b.pidFile, outputFile: b.outputFile, env: this.env(b) });
    this.seen.add(pid);
    return pid;
  }

  async startAll(): Promise<void> {
    for (const b of this.brokers) await this.start(b.id);
    await waitFor('every double broker registered and in sync', 10_000, () => this.view().brokers.length === this.brokers.length && this.inSync(), 50);
  }

  /** Every partition has its full ISR. */
  inSync(): boolean {
    return this.view().topics.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length));
  }

  pid(id: number): number | undefined {
    const pid = readPidFile(this.broker(id).pidFile);
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  }

  pids(): Record<number, number | undefined> {
    return Object.fromEntries(this.brokers.map((b) => [b.id, this.pid(b.id)]));
  }

  /** What the brokers answer now (brokers, controller, ISR), read from the state directory. */
  view(): { controller?: number; brokers: Array<{ id: number; port: number; release: string }>; registrations: Array<{ id: number; ibp: string; lmfv: string; release: string }>; topics: Array<{ name: string; partitions: Array<{ partition: number; replicas: number[]; isr: number[]; leader: number }> }> } {
    return clusterView(this.stateDir);
  }

  setFaults(id: number, faults: { failStart?: boolean; neverCatchUp?: boolean; catchUpMs?: number }): void {
    setFaults(this.stateDir, id, faults);
  }

  log(id: number): string {
    const file = this.broker(id).logFile;
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /**
   * An inventory for this cluster in the format of examples/inventory.yaml: every broker
   * reached over `ssh`, run through its install symlink, and the state read with the admin
   * API through the brokers' listeners (no ZooKeeper: the double has none).
   */
  inventory(ssh: SshAccess, cluster = 'double'): string {
    return stringify({
      cluster,
      state: { bootstrapServers: this.bootstrap() },
      executor: { kind: 'ssh', knownHosts: ssh.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutSeconds: 10 },
      defaults: {
        ssh: { user: ssh.user, port: ssh.port, identityFile: ssh.userKeyFile },
        installs: this.installs,
        stop: { signal: 'SIGINT', timeoutSeconds: 30 },
        startTimeoutSeconds: 30,
      },
      brokers: this.brokers.map((b) => ({
        id: b.id,
        host: '127.0.0.1',
        configPath: b.configPath,
        installLink: b.installLink,
        logFile: b.logFile,
        run: { command: b.command, pidFile: b.pidFile, outputFile: b.outputFile, env: this.env(b) },
      })),
    });
  }

  /** Stops every broker (SIGINT, then SIGKILL), removes the directory; returns the pids still alive (should be none). */
  async teardown(): Promise<number[]> {
    const pids = [...this.seen, ...this.brokers.map((b) => readPidFile(b.pidFile) ?? 0)].filter((p) => p > 0 && isAlive(p));
    for (const pid of pids) signal(pid, 'SIGINT');
    const left = await waitGone(pids, 5_000);
    for (const pid of left) signal(pid, 'SIGKILL');
    const stillAlive = await waitGone(left, 2_000);
    rmSync(this.root, { recursive: true, force: true });
    return stillAlive;
  }
}

export async function createDoubleCluster(name: string, options: DoubleClusterOptions): Promise<DoubleCluster> {
  const root = mkdtempSync(join(tmpdir(), `kafka-ops-double-${name}-`));
  return new DoubleCluster(root, options, await freePorts(options.brokers.length));
}
