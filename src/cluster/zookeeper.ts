/**
 * ClusterState read from ZooKeeper: the only source of truth for 0.8/0.9 clusters and
 * valid for every ZooKeeper-mode Kafka.
 *
 * Every read that `snapshot()` makes also leaves a ZooKeeper watch (one watcher function
 * per instance, so the client library never stacks duplicates). `changed()` then resolves
 * on the first watch event after the latest snapshot; an event that fired between the
 * snapshot and the call to `changed()` is not lost, it makes `changed()` return at once.
 */
import { InfrastructureError } from '../errors.js';
import type { ClusterSnapshot, ClusterState, PartitionState, TopicState } from './port.js';

// ---------------------------------------------------------------------------------------
// Pure parsers for the JSON nodes Kafka writes (unit-tested without a ZooKeeper).

function badNode(path: string, why: string): InfrastructureError {
  return new InfrastructureError(`ZooKeeper node ${path} is not what Kafka writes: ${why}`, {
    code: 'ZOOKEEPER_UNEXPECTED_DATA',
    retriable: false,
    action: `Inspect ${path} with zookeeper-shell; is the connect string (chroot included) the Kafka cluster's?`,
  });
}

function parseObject(path: string, json: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw badNode(path, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badNode(path, 'not a JSON object');
  return value as Record<string, unknown>;
}

function intList(path: string, value: unknown, field: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v))) {
    throw badNode(path, `"${field}" is not a list of integers`);
  }
  return value as number[];
}

/** Children of /brokers/ids → sorted broker ids (non-numeric children are ignored). */
export function parseBrokerIds(children: readonly string[]): number[] {
  return children
    .filter((c) => /^\d+$/.test(c))
    .map(Number)
    .sort((a, b) => a - b);
}

/** /controller data (`{"version":1,"brokerid":2,...}`; older Kafka wrote a bare id) → controller id. */
export function parseController(data: string | undefined, path = '/controller'): number | undefined {
  if (data === undefined || data.trim() === '') return undefined;
  if (/^\s*-?\d+\s*$/.test(data)) return Number(data);
  const id = parseObject(path, data).brokerid;
  if (!Number.isInteger(id)) throw badNode(path, '"brokerid" is not an integer');
  return (id as number) < 0 ? undefined : (id as number);
}

