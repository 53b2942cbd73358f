/**
 * `kafka-ops sandbox up` (status.ts and down.ts are the other two commands): a real local cluster
 * (ZooKeeper, N brokers of the "from" release with the inter-broker protocol and message
 * format pinned to it, an sshd) bound to 127.0.0.1, plus the inventory that drives it over SSH.
 * The releases are real ones from Maven Central (releases/), the user's own distributions
 * (--kafka-home), or the embedded 0.9.0.1 (the same jars in both installs).
 * Results are plain data: the commands print them as text or as --json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { ClusterSnapshot } from '../cluster/port.js';
import { ZooKeeperClusterState } from '../cluster/zookeeper.js';
import { InfrastructureError, UserError } from '../errors.js';
import { prepareBroker, sandboxRackOf, startBroker } from './brokers.js';
import { sandboxInventory } from './inventory-file.js';
import { embeddedKafkaHome, findJava, javaCommand, readDistribution, shortProtocolVersion } from './java.js';
import { SANDBOX_TOPIC, sandboxLayout, type BrokerPaths, type SandboxLayout } from './layout.js';
import { fileLog4j2, log4j2Path } from './kraft-sandbox.js';
import { freePorts, isAlive, tail } from './processes.js';
import { compareReleases, parseRelease } from './releases/catalog.js';
import { resolveRelease, type ResolvedRelease } from './releases/resolve.js';
import { startSshd, type SshdHandle } from './sshd.js';
import { brokerStateOf, readState, writeState, type SandboxInstall, type SandboxState } from './state.js';
import { fileLog4j, startZooKeeper, waitZooKeeperReady } from './zookeeper-server.js';
import { stopAll } from './down.js';
import { describe, processStatuses } from './status.js';

const EMBEDDED_FROM = { release: '0.8.2.2', dirName: 'kafka-0.8.2.2' };
const REPLICATION_FACTOR = 3;
const MIN_INSYNC_REPLICAS = 2;
const READY_TIMEOUT_MS = 120_000;

export interface SandboxUpOptions {
  dir: string;
  brokers: number;
  partitions: number;
  /** Spread the brokers over this many racks (broker.rack r1, r2, … round robin); the topic then gets rack-aware placement. */
  racks?: number;
  /** No entry: the embedded 0.9.0.1 for both installs; exactly two: FROM and TO distributions. */
  kafkaHomes?: readonly string[];
  /** Real releases from Maven Central (resolved and cached before anything starts); excludes kafkaHomes. */
  releases?: { from: string; to: string };
  /** Release cache root (default: $KAFKA_OPS_CACHE or ~/.cache/kafka-ops). */
  cacheDir?: string;
  /** Progress lines (the command routes them to the output host). */
  onProgress?: (message: string) => void;
  /**
   * The starting point of a ZooKeeper → KRaft migration: this many KRaft controllers (ids 3000…)
   * installed (3.9 install link, log4j, empty dir) and named in the inventory's
   * `migration.controllers`, not configured, formatted or started. Needs a 3.9 --from.
   */
  kraftControllers?: number;
}

export interface SandboxUpResult {
  dir: string;
  inventoryPath: string;
  statePath: string;
  zookeeper: { connect: string; pid: number };
  brokers: Array<{ id: number; port: number; pid: number; logFile: string; rack?: string }>;
  sshd: { port: number; pid: number; user: string };
  topic: SandboxState['topic'];
  installs: { from: SandboxInstall; to: SandboxInstall };
  /** --kraft-controllers: installed, not started. */
  controllers?: Array<{ id: number; port: number; logFile: string }>;
  interBrokerProtocolVersion: string;
  logMessageFormatVersion?: string;
  /** True when both installs hold the same jars (the embedded distribution). */
  sameJarsInBothInstalls: boolean;
  notes: string[];
  elapsedMs: number;
}

