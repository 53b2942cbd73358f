// Kafka's ZooKeeper layout written straight into a real ZooKeeper, for tests and benches of the
// ZooKeeper reader at any size (no brokers needed): /brokers/ids/<id>, /controller,
// /brokers/topics/<t> (assignment), /brokers/topics/<t>/partitions/<p>/state, /config/topics/<t>,
// in the JSON Kafka writes. Creates go in multi transactions, several in flight, so 100k
// partitions take seconds, not minutes. Plain JavaScript: bench/ scripts import it too.
import { createRequire } from 'node:module';

const zookeeper = createRequire(import.meta.url)('node-zookeeper-client');

/** At most this many bytes of paths and data in one multi (ZooKeeper refuses requests over 1 MB). */
const MULTI_BYTES = 256 * 1024;
const MULTIS_IN_FLIGHT = 4;

export const zkPaths = {
  brokerIds: '/brokers/ids',
  broker: (id) => `/brokers/ids/${id}`,
  controller: '/controller',
  topics: '/brokers/topics',
  topic: (t) => `/brokers/topics/${t}`,
  partitions: (t) => `/brokers/topics/${t}/partitions`,
  partition: (t, p) => `/brokers/topics/${t}/partitions/${p}`,
  state: (t, p) => `/brokers/topics/${t}/partitions/${p}/state`,
  configs: '/config/topics',
  config: (t) => `/config/topics/${t}`,
  preferredElection: '/admin/preferred_replica_election',
  reassignment: '/admin/reassign_partitions',
};

export const brokerJson = (id) =>
  JSON.stringify({ jmx_port: -1, timestamp: String(Date.now()), host: `broker-${id}`, version: 1, port: 9092 });
export const controllerJson = (id) => JSON.stringify({ version: 1, brokerid: id, timestamp: String(Date.now()) });
export const assignmentJson = (replicas) =>
  JSON.stringify({ version: 1, partitions: Object.fromEntries(replicas.map((r, p) => [String(p), r])) });
export const stateJson = ({ leader, isr, leaderEpoch = 0 }) =>
  JSON.stringify({ controller_epoch: 1, leader, version: 1, leader_epoch: leaderEpoch, isr });
export const configJson = (config = {}) => JSON.stringify({ version: 1, config });

/**
 * A cluster of `brokers` brokers (ids 1..brokers) and `topics` topics of `partitionsPerTopic`
 * partitions, replicas placed round robin, every ISR full, the first replica leading.
 */
export function kafkaLayout({ brokers, topics, partitionsPerTopic, replicationFactor = 3, minIsr = 2 }) {
  const ids = Array.from({ length: brokers }, (_, i) => i + 1);
  let next = 0;
  return {
    brokers: ids,
    controller: ids[0],
    topics: Array.from({ length: topics }, (_, t) => ({
      name: `topic-${String(t).padStart(5, '0')}`,
      config: t % 2 === 0 ? { 'min.insync.replicas': String(minIsr) } : {},
      replicas: Array.from({ length: partitionsPerTopic }, () => {
        const start = next++;
        return Array.from({ length: replicationFactor }, (_, r) => ids[(start + r) % brokers]);
      }),
    })),
  };
}

const call = (fn) =>
  new Promise((resolve, reject) =>
    fn((error, value) => (error ? reject(Object.assign(error, { zkCode: error.getCode?.() })) : resolve(value))),
  );

/** A plain node-zookeeper-client connection (the writer side of a test; never kafka-ops' reader). */
export async function connectWriter(connect, timeoutMs = 10_000) {
  // A long session: a loaded machine may starve the writer or the server for seconds while 100k partitions are written.
  const client = zookeeper.createClient(connect, { sessionTimeout: 30_000, spinDelay: 200, retries: 0 });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ZooKeeper at ${connect} within ${timeoutMs} ms`)), timeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  const data = (value) => (value === undefined ? undefined : Buffer.from(value));
  return {
    raw: client,
    create: (path, value) => call((cb) => client.create(path, data(value), cb)),
    setData: (path, value) => call((cb) => client.setData(path, data(value), -1, cb)),
    remove: (path) => call((cb) => client.remove(path, -1, cb)),
    getData: (path) => call((cb) => client.getData(path, (err, buf) => cb(err, buf?.toString('utf8')))),
    /** Deletes `path` and everything under it. */
    async removeTree(path) {
      const children = await call((cb) => client.getChildren(path, cb));
      for (const c of children) await this.removeTree(`${path}/${c}`);
      await this.remove(path);
    },
    /** Creates [path, data] pairs in order, batched into multis with a few in flight. */
    async createAll(nodes) {
      const batches = [];
      let batch = [];
      let bytes = 0;
      for (const node of nodes) {
        const size = node[0].length + (node[1]?.length ?? 0) + 64;
        if (batch.length > 0 && bytes + size > MULTI_BYTES) {
          batches.push(batch);
          batch = [];
          bytes = 0;
        }
        batch.push(node);
        bytes += size;
      }
      if (batch.length > 0) batches.push(batch);
      // One session: ZooKeeper applies its requests in order, so parents created in an earlier
      // multi exist when a later one (sent before the first returned) creates their children.
      let index = 0;
      const worker = async () => {
        while (index < batches.length) {
          const tx = client.transaction();
          for (const [path, value] of batches[index++]) tx.create(path, data(value));
          await call((cb) => tx.commit(cb));
        }
      };
      await Promise.all(Array.from({ length: MULTIS_IN_FLIGHT }, worker));
    },
    close: () => client.close(),
  };
}

/** Every znode of `layout`, parents first (the roots /brokers, /config, /admin included). */
export function layoutNodes(layout) {
  const nodes = [
    ['/brokers'],
    [zkPaths.brokerIds],
    [zkPaths.topics],
    ['/config'],
    [zkPaths.configs],
    ['/admin'],
    ...layout.brokers.map((id) => [zkPaths.broker(id), brokerJson(id)]),
    [zkPaths.controller, controllerJson(layout.controller)],
  ];
  for (const t of layout.topics) {
    nodes.push([zkPaths.config(t.name), configJson(t.config)], [zkPaths.topic(t.name), assignmentJson(t.replicas)]);
    nodes.push([zkPaths.partitions(t.name)]);
    t.replicas.forEach((replicas, p) => {
      nodes.push([zkPaths.partition(t.name, p)], [zkPaths.state(t.name, p), stateJson({ leader: replicas[0], isr: replicas })]);
    });
  }
  return nodes;
}

export async function writeLayout(writer, layout) {
  await writer.createAll(layoutNodes(layout));
}
