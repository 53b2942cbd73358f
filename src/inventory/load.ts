/**
 * Loading an inventory file: YAML → schema check → defaults merged into each broker →
 * cross-broker checks. Every failure is a UserError located in the file.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { assertMatchesSchema, readYamlFile, type LocatedDocument } from '../files/yaml-document.js';
import type {
  BrokerSpec,
  ClusterMode,
  ControllerSpec,
  ExecutorSettings,
  Inventory,
  KraftSettings,
  KubernetesExecutorSettings,
  MarathonExecutorSettings,
  MigrationSettings,
  NodeRole,
  RunSpec,
  StateSettings,
  StopSignal,
} from './model.js';

interface RawRun {
  systemd?: string;
  command?: string[];
  pidFile?: string;
  outputFile?: string;
  env?: Record<string, string>;
}
interface RawBrokerFields {
  ssh?: { user?: string; port?: number; identityFile?: string; agent?: boolean };
  configPath?: string;
  installLink?: string;
  installs?: Record<string, string>;
  run?: RawRun;
  logFile?: string;
  stop?: { signal?: StopSignal; timeoutSeconds?: number };
  startTimeoutSeconds?: number;
  roles?: NodeRole[];
  hooks?: { on?: 'local' | 'host'; preStop?: string[]; postStart?: string[]; postRoll?: string[]; timeoutSeconds?: number };
}
interface RawBroker extends RawBrokerFields {
  id: number;
  host: string;
}
interface RawInventory {
  cluster: string;
  mode?: ClusterMode;
  kraft?: Omit<KraftSettings, 'toolsNode'> & { toolsNode?: number };
  state?: StateSettings;
  executor: {
    kind: 'ssh' | 'kubernetes' | 'marathon';
    knownHosts?: string;
    hostKeyPolicy?: 'strict' | 'accept-new';
    connectTimeoutSeconds?: number;
  } & Record<string, unknown>;
  defaults?: RawBrokerFields;
  brokers: RawBroker[];
  migration?: { controllers: Array<RawBroker & { listener: string; logDir: string }> };
}

export const DEFAULT_STOP_TIMEOUT_SECONDS = 300;
export const DEFAULT_START_TIMEOUT_SECONDS = 600;
/** How long a hook may run before the run halts (inventory `hooks.timeoutSeconds`). */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 300;

export function loadInventory(file: string): Inventory {
  const doc = readYamlFile(file, 'inventory');
  const raw = assertMatchesSchema<RawInventory>(doc, 'schemas/inventory.schema.json', 'inventory');
  const baseDir = dirname(resolve(file));
  raw.brokers.forEach((_b, index) => assertPlainId(doc, ['brokers', index, 'id']));
  raw.migration?.controllers.forEach((_c, index) => assertPlainId(doc, ['migration', 'controllers', index, 'id']));
  const brokers = raw.brokers.map((b, index) => mergeBroker(doc, raw.defaults ?? {}, b, index, baseDir));
  assertUnique(doc, brokers);
  assertReaderSettings(doc, raw.state ?? {});
  const kraft = raw.mode === 'kraft' ? resolveKraft(doc, raw, brokers) : assertNoKraftKeys(doc, raw);
  const migration = raw.migration ? resolveMigration(doc, raw, brokers, baseDir) : undefined;
  return {
    source: file,
    cluster: raw.cluster,
    ...(raw.mode ? { mode: raw.mode } : {}),
    ...(kraft ? { kraft } : {}),
    ...(migration ? { migration } : {}),
    state: resolveState(raw.state ?? {}, baseDir),
    executor: resolveExecutor(raw.executor, baseDir),
    brokers,
  };
}

/** `~/x` → home, relative → against the inventory's directory. */
function localPath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