function validate(opts: SandboxUpOptions): void {
  const usage = (message: string, action: string) => new UserError(message, { code: 'SANDBOX_USAGE', action });
  if (!Number.isInteger(opts.brokers) || opts.brokers < REPLICATION_FACTOR || opts.brokers > 9) {
    throw usage(
      `--brokers must be between ${REPLICATION_FACTOR} and 9 (got ${opts.brokers})`,
      'The topic has replication factor 3: pass --brokers 3 to 9.',
    );
  }
  if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 200) {
    throw usage(`--partitions must be between 1 and 200 (got ${opts.partitions})`, 'Pass a smaller --partitions.');
  }
  if (opts.racks !== undefined && (!Number.isInteger(opts.racks) || opts.racks < 1 || opts.racks > opts.brokers)) {
    throw usage(`--racks must be between 1 and --brokers ${opts.brokers} (got ${opts.racks})`, 'Pass e.g. --brokers 6 --racks 3.');
  }
  const homes = opts.kafkaHomes ?? [];
  if (opts.releases && homes.length > 0) {
    throw usage('--kafka-home cannot be combined with --from/--to', 'Pass either two --kafka-home directories or --from/--to releases.');
  }
  if (opts.releases) {
    const { from, to } = opts.releases;
    const migration = opts.kraftControllers !== undefined;
    if (migration && !/^3\.9\./.test(from)) {
      throw usage(
        `--kraft-controllers needs a 3.9 cluster (--from ${from})`,
        'A ZooKeeper → KRaft migration starts from 3.9: pass --from 3.9.2.',
      );
    }
    if (
      migration &&
      (!Number.isInteger(opts.kraftControllers) || (opts.kraftControllers as number) % 2 === 0 || (opts.kraftControllers as number) > 5)
    ) {
      throw usage(`--kraft-controllers must be 1, 3 or 5 (got ${opts.kraftControllers})`, 'Pass --kraft-controllers 3.');
    }
    if (compareReleases(parseRelease(from), parseRelease(to)) > 0 || (!migration && from === to)) {
      throw usage(
        `--from ${from} must be an older release than --to ${to}`,
        'Pass the release to upgrade from, then a newer one to upgrade to.',
      );
    }
    if (!migration && Number(to.split('.')[0]) >= 4) {
      throw usage(
        `--to ${to}: a ZooKeeper-mode sandbox cannot be upgraded to 4.x (no ZooKeeper mode)`,
        'Add --kraft-controllers 3 (from 3.9.x: a migration continued to 4.x), or use --mode kraft.',
      );
    }
    if (Number(from.split('.')[0]) >= 4) {
      throw usage(
        `--from ${from}: the sandbox runs ZooKeeper-mode clusters (releases before 4.0)`,
        'Pass --from and --to releases before 4.0.',
      );
    }
  }
  if (homes.length !== 0 && homes.length !== 2) {
    throw usage(
      `--kafka-home was given ${homes.length} time(s)`,
      'Give --kafka-home twice (FROM_DIR then TO_DIR), or not at all for the embedded Kafka 0.9.0.1.',
    );
  }
}

/** Refuses a running sandbox or a foreign non-empty directory; clears a stopped sandbox. */
async function claimDirectory(layout: SandboxLayout): Promise<void> {
  const previous = readState(layout.stateFile);
  if (previous) {
    const alive = processStatuses(layout, previous).filter((p) => p.alive);
    if (alive.length > 0) {
      throw new UserError(`A sandbox is already up in ${layout.root} (${alive.map(describe).join(', ')})`, {
        code: 'SANDBOX_ALREADY_UP',
        action: `Use it (inventory: ${layout.inventoryFile}), or run \`kafka-ops sandbox down --dir ${layout.root}\` first.`,
      });
    }
    await rm(layout.root, { recursive: true, force: true });
    return;
  }
  const entries = await readdir(layout.root).catch(() => []);
  if (entries.length > 0) {
    throw new UserError(`${layout.root} is not empty and holds no sandbox (no sandbox.json)`, {
      code: 'SANDBOX_DIR_NOT_EMPTY',
      action: 'Pass an empty or new directory with --dir.',
    });
  }
}

/** The two installs: the embedded distribution twice (symlinked), or the two given homes. */
async function prepareInstalls(
  layout: SandboxLayout,
  homes: readonly string[],
  resolved?: { from: ResolvedRelease; to: ResolvedRelease },
): Promise<{ from: SandboxInstall; to: SandboxInstall; notes: string[] }> {
  if (resolved) {
    return {
      from: { release: resolved.from.version, dir: resolved.from.home },
      to: { release: resolved.to.version, dir: resolved.to.home },
      notes: [],
    };
  }
  if (homes.length === 2) {
    const [from, to] = homes.map(readDistribution) as [ReturnType<typeof readDistribution>, ReturnType<typeof readDistribution>];
    if (from.release === to.release) {
      throw new UserError(`Both --kafka-home directories hold Kafka ${from.release}`, {
        code: 'SANDBOX_USAGE',
        action: 'Pass the distribution to upgrade from, then a different one to upgrade to.',
      });
    }
    return { from: { release: from.release, dir: from.home }, to: { release: to.release, dir: to.home }, notes: [] };
  }
  const embedded = readDistribution(embeddedKafkaHome());
  const from = { release: EMBEDDED_FROM.release, dir: path.join(layout.installsDir, EMBEDDED_FROM.dirName) };
  const to = { release: embedded.release, dir: path.join(layout.installsDir, `kafka_${embedded.scala}-${embedded.release}`) };
  for (const install of [from, to]) {
    await mkdir(install.dir, { recursive: true });
    for (const sub of ['libs', 'config']) await symlink(path.join(embedded.home, sub), path.join(install.dir, sub));
  }
  const notes = [
    `Both installs (${path.basename(from.dir)} and ${path.basename(to.dir)}) hold the SAME Kafka ${embedded.release} jars: only ${embedded.release} ships with kafka-ops.`,
    `The "${from.release}" side of the upgrade is simulated by inter.broker.protocol.version=${shortProtocolVersion(from.release)} on ${embedded.release} brokers; use --kafka-home FROM_DIR TO_DIR for two real distributions.`,
  ];
  await writeFile(
    layout.installsReadme,
    `${notes.join('\n\n')}\n\nlibs and config in both directories are symlinks to ${embedded.home}.\n`,
  );
  return { from, to, notes };
}

