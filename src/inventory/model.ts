/**
 * The validated inventory: one cluster, with cluster-level defaults already merged
 * into every broker. Produced by `loadInventory` from a YAML file; consumed by the
 * planner (pure), the executors and the cluster-state readers.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';
/** How the cluster keeps its metadata: in ZooKeeper, or in its own KRaft quorum of controllers. */
export type ClusterMode = 'zookeeper' | 'kraft';
/** KRaft `process.roles` of a node. */
export type NodeRole = 'controller' | 'broker';
export type HostKeyPolicy = 'strict' | 'accept-new';

export interface SaslSettings {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  /** Name of the environment variable holding the password (never the password itself). */
  passwordEnv?: string;
  /** Path of a file holding the password. */
  passwordFile?: string;
}

export interface TlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized: boolean;
}

export interface StateSettings {
  /**
   * Which reader to use: `zookeeper` (every ZooKeeper-mode release, the only one for 0.8/0.9)
   * or `admin` (Kafka's protocol through bootstrapServers, 0.10+). Unset: zookeeper when
   * `zookeeper` is given, else admin.
   */
  reader?: 'zookeeper' | 'admin';
  /** ZooKeeper connect string, chroot included (`zk1:2181,zk2:2181/kafka`). */
  zookeeper?: string;
  bootstrapServers?: string[];
  tls?: TlsSettings;
  sasl?: SaslSettings;
}

/**
 * Where the KRaft tools (kafka-features.sh, kafka-metadata-quorum.sh) run and what they
 * connect to. They run over SSH on `toolsNode` from that node's install link, so the
 * finalize step uses the new release's tool once the binaries are rolled.
 */
export interface KraftSettings {
  /** `--bootstrap-server host:port` for the tools (a broker listener), or ... */
  bootstrapServer?: string;
  /** ... `--bootstrap-controller host:port` (a controller listener; tools of 3.7 and later). */
  bootstrapController?: string;
  /** Absolute path on the tools node of an admin client properties file (`--command-config`). */
  commandConfig?: string;
  /** Node whose host runs the tools. */
  toolsNode: number;
}

export interface SshExecutorSettings {
  kind: 'ssh';
  /** known_hosts file the host keys are checked against. */
  knownHosts: string;
  hostKeyPolicy: HostKeyPolicy;
  /** Seconds to wait for an SSH connection. */
  connectTimeoutSeconds: number;
}

/** server.properties as environment variables: `inter.broker.protocol.version` ↔ `KAFKA_INTER_BROKER_PROTOCOL_VERSION`. */
export interface EnvConfigSource {
  env: { prefix: string };
}

export interface KubernetesExecutorSettings {
  kind: 'kubernetes';
  /** kubeconfig file; default: $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** kubeconfig context; default: its current context. */
  context?: string;
  namespace: string;
  statefulSet: string;
  /** The broker container of the pod template. */
  container: string;
  /** Pod name of a broker, `{id}` standing for the broker id (default `<statefulSet>-{id}`). */
  pod: string;
  /** Where server.properties comes from: a ConfigMap key (`{id}` allowed) or the container's env. */
  config: { configMap: { name: string; key: string } } | EnvConfigSource;
  /** Container image of each release, keyed like the brokers' `installs`. */
  images: Record<string, string>;
  /** Seconds one API request may take, its answer included (default 30). */
  requestTimeoutSeconds?: number;
}

/** The app-definition fields that make an app run one release. */
export interface MarathonReleaseFields {
  image?: string;
  cmd?: string;
  fetch?: string[];
}

export interface MarathonExecutorSettings {
  kind: 'marathon';
  /** Base URL of Marathon (e.g. https://dcos.example.com/service/marathon). */
  url: string;
  /** App id of a broker, `{id}` standing for the broker id. */
  appId: string;
  /** Where the DC/OS token comes from (never the token itself). */
  token?: { env: string } | { file: string };
  config: EnvConfigSource;
  releases: Record<string, MarathonReleaseFields>;
  /** Seconds one API request may take, its answer included (default 30). */
  requestTimeoutSeconds?: number;
}

export type ExecutorSettings = SshExecutorSettings | KubernetesExecutorSettings | MarathonExecutorSettings;

export interface SshLogin {
  port: number;
  user: string;
  identityFile?: string;
  /** Use the SSH agent at $SSH_AUTH_SOCK. */
  agent: boolean;
}

/** How the broker process runs on its host. */
export type RunSpec =
  | { kind: 'systemd'; unit: string }
  | {
      kind: 'command';
      /** argv of the broker process; every element is quoted on its way to the host. */
      command: string[];
      pidFile: string;
      /** Where the process's stdout/stderr go. */
      outputFile: string;
      /** Extra environment for the process. */
      env: Record<string, string>;
    };

export interface BrokerSpec {
  id: number;
  host: string;
  ssh: SshLogin;
  /** server.properties of this broker. */
  configPath: string;
  /** The install symlink the broker is started through, e.g. /opt/kafka. */
  installLink: string;
  /** Install directory of each release, keyed by full release ("0.10.2.1"). */
  installs: Record<string, string>;
  run: RunSpec;
  /** The broker's own log (server.log), read to tell clean from unclean shutdowns. */
  logFile: string;
  stop: { signal: StopSignal; timeoutSeconds: number };
  /** Seconds allowed from start until the broker is registered and caught up. */
  startTimeoutSeconds: number;
  /** KRaft roles of the node (KRaft inventories only). */
  roles?: NodeRole[];
  /** Commands run around its restart and after the run (engine/hooks.ts); absent = none. */
  hooks?: BrokerHooks;
}

/**
 * `hooks` of a broker: argv run before it stops (`preStop`), once it is back and caught up
 * (`postStart`) and once after the whole run (`postRoll`); `on` says where: where kafka-ops
 * runs (`local`) or on the broker host through its executor (`host`, ssh only).
 */
export interface BrokerHooks {
  on: 'local' | 'host';
  preStop?: string[];
  postStart?: string[];
  postRoll?: string[];
  timeoutSeconds: number;
}

/**
 * A KRaft controller a ZooKeeper → KRaft migration provisions (issue 16): the broker-host model
 * (install, run, config, log over the same executor) plus its CONTROLLER listener and the
 * directory its metadata log is formatted in.
 */
export interface ControllerSpec extends BrokerSpec {
  /** host:port of its CONTROLLER listener (the voters' address). */
  listener: string;
  /** Its metadata log dir (`log.dirs`), formatted with the ZooKeeper cluster's id. */
  logDir: string;
}

/** `migration:` of a ZooKeeper-mode inventory: the controller quorum the migration provisions. */
export interface MigrationSettings {
  controllers: ControllerSpec[];
}

export interface Inventory {
  /** Path of the file it was read from (for messages). */
  source: string;
  cluster: string;
  /** Absent means `zookeeper` (every inventory written before KRaft support). */
  mode?: ClusterMode;
  kraft?: KraftSettings;
  /** ZooKeeper mode only: the controllers a `--migrate-to-kraft` run provisions. */
  migration?: MigrationSettings;
  state: StateSettings;
  executor: ExecutorSettings;
  brokers: BrokerSpec[];
}