function resolveState(state: StateSettings, baseDir: string): StateSettings {
  const out: StateSettings = { ...state };
  if (state.tls) {
    out.tls = {
      ...state.tls,
      rejectUnauthorized: state.tls.rejectUnauthorized ?? true,
      ...(state.tls.caFile ? { caFile: localPath(state.tls.caFile, baseDir) } : {}),
      ...(state.tls.certFile ? { certFile: localPath(state.tls.certFile, baseDir) } : {}),
      ...(state.tls.keyFile ? { keyFile: localPath(state.tls.keyFile, baseDir) } : {}),
    };
  }
  if (state.sasl?.passwordFile) out.sasl = { ...state.sasl, passwordFile: localPath(state.sasl.passwordFile, baseDir) };
  return out;
}

function resolveExecutor(executor: RawInventory['executor'], baseDir: string): ExecutorSettings {
  // The schema has checked every field of the non-ssh executors; only defaults and paths remain.
  if (executor.kind === 'kubernetes') {
    const k8s = executor as unknown as KubernetesExecutorSettings;
    return {
      ...k8s,
      pod: k8s.pod ?? `${k8s.statefulSet}-{id}`,
      ...(k8s.kubeconfig ? { kubeconfig: localPath(k8s.kubeconfig, baseDir) } : {}),
    };
  }
  if (executor.kind === 'marathon') {
    const marathon = executor as unknown as MarathonExecutorSettings;
    const token = marathon.token && 'file' in marathon.token ? { file: localPath(marathon.token.file, baseDir) } : marathon.token;
    return { ...marathon, url: marathon.url.replace(/\/+$/, ''), ...(token ? { token } : {}) };
  }
  return {
    kind: 'ssh',
    knownHosts: localPath(executor.knownHosts ?? '~/.ssh/known_hosts', baseDir),
    hostKeyPolicy: executor.hostKeyPolicy ?? 'strict',
    connectTimeoutSeconds: executor.connectTimeoutSeconds ?? 15,
  };
}

function mergeBroker(
  doc: LocatedDocument,
  defaults: RawBrokerFields,
  broker: RawBroker,
  index: number,
  baseDir: string,
  at: Array<string | number> = ['brokers', index],
): BrokerSpec {
  const missing = (key: string): never => {
    throw new UserError(`Broker ${broker.id} has no \`${key}\`, and \`defaults\` does not give one.`, {
      code: 'INVENTORY_MISSING',
      action: `Add \`${key}\` to this broker or to \`defaults\`.`,
      location: doc.locate(at),
    });
  };
  const ssh = { ...defaults.ssh, ...broker.ssh };
  const stop = { ...defaults.stop, ...broker.stop };
  const hooks = { ...defaults.hooks, ...broker.hooks };
  const installs = { ...defaults.installs, ...broker.installs };
  if (Object.keys(installs).length === 0) missing('installs');
  const rawRun = broker.run ?? defaults.run ?? missing('run');
  return {
    id: broker.id,
    host: broker.host,
    ssh: {
      port: ssh.port ?? 22,
      user: ssh.user ?? 'root',
      agent: ssh.agent ?? false,
      ...(ssh.identityFile ? { identityFile: localPath(ssh.identityFile, baseDir) } : {}),
    },
    configPath: broker.configPath ?? defaults.configPath ?? missing('configPath'),
    installLink: broker.installLink ?? defaults.installLink ?? missing('installLink'),
    installs,
    run: toRunSpec(rawRun),
    logFile: broker.logFile ?? defaults.logFile ?? missing('logFile'),
    stop: { signal: stop.signal ?? 'SIGINT', timeoutSeconds: stop.timeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS },
    startTimeoutSeconds: broker.startTimeoutSeconds ?? defaults.startTimeoutSeconds ?? DEFAULT_START_TIMEOUT_SECONDS,
    ...((broker.roles ?? defaults.roles) ? { roles: broker.roles ?? defaults.roles } : {}),
    ...(hooks.preStop || hooks.postStart || hooks.postRoll
      ? {
          hooks: {
            on: hooks.on ?? 'local',
            ...(hooks.preStop ? { preStop: hooks.preStop } : {}),
            ...(hooks.postStart ? { postStart: hooks.postStart } : {}),
            ...(hooks.postRoll ? { postRoll: hooks.postRoll } : {}),
            timeoutSeconds: hooks.timeoutSeconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS,
          },
        }
      : {}),
  };
}

