/**
 * ClusterState read through Kafka's own protocol (kafkajs's admin client), for brokers
 * from 0.10.0 on (ApiVersions, which kafkajs needs, came in 0.10.0; 0.8/0.9 are read
 * from ZooKeeper). Metadata gives brokers, controller, leader/replicas/ISR (offline
 * replicas from 1.0); DescribeConfigs (0.11.0+) gives per-topic overrides and each
 * broker's IBP/LMFV. On 0.10.x DescribeConfigs does not exist: topic overrides are then
 * unknown (`topicConfigsReadable` false) and the gates fall back to the broker default,
 * which stays safe because they also require no under-replicated partitions.
 *
 * kafkajs is imported lazily (CLI start-up) and never logs (its logger is silenced:
 * anything it printed would break `--json`, and SASL settings must not reach a log).
 */
import { readFileSync } from 'node:fs';
import type { Admin, KafkaConfig, SASLOptions } from 'kafkajs';
import { InfrastructureError, UserError } from '../errors.js';
import type { StateSettings } from '../inventory/model.js';
import { metadataBrokers } from './kafka-wire.js';
import type { BrokerVersions, ClusterSnapshot, ClusterState, PartitionState, TopicState } from './port.js';

/** The admin API has no watches: `changed()` waits at most this long, then the caller reads again. */
export const POLL_INTERVAL_MS = 250;
/** Between two polls, at least this many times as long as the last read took (the reader busy at most half of the time). */
export const READ_SHARE = 1;
const ATTEMPTS = 3;

/** How long `changed()` waits after a read that took `lastReadMs`, never past `timeoutMs`. */
export const pollDelayMs = (lastReadMs: number, timeoutMs: number): number =>
  Math.max(0, Math.min(timeoutMs, Math.max(POLL_INTERVAL_MS, READ_SHARE * lastReadMs)));
const RETRY_DELAY_MS = 200;
const IBP = 'inter.broker.protocol.version';
const LMFV = 'log.message.format.version';
/** kafkajs's ConfigResourceTypes, kept here so nothing but the import below loads kafkajs. */
const RESOURCE = { TOPIC: 2, BROKER: 4 } as const;
/** kafkajs's ConfigSource.TOPIC_CONFIG (also what it back-ports for DescribeConfigs v0 non-defaults). */
const TOPIC_CONFIG_SOURCE = 1;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SecretSources {
  env: NodeJS.ProcessEnv;
  readFile(path: string): string;
}

const defaultSources: SecretSources = { env: process.env, readFile: (p) => readFileSync(p, 'utf8') };

function unreadable(what: string, path: string, error: unknown): UserError {
  return new UserError(`Cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}.`, {
    code: 'STATE_SECRET_UNREADABLE',
    action: `Check the path and permissions of ${path} (state in the inventory).`,
  });
}

function readLocal(sources: SecretSources, what: string, path: string): string {
  try {
    return sources.readFile(path);
  } catch (error) {
    throw unreadable(what, path, error);
  }
}

/** The SASL password from its environment variable or file; the message names the setting, never a value. */
export function saslPassword(sasl: NonNullable<StateSettings['sasl']>, sources: SecretSources = defaultSources): string {
  if (sasl.passwordEnv) {
    const value = sources.env[sasl.passwordEnv];
    if (value === undefined || value === '') {
      throw new UserError(`The environment variable ${sasl.passwordEnv} (state.sasl.passwordEnv) is not set.`, {
        code: 'STATE_SECRET_MISSING',
        action: `Export ${sasl.passwordEnv} with the SASL password of ${sasl.username} before running kafka-ops.`,
      });
    }
    return value;
  }
  if (sasl.passwordFile) return readLocal(sources, 'the SASL password file', sasl.passwordFile).replace(/\r?\n$/, '');
  throw new UserError(`state.sasl gives no password source for ${sasl.username}.`, {
    code: 'STATE_SECRET_MISSING',
    action: 'Add state.sasl.passwordEnv (an environment variable name) or state.sasl.passwordFile.',
  });
}

/** kafkajs client settings for the inventory's `state` (TLS files and the SASL password read here). */
export function kafkaJsConfig(
  state: StateSettings,
  options: { connectTimeoutMs: number },
  sources: SecretSources = defaultSources,
): KafkaConfig {
  const brokers = state.bootstrapServers ?? [];
  const config: KafkaConfig = {
    clientId: 'kafka-ops',
    brokers,
    connectionTimeout: options.connectTimeoutMs,
    requestTimeout: Math.max(options.connectTimeoutMs, 5_000),
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 },
  };
  if (state.tls) {
    const tls = state.tls;
    config.ssl = {
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.caFile ? { ca: [readLocal(sources, 'the TLS CA file', tls.caFile)] } : {}),
      ...(tls.certFile ? { cert: readLocal(sources, 'the TLS certificate file', tls.certFile) } : {}),
      ...(tls.keyFile ? { key: readLocal(sources, 'the TLS key file', tls.keyFile) } : {}),
    };
  }
  if (state.sasl) {
    config.sasl = {
      mechanism: state.sasl.mechanism,
      username: state.sasl.username,
      password: saslPassword(state.sasl, sources),
    } as SASLOptions;
  }
  return config;
}

