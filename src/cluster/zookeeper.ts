/**
 * ClusterState read from ZooKeeper: the only source of truth for 0.8/0.9 clusters and
 * valid for every ZooKeeper-mode Kafka.
 *
 * The first `snapshot()` reads the whole cluster; every read leaves a ZooKeeper watch (one
 * watcher function per instance, so the client library never stacks duplicates). A watch event
 * marks its node stale in the model (zookeeper-model.ts), and the next `snapshot()` re-reads only
 * the stale nodes: after one ISR change, one read, whatever the size of the cluster. `changed()`
 * resolves on the first watch event after the latest snapshot; an event that fired between the
 * snapshot and the call to `changed()` is not lost, it makes `changed()` return at once.
 *
 * A lost connection loses the model. The client library's way of keeping watches across a
 * reconnect (every watched path re-sent in one request) is refused by the server past ~20k
 * watches (jute.maxbuffer, 1 MB), and would leave the connection failing for good; so the reader
 * forgets its watches the moment the connection drops, and the next `snapshot()` reads the whole
 * cluster again once the library has reconnected. An expired session is replaced by a new one,
 * then read whole as well.
 */
import { InfrastructureError } from '../errors.js';
import type { ClusterSnapshot, ClusterState } from './port.js';
import { ClusterModel, NO_STATE, partitionState, StaleSet, staleNodeOf, type TopicModel } from './zookeeper-model.js';

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

interface ZkEvent {
  getPath?: () => string;
  path?: string;
}
type Watcher = (event?: ZkEvent) => void;
interface ZkError extends Error {
  getCode?: () => number;
  code?: number;
}
export interface ZkClient {
  connect(): void;
  close(): void;
  once(event: 'connected', listener: () => void): void;
  on(event: 'disconnected' | 'expired', listener: () => void): void;
  getChildren(path: string, watcher: Watcher, cb: (err: ZkError | null, children: string[]) => void): void;
  getData(path: string, watcher: Watcher, cb: (err: ZkError | null, data: Buffer | null, stat: unknown) => void): void;
  exists(path: string, watcher: Watcher, cb: (err: ZkError | null, stat: unknown) => void): void;
  create?(path: string, data: Buffer, mode: number, cb: (err: ZkError | null) => void): void;
}
interface ZkModule {
  createClient(connectString: string, options: { sessionTimeout: number; spinDelay: number; retries: number }): ZkClient;
}

const NO_NODE = -101;
const NODE_EXISTS = -110;
/** CreateMode.PERSISTENT. */
const PERSISTENT = 0;
// A variable specifier keeps TypeScript from demanding declarations for this untyped package.
const ZK_MODULE = 'node-zookeeper-client';
/** Requests in flight at once during a full read: enough to hide the round trip, few enough to keep replies small. */
const READS_IN_FLIGHT = 128;
/** Reads of a node that keeps appearing and vanishing between getData and exists, before giving up on it for this refresh. */
const READ_ATTEMPTS = 5;
const REQUEST_PATHS = LEADERSHIP_REQUEST_NODES.map((n) => n.path);

/**
 * node-zookeeper-client parses a socket chunk one reply at a time and, after each, copies every
 * byte still unread into a new buffer: quadratic in the replies per chunk, seconds of CPU for a
 * read of 20k partitions. Handing it one whole reply per call keeps its own buffer empty.
 */