/**
 * KRaft inventories: every node has roles, there is at least one controller, and the
 * tools have exactly one place to connect to and a node to run on.
 */
function resolveKraft(doc: LocatedDocument, raw: RawInventory, brokers: BrokerSpec[]): KraftSettings {
  const fail = (path: Array<string | number>, message: string, action: string): never => {
    throw new UserError(message, { code: 'INVENTORY_KRAFT', action, location: doc.locate(path) });
  };
  brokers.forEach((b, index) => {
    if (!b.roles)
      fail(
        ['brokers', index],
        `Node ${b.id} has no \`roles\`, and \`defaults\` does not give any: a KRaft inventory names each node's process.roles.`,
        'Add `roles: [controller]`, `[broker]` or `[controller, broker]` to this node or to `defaults`.',
      );
  });
  if (!brokers.some((b) => b.roles?.includes('controller'))) {
    fail(
      ['brokers'],
      'No node has the `controller` role: a KRaft cluster has at least one controller.',
      'Give the controller nodes `roles: [controller]` (or `[controller, broker]` for combined nodes).',
    );
  }
  const settings =
    raw.kraft ??
    fail(
      ['mode'],
      '`mode: kraft` needs a `kraft` section telling where kafka-features.sh and kafka-metadata-quorum.sh connect.',
      'Add `kraft: { bootstrapServer: host:9092 }` (or `bootstrapController: host:9093`).',
    );
  if ((settings.bootstrapServer === undefined) === (settings.bootstrapController === undefined)) {
    fail(
      ['kraft'],
      '`kraft` must give exactly one of `bootstrapServer` and `bootstrapController`.',
      'Keep one: `bootstrapServer` (a broker listener) or `bootstrapController` (a controller listener, tools 3.7+).',
    );
  }
  const toolsNode = settings.toolsNode ?? brokers[0]?.id ?? 0;
  if (!brokers.some((b) => b.id === toolsNode)) {
    fail(
      ['kraft', 'toolsNode'],
      `\`kraft.toolsNode\` ${toolsNode} is not a node of this inventory.`,
      'Use the id of one of the nodes under `brokers`.',
    );
  }
  return { ...settings, toolsNode };
}

/**
 * `migration.controllers`: the KRaft controllers a ZooKeeper-mode cluster migrates to. They take
 * the brokers' `defaults` like any node, need ids no broker has (a controller's node.id shares the
 * id space with the brokers' node.id = broker.id after the migration), and only make sense on a
 * ZooKeeper-mode inventory.
 */
function resolveMigration(doc: LocatedDocument, raw: RawInventory, brokers: BrokerSpec[], baseDir: string): MigrationSettings {
  const fail = (path: Array<string | number>, message: string, action: string): never => {
    throw new UserError(message, { code: 'INVENTORY_MIGRATION', action, location: doc.locate(path) });
  };
  if (raw.mode === 'kraft')
    fail(
      ['migration'],
      '`migration` is given but the cluster is already `mode: kraft`.',
      'Remove `migration`: it describes the controllers a ZooKeeper-mode cluster migrates to.',
    );
  const rawControllers = raw.migration?.controllers ?? [];
  const controllers: ControllerSpec[] = rawControllers.map((c, index) => {
    const spec = mergeBroker(doc, raw.defaults ?? {}, c, index, baseDir, ['migration', 'controllers', index]);
    return { ...spec, roles: ['controller'], listener: c.listener, logDir: c.logDir };
  });
  const ids = new Set(brokers.map((b) => b.id));
  controllers.forEach((c, index) => {
    if (ids.has(c.id))
      fail(
        ['migration', 'controllers', index, 'id'],
        `Controller id ${c.id} is also a broker's (or another controller's) id: after the migration every node.id must be unique.`,
        "Give the controllers ids no broker uses (Kafka's own example uses 3000, 3001, 3002).",
      );
    ids.add(c.id);
  });
  return { controllers };
}

