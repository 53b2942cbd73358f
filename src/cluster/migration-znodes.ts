/**
 * The ZooKeeper side of reverting a migration before finalize (Kafka 3.9's "Reverting to
 * ZooKeeper mode During the Migration"): once the KRaft controllers are stopped, delete
 * `/controller` (the KRaft controller wrote it as a persistent znode, so no ZooKeeper-mode broker
 * can take over until it is gone), read `/migration` (kept for the journal: it helps debugging)
 * and delete it, so that a later migration starts afresh. Then a broker becomes the ZooKeeper
 * controller again.
 */
import type { ClearedZnodes, ZooKeeperControllerView } from './kraft-port.js';
import { call, codeOf, type ZkErr } from './zookeeper-lock.js';
import { closeZooKeeperClient, openZooKeeperClient, parseController, type ZkClient } from './zookeeper.js';

const NO_NODE = -101;
const REQUEST_TIMEOUT_MS = 15_000;

interface RemoveClient extends ZkClient {
  remove(path: string, version: number, cb: (err: ZkErr | null) => void): void;
}

async function read(client: ZkClient, connect: string, path: string): Promise<string | undefined> {
  try {
    const data = await call<Buffer | null>(`read ${path}`, connect, (done) =>
      client.getData(
        path,
        () => undefined,
        (e, d) => done(e, d),
      ),
    );
    return data?.toString('utf8') ?? '';
  } catch (error) {
    if (codeOf(error as ZkErr) === NO_NODE) return undefined;
    throw error;
  }
}

async function remove(client: RemoveClient, connect: string, path: string): Promise<boolean> {
  try {
    await call(`delete ${path}`, connect, (done) => client.remove(path, -1, (e) => done(e)));
    return true;
  } catch (error) {
    if (codeOf(error as ZkErr) === NO_NODE) return false;
    throw error;
  }
}

/** `delete /controller`, then `get /migration` and `delete /migration`: one session, in that order, at once. */
export async function clearMigrationZnodes(connect: string): Promise<ClearedZnodes> {
  const client = (await openZooKeeperClient(connect, { timeoutMs: REQUEST_TIMEOUT_MS })) as RemoveClient;
  try {
    const controller = await read(client, connect, '/controller');
    if (controller !== undefined) await remove(client, connect, '/controller');
    const migration = await read(client, connect, '/migration');
    if (migration !== undefined) await remove(client, connect, '/migration');
    return { ...(controller !== undefined ? { controller } : {}), ...(migration !== undefined ? { migration } : {}) };
  } finally {
    await closeZooKeeperClient(client);
  }
}

export async function readZooKeeperController(connect: string): Promise<ZooKeeperControllerView> {
  const client = await openZooKeeperClient(connect, { timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    const raw = await read(client, connect, '/controller');
    const epochText = await read(client, connect, '/controller_epoch');
    const kraft = raw !== undefined && /kraftController/.test(raw);
    const brokerId = raw !== undefined && !kraft ? parseController(raw) : undefined;
    const epoch = epochText !== undefined && /^\d+$/.test(epochText.trim()) ? Number(epochText.trim()) : undefined;
    return {
      ...(brokerId !== undefined ? { brokerId } : {}),
      ...(raw !== undefined ? { raw } : {}),
      ...(epoch !== undefined ? { epoch } : {}),
    };
  } finally {
    await closeZooKeeperClient(client);
  }
}
