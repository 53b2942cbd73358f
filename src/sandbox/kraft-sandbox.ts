/**
 * The KRaft sandbox behind `kafka-ops sandbox up --mode kraft`: real Kafka 3.x/4.x
 * distributions, dedicated controllers (a static quorum) and brokers bound to 127.0.0.1, each
 * node formatted with the FROM release's own storage tool and started through its install
 * symlink, an sshd, and the inventory that drives it (`mode: kraft`, the tools being the
 * installs' own bin/kafka-features.sh and bin/kafka-metadata-quorum.sh).
 *
 * Logging: 3.x brokers read log4j 1 (`-Dlog4j.configuration`), 4.x brokers log4j2
 * (`-Dlog4j2.configurationFile`); each node's command line carries both, so the same
 * command starts either release and both write the same server.log.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { Document, isMap, isScalar } from 'yaml';
import { InfrastructureError, UserError } from '../errors.js';
import { findJava, JAVA_MODULE_FLAGS, readDistribution, SANDBOX_JVM_FLAGS } from './java.js';
import { SANDBOX_TOPIC, sandboxLayout, type BrokerPaths, type SandboxLayout } from './layout.js';
import { commandMentions, freePorts, isAlive, launchDetached, readPidFile, signal, sleep, tail, waitGone } from './processes.js';
import { readSshdHandle, startSshd, stopSshd, type SshdHandle } from './sshd.js';
import { brokerStateOf, type SandboxBrokerState, type SandboxInstall } from './state.js';
import { fileLog4j } from './zookeeper-server.js';
import {
  addScramArgs,
  makeKraftSecrets,
  SANDBOX_SASL_USER,
  SECURE_LISTENER,
  secureBrokerProperties,
  type KraftSecretFiles,
  type KraftSecrets,
  type KraftSecurity,
} from './kraft-security.js';

const REPLICATION_FACTOR = 3;
const MIN_INSYNC_REPLICAS = 2;
const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 60_000;

/** `combined`: `process.roles=broker,controller` (`--combined N`), a voter and a broker in one JVM. */
export type KraftRole = 'controller' | 'broker' | 'combined';

/** Whether a node of this role is a voter of the static quorum / serves clients as a broker. */
export const isVoterRole = (role: KraftRole): boolean => role !== 'broker';
export const isBrokerRole = (role: KraftRole): boolean => role !== 'controller';
/** The inventory's `roles` of a node. */
export const inventoryRoles = (role: KraftRole): Array<'controller' | 'broker'> =>
  role === 'combined' ? ['controller', 'broker'] : [role];

export interface KraftSandboxNode extends SandboxBrokerState {
  role: KraftRole;
  /** A broker's SASL_SSL listener port (`--security sasl-ssl`). */
  securePort?: number;
  /** A combined node's CONTROLLER listener port (`port` is its PLAINTEXT one). */
  controllerPort?: number;
}

export interface KraftSandboxState {
  version: 1;
  mode: 'kraft';
  dir: string;
  createdAt: string;
  readyAt?: string;
  java: string;
  clusterId: string;
  installs: { from: SandboxInstall; to: SandboxInstall };
  nodes: KraftSandboxNode[];
  sshd?: { port: number; pid: number; dir: string };
  topic: { name: string; partitions: number; replicationFactor: number; minInsyncReplicas: number };
  inventoryPath: string;
  /** `sasl-ssl`: the brokers' second listener; its files (paths only, never a password). */
  security?: KraftSecurity;
  secrets?: KraftSecretFiles;
  /** `sasl-ssl`: an inventory over the PLAINTEXT listeners too. */
  plaintextInventoryPath?: string;
}

export interface KraftSandboxUpOptions {
  dir: string;
  controllers: number;
  brokers: number;
  /** `--combined N`: N nodes each broker and controller (`process.roles=broker,controller`), instead of --controllers/--brokers. */
  combined?: number;
  partitions: number;
  /** FROM then TO distribution directories (libs/, bin/). */
  kafkaHomes: readonly [string, string];
  /** `sasl-ssl`: each broker also listens with TLS + SASL/SCRAM-SHA-512, and the inventory uses that listener. */
  security?: KraftSecurity;
  onProgress?: (message: string) => void;
}