function feedOneReplyAtATime(client: ZkClient): void {
  const manager = (client as unknown as { connectionManager?: { socket?: unknown; onSocketData?: (chunk: Buffer) => void } })
    .connectionManager;
  const parse = manager?.onSocketData;
  if (!manager || typeof parse !== 'function') return;
  let socket: unknown;
  let partial: Buffer | undefined;
  manager.onSocketData = (chunk: Buffer) => {
    // The library connects again on the same manager: a new socket starts a new stream.
    if (manager.socket !== socket) {
      socket = manager.socket;
      partial = undefined;
    }
    const buffer = partial ? Buffer.concat([partial, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const end = offset + 4 + buffer.readInt32BE(offset);
      if (end > buffer.length) break;
      parse.call(manager, buffer.subarray(offset, end));
      offset = end;
    }
    partial = offset < buffer.length ? Buffer.from(buffer.subarray(offset)) : undefined;
  };
}

/**
 * Empties the library's record of this client's watches, so that its reconnect sends none
 * (the server keeps none across a lost connection either): the model is read again instead.
 */
function forgetWatches(client: ZkClient): void {
  const watchers = (client as unknown as { connectionManager?: { watcherManager?: Record<string, unknown> } }).connectionManager
    ?.watcherManager;
  if (!watchers) return;
  for (const kind of ['dataWatchers', 'childWatchers', 'existenceWatchers']) if (kind in watchers) watchers[kind] = {};
}

let zkModule: ZkModule | undefined;

/** How long a connected client may wait for ZooKeeper to answer its close-session request. */
const CLOSE_GRACE_MS = 1_000;
const MANAGER_CLOSED = -2;

/**
 * Closes a client for good, whatever the server does. The library's close() only queues a
 * close-session request and waits for its answer: a ZooKeeper that accepted the connection and
 * never answers (or is still being connected to) keeps the socket, and so the process, alive
 * forever, and a socket that drops meanwhile is connected again. After `graceMs` (at once when
 * no session is up) the socket is destroyed and the manager can no longer reconnect.
 */
function shutDown(client: ZkClient, graceMs: number): Promise<void> {
  const manager = (
    client as unknown as {
      connectionManager?: {
        state?: number;
        socket?: { destroy(): void };
        connectTimeoutHandler?: NodeJS.Timeout;
        connect: () => void;
        on(event: 'state', listener: (state: number) => void): void;
      };
    }
  ).connectionManager;
  const sessionUp = manager?.state === 2 || manager?.state === 3;
  client.close();
  if (!manager) return Promise.resolve();
  manager.connect = () => undefined;
  return new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(manager.connectTimeoutHandler);
      manager.socket?.destroy();
      resolve();
    };
    const timer = setTimeout(finish, sessionUp ? graceMs : 0);
    manager.on('state', (state) => {
      if (state === MANAGER_CLOSED) finish();
    });
  });
}

/** Closes a client opened by openZooKeeperClient, bounded in time whatever the server does. */
export function closeZooKeeperClient(client: ZkClient): Promise<void> {
  return shutDown(client, CLOSE_GRACE_MS);
}

export async function openZooKeeperClient(connectString: string, options: ZooKeeperConnectOptions): Promise<ZkClient> {
  const { timeoutMs, sessionTimeoutMs = 10_000 } = options;
  zkModule ??= ((await import(ZK_MODULE)) as { default: ZkModule }).default;
  const client = zkModule.createClient(connectString, { sessionTimeout: sessionTimeoutMs, spinDelay: 200, retries: 0 });
  feedOneReplyAtATime(client);
  const connected = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve(true);
    });
    client.connect();
  });
  if (!connected) {
    void shutDown(client, 0);
    throw new InfrastructureError(`Could not connect to ZooKeeper at ${connectString} within ${timeoutMs} ms`, {
      code: 'ZOOKEEPER_UNREACHABLE',
      retriable: true,
      action: `Check that ZooKeeper is running and reachable at ${connectString} (state.zookeeper in the inventory).`,
    });
  }
  return client;
}

export interface ZooKeeperConnectOptions {
  /** How long to wait for a connection (the first, and each new session after an expired one). */
  timeoutMs: number;
  /** The session timeout asked of the server (default 10 s; the server bounds it to 2–20 ticks). */
  sessionTimeoutMs?: number;
  /** A request without an answer this long fails the read (default 30 s): a connection that never comes back is an error, not a hang. */
  requestTimeoutMs?: number;
}

/** What one refresh read, for benches and tests: `full` when it read the whole cluster. */
export interface RefreshStats {
  full: boolean;
  reads: number;
}

export class ZooKeeperClusterState implements ClusterState {
  private pendingEvent = false;
  private waiters = new Set<() => void>();
  private model = new ClusterModel();
  private stale = new StaleSet();
  private sessionLost = false;
  private closed = false;
  /** Refreshes run one after the other: a snapshot taken while one runs waits for it, then reads what is still stale. */
  private refreshing: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private readonly queued = new WaitQueue();
  private readonly outstanding = new Map<number, (error: Error) => void>();
  private nextRequest = 0;
  private answeredAtMs = 0;
  private watchdogTimer?: NodeJS.Timeout;
  private reads = 0;
  /** What the latest refresh read. */
  lastRefresh: RefreshStats = { full: true, reads: 0 };

  private constructor(
    private client: ZkClient,
    readonly connectString: string,
    private readonly options: ZooKeeperConnectOptions,
  ) {
    this.listen(client);
  }