/** TopicCommand's class in the release (it moved in 3.7) and whether it takes --bootstrap-server (2.2+; --zookeeper is gone in 3.0). */
function topicCommandOf(home: string, release: string): { main: string; bootstrap: boolean } {
  let main = 'kafka.admin.TopicCommand';
  try {
    const marker = JSON.parse(readFileSync(path.join(home, '.kafka-ops-release.json'), 'utf8')) as { mainClasses: Record<string, string> };
    main = marker.mainClasses['kafka-topics.sh'] ?? main;
  } catch {
    // Not a resolved release: the class every distribution before 3.7 has.
  }
  return { main, bootstrap: compareReleases(parseRelease(release), [2, 2]) >= 0 };
}

/** sshd is checked before anything starts (the inventory reaches the brokers through it). */
function requireSshd(): void {
  if (!existsSync('/usr/sbin/sshd')) {
    throw new UserError('No OpenSSH server at /usr/sbin/sshd: the sandbox reaches its brokers over a real sshd', {
      code: 'SSHD_NOT_FOUND',
      action: 'apt-get install -y openssh-server (or run scripts/setup-machine.sh)',
    });
  }
}

async function createTopic(state: SandboxState): Promise<void> {
  const home = state.installs.from.dir;
  const topicCommand = topicCommandOf(home, state.installs.from.release);
  const connect = topicCommand.bootstrap
    ? ['--bootstrap-server', state.brokers.map((b) => `127.0.0.1:${b.port}`).join(',')]
    : ['--zookeeper', state.zookeeper.connect];
  const [java, ...args] = javaCommand(state.java, {
    heap: '128m',
    log4jConfig: path.join(home, 'config', 'tools-log4j.properties'),
    home,
    main: topicCommand.main,
    args: [
      ...connect,
      ...['--create', '--topic', state.topic.name],
      ...['--partitions', String(state.topic.partitions), '--replication-factor', String(state.topic.replicationFactor)],
      ...['--config', `min.insync.replicas=${state.topic.minInsyncReplicas}`],
    ],
  });
  const { exitCode, stdout, stderr } = await execa(java as string, args, { reject: false, timeout: 60_000 });
  // TopicCommand of 0.8/0.9 may print its error and still exit 0.
  if (exitCode !== 0 || /error/i.test(stdout)) {
    throw new InfrastructureError(`Creating topic ${state.topic.name} failed: ${(stdout + stderr).trim()}`, {
      code: 'SANDBOX_TOPIC_FAILED',
      retriable: true,
      action: `Run \`kafka-ops sandbox down --dir ${state.dir}\` and try again; see the brokers' server.log.`,
    });
  }
}

/**
 * Re-reads the cluster on every watch event (at least once a second, to notice a broker
 * process that died) until `ready` says yes; fails at `deadline`.
 */
async function waitUntil(
  cluster: ZooKeeperClusterState,
  state: SandboxState,
  what: string,
  deadline: number,
  ready: (snapshot: ClusterSnapshot) => boolean,
): Promise<void> {
  for (;;) {
    if (ready(await cluster.snapshot())) return;
    const dead = state.brokers.find((b) => !isAlive(b.pid));
    if (dead || Date.now() >= deadline) {
      const cause = dead ? `broker ${dead.id} exited` : `not within ${READY_TIMEOUT_MS / 1000} s`;
      const logOf = dead ?? state.brokers[0];
      throw new InfrastructureError(
        `Sandbox not ready: ${what}: ${cause}\n${dead ? tail(dead.outputFile) || tail(dead.logFile) : ''}`.trimEnd(),
        {
          code: 'SANDBOX_NOT_READY',
          retriable: true,
          action: `Read ${logOf?.logFile ?? "the brokers' server.log"}, then run \`kafka-ops sandbox down --dir ${state.dir}\` and try again.`,
        },
      );
    }
    await cluster.changed(Math.min(1000, deadline - Date.now()));
  }
}