export interface KraftSandboxUpResult {
  dir: string;
  mode: 'kraft';
  inventoryPath: string;
  statePath: string;
  clusterId: string;
  controllers: Array<{ id: number; port: number; pid: number; logFile: string }>;
  brokers: Array<{ id: number; port: number; pid: number; logFile: string; securePort?: number }>;
  sshd: { port: number; pid: number; user: string };
  security: KraftSecurity;
  /** `sasl-ssl`: the SCRAM user, the files the inventory names, and an inventory over PLAINTEXT. */
  sasl?: { mechanism: 'scram-sha-512'; user: string; passwordFile: string; caFile: string; commandConfig: string };
  plaintextInventoryPath?: string;
  topic: KraftSandboxState['topic'];
  installs: KraftSandboxState['installs'];
  elapsedMs: number;
}

export const isKraftState = (state: unknown): state is KraftSandboxState => (state as { mode?: unknown } | undefined)?.mode === 'kraft';

/** A Kafka cluster id: 16 random bytes, base64url without padding (Kafka's Uuid). */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export const log4j2Path = (paths: BrokerPaths): string => path.join(paths.dir, 'log4j2.xml');

/** log4j2 configuration of a 4.x node: INFO to the same server.log the 3.x log4j 1 configuration writes. */
export function fileLog4j2(logFile: string): string {
  const escaped = logFile.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Configuration status="WARN">',
    '  <Appenders>',
    `    <File name="file" fileName="${escaped}" append="true"><PatternLayout pattern="[%d] %p %m (%c)%n"/></File>`,
    '  </Appenders>',
    '  <Loggers><Root level="INFO"><AppenderRef ref="file"/></Root></Loggers>',
    '</Configuration>',
    '',
  ].join('\n');
}

/** The port a voter's CONTROLLER listener binds. */
const controllerPortOf = (n: Pick<KraftSandboxNode, 'port' | 'controllerPort'>): number => n.controllerPort ?? n.port;

/** `1@127.0.0.1:p1,2@…`: the static quorum (kraft.version 0), as a 3.9 cluster upgraded from older releases has. */
export function quorumVoters(nodes: readonly Pick<KraftSandboxNode, 'id' | 'role' | 'port' | 'controllerPort'>[]): string {
  return nodes
    .filter((n) => isVoterRole(n.role))
    .map((n) => `${n.id}@127.0.0.1:${controllerPortOf(n)}`)
    .join(',');
}