interface KafkaJsModule {
  Kafka: new (config: KafkaConfig) => { admin(): Admin };
  logLevel: { NOTHING: number };
}

type KafkaJsError = Error & { type?: string; retriable?: boolean; cause?: unknown };

/** kafkajs wraps the protocol error in KafkaJSNumberOfRetriesExceeded once its retries are spent. */
function isType(error: unknown, type: string): boolean {
  for (let e = error as KafkaJsError | undefined; e; e = e.cause as KafkaJsError | undefined) if (e.type === type) return true;
  return false;
}
const notSupported = (error: unknown) => (error as Error)?.name === 'KafkaJSServerDoesNotSupportApiKey';

export class KafkaJsClusterState implements ClusterState {
  /**
   * False when the last snapshot's DescribeConfigs was refused (the controller runs a release
   * before 0.11.0). Asked again on every snapshot: during a binary swap the controller changes.
   */
  topicConfigsReadable = true;
  private last?: ClusterSnapshot;
  /** How long the latest snapshot took. */
  lastReadMs = 0;
  /** Every broker's address as the latest answer that listed it gave it. */
  private readonly addresses = new Map<number, { host: string; port: number }>();

  private constructor(
    private readonly admin: Admin,
    readonly bootstrapServers: string[],
    private readonly state: StateSettings,
  ) {}

  static async connect(state: StateSettings, options: { connectTimeoutMs: number }): Promise<KafkaJsClusterState> {
    const config = kafkaJsConfig(state, options);
    const mod = (await import('kafkajs')) as unknown as KafkaJsModule & { default?: KafkaJsModule };
    const kafkajs = mod.default ?? mod;
    const admin = new kafkajs.Kafka({ ...config, logLevel: kafkajs.logLevel.NOTHING, logCreator: () => () => undefined }).admin();
    const servers = config.brokers as string[];
    try {
      await admin.connect();
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      throw new InfrastructureError(`Could not read the Kafka cluster through ${servers.join(', ')}: ${(error as Error).message}`, {
        code: 'KAFKA_UNREACHABLE',
        retriable: true,
        action:
          'Check state.bootstrapServers, state.tls and state.sasl in the inventory. Brokers before 0.10.0 cannot be read through the admin API: ' +
          'give state.zookeeper (and state.reader: zookeeper) for them.',
        cause: error,
      });
    }
    return new KafkaJsClusterState(admin, servers, state);
  }

  async snapshot(): Promise<ClusterSnapshot> {
    for (let attempt = 1; ; attempt++) {
      try {
        const started = performance.now();
        this.last = await this.read();
        this.lastReadMs = performance.now() - started;
        return this.last;
      } catch (error) {
        if (isType(error, 'LEADER_NOT_AVAILABLE') && this.last) return this.withLeaderless(this.last);
        if (attempt >= ATTEMPTS || (error as KafkaJsError).retriable === false || error instanceof UserError) throw this.failure(error);
        await sleep(RETRY_DELAY_MS);
      }
    }
  }

  /**
   * Polls: the admin API has no watches, so this only spaces the caller's reads, by at least
   * POLL_INTERVAL_MS and at least READ_SHARE times the last read's duration: a snapshot of a
   * large cluster is several whole-cluster Metadata answers (kafkajs's admin client refreshes its
   * metadata before each call and asks for every topic), which the brokers must not serve back to back.
   */
  async changed(timeoutMs: number): Promise<void> {
    await sleep(pollDelayMs(this.lastReadMs, timeoutMs));
  }

  /**
   * IBP and LMFV of every registered broker, read from the broker itself (DescribeConfigs
   * of a broker resource must go to that broker); brokers before 0.11.0 are left out.
   */
  async brokerVersions(): Promise<Record<number, BrokerVersions>> {
    const { brokers } = await this.admin.describeCluster();
    const out: Record<number, BrokerVersions> = {};
    for (const { nodeId } of brokers) {
      try {
        const { resources } = await this.admin.describeConfigs({
          resources: [{ type: RESOURCE.BROKER, name: String(nodeId), configNames: [IBP, LMFV] }],
          includeSynonyms: false,
        });
        const entries = resources[0]?.configEntries ?? [];
        const value = (name: string) => entries.find((e) => e.configName === name)?.configValue;
        out[nodeId] = { ...(value(IBP) ? { ibp: value(IBP) as string } : {}), ...(value(LMFV) ? { lmfv: value(LMFV) as string } : {}) };
      } catch (error) {
        if (!notSupported(error)) throw this.failure(error);
      }
    }
    return out;
  }