function topicReady(snapshot: ClusterSnapshot, topic: SandboxState['topic']): boolean {
  const partitions = snapshot.partitions.filter((p) => p.topic === topic.name);
  return (
    partitions.length === topic.partitions &&
    partitions.every((p) => p.leader >= 0 && p.replicas.length === topic.replicationFactor && p.replicas.every((r) => p.isr.includes(r)))
  );
}

/** A controller-to-be of a migration: its directory, log configs and 3.9 install link; no properties file (the migration writes it). */
async function prepareMigrationController(paths: BrokerPaths, installDir: string): Promise<void> {
  await mkdir(paths.logsDir, { recursive: true });
  await writeFile(paths.log4jPath, fileLog4j(paths.logFile));
  await writeFile(log4j2Path(paths), fileLog4j2(paths.logFile));
  // Present, as an operator prepares it, with only the sandbox's sizing: the migration writes its keys in (with a backup).
  await writeFile(
    paths.configPath,
    [
      `# KRaft controller ${paths.id} of a kafka-ops sandbox: configured by \`upgrade --migrate-to-kraft\`.`,
      // Small and few: the sandbox shares 2 cores between ZooKeeper, the brokers and the controllers.
      'num.network.threads=2',
      'num.io.threads=2',
      'background.threads=2',
      'num.recovery.threads.per.data.dir=1',
      '',
    ].join('\n'),
  );
  await symlink(installDir, paths.installLink);
}