export function kraftNodeProperties(
  node: Pick<KraftSandboxNode, 'id' | 'role' | 'port' | 'securePort' | 'controllerPort'>,
  paths: BrokerPaths,
  voters: string,
  partitions: number,
  secrets?: Pick<KraftSecrets, 'keystore' | 'storePassword'>,
): string {
  const secure = isBrokerRole(node.role) && node.securePort !== undefined && secrets !== undefined;
  const advertised = [`PLAINTEXT://127.0.0.1:${node.port}`, ...(secure ? [`${SECURE_LISTENER}://127.0.0.1:${node.securePort}`] : [])];
  // A combined node also binds its CONTROLLER listener (never advertised to clients).
  const listeners = [...advertised, ...(node.role === 'combined' ? [`CONTROLLER://127.0.0.1:${controllerPortOf(node)}`] : [])].join(',');
  const common: Array<[string, string | number | boolean]> = [
    ['process.roles', node.role === 'combined' ? 'broker,controller' : node.role],
    ['node.id', node.id],
    ['controller.quorum.voters', voters],
    ['controller.listener.names', 'CONTROLLER'],
    ['listener.security.protocol.map', `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${secure ? `,${SECURE_LISTENER}:SASL_SSL` : ''}`],
    ['log.dirs', paths.dataDir],
    // Small and few: the sandbox shares 2 cores between six JVMs.
    ['num.network.threads', 2],
    ['num.io.threads', 2],
    ['background.threads', 2],
    ['num.recovery.threads.per.data.dir', 1],
  ];
  const role: Array<[string, string | number | boolean]> =
    node.role === 'controller'
      ? [['listeners', `CONTROLLER://127.0.0.1:${node.port}`]]
      : [
          ['listeners', listeners],
          ['advertised.listeners', advertised.join(',')],
          ['inter.broker.listener.name', 'PLAINTEXT'],
          ...(secure ? secureBrokerProperties(secrets) : []),
          ['auto.create.topics.enable', false],
          ['num.partitions', partitions],
          ['default.replication.factor', REPLICATION_FACTOR],
          ['min.insync.replicas', MIN_INSYNC_REPLICAS],
          ['unclean.leader.election.enable', false],
          ['replica.lag.time.max.ms', 10000],
          ['offsets.topic.replication.factor', REPLICATION_FACTOR],
          ['offsets.topic.num.partitions', Math.min(partitions, 6)],
          ['transaction.state.log.replication.factor', REPLICATION_FACTOR],
          ['transaction.state.log.min.isr', MIN_INSYNC_REPLICAS],
          ['group.initial.rebalance.delay.ms', 0],
          ['log.cleaner.enable', false],
          ['log.segment.bytes', 1048576],
          ['log.retention.bytes', 10485760],
          ['log.retention.hours', 1],
        ];
  return [
    `# KRaft ${node.role === 'combined' ? 'broker+controller' : node.role} ${node.id} of a kafka-ops sandbox.`,
    ...[...common, ...role].map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
}

/** argv of a node: the JVM on the classpath of its install symlink, whichever release that holds. */
export function kraftNodeCommand(java: string, paths: BrokerPaths, role: KraftRole): string[] {
  return [
    java,
    role === 'controller' ? '-Xmx192m' : role === 'combined' ? '-Xmx384m' : '-Xmx320m',
    ...SANDBOX_JVM_FLAGS,
    ...JAVA_MODULE_FLAGS,
    `-Dlog4j.configuration=file:${paths.log4jPath}`,
    `-Dlog4j2.configurationFile=${log4j2Path(paths)}`,
    `-Dkafka.logs.dir=${paths.logsDir}`,
    '-cp',
    path.join(paths.installLink, 'libs', '*'),
    'kafka.Kafka',
    paths.configPath,
  ];
}

/** Formats one node's log dir with the release's own StorageTool (static quorum: no --standalone, kraft.version 0). */
async function formatStorage(
  java: string,
  home: string,
  configPath: string,
  clusterId: string,
  extra: readonly string[] = [],
): Promise<void> {
  const args = [
    '-Xmx128m',
    ...SANDBOX_JVM_FLAGS,
    `-Dlog4j.configuration=file:${path.join(path.dirname(configPath), 'log4j.properties')}`,
    `-Dlog4j2.configurationFile=${path.join(path.dirname(configPath), 'log4j2.xml')}`,
    '-cp',
    path.join(home, 'libs', '*'),
    'kafka.tools.StorageTool',
    'format',
    '--cluster-id',
    clusterId,
    '--config',
    configPath,
    ...extra,
  ];
  const { exitCode, stdout, stderr } = await execa(java, args, { reject: false, timeout: 120_000 });
  if (exitCode !== 0) {
    throw new InfrastructureError(
      `kafka-storage format of ${configPath} failed (exit ${exitCode}): ${redact((stdout + stderr).trim().slice(-600), extra)}`,
      {
        code: 'SANDBOX_FORMAT_FAILED',
        retriable: false,
        action: `Run the storage tool of ${home} by hand with the same arguments to see why.`,
      },
    );
  }
}

/** `text` with every password an `--add-scram` argument of `args` carries replaced by `***`. */
function redact(text: string, args: readonly string[]): string {
  let out = text;
  for (const a of args) for (const m of a.matchAll(/password=([^,\]]+)/g)) out = out.split(m[1] as string).join('***');
  return out;
}