/** /brokers/topics/<t> data (`{"partitions":{"0":[1,2,3]}}`) → replicas by partition, sorted by partition. */
export function parseTopicAssignment(data: string, path = '/brokers/topics/?'): Array<{ partition: number; replicas: number[] }> {
  const partitions = parseObject(path, data).partitions;
  if (typeof partitions !== 'object' || partitions === null || Array.isArray(partitions)) {
    throw badNode(path, '"partitions" is not an object');
  }
  return Object.entries(partitions)
    .map(([p, replicas]) => {
      if (!/^\d+$/.test(p)) throw badNode(path, `partition "${p}" is not a number`);
      return { partition: Number(p), replicas: intList(path, replicas, `partitions.${p}`) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/** /brokers/topics/<t>/partitions/<p>/state data → leader (-1 when offline), ISR and leader epoch. */
export function parsePartitionState(data: string, path = 'partition state'): { leader: number; isr: number[]; leaderEpoch?: number } {
  const state = parseObject(path, data);
  if (!Number.isInteger(state.leader)) throw badNode(path, '"leader" is not an integer');
  const epoch = Number.isInteger(state.leader_epoch) ? { leaderEpoch: state.leader_epoch as number } : {};
  return { leader: state.leader as number, isr: intList(path, state.isr, 'isr'), ...epoch };
}

/**
 * The /admin nodes through which a leadership change is requested (kafka-preferred-replica-election,
 * kafka-reassign-partitions); the controller deletes each once the change is done.
 */
export const LEADERSHIP_REQUEST_NODES: ReadonlyArray<{ path: string; what: string }> = [
  { path: '/admin/preferred_replica_election', what: 'preferred replica election' },
  { path: '/admin/reassign_partitions', what: 'partition reassignment' },
];

/** A ZooKeeper stat's ctime (8 bytes, big-endian, ms since the epoch) → number. */
export function statCreatedAtMs(stat: unknown): number | undefined {
  const ctime = (stat as { ctime?: unknown } | null | undefined)?.ctime;
  if (!Buffer.isBuffer(ctime) || ctime.length !== 8) return undefined;
  const ms = Number(ctime.readBigInt64BE(0));
  return ms > 0 ? ms : undefined;
}

/** /config/topics/<t> data (`{"version":1,"config":{"min.insync.replicas":"2"}}`) → overrides as strings. */
export function parseTopicConfig(data: string | undefined, path = '/config/topics/?'): Record<string, string> {
  if (data === undefined || data.trim() === '') return {};
  const config = parseObject(path, data).config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw badNode(path, '"config" is not an object');
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
}

// ---------------------------------------------------------------------------------------
// A tiny promise wrapper over node-zookeeper-client (which ships no types).

type Watcher = (event?: unknown) => void;
interface ZkError extends Error {
  getCode?: () => number;
  code?: number;
}
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: 'connected', listener: () => void): void;
  on(event: 'disconnected' | 'expired', listener: () => void): void;
  getChildren(path: string, watcher: Watcher, cb: (err: ZkError | null, children: string[]) => void): void;
  getData(path: string, watcher: Watcher, cb: (err: ZkError | null, data: Buffer | null, stat: unknown) => void): void;
  exists(path: string, watcher: Watcher, cb: (err: ZkError | null, stat: unknown) => void): void;
}
interface ZkModule {
  createClient(connectString: string, options: { sessionTimeout: number; spinDelay: number; retries: number }): ZkClient;
}

const NO_NODE = -101;
// A variable specifier keeps TypeScript from demanding declarations for this untyped package.
const ZK_MODULE = 'node-zookeeper-client';

export interface ZooKeeperConnectOptions {
  /** How long to wait for the first connection. */
  timeoutMs: number;
}

export class ZooKeeperClusterState implements ClusterState {
  private pendingEvent = false;
  private armed = false;
  private waiters = new Set<() => void>();
  private readonly watcher: Watcher = () => this.notify();

  private constructor(
    private readonly client: ZkClient,
    readonly connectString: string,
  ) {
    client.on('disconnected', this.watcher);
    client.on('expired', this.watcher);
  }

  /** Connects (imports the client library lazily so CLI start-up stays fast). */
  static async connect(connectString: string, options: ZooKeeperConnectOptions): Promise<ZooKeeperClusterState> {
    const mod = ((await import(ZK_MODULE)) as { default: ZkModule }).default;
    const client = mod.createClient(connectString, { sessionTimeout: 10_000, spinDelay: 200, retries: 0 });
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), options.timeoutMs);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve(true);
      });
      client.connect();
    });
    if (!connected) {
      client.close();
      throw new InfrastructureError(`Could not connect to ZooKeeper at ${connectString} within ${options.timeoutMs} ms`, {
        code: 'ZOOKEEPER_UNREACHABLE',
        retriable: true,
        action: `Check that ZooKeeper is running and reachable at ${connectString} (state.zookeeper in the inventory).`,
      });
    }
    return new ZooKeeperClusterState(client, connectString);
  }

  async snapshot(): Promise<ClusterSnapshot> {
    this.pendingEvent = false;
    this.armed = true;
    const [brokerIds, controllerNode, topicNames, configNames, requests] = await Promise.all([
      this.children('/brokers/ids'),
      this.dataAndCreation('/controller'),
      this.children('/brokers/topics'),
      this.children('/config/topics'),
      Promise.all(LEADERSHIP_REQUEST_NODES.map(async (n) => ((await this.data(n.path)) === undefined ? [] : [n.what]))),
    ]);
    const topics = [...new Set([...(topicNames ?? []), ...(configNames ?? [])])].sort();
    const perTopic = await Promise.all(topics.map((t) => this.readTopic(t, (topicNames ?? []).includes(t))));
    const controller = parseController(controllerNode?.data);
    return {
      brokers: parseBrokerIds(brokerIds ?? []),
      controller,
      ...(controller !== undefined && controllerNode?.createdAtMs !== undefined ? { controllerSinceMs: controllerNode.createdAtMs } : {}),
      leadershipChangesPending: requests.flat(),
      partitions: perTopic.flatMap((t) => t.partitions),
      topics: perTopic.filter((t) => t.assigned).map((t) => t.state),
    };
  }

  async changed(timeoutMs: number): Promise<void> {
    if (this.pendingEvent) {
      this.pendingEvent = false;
      return;
    }
    // A watch fired and nothing re-armed it since: read again so there is something to wait on.
    if (!this.armed) await this.snapshot();
    if (this.pendingEvent) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.waiters.add(done);
    });
    this.pendingEvent = false;
  }

  async close(): Promise<void> {
    this.notify();
    this.client.close();
  }

  private notify(): void {
    this.pendingEvent = true;
    this.armed = false;
    for (const waiter of [...this.waiters]) waiter();
  }

  private async readTopic(
    topic: string,
    assigned: boolean,
  ): Promise<{ assigned: boolean; state: TopicState; partitions: PartitionState[] }> {
    const topicPath = `/brokers/topics/${topic}`;
    const configPath = `/config/topics/${topic}`;
    const [assignmentData, configData] = await Promise.all([
      assigned ? this.data(topicPath) : Promise.resolve(undefined),
      this.data(configPath),
    ]);
    const state = { name: topic, config: parseTopicConfig(configData, configPath) };
    // The topic may have been deleted between listing and reading it.
    if (assignmentData === undefined) return { assigned: false, state, partitions: [] };
    const partitions = await Promise.all(
      parseTopicAssignment(assignmentData, topicPath).map(async ({ partition, replicas }) => {
        const statePath = `${topicPath}/partitions/${partition}/state`;
        const data = await this.data(statePath);
        // No state node yet: the controller has not elected a leader for a new partition.
        const state = data === undefined ? { leader: -1, isr: [] } : parsePartitionState(data, statePath);
        return { topic, partition, replicas, ...state };
      }),
    );
    return { assigned: true, state, partitions };
  }

  /** Children of `path` (watched), undefined when the node does not exist (its creation is watched). */
  private children(path: string): Promise<string[] | undefined> {
    return this.call(path, (cb) => this.client.getChildren(path, this.watcher, cb));
  }

  /** Data of `path` as UTF-8 (watched), undefined when the node does not exist (its creation is watched). */
  private async data(path: string): Promise<string | undefined> {
    return (await this.dataAndCreation(path))?.data;
  }

  /** `data(path)` and when the node was created. */
  private async dataAndCreation(path: string): Promise<{ data: string; createdAtMs?: number } | undefined> {
    const read = await this.call<{ buffer: Buffer | null; stat: unknown }>(path, (cb) =>
      this.client.getData(path, this.watcher, (err, buffer, stat) => cb(err, { buffer, stat })),
    );
    if (read === undefined) return undefined;
    const createdAtMs = statCreatedAtMs(read.stat);
    return { data: read.buffer?.toString('utf8') ?? '', ...(createdAtMs !== undefined ? { createdAtMs } : {}) };
  }

  private async call<T>(path: string, op: (cb: (err: ZkError | null, value: T) => void) => void): Promise<T | undefined> {
    const result = await new Promise<{ err: ZkError | null; value: T }>((resolve) => op((err, value) => resolve({ err, value })));
    if (!result.err) return result.value;
    if ((result.err.getCode?.() ?? result.err.code) !== NO_NODE) {
      throw new InfrastructureError(`ZooKeeper request for ${path} failed: ${result.err.message}`, {
        code: 'ZOOKEEPER_REQUEST_FAILED',
        retriable: true,
        action: `Check the connection to ZooKeeper at ${this.connectString} and retry.`,
        cause: result.err,
      });
    }
    // getData/getChildren on a missing node leave no watch: watch for its creation instead.
    await new Promise<void>((resolve) => this.client.exists(path, this.watcher, () => resolve()));
    return undefined;
  }
}