export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxUpResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  validate(opts);
  const layout = sandboxLayout(opts.dir);
  // Prerequisites before any process starts: Java, sshd, the releases (mvn, registry), free ports.
  const java = findJava();
  requireSshd();
  let resolved: { from: ResolvedRelease; to: ResolvedRelease } | undefined;
  if (opts.releases) {
    const resolveOne = (version: string) => resolveRelease(version, { cacheDir: opts.cacheDir, onProgress: progress });
    resolved = { from: await resolveOne(opts.releases.from), to: await resolveOne(opts.releases.to) };
  }
  await claimDirectory(layout);
  await mkdir(layout.root, { recursive: true });
  const installs = await prepareInstalls(layout, opts.kafkaHomes ?? [], resolved);
  const release = installs.from.release;
  if (opts.racks !== undefined && compareReleases(parseRelease(release), [0, 10]) < 0) {
    throw new UserError(`--racks: Kafka ${release} has no broker.rack (rack awareness came with 0.10.0, KIP-36)`, {
      code: 'SANDBOX_USAGE',
      action: 'Pass --from 0.10.0 or later (e.g. --from 2.8.2 --to 3.9.2), or leave out --racks.',
    });
  }
  const logMessageFormatVersion = compareReleases(parseRelease(release), [0, 10]) >= 0 ? shortProtocolVersion(release) : undefined;
  const controllerCount = opts.kraftControllers ?? 0;
  const [zkPort, ...nodePorts] = (await freePorts(opts.brokers + 1 + controllerCount)) as [number, ...number[]];
  const brokerPorts = nodePorts.slice(0, opts.brokers);
  const controllerPorts = nodePorts.slice(opts.brokers);
  const connect = `127.0.0.1:${zkPort}`;
  const state: SandboxState = {
    version: 1,
    dir: layout.root,
    createdAt: new Date().toISOString(),
    java,
    installs: { from: installs.from, to: installs.to },
    interBrokerProtocolVersion: shortProtocolVersion(installs.from.release),
    ...(logMessageFormatVersion ? { logMessageFormatVersion } : {}),
    zookeeper: {
      port: zkPort,
      connect,
      pidFile: layout.zookeeper.pidFile,
      outputFile: layout.zookeeper.outputFile,
      logFile: layout.zookeeper.logFile,
    },
    brokers: brokerPorts.map((port, i) => ({
      ...brokerStateOf(layout.broker(i + 1), port),
      ...(opts.racks ? { rack: sandboxRackOf(i + 1, opts.racks) } : {}),
    })),
    ...(controllerCount > 0 ? { controllers: controllerPorts.map((port, i) => brokerStateOf(layout.controller(3000 + i), port)) } : {}),
    topic: {
      name: SANDBOX_TOPIC,
      partitions: opts.partitions,
      replicationFactor: REPLICATION_FACTOR,
      minInsyncReplicas: MIN_INSYNC_REPLICAS,
    },
    inventoryPath: layout.inventoryFile,
  };
  await writeState(layout.stateFile, state);

  // sshd starts alongside the JVMs; its outcome is collected at the end (or on failure).
  const sshd: Promise<{ handle?: SshdHandle; error?: unknown }> = startSshd(layout.sshdDir).then(
    (handle) => ({ handle }),
    (error: unknown) => ({ error }),
  );
  let cluster: ZooKeeperClusterState | undefined;
  try {
    progress(
      `Starting ZooKeeper on ${connect} and ${opts.brokers} Kafka ${release} brokers (started through ${installs.from.dir}, inter.broker.protocol.version=${state.interBrokerProtocolVersion}${logMessageFormatVersion ? `, log.message.format.version=${logMessageFormatVersion}` : ''})`,
    );
    state.zookeeper.pid = await startZooKeeper(java, installs.from.dir, layout.zookeeper, zkPort);
    await writeState(layout.stateFile, state);
    // Brokers start while ZooKeeper is still coming up: they wait for it (zookeeper.connection.timeout.ms).
    for (const broker of state.brokers) {
      await prepareBroker(
        {
          paths: layout.broker(broker.id),
          port: broker.port,
          zookeeperConnect: connect,
          interBrokerProtocolVersion: state.interBrokerProtocolVersion,
          logMessageFormatVersion,
          release,
          partitions: opts.partitions,
          ...(broker.rack ? { rack: broker.rack } : {}),
          ...(state.controllers ? { migration: true } : {}),
        },
        installs.from.dir,
      );
      broker.pid = await startBroker(java, layout.broker(broker.id));
      await writeState(layout.stateFile, state);
    }
    const deadline = Date.now() + READY_TIMEOUT_MS;
    await waitZooKeeperReady(state.zookeeper.pid, zkPort, layout.zookeeper, READY_TIMEOUT_MS);
    cluster = await ZooKeeperClusterState.connect(connect, { timeoutMs: 10_000 });
    const ids = state.brokers.map((b) => b.id);
    await waitUntil(cluster, state, 'brokers registering', deadline, (s) => ids.every((id) => s.brokers.includes(id)));
    progress(
      `Brokers ${ids.join(', ')} registered; creating topic ${state.topic.name} (${opts.partitions} partitions, replication factor ${REPLICATION_FACTOR}${opts.racks ? `, rack-aware over ${opts.racks} racks` : ''})`,
    );
    await createTopic(state);
    await waitUntil(cluster, state, `every partition of ${state.topic.name} led with a full ISR`, deadline, (s) =>
      topicReady(s, state.topic),
    );
    for (const c of state.controllers ?? []) await prepareMigrationController(layout.controller(c.id), installs.from.dir);
    const { handle, error } = await sshd;
    if (!handle) throw error;
    state.sshd = { port: handle.port, pid: handle.pid, dir: handle.dir };
    const ssh = { port: handle.port, user: handle.user, knownHostsFile: handle.knownHostsFile, userKeyFile: handle.userKeyFile };
    await writeFile(layout.inventoryFile, sandboxInventory(state, layout, ssh, installs.notes));
    state.readyAt = new Date().toISOString();
    await writeState(layout.stateFile, state);
    progress(`Sandbox up in ${((Date.now() - started) / 1000).toFixed(1)} s; inventory: ${layout.inventoryFile}`);
    return {
      dir: layout.root,
      inventoryPath: layout.inventoryFile,
      statePath: layout.stateFile,
      zookeeper: { connect, pid: state.zookeeper.pid },
      brokers: state.brokers.map((b) => ({
        id: b.id,
        port: b.port,
        pid: b.pid as number,
        logFile: b.logFile,
        ...(b.rack ? { rack: b.rack } : {}),
      })),
      sshd: { port: handle.port, pid: handle.pid, user: handle.user },
      topic: state.topic,
      installs: state.installs,
      ...(state.controllers ? { controllers: state.controllers.map((c) => ({ id: c.id, port: c.port, logFile: c.logFile })) } : {}),
      interBrokerProtocolVersion: state.interBrokerProtocolVersion,
      ...(logMessageFormatVersion ? { logMessageFormatVersion } : {}),
      sameJarsInBothInstalls: !opts.releases && (opts.kafkaHomes ?? []).length === 0,
      notes: installs.notes,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    await sshd;
    await stopAll(layout, state, []).catch(() => undefined);
    throw error;
  } finally {
    await cluster?.close();
  }
}