  /** Connects (imports the client library lazily so CLI start-up stays fast). */
  static async connect(connectString: string, options: ZooKeeperConnectOptions): Promise<ZooKeeperClusterState> {
    return new ZooKeeperClusterState(await openZooKeeperClient(connectString, options), connectString, options);
  }

  async snapshot(): Promise<ClusterSnapshot> {
    this.pendingEvent = false;
    await this.refresh();
    return this.model.snapshot();
  }

  async changed(timeoutMs: number): Promise<void> {
    if (this.pendingEvent) {
      this.pendingEvent = false;
      return;
    }
    // A watch fired and nothing re-armed it since: read again so there is something to wait on.
    if (!this.stale.empty) await this.refresh();
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

  /**
   * A preferred replica election the way Kafka's own tool makes it against ZooKeeper (every
   * ZooKeeper-mode release: kafka-preferred-replica-election.sh --zookeeper): a persistent
   * /admin/preferred_replica_election holding {"version":1,"partitions":[{"topic","partition"}]},
   * which the controller carries out and deletes. One already pending is an error, not overwritten.
   */
  async electPreferredLeaders(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    const path = '/admin/preferred_replica_election';
    const data = Buffer.from(
      JSON.stringify({ version: 1, partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })) }),
    );
    const create = this.client.create?.bind(this.client);
    if (!create) throw new TypeError('this ZooKeeper client cannot create nodes');
    await new Promise<void>((resolve, reject) =>
      create(path, data, PERSISTENT, (err) => {
        if (!err) return resolve();
        const code = err.getCode?.() ?? err.code;
        reject(
          code === NODE_EXISTS
            ? new InfrastructureError(`A preferred replica election is already pending (${path} exists).`, {
                code: 'ELECTION_PENDING',
                retriable: true,
                action: 'Wait until the controller has finished it (the node is deleted), then retry.',
              })
            : this.requestFailed(path, err),
        );
      }),
    );
  }

  /** The cluster's id (`/cluster/id`, `{"version":"1","id":"…"}`); undefined before any broker created it. */
  async clusterId(): Promise<string | undefined> {
    const data = await this.data('/cluster/id');
    if (data === undefined) return undefined;
    const id = (JSON.parse(data) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
    await shutDown(this.client, CLOSE_GRACE_MS);
  }

  private listen(client: ZkClient): void {
    client.on('disconnected', () => {
      if (this.closed || client !== this.client) return;
      forgetWatches(client);
      this.stale.all = true;
      this.notify();
    });
    client.on('expired', () => {
      if (this.closed || client !== this.client) return;
      this.sessionLost = true;
      this.stale.all = true;
      void shutDown(client, CLOSE_GRACE_MS);
      this.notify();
    });
  }

  private readonly watcher: Watcher = (event) => {
    const path = event?.getPath?.() ?? event?.path;
    this.stale.add(path === undefined ? { kind: 'unknown' } : staleNodeOf(path, REQUEST_PATHS));
    this.notify();
  };

  private notify(): void {
    this.pendingEvent = true;
    for (const waiter of [...this.waiters]) waiter();
  }

  private refresh(): Promise<void> {
    const run = this.refreshing.then(() => this.refreshStale());
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private async refreshStale(): Promise<void> {
    if (this.stale.empty) {
      this.lastRefresh = { full: false, reads: 0 };
      return;
    }
    const stale = this.stale;
    this.stale = new StaleSet();
    this.stale.all = false;
    const readsBefore = this.reads;
    try {
      if (stale.all) {
        if (this.sessionLost) {
          this.client = await openZooKeeperClient(this.connectString, this.options);
          this.listen(this.client);
          this.sessionLost = false;
        }
        this.model = new ClusterModel();
        Object.assign(stale, { brokers: true, controller: true, requests: true, topics: true });
      }
      await this.readStale(stale);
      this.lastRefresh = { full: stale.all, reads: this.reads - readsBefore };
    } catch (error) {
      // Whatever this refresh did not finish is read again, all of it.
      this.stale.all = true;
      throw error;
    }
  }

  private async readStale(stale: StaleSet): Promise<void> {
    const m = this.model;
    const fresh: string[] = [];
    await Promise.all([
      stale.brokers &&
        this.children('/brokers/ids').then((ids) => {
          m.brokers = Object.freeze(parseBrokerIds(ids ?? []));
          m.touch();
        }),
      stale.controller &&
        this.dataAndCreation('/controller').then((node) => {
          const id = parseController(node?.data);
          m.controller = id === undefined ? {} : { id, ...(node?.createdAtMs !== undefined ? { createdAtMs: node.createdAtMs } : {}) };
          m.touch();
        }),
      stale.requests &&
        Promise.all(LEADERSHIP_REQUEST_NODES.map(async (n) => ((await this.data(n.path)) === undefined ? [] : [n.what]))).then((found) => {
          m.leadershipChangesPending = Object.freeze(found.flat());
          m.touch();
        }),
      stale.topics &&
        this.children('/brokers/topics').then((names) => {
          const listed = new Set(names ?? []);
          for (const name of [...m.topics.keys()]) if (!listed.has(name)) m.topics.delete(name);
          for (const name of listed) {
            if (m.topics.has(name)) continue;
            m.topics.set(name, { name, assigned: false, config: {}, partitions: new Map() });
            fresh.push(name);
          }
          m.touch(undefined, true);
        }),
    ]);
    const isFresh = new Set(fresh);
    const known = (topic: string): TopicModel | undefined => (isFresh.has(topic) ? undefined : m.topics.get(topic));
    const work: Array<Promise<unknown>> = fresh.map((name) =>
      Promise.all([this.readAssignment(m.topics.get(name) as TopicModel), this.readConfig(m.topics.get(name) as TopicModel)]),
    );
    for (const name of stale.assignments) {
      const t = known(name);
      if (t) work.push(this.readAssignment(t));
    }
    for (const name of stale.configs) {
      const t = known(name);
      if (t) work.push(this.readConfig(t));
    }
    for (const [name, partitions] of stale.states) {
      const t = known(name);
      // A partition the assignment no longer names is gone; one it newly names is read with it.
      if (t) for (const p of partitions) if (t.partitions.has(p)) work.push(this.readState(t, p));
    }
    await Promise.all(work);
  }

  /** The topic's assignment; partitions it adds are read, those it drops forgotten. */
  private async readAssignment(t: TopicModel): Promise<void> {
    const path = `/brokers/topics/${t.name}`;
    const data = await this.data(path);
    const m = this.model;
    if (data === undefined) {
      // Deleted between listing and reading: absent from snapshots until it is back.
      if (t.assigned) m.touch(t, true);
      t.assigned = false;
      t.partitions.clear();
      return;
    }
    const assignment = parseTopicAssignment(data, path);
    const ids = new Set(assignment.map((a) => a.partition));
    for (const p of [...t.partitions.keys()]) if (!ids.has(p)) t.partitions.delete(p);
    const reads: Array<Promise<void>> = [];
    for (const { partition, replicas } of assignment) {
      const before = t.partitions.get(partition);
      if (before && sameList(before.replicas, replicas)) continue;
      if (before) t.partitions.set(partition, partitionState(t.name, partition, replicas, stateOf(before)));
      else reads.push(this.readState(t, partition, replicas));
    }
    if (!t.assigned) m.touch(t, true);
    t.assigned = true;
    m.touch(t);
    await Promise.all(reads);
  }

  private async readConfig(t: TopicModel): Promise<void> {
    const path = `/config/topics/${t.name}`;
    t.config = Object.freeze(parseTopicConfig(await this.data(path), path));
    this.model.touch(t);
  }

  private async readState(t: TopicModel, partition: number, replicas?: number[]): Promise<void> {
    const path = `/brokers/topics/${t.name}/partitions/${partition}/state`;
    const data = await this.data(path);
    // The assignment may have changed (or dropped this partition) while the state was read.
    const current = replicas ?? t.partitions.get(partition)?.replicas;
    if (!current || (replicas === undefined && !t.partitions.has(partition))) return;
    // No state node yet: the controller has not elected a leader for a new partition.
    const state = data === undefined ? NO_STATE : parsePartitionState(data, path);
    t.partitions.set(partition, partitionState(t.name, partition, [...current], { ...state, isr: [...state.isr] }));
    this.model.touch(t);
  }

  /** Children of `path` (watched), undefined when the node does not exist (its creation is watched). */
  private children(path: string): Promise<string[] | undefined> {
    return this.readNode(path, (cb) => this.client.getChildren(path, this.watcher, cb));
  }

  /** Data of `path` as UTF-8 (watched), undefined when the node does not exist (its creation is watched). */
  private async data(path: string): Promise<string | undefined> {
    return (await this.dataAndCreation(path))?.data;
  }

  /** `data(path)` and when the node was created. */
  private async dataAndCreation(path: string): Promise<{ data: string; createdAtMs?: number } | undefined> {
    const read = await this.readNode<{ buffer: Buffer | null; stat: unknown }>(path, (cb) =>
      this.client.getData(path, this.watcher, (err, buffer, stat) => cb(err, { buffer, stat })),
    );
    if (read === undefined) return undefined;
    const createdAtMs = statCreatedAtMs(read.stat);
    return { data: read.buffer?.toString('utf8') ?? '', ...(createdAtMs !== undefined ? { createdAtMs } : {}) };
  }

  /**
   * One watched read. getData/getChildren on a missing node leave no watch, so its creation is
   * watched instead (exists); a node created in between is read again, so the model never holds
   * "missing" for a node that exists without a watch that will say so.
   */
  private async readNode<T>(path: string, op: (cb: (err: ZkError | null, value: T) => void) => void): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.request<{ err: ZkError | null; value: T }>(path, (done) => op((err, value) => done({ err, value })));
      if (!result.err) return result.value;
      if ((result.err.getCode?.() ?? result.err.code) !== NO_NODE) throw this.requestFailed(path, result.err);
      const exists = await this.request<{ err: ZkError | null; stat: unknown }>(path, (done) =>
        this.client.exists(path, this.watcher, (err, stat) => done({ err, stat })),
      );
      if (exists.err) throw this.requestFailed(path, exists.err);
      if (!exists.stat) return undefined;
      if (attempt >= READ_ATTEMPTS) {
        // Its data watch is set (exists on a node that exists sets one): marked stale, read next time.
        this.stale.add(staleNodeOf(path, REQUEST_PATHS));
        return undefined;
      }
    }
  }

  /** Runs `op` once fewer than READS_IN_FLIGHT requests are out; fails when no answer comes in time. */
  private async request<T>(path: string, op: (done: (value: T) => void) => void): Promise<T> {
    if (this.inFlight >= READS_IN_FLIGHT) await new Promise<void>((resolve) => this.queued.push(resolve));
    this.inFlight++;
    this.reads++;
    this.watchdog();
    try {
      return await new Promise<T>((resolve, reject) => {
        const id = this.nextRequest++;
        this.outstanding.set(id, (error) => reject(this.requestFailed(path, error)));
        op((value) => {
          this.outstanding.delete(id);
          this.answeredAtMs = Date.now();
          resolve(value);
        });
      });
    } finally {
      this.inFlight--;
      this.queued.next();
    }
  }

  /**
   * While requests are out, fails them all when none was answered for requestTimeoutMs (one
   * timer, not one per request: a full read makes hundreds of thousands).
   */
  private watchdog(): void {
    if (this.watchdogTimer) return;
    this.answeredAtMs = Date.now();
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    this.watchdogTimer = setInterval(
      () => {
        if (this.outstanding.size === 0) {
          clearInterval(this.watchdogTimer);
          this.watchdogTimer = undefined;
        } else if (Date.now() - this.answeredAtMs >= timeoutMs) {
          const failed = [...this.outstanding.values()];
          this.outstanding.clear();
          for (const fail of failed) fail(new Error(`no answer within ${timeoutMs} ms`));
        }
      },
      Math.min(1000, timeoutMs),
    );
    this.watchdogTimer.unref?.();
  }

  private requestFailed(path: string, err: ZkError): InfrastructureError {
    return new InfrastructureError(`ZooKeeper request for ${path} failed: ${err.message}`, {
      code: 'ZOOKEEPER_REQUEST_FAILED',
      retriable: true,
      action: `Check the connection to ZooKeeper at ${this.connectString} and retry.`,
      cause: err,
    });
  }
}

/** First in, first out, without Array.shift's copying on long queues. */
class WaitQueue {
  private items: Array<() => void> = [];
  private head = 0;
  push(item: () => void): void {
    this.items.push(item);
  }
  next(): void {
    if (this.head >= this.items.length) return;
    const item = this.items[this.head++] as () => void;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    item();
  }
}

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function stateOf(p: { leader: number; isr: readonly number[]; leaderEpoch?: number }): {
  leader: number;
  isr: number[];
  leaderEpoch?: number;
} {
  return { leader: p.leader, isr: [...p.isr], ...(p.leaderEpoch !== undefined ? { leaderEpoch: p.leaderEpoch } : {}) };
}
