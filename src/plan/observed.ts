/** What planning needs to know about the running cluster, however it was learned. */

export interface ObservedBroker {
  id: number;
  /** Release the broker runs (install label or jar version), e.g. "0.10.2.1". */
  release: string;
  /** Target of the install symlink, when known. */
  installDir: string | null;
  /** server.properties values planning looks at (absent key → undefined). */
  config: Record<string, string | undefined>;
}

export interface ObservedCluster {
  source: 'hosts' | 'assumed';
  brokers: ObservedBroker[];
  controller?: number;
  /** KRaft: the finalized metadata.version, when it was read. */
  metadataVersion?: string;
}
