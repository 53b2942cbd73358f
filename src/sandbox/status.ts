/** `kafka-ops sandbox status`: which of the sandbox's processes are alive, and what ZooKeeper says of the cluster. */
import type { ClusterSnapshot } from '../cluster/port.js';
import { ZooKeeperClusterState } from '../cluster/zookeeper.js';
import { UserError } from '../errors.js';
import { sandboxLayout, type SandboxLayout } from './layout.js';
import { commandMentions, ignoredSignalsOf, isAlive, readPidFile } from './processes.js';
import { loadedRelease } from './loaded-release.js';
import { readSshdHandle } from './sshd.js';
import { isKraftState, kraftSandboxStatus } from './kraft-sandbox.js';
import { readState, type SandboxBrokerState, type SandboxState } from './state.js';

export type SandboxRole = 'zookeeper' | 'broker' | 'controller' | 'combined' | 'sshd';

export interface SandboxProcessStatus {
  role: SandboxRole;
  /** Broker id (brokers only). */
  id?: number;
  pid?: number;
  alive: boolean;
  /** Brokers only: the JVM ignores SIGINT and so cannot be stopped cleanly with it. */
  sigintIgnored?: boolean;
  /** Brokers only: the release the running JVM loaded (the kafka_<scala>-<release>.jar it holds open). */
  release?: string;
  /** Brokers only: the release named by the last "Kafka version" line of its server.log. */
  logRelease?: string;
}

export interface PartitionSummary {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface SandboxStatus {
  dir: string;
  inventoryPath: string;
  /** Every process alive and every broker registered. */
  up: boolean;
  processes: SandboxProcessStatus[];
  zookeeper: string;
  cluster?: {
    brokers: number[];
    missingBrokers: number[];
    controller?: number;
    partitions: number;
    underReplicatedCount: number;
    underReplicated: PartitionSummary[];
    offline: PartitionSummary[];
  };
  /** Why the cluster could not be read (ZooKeeper down, ...). */
  clusterError?: { code: string; message: string };
}

export function describe(p: SandboxProcessStatus): string {
  return `${p.role}${p.id === undefined ? '' : ` ${p.id}`} pid ${p.pid}`;
}

/** Current pid of a broker: its pid file (a restart rewrites it), else the one `up` recorded. */
function brokerPid(broker: SandboxBrokerState): number | undefined {
  return readPidFile(broker.pidFile) ?? broker.pid;
}

/** Alive and really ours (its command line names the sandbox), so a recycled pid is never signalled. */
export function ours(layout: SandboxLayout, pid: number | undefined): pid is number {
  return pid !== undefined && isAlive(pid) && commandMentions(pid, layout.root);
}

export function processStatuses(layout: SandboxLayout, state: SandboxState): SandboxProcessStatus[] {
  const zkPid = readPidFile(state.zookeeper.pidFile) ?? state.zookeeper.pid;
  const sshdPid = readSshdHandle(layout.sshdDir)?.pid ?? state.sshd?.pid;
  return [
    { role: 'zookeeper', pid: zkPid, alive: ours(layout, zkPid) },
    ...state.brokers.map((b): SandboxProcessStatus => {
      const pid = brokerPid(b);
      const alive = ours(layout, pid);
      return {
        role: 'broker',
        id: b.id,
        pid,
        alive,
        ...(alive ? { sigintIgnored: ignoredSignalsOf(pid as number)?.includes('SIGINT') ?? false } : {}),
        ...(alive ? loadedRelease(pid as number, b.logFile) : {}),
      };
    }),
    { role: 'sshd', pid: sshdPid, alive: isAlive(sshdPid) },
  ];
}

function notFound(layout: SandboxLayout): UserError {
  return new UserError(`No sandbox in ${layout.root} (no sandbox.json)`, {
    code: 'SANDBOX_NOT_FOUND',
    action: `Start one with \`kafka-ops sandbox up --dir ${layout.root}\`, or pass the --dir it was started with.`,
  });
}

function summary(p: ClusterSnapshot['partitions'][number]): PartitionSummary {
  return { topic: p.topic, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr };
}

export async function sandboxStatus(dir: string): Promise<SandboxStatus> {
  const layout = sandboxLayout(dir);
  const state = readState(layout.stateFile);
  if (!state) throw notFound(layout);
  if (isKraftState(state)) return kraftSandboxStatus(state);
  const processes = processStatuses(layout, state);
  const status: SandboxStatus = {
    dir: layout.root,
    inventoryPath: state.inventoryPath,
    up: false,
    processes,
    zookeeper: state.zookeeper.connect,
  };
  let cluster: ZooKeeperClusterState | undefined;
  try {
    cluster = await ZooKeeperClusterState.connect(state.zookeeper.connect, { timeoutMs: 3000 });
    const snapshot = await cluster.snapshot();
    const underReplicated = snapshot.partitions.filter((p) => p.replicas.some((r) => !p.isr.includes(r)));
    status.cluster = {
      brokers: snapshot.brokers,
      missingBrokers: state.brokers.map((b) => b.id).filter((id) => !snapshot.brokers.includes(id)),
      controller: snapshot.controller,
      partitions: snapshot.partitions.length,
      underReplicatedCount: underReplicated.length,
      underReplicated: underReplicated.map(summary),
      offline: snapshot.partitions.filter((p) => p.leader < 0).map(summary),
    };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    status.clusterError = { code: e.code ?? 'UNEXPECTED', message: e.message ?? String(error) };
  } finally {
    await cluster?.close();
  }
  status.up = processes.every((p) => p.alive) && status.cluster?.missingBrokers.length === 0;
  return status;
}
