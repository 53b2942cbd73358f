/**
 * What the engine and the gates need to know about a running cluster. Adapters:
 * ZooKeeper (every ZooKeeper-mode Kafka, the only one for 0.8/0.9) and kafkajs (0.10+).
 */

export interface PartitionState {
  topic: string;
  partition: number;
  /** Assigned replicas, in assignment order. */
  replicas: number[];
  isr: number[];
  /** -1 when the partition has no leader (offline). */
  leader: number;
  /** Bumped by the controller on every leader election; absent where the source does not tell. */
  leaderEpoch?: number;
}

export interface TopicState {
  name: string;
  /** Per-topic overrides only (e.g. `min.insync.replicas`); broker defaults are not included. */
  config: Record<string, string>;
}

export interface ClusterSnapshot {
  /** Ids of the brokers currently registered. */
  brokers: number[];
  /** Active controller id, undefined when there is none at the moment. */
  controller?: number;
  /**
   * When the active controller took over (ms since the epoch, ZooKeeper's clock: the creation
   * time of /controller). Absent where the source does not tell (kafkajs, KRaft).
   */
  controllerSinceMs?: number;
  /** Leadership changes requested and not finished yet, e.g. "preferred replica election" (ZooKeeper /admin nodes). */
  leadershipChangesPending?: string[];
  partitions: PartitionState[];
  topics: TopicState[];
}

/** The protocol versions a broker runs with, as the cluster reports them. */
export interface BrokerVersions {
  ibp?: string;
  lmfv?: string;
}

export interface ClusterState {
  /**
   * The cluster as it is now. Its partition and topic objects are read-only: an adapter may hand
   * out the same (frozen) objects again while they did not change (the ZooKeeper reader does).
   */
  snapshot(): Promise<ClusterSnapshot>;
  /**
   * Resolves when the cluster state may have changed (a watch fired) or after `timeoutMs`,
   * whichever comes first. Lets gates re-check on events instead of fixed sleeps.
   */
  changed(timeoutMs: number): Promise<void>;
  /**
   * For sources whose snapshot is one broker's cached view (the admin API: any broker answers
   * Metadata from its own cache, which lags its controller, e.g. for seconds after the controller
   * itself stopped): whether `brokerId` itself answers and lists itself as live, i.e. the
   * controller has told it about its own registration. The engine counts a restarted broker as
   * registered only then; sources that read the registrations themselves (ZooKeeper) leave it out.
   */
  answersAsRegistered?(brokerId: number): Promise<boolean>;
  /** Per broker id, its IBP/LMFV where the source can tell (admin API, brokers 0.11.0+). */
  brokerVersions?(): Promise<Record<number, BrokerVersions>>;
  /**
   * Asks the controller to move the leadership of `partitions` to their preferred replica (the
   * first assigned), as kafka-preferred-replica-election does; resolves once the request is made,
   * not when it is done (the snapshot shows that). Absent where the source cannot ask.
   */
  electPreferredLeaders?(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void>;
  /** The cluster's id (ZooKeeper's `/cluster/id`, the brokers' Metadata); undefined where it cannot be told. */
  clusterId?(): Promise<string | undefined>;
  close(): Promise<void>;
}
