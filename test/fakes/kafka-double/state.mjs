// The double's shared state: a directory every simulated broker reads and writes (see SPEC.md).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

function readJson(file, fallback) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}

export const clusterFile = (dir) => join(dir, 'cluster.json');
export const registrationFile = (dir, id) => join(dir, 'brokers', `${id}.json`);
export const faultsFile = (dir, id) => join(dir, 'faults', `${id}.json`);

export function readCluster(dir) {
  const cluster = readJson(clusterFile(dir), undefined);
  if (!cluster) throw new Error(`no kafka-double cluster in ${dir} (cluster.json missing)`);
  return cluster;
}

export function readFaults(dir, id) {
  return readJson(faultsFile(dir, id), {});
}

export function register(dir, registration) {
  mkdirSync(join(dir, 'brokers'), { recursive: true });
  writeJsonAtomic(registrationFile(dir, registration.id), registration);
}

export function unregister(dir, id, pid) {
  const file = registrationFile(dir, id);
  // Never remove a registration another process (a newer start of this id) wrote.
  if (readJson(file, {}).pid === pid) rmSync(file, { force: true });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Registrations whose process is alive, by registration time. */
export function liveRegistrations(dir) {
  const brokersDir = join(dir, 'brokers');
  if (!existsSync(brokersDir)) return [];
  return readdirSync(brokersDir)
    .filter((f) => /^\d+\.json$/.test(f))
    .map((f) => readJson(join(brokersDir, f), undefined))
    .filter((r) => r && alive(r.pid))
    .sort((a, b) => a.registeredAt - b.registeredAt || a.id - b.id);
}

/** What every broker answers at `now`: brokers, controller, topics with leader/ISR/offline replicas. */
export function clusterView(dir, now = Date.now()) {
  const cluster = readCluster(dir);
  const live = liveRegistrations(dir);
  const registered = new Set(live.map((r) => r.id));
  const inSync = new Set(live.filter((r) => !r.shuttingDown && r.caughtUpAt !== null && now >= r.caughtUpAt).map((r) => r.id));
  return {
    clusterId: cluster.clusterId,
    controller: live[0]?.id,
    brokers: [...live].sort((a, b) => a.id - b.id).map((r) => ({ id: r.id, host: r.host, port: r.port, release: r.release })),
    registrations: live,
    topics: cluster.topics.map((t) => ({
      name: t.name,
      config: t.config ?? {},
      partitions: t.replicas.map((replicas, partition) => {
        const isr = replicas.filter((id) => inSync.has(id));
        return { partition, replicas, isr, leader: isr[0] ?? -1, offlineReplicas: replicas.filter((id) => !registered.has(id)) };
      }),
    })),
    defaults: cluster.defaults ?? {},
  };
}