  /**
   * Asks `brokerId` itself (Metadata, our own request on a fresh connection: kafkajs sends each
   * request to a broker of its choice). A snapshot is whatever broker kafkajs picked answered from
   * its cache: on real 0.10.2, while a new controller was taking over, another broker still listed
   * a just-restarted broker (and its ISR places) 0.4 s after its start. A SASL listener cannot be
   * asked this way (the request is not authenticated): there the snapshot alone decides.
   */
  async answersAsRegistered(brokerId: number): Promise<boolean> {
    if (this.state.sasl) return true;
    const address = this.addresses.get(brokerId);
    if (!address) return false;
    try {
      const { brokers } = await metadataBrokers({ ...address, ...(this.state.tls ? { tls: this.state.tls } : {}) }, 5_000);
      return brokers.includes(brokerId);
    } catch {
      return false;
    }
  }

  /** The cluster's id as the brokers report it (Metadata v2+); undefined when they do not tell. */
  async clusterId(): Promise<string | undefined> {
    try {
      const { clusterId } = await this.admin.describeCluster();
      return clusterId || undefined;
    } catch (error) {
      throw this.failure(error);
    }
  }

  async close(): Promise<void> {
    await this.admin.disconnect();
  }

  private async read(): Promise<ClusterSnapshot> {
    const cluster = await this.admin.describeCluster();
    for (const b of cluster.brokers) this.addresses.set(b.nodeId, { host: b.host, port: b.port });
    const { topics } = await this.admin.fetchTopicMetadata();
    // Topics sorted by name, then partitions within each: at 100k partitions a sort of the
    // partitions themselves (localeCompare per comparison) was a third of the reader's CPU.
    const sorted = [...topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const partitions: PartitionState[] = [];
    for (const t of sorted) {
      const own = t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionId,
        replicas: p.replicas,
        isr: p.isr,
        leader: p.leader,
      }));
      for (const p of own.sort((a, b) => a.partition - b.partition)) partitions.push(p);
    }
    return {
      brokers: cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b),
      ...(cluster.controller === null || cluster.controller < 0 ? {} : { controller: cluster.controller }),
      partitions,
      topics: await this.topicConfigs(sorted.map((t) => t.name)),
    };
  }

  private async topicConfigs(names: string[]): Promise<TopicState[]> {
    const none = names.map((name) => ({ name, config: {} }));
    if (names.length === 0) return none;
    try {
      const { resources } = await this.admin.describeConfigs({
        resources: names.map((name) => ({ type: RESOURCE.TOPIC, name })),
        includeSynonyms: false,
      });
      const byName = new Map(resources.map((r) => [r.resourceName, r.configEntries]));
      const states = names.map((name) => {
        const entries = byName.get(name) ?? [];
        const overrides = entries.filter(
          (e) => (e as { configSource?: number }).configSource === TOPIC_CONFIG_SOURCE && e.configValue !== null,
        );
        return { name, config: Object.fromEntries(overrides.map((e) => [e.configName, e.configValue])) };
      });
      this.topicConfigsReadable = true;
      return states;
    } catch (error) {
      if (!notSupported(error)) throw error;
      this.topicConfigsReadable = false;
      return none;
    }
  }

  /**
   * kafkajs rejects a whole Metadata response when one partition has no leader. Such a
   * cluster must hold every gate, so the last snapshot is returned with the partitions of
   * the topics that now fail marked leaderless and with an empty ISR.
   */
  private async withLeaderless(last: ClusterSnapshot): Promise<ClusterSnapshot> {
    const failing = new Set<string>();
    for (const topic of new Set(last.partitions.map((p) => p.topic))) {
      await this.admin.fetchTopicMetadata({ topics: [topic] }).catch(() => failing.add(topic));
    }
    return {
      ...last,
      partitions: last.partitions.map((p) => (failing.has(p.topic) ? { ...p, leader: -1, isr: [] } : p)),
    };
  }

  private failure(error: unknown): InfrastructureError {
    if (error instanceof InfrastructureError) return error;
    return new InfrastructureError(
      `Reading the Kafka cluster through ${this.bootstrapServers.join(', ')} failed: ${(error as Error).message}`,
      {
        code: 'KAFKA_REQUEST_FAILED',
        retriable: (error as KafkaJsError).retriable !== false,
        action: 'Check that the brokers in state.bootstrapServers are reachable, then retry.',
        cause: error,
      },
    );
  }
}
