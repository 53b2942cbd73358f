/**
 * A kafka-double cluster for tests (test/fakes/kafka-double/SPEC.md): a state directory,
 * one install directory per release, and per broker a server.properties, an install
 * symlink, a log directory and a pid file, laid out as the SSH adapter expects a real host.
 * Brokers are started the way the sandbox starts real ones (SIGINT at its default).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, isAlive, launchDetached, readPidFile, signal, waitGone } from '../../src/sandbox/processes.js';
// @ts-expect-error the double is plain JavaScript (it runs under bare node as a broker process)
import {
  clusterView,
  createBrokerLayout,
  createCluster,
  createInstall,
  doubleInventory,
  setFaults,
} from '../fakes/kafka-double/cluster.mjs';
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
  /** The environment the broker process needs (also what the inventory's run.env gives). */
  env: Record<string, string>;
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
      const properties = { port: ports[i], ibp: options.ibp, lmfv: options.lmfv, protocol: options.protocol, extra: options.security };
      this.brokers.push(createBrokerLayout(root, this.stateDir, id, first, properties));
    });
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
    const pid = await launchDetached({ command: b.command, pidFile: b.pidFile, outputFile: b.outputFile, env: b.env });
    this.seen.add(pid);
    return pid;
  }

  async startAll(): Promise<void> {
    for (const b of this.brokers) await this.start(b.id);
    await waitFor(
      'every double broker registered and in sync',
      10_000,
      () => this.view().brokers.length === this.brokers.length && this.inSync(),
      50,
    );
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
  view(): {
    controller?: number;
    brokers: Array<{ id: number; port: number; release: string }>;
    registrations: Array<{ id: number; ibp: string; lmfv: string; release: string }>;
    topics: Array<{ name: string; partitions: Array<{ partition: number; replicas: number[]; isr: number[]; leader: number }> }>;
  } {
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
    return stringify(doubleInventory({ cluster, brokers: this.brokers, installs: this.installs, ssh }));
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
