/**
 * What a KRaft upgrade needs to know about the cluster beyond partitions: feature levels
 * and the controller quorum. Adapters: the KRaft tools over SSH (cluster/kraft-tools.ts),
 * each node's installed binaries (cluster/kraft-tools.ts `binaryFeatureSupport`), and later the
 * admin API (DescribeFeatures / ApiVersions / DescribeQuorum).
 */

/** A metadata.version range as ids ("3.3-IV3" … "4.0-IV3"). */
export interface MetadataVersionRange {
  min: string;
  max: string;
}

export interface NodeFeatureSupport {
  node: number;
  /** What the node's binary supports; undefined when it could not be learned. */
  metadataVersion?: MetadataVersionRange;
  /** Where the range came from, for messages ("kafka-features.sh describe", "binary 4.0.0"). */
  source: string;
}

export interface FinalizedFeatures {
  /** Finalized metadata.version id; undefined when not finalized or not readable. */
  metadataVersion?: string;
  /** Finalized kraft.version level (0 = static quorum, 1 = dynamic); undefined before 3.9. */
  kraftVersion?: number;
}

/** One row of `kafka-metadata-quorum.sh describe --replication` (DescribeQuorum's ReplicaState). */
export interface QuorumReplica {
  nodeId: number;
  logEndOffset: number;
  /** Offsets behind the leader. */
  lag: number;
  /** Leader wall-clock ms of the replica's last fetch; -1 unknown (and for the leader itself). */
  lastFetchTimestamp: number;
  /** Leader wall-clock ms up to which the replica was caught up; the leader reports "now" for itself; -1 unknown. */
  lastCaughtUpTimestamp: number;
  status: 'Leader' | 'Follower' | 'Observer';
}

/** `kafka-metadata-quorum.sh describe --status`. */
export interface QuorumStatus {
  /** As the tool prints it; not in a DescribeQuorum answer (read in-process). */
  clusterId?: string;
  /** -1 while the quorum has no leader. */
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  maxFollowerLag: number;
  maxFollowerLagTimeMs: number;
  voters: number[];
  observers: number[];
}

export interface KraftQuorum {
  replication(): Promise<QuorumReplica[]>;
  status(): Promise<QuorumStatus>;
}

export interface KraftFeatures {
  /** The metadata.version range each of `nodes` supports. */
  supported(nodes: readonly number[]): Promise<NodeFeatureSupport[]>;
  finalized(): Promise<FinalizedFeatures>;
  /** Raise the finalized metadata.version (never kraft.version). */
  upgradeMetadataVersion(version: string): Promise<void>;
}

/** What a ZooKeeper → KRaft migration needs beyond the quorum: the ZooKeeper cluster's id, storage formatting, the controllers' logs. */
export interface MigrationTools {
  /** The ZooKeeper cluster's id, which the controllers are formatted with. */
  clusterId(): Promise<string>;
  /** Formats a controller's log dir with `clusterId`; a dir formatted before is left as it is. */
  formatStorage(controllerId: number, clusterId: string): Promise<'formatted' | 'already-formatted'>;
  /** Lines of a node's log (its `logFile`) that contain `text`, oldest first. */
  logLines(nodeId: number, text: string): Promise<string[]>;
  /** Revert: renames a stopped controller's log dir to `<dir>.reverted-<suffix>` (kept, not deleted); undefined when it has none. */
  moveLogDirAside(controllerId: number, dir: string, suffix: string): Promise<string | undefined>;
  /** Revert: deletes `__cluster_metadata-0` (the KRaft metadata log a migrating broker kept) from each of a broker's log dirs. */
  removeMetadataLog(brokerId: number, logDirs: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Reverting a migration: what ZooKeeper's /controller and /migration held when they were deleted (cluster/migration-znodes.ts). */
export interface ClearedZnodes {
  /** What `/controller` held when it was deleted (the KRaft controller's claim), if it existed. */
  controller?: string;
  /** What `/migration` held when it was deleted (the migration's state), if it existed. */
  migration?: string;
}

export interface ZooKeeperControllerView {
  /** The broker that is the ZooKeeper controller (`/controller` brokerid), if one is. */
  brokerId?: number;
  /** `/controller` as read; a KRaft controller's claim carries `kraftControllerEpoch`. */
  raw?: string;
  /** `/controller_epoch`. */
  epoch?: number;
}