function validate(opts: KraftSandboxUpOptions): void {
  const usage = (message: string, action: string) => new UserError(message, { code: 'SANDBOX_USAGE', action });
  if (opts.combined !== undefined) {
    if (!Number.isInteger(opts.combined) || (opts.combined !== 3 && opts.combined !== 5))
      throw usage(
        `--combined must be 3 or 5 (got ${opts.combined})`,
        'The nodes are the quorum (an odd number of voters) and the brokers of a replication-factor-3 topic: pass --combined 3.',
      );
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 200)
      throw usage(`--partitions must be between 1 and 200 (got ${opts.partitions})`, 'Pass a smaller --partitions.');
    return;
  }
  if (!Number.isInteger(opts.controllers) || opts.controllers < 1 || opts.controllers > 5 || opts.controllers % 2 === 0)
    throw usage(`--controllers must be 1, 3 or 5 (got ${opts.controllers})`, 'A quorum has an odd number of voters: pass --controllers 3.');
  if (!Number.isInteger(opts.brokers) || opts.brokers < REPLICATION_FACTOR || opts.brokers > 9)
    throw usage(
      `--brokers must be between ${REPLICATION_FACTOR} and 9 (got ${opts.brokers})`,
      'The topic has replication factor 3: pass --brokers 3 to 9.',
    );
  if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 200)
    throw usage(`--partitions must be between 1 and 200 (got ${opts.partitions})`, 'Pass a smaller --partitions.');
}

/** Each node's role, in id order: dedicated controllers then brokers, or `--combined` nodes only. */
export function kraftRoles(opts: Pick<KraftSandboxUpOptions, 'controllers' | 'brokers' | 'combined'>): KraftRole[] {
  if (opts.combined !== undefined) return Array.from({ length: opts.combined }, () => 'combined' as const);
  return [
    ...Array.from({ length: opts.controllers }, () => 'controller' as const),
    ...Array.from({ length: opts.brokers }, () => 'broker' as const),
  ];
}

async function claimDirectory(layout: SandboxLayout): Promise<void> {
  const entries = await readdir(layout.root).catch(() => []);
  if (entries.length > 0) {
    throw new UserError(`${layout.root} is not empty`, {
      code: 'SANDBOX_DIR_NOT_EMPTY',
      action: `Pass an empty or new directory with --dir (or \`kafka-ops sandbox down --purge --dir ${layout.root}\`).`,
    });
  }
}

function installsOf(homes: readonly [string, string]): { from: SandboxInstall; to: SandboxInstall } {
  const [from, to] = homes.map(readDistribution) as [ReturnType<typeof readDistribution>, ReturnType<typeof readDistribution>];
  if (from.release === to.release) {
    throw new UserError(`Both distributions hold Kafka ${from.release}`, {
      code: 'SANDBOX_USAGE',
      action: 'Pass the release to upgrade from, then a different one to upgrade to.',
    });
  }
  for (const d of [from, to]) {
    const missing = ['kafka-features.sh', 'kafka-metadata-quorum.sh'].filter((t) => !existsSync(path.join(d.home, 'bin', t)));
    if (missing.length > 0)
      throw new UserError(`${d.home} has no bin/${missing.join(', bin/')}: the KRaft upgrade runs the release's own tools`, {
        code: 'KAFKA_HOME_INVALID',
        action: 'Pass a distribution with its bin/ scripts (a binary release, or one resolved by kafka-ops from Maven Central).',
      });
  }
  return { from: { release: from.release, dir: from.home }, to: { release: to.release, dir: to.home } };
}

/** The admin client of the sandbox itself (kafkajs), for readiness and the topic: nothing of kafka-ops' readers. */
async function withAdmin<T>(bootstrap: string[], f: (admin: import('kafkajs').Admin) => Promise<T>): Promise<T> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'kafka-ops-sandbox', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect();
  }
}

