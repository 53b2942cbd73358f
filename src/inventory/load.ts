/**
 * Loading an inventory file: YAML → schema check → defaults merged into each broker →
 * cross-broker checks. Every failure is a UserError located in the file.
 */
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { packageJson } from '../files/package-files.js';
import { assertMatchesSchema, readYamlFile, type LocatedDocument } from '../files/yaml-document.js';
import type { BrokerSpec, ExecutorSettings, Inventory, KubernetesExecutorSettings, MarathonExecutorSettings, RunSpec, StateSettings, StopSignal } from './model.js';

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
}
interface RawBroker extends RawBrokerFields {
  id: number;
  host: string;
}
interface RawInventory {
  cluster: string;
  state?: StateSettings;
  executor: { kind: 'ssh' | 'kubernetes' | 'marathon'; knownHosts?: string; hostKeyPolicy?: 'strict' | 'accept-new'; connectTimeoutSeconds?: number } & Record<string, unknown>;
  defaults?: RawBrokerFields;
  brokers: RawBroker[];
}

export const DEFAULT_STOP_TIMEOUT_SECONDS = 300;
export const DEFAULT_START_TIMEOUT_SECONDS = 600;

export function loadInventory(file: string): Inventory {
  const doc = readYamlFile(file, 'inventory');
  const raw = assertMatchesSchema<RawInventory>(doc, packageJson('schemas/inventory.schema.json'), 'inventory');
  const baseDir = dirname(resolve(file));
  const brokers = raw.brokers.map((b, index) => mergeBroker(doc, raw.defaults ?? {}, b, index, baseDir));
  assertUnique(doc, brokers);
  return {
    source: file,
    cluster: raw.cluster,
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
    return { ...k8s, pod: k8s.pod ?? `${k8s.statefulSet}-{id}`, ...(k8s.kubeconfig ? { kubeconfig: localPath(k8s.kubeconfig, baseDir) } : {}) };
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

function mergeBroker(doc: LocatedDocument, defaults: RawBrokerFields, broker: RawBroker, index: number, baseDir: string): BrokerSpec {
  const missing = (key: string): never => {
    throw new UserError(`Broker ${broker.id} has no \`${key}\`, and \`defaults\` does not give one.`, {
      code: 'INVENTORY_MISSING',
      action: `Add \`${key}\` to this broker or to \`defaults\`.`,
      location: doc.locate(['brokers', index]),
    });
  };
  const ssh = { ...defaults.ssh, ...broker.ssh };
  const stop = { ...defaults.stop, ...broker.stop };
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
  };
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