/** `roles` and `kraft` mean nothing to a ZooKeeper-mode cluster: refuse them rather than ignore them. */
function assertNoKraftKeys(doc: LocatedDocument, raw: RawInventory): undefined {
  const action = 'Add `mode: kraft` if this is a KRaft cluster, or remove the key.';
  if (raw.kraft)
    throw new UserError('`kraft` is given but the cluster is not `mode: kraft`.', {
      code: 'INVENTORY_KRAFT',
      action,
      location: doc.locate(['kraft']),
    });
  const at = raw.defaults?.roles
    ? ['defaults', 'roles']
    : (() => {
        const index = raw.brokers.findIndex((b) => b.roles);
        return index >= 0 ? ['brokers', index, 'roles'] : undefined;
      })();
  if (at)
    throw new UserError('`roles` is given but the cluster is not `mode: kraft`.', {
      code: 'INVENTORY_KRAFT',
      action,
      location: doc.locate(at),
    });
  return undefined;
}

function toRunSpec(run: RawRun): RunSpec {
  if (run.systemd) return { kind: 'systemd', unit: run.systemd };
  const pidFile = run.pidFile as string;
  return {
    kind: 'command',
    command: run.command as string[],
    pidFile,
    outputFile: run.outputFile ?? pidFile.replace(/\.pid$/, '') + '.out',
    env: run.env ?? {},
  };
}

/** A chosen reader needs its own setting: say so at load time, with the position of the choice. */
function assertReaderSettings(doc: LocatedDocument, state: StateSettings): void {
  const needs = { zookeeper: 'zookeeper', admin: 'bootstrapServers' } as const;
  if (!state.reader || state[needs[state.reader]] !== undefined) return;
  throw new UserError(`state.reader is ${state.reader}, but state.${needs[state.reader]} is not given.`, {
    code: 'INVENTORY_MISSING',
    action: state.reader === 'admin' ? 'Add state.bootstrapServers: [host:port, …].' : 'Add state.zookeeper: host:2181[/chroot].',
    location: doc.locate(['state', 'reader']),
  });
}

/** YAML reads `0x10`, `1e3`, `-0` and `2.0` as the integers 16, 1000, 0 and 2: an id is written as Kafka writes it. */
function assertPlainId(doc: LocatedDocument, path: Array<string | number>): void {
  const source = doc.sourceOf?.(path);
  if (source === undefined || /^(0|[1-9][0-9]*)$/.test(source)) return;
  throw new UserError(
    `Invalid inventory: \`${path.join('.')}\` must be a plain decimal integer as in broker.id; YAML read ${source} as ${String(valueOf(doc.data, path))}.`,
    {
      code: 'SCHEMA',
      action: `Write the id in decimal digits, as \`broker.id\` in the broker's server.properties (e.g. ${String(valueOf(doc.data, path))}).`,
      location: doc.locate(path),
    },
  );
}

function valueOf(data: unknown, path: Array<string | number>): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], data);
}

function assertUnique(doc: LocatedDocument, brokers: BrokerSpec[]): void {
  const ids = new Map<number, number>();
  const configs = new Map<string, number>();
  brokers.forEach((b, index) => {
    const previous = ids.get(b.id);
    if (previous !== undefined) {
      throw new UserError(`Broker id ${b.id} appears twice (brokers ${previous + 1} and ${index + 1} in the list).`, {
        code: 'INVENTORY_DUPLICATE_ID',
        action: 'Give every broker its own `id`, equal to its broker.id in server.properties.',
        location: doc.locate(['brokers', index, 'id']),
      });
    }
    ids.set(b.id, index);
    const where = `${b.host}:${b.ssh.port}:${b.configPath}`;
    const sameConfig = configs.get(where);
    if (sameConfig !== undefined) {
      throw new UserError(
        `Brokers ${brokers[sameConfig]?.id} and ${b.id} both use ${b.configPath} on ${b.host}:${b.ssh.port}: one server.properties cannot belong to two brokers.`,
        {
          code: 'INVENTORY_DUPLICATE_HOST',
          action: 'Fix the host, SSH port or configPath of one of them.',
          location: doc.locate(['brokers', index, 'host']),
        },
      );
    }
    configs.set(where, index);
  });
}