async function waitReady(state: KraftSandboxState, what: string, deadline: number, ready: () => Promise<boolean>): Promise<void> {
  for (;;) {
    const ok = await ready().catch(() => false);
    if (ok) return;
    const dead = state.nodes.find((n) => !isAlive(readPidFile(n.pidFile) ?? n.pid));
    if (dead || Date.now() >= deadline) {
      const cause = dead ? `${dead.role} ${dead.id} exited` : `not within ${READY_TIMEOUT_MS / 1000} s`;
      throw new InfrastructureError(
        `KRaft sandbox not ready: ${what}: ${cause}\n${dead ? tail(dead.outputFile) || tail(dead.logFile) : ''}`.trimEnd(),
        {
          code: 'SANDBOX_NOT_READY',
          retriable: true,
          action: `Read the nodes' server.log under ${state.dir}, then \`kafka-ops sandbox down --dir ${state.dir}\` and try again.`,
        },
      );
    }
    await sleep(500);
  }
}

export async function kraftSandboxUp(opts: KraftSandboxUpOptions): Promise<KraftSandboxUpResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  validate(opts);
  const layout = sandboxLayout(opts.dir);
  await claimDirectory(layout);
  const installs = installsOf(opts.kafkaHomes);
  const java = findJava();
  await mkdir(layout.root, { recursive: true });
  const roles = kraftRoles(opts);
  const total = roles.length;
  const brokerCount = roles.filter(isBrokerRole).length;
  const combinedCount = roles.filter((r) => r === 'combined').length;
  const security = opts.security ?? 'plaintext';
  const allPorts = await freePorts(total + (security === 'sasl-ssl' ? brokerCount : 0) + combinedCount);
  const ports = allPorts.slice(0, total);
  const securePorts = allPorts.slice(total, total + (security === 'sasl-ssl' ? brokerCount : 0));
  const controllerPorts = allPorts.slice(total + (security === 'sasl-ssl' ? brokerCount : 0));
  let brokerIndex = 0;
  let combinedIndex = 0;
  const state: KraftSandboxState = {
    version: 1,
    mode: 'kraft',
    dir: layout.root,
    createdAt: new Date().toISOString(),
    java,
    clusterId: newClusterId(),
    installs,
    nodes: ports.map((port, i) => {
      const role = roles[i] as KraftRole;
      const securePort = isBrokerRole(role) ? securePorts[brokerIndex++] : undefined;
      const controllerPort = role === 'combined' ? controllerPorts[combinedIndex++] : undefined;
      return {
        ...brokerStateOf(layout.broker(i + 1), port),
        role,
        ...(securePort !== undefined ? { securePort } : {}),
        ...(controllerPort !== undefined ? { controllerPort } : {}),
      };
    }),
    topic: {
      name: SANDBOX_TOPIC,
      partitions: opts.partitions,
      replicationFactor: REPLICATION_FACTOR,
      minInsyncReplicas: MIN_INSYNC_REPLICAS,
    },
    inventoryPath: layout.inventoryFile,
    ...(security === 'sasl-ssl' ? { security, plaintextInventoryPath: plaintextInventoryFile(layout) } : {}),
  };
  await writeKraftState(layout, state);
  const sshd: Promise<{ handle?: SshdHandle; error?: unknown }> = startSshd(layout.sshdDir).then(
    (handle) => ({ handle }),
    (error: unknown) => ({ error }),
  );
  try {
    let secrets: KraftSecrets | undefined;
    if (security === 'sasl-ssl') {
      progress(`Making a TLS key pair with keytool and the SCRAM user ${SANDBOX_SASL_USER} (passwords in ${layout.root}/secrets, 0600)`);
      secrets = await makeKraftSecrets(java, layout.root);
      state.secrets = {
        dir: secrets.dir,
        keystore: secrets.keystore,
        caPem: secrets.caPem,
        passwordFile: secrets.passwordFile,
        clientConfig: secrets.clientConfig,
      };
      await writeKraftState(layout, state);
    }
    const voters = quorumVoters(state.nodes);
    for (const node of state.nodes) {
      const paths = layout.broker(node.id);
      await mkdir(paths.dataDir, { recursive: true });
      await mkdir(paths.logsDir, { recursive: true });
      await writeFile(paths.configPath, kraftNodeProperties(node, paths, voters, opts.partitions, secrets), { mode: 0o600 });
      await writeFile(paths.log4jPath, fileLog4j(paths.logFile));
      await writeFile(log4j2Path(paths), fileLog4j2(paths.logFile));
      await symlink(installs.from.dir, paths.installLink);
    }
    progress(
      `Formatting ${total} log dirs with the ${installs.from.release} storage tool (cluster id ${state.clusterId}, static quorum ${voters})`,
    );
    // The SCRAM user goes into the bootstrap metadata of every log dir (KIP-900): it exists before any broker starts.
    const scram = secrets ? addScramArgs(secrets) : [];
    await Promise.all(state.nodes.map((n) => formatStorage(java, installs.from.dir, n.configPath, state.clusterId, scram)));
    progress(
      combinedCount > 0
        ? `Starting ${combinedCount} combined nodes (process.roles=broker,controller) on Kafka ${installs.from.release}`
        : `Starting ${opts.controllers} controllers and ${opts.brokers} brokers on Kafka ${installs.from.release}`,
    );
    for (const node of state.nodes) {
      const paths = layout.broker(node.id);
      node.pid = await launchDetached({
        command: kraftNodeCommand(java, paths, node.role),
        pidFile: paths.pidFile,
        outputFile: paths.outputFile,
      });
      await writeKraftState(layout, state);
    }
    const brokers = state.nodes.filter((n) => isBrokerRole(n.role));
    const bootstrap = brokers.map((b) => `127.0.0.1:${b.port}`);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    await waitReady(state, 'brokers registering and unfenced', deadline, () =>
      withAdmin(bootstrap, async (admin) => (await admin.describeCluster()).brokers.length === brokers.length),
    );
    progress(`Brokers ${brokers.map((b) => b.id).join(', ')} unfenced; creating topic ${state.topic.name}`);
    await withAdmin(bootstrap, (admin) =>
      admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: state.topic.name,
            numPartitions: state.topic.partitions,
            replicationFactor: REPLICATION_FACTOR,
            configEntries: [{ name: 'min.insync.replicas', value: String(MIN_INSYNC_REPLICAS) }],
          },
        ],
      }),
    );
    await waitReady(state, `every partition of ${state.topic.name} led with a full ISR`, deadline, () =>
      withAdmin(bootstrap, async (admin) => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [state.topic.name] });
        const parts = topics[0]?.partitions ?? [];
        return parts.length === state.topic.partitions && parts.every((p) => p.leader >= 0 && p.replicas.every((r) => p.isr.includes(r)));
      }),
    );
    const { handle, error } = await sshd;
    if (!handle) throw error;
    state.sshd = { port: handle.port, pid: handle.pid, dir: handle.dir };
    await writeFile(layout.inventoryFile, kraftSandboxInventory(state, layout, handle));
    if (state.plaintextInventoryPath)
      await writeFile(state.plaintextInventoryPath, kraftSandboxInventory(state, layout, handle, { plaintext: true }));
    state.readyAt = new Date().toISOString();
    await writeKraftState(layout, state);
    // A combined node is listed in both: as a controller at its CONTROLLER port, as a broker at its PLAINTEXT one.
    const out = (role: 'controller' | 'broker') =>
      state.nodes
        .filter((n) => (role === 'controller' ? isVoterRole(n.role) : isBrokerRole(n.role)))
        .map((n) => ({
          id: n.id,
          port: role === 'controller' ? controllerPortOf(n) : n.port,
          pid: n.pid as number,
          logFile: n.logFile,
          ...(role === 'broker' && n.securePort !== undefined ? { securePort: n.securePort } : {}),
        }));
    progress(`KRaft sandbox up in ${((Date.now() - started) / 1000).toFixed(1)} s; inventory: ${layout.inventoryFile}`);
    return {
      dir: layout.root,
      mode: 'kraft',
      inventoryPath: layout.inventoryFile,
      statePath: layout.stateFile,
      clusterId: state.clusterId,
      controllers: out('controller'),
      brokers: out('broker'),
      sshd: { port: handle.port, pid: handle.pid, user: handle.user },
      security,
      ...(state.secrets
        ? {
            sasl: {
              mechanism: 'scram-sha-512' as const,
              user: SANDBOX_SASL_USER,
              passwordFile: state.secrets.passwordFile,
              caFile: state.secrets.caPem,
              commandConfig: state.secrets.clientConfig,
            },
          }
        : {}),
      ...(state.plaintextInventoryPath ? { plaintextInventoryPath: state.plaintextInventoryPath } : {}),
      topic: state.topic,
      installs,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    await sshd;
    await stopKraftNodes(layout, state, []).catch(() => undefined);
    if (isAlive(readSshdHandle(layout.sshdDir)?.pid)) await stopSshd(layout.sshdDir).catch(() => undefined);
    throw error;
  }
}

async function writeKraftState(layout: SandboxLayout, state: KraftSandboxState): Promise<void> {
  await writeFile(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export const plaintextInventoryFile = (layout: SandboxLayout): string => path.join(layout.root, 'inventory-plaintext.yaml');

/**
 * The inventory of a KRaft sandbox: every node over the sandbox sshd, the tools on the first
 * controller. With `--security sasl-ssl` (unless `plaintext`), the admin reader and the tools
 * use the brokers' SASL_SSL listeners; the credentials are named by file, never written here.
 */
export function kraftSandboxInventory(
  state: KraftSandboxState,
  layout: SandboxLayout,
  ssh: Pick<SshdHandle, 'port' | 'user' | 'knownHostsFile' | 'userKeyFile'>,
  opts: { plaintext?: boolean } = {},
): string {
  const secrets = opts.plaintext ? undefined : state.secrets;
  const brokers = state.nodes
    .filter((n) => isBrokerRole(n.role))
    .map((n) => `127.0.0.1:${secrets && n.securePort !== undefined ? n.securePort : n.port}`);
  const secured = secrets
    ? {
        tls: { caFile: secrets.caPem },
        sasl: { mechanism: 'scram-sha-512', username: SANDBOX_SASL_USER, passwordFile: secrets.passwordFile },
      }
    : {};
  const inventory = {
    cluster: 'sandbox-kraft',
    mode: 'kraft',
    kraft: {
      bootstrapServer: brokers.join(','),
      ...(secrets ? { commandConfig: secrets.clientConfig } : {}),
      toolsNode: state.nodes.find((n) => isVoterRole(n.role))?.id ?? 1,
    },
    state: { reader: 'admin', bootstrapServers: brokers, ...secured },
    executor: { kind: 'ssh', knownHosts: ssh.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutSeconds: 10 },
    defaults: {
      ssh: { user: ssh.user, port: ssh.port, identityFile: ssh.userKeyFile },
      installs: { [state.installs.from.release]: state.installs.from.dir, [state.installs.to.release]: state.installs.to.dir },
      stop: { signal: 'SIGTERM', timeoutSeconds: 90 },
      startTimeoutSeconds: 180,
    },
    brokers: state.nodes.map((n) => {
      const paths = layout.broker(n.id);
      return {
        id: n.id,
        host: '127.0.0.1',
        roles: inventoryRoles(n.role),
        configPath: paths.configPath,
        installLink: paths.installLink,
        logFile: paths.logFile,
        run: { command: kraftNodeCommand(state.java, paths, n.role), pidFile: paths.pidFile, outputFile: paths.outputFile },
      };
    }),
  };
  const header = [
    `# Written by \`kafka-ops sandbox up --mode kraft\` for the sandbox in ${layout.root}.`,
    `# Kafka ${state.installs.from.release} → ${state.installs.to.release}: controllers ${quorumVoters(state.nodes)} (static quorum), the`,
    "# KRaft tools are the installs' own bin/kafka-features.sh and bin/kafka-metadata-quorum.sh.",
    ...(secrets
      ? [
          `# Over the brokers' SASL_SSL listeners (SCRAM-SHA-512 user ${SANDBOX_SASL_USER}): the password is read from`,
          '# state.sasl.passwordFile, the tools log in with kraft.commandConfig (both 0600 under secrets/).',
        ]
      : []),
  ];
  const doc = new Document(inventory);
  const installs = doc.getIn(['defaults', 'installs']);
  if (isMap(installs)) for (const { key } of installs.items) if (isScalar(key)) key.type = 'QUOTE_DOUBLE';
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0 })}`;
}

export interface KraftStopped {
  role: KraftRole | 'sshd';
  id?: number;
  pid: number;
  outcome: 'stopped' | 'killed';
}

/** Brokers first (their controlled shutdown needs the quorum), then combined nodes, then the controllers. */
async function stopKraftNodes(layout: SandboxLayout, state: KraftSandboxState, warnings: string[]): Promise<KraftStopped[]> {
  const stopped: KraftStopped[] = [];
  for (const role of ['broker', 'combined', 'controller'] as const) {
    const members = state.nodes
      .filter((n) => n.role === role)
      .flatMap((n) =>
        [...new Set([readPidFile(n.pidFile), n.pid])]
          .filter((pid): pid is number => pid !== undefined && isAlive(pid) && commandMentions(pid, layout.root))
          .map((pid) => ({ id: n.id, pid })),
      );
    // A SIGSTOPped node (a fault test) would never act on SIGTERM.
    for (const m of members) signal(m.pid, 'SIGCONT');
    for (const m of members) signal(m.pid, 'SIGTERM');
    const left = await waitGone(
      members.map((m) => m.pid),
      STOP_TIMEOUT_MS,
    );
    for (const pid of left) signal(pid, 'SIGKILL');
    if (left.length > 0) {
      warnings.push(
        `Killed ${role}s ${members
          .filter((m) => left.includes(m.pid))
          .map((m) => m.id)
          .join(', ')}: no exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM`,
      );
      await waitGone(left, 5000);
    }
    stopped.push(
      ...members.map((m) => ({ role, id: m.id, pid: m.pid, outcome: left.includes(m.pid) ? ('killed' as const) : ('stopped' as const) })),
    );
  }
  return stopped;
}

export async function kraftSandboxDown(
  state: KraftSandboxState,
  opts: { purge: boolean },
): Promise<{ dir: string; found: true; stopped: KraftStopped[]; warnings: string[]; purged: boolean }> {
  const layout = sandboxLayout(state.dir);
  const warnings: string[] = [];
  const stopped = await stopKraftNodes(layout, state, warnings);
  const sshdPid = readSshdHandle(layout.sshdDir)?.pid;
  if (isAlive(sshdPid)) {
    await stopSshd(layout.sshdDir);
    stopped.push({ role: 'sshd', pid: sshdPid as number, outcome: 'stopped' });
  }
  if (opts.purge) await rm(layout.root, { recursive: true, force: true });
  return { dir: layout.root, found: true, stopped, warnings, purged: opts.purge };
}

/** Which processes of a KRaft sandbox are alive (the cluster itself is read by `check`/`verify` through the inventory). */
export function kraftSandboxStatus(state: KraftSandboxState): {
  dir: string;
  inventoryPath: string;
  up: boolean;
  processes: Array<{ role: KraftRole | 'sshd'; id?: number; pid?: number; alive: boolean }>;
  zookeeper: string;
} {
  const layout = sandboxLayout(state.dir);
  const sshdPid = readSshdHandle(layout.sshdDir)?.pid ?? state.sshd?.pid;
  const processes = [
    ...state.nodes.map((n) => {
      const pid = readPidFile(n.pidFile) ?? n.pid;
      return { role: n.role, id: n.id, pid, alive: pid !== undefined && isAlive(pid) && commandMentions(pid, layout.root) };
    }),
    { role: 'sshd' as const, pid: sshdPid, alive: isAlive(sshdPid) },
  ];
  return {
    dir: layout.root,
    inventoryPath: state.inventoryPath,
    up: processes.every((p) => p.alive),
    processes,
    zookeeper: '(none: KRaft)',
  };
}
