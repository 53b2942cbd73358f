/**
 * The cluster lock every operator and CI runner sees: an ephemeral znode in the cluster's own
 * ZooKeeper (under its chroot), holding who took it. It lives as long as the session of the
 * run that created it: a run that dies loses it when its session expires (seconds), so it is
 * never left behind by a crash, and a second run anywhere finds it whatever its state dir.
 */
import { InfrastructureError, UserError } from '../errors.js';
import { describeHolder, livenessOf, parseHolder, thisProcess, type LockHolder } from '../store/lock-holder.js';
import { closeZooKeeperClient, openZooKeeperClient, type ZkClient } from './zookeeper.js';

export const ZOOKEEPER_LOCK_PATH = '/kafka-ops/lock';
const EPHEMERAL = 1;
const NODE_EXISTS = -110;
const NO_NODE = -101;
const BAD_VERSION = -103;
const REQUEST_TIMEOUT_MS = 15_000;

interface LockClient extends ZkClient {
  mkdirp(path: string, cb: (err: ZkErr | null) => void): void;
  create(path: string, data: Buffer, mode: number, cb: (err: ZkErr | null) => void): void;
  remove(path: string, version: number, cb: (err: ZkErr | null) => void): void;
}
export interface ZkErr extends Error {
  getCode?: () => number;
  code?: number;
}
export const codeOf = (error: ZkErr) => error.getCode?.() ?? error.code;

export interface ZooKeeperLock {
  release(): Promise<void>;
}

/** One ZooKeeper request with a deadline: a server that accepts and never answers is an infrastructure error, not a hang. */
export function call<T>(
  what: string,
  connect: string,
  run: (done: (err: ZkErr | null, value?: T) => void) => void,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new InfrastructureError(`ZooKeeper at ${connect} did not answer (${what}) within ${REQUEST_TIMEOUT_MS} ms.`, {
            code: 'ZOOKEEPER_UNREACHABLE',
            retriable: true,
            action: `Check that ZooKeeper is running and reachable at ${connect} (state.zookeeper in the inventory).`,
          }),
        ),
      REQUEST_TIMEOUT_MS,
    );
    run((err, value) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    });
  });
}

async function open(connect: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<LockClient> {
  return (await openZooKeeperClient(connect, { timeoutMs, sessionTimeoutMs: 10_000 })) as LockClient;
}

/** Who holds the cluster's ZooKeeper lock, if anyone (`timeoutMs`: how long to wait for a connection). */
export async function readZooKeeperLock(connect: string, timeoutMs?: number): Promise<LockHolder | undefined> {
  const client = await open(connect, timeoutMs);
  try {
    return await holderIn(client, connect);
  } finally {
    await closeZooKeeperClient(client);
  }
}

/**
 * Removes the lock if it is still held by `expected` (`kafka-ops unlock`): the znode is removed
 * at the version read, so a lock taken by another run meanwhile is never the one removed.
 * Returns whether it removed it.
 */
export async function breakZooKeeperLock(connect: string, expected: LockHolder): Promise<boolean> {
  const client = await open(connect);
  try {
    let read: { data: Buffer | null; version: number } | undefined;
    try {
      read = await call<{ data: Buffer | null; version: number }>('read the lock', connect, (done) =>
        client.getData(
          ZOOKEEPER_LOCK_PATH,
          () => undefined,
          (e, d, stat) => done(e, { data: d ?? null, version: (stat as { version?: number } | undefined)?.version ?? -1 }),
        ),
      );
    } catch (error) {
      if (codeOf(error as ZkErr) === NO_NODE) return false;
      throw error;
    }
    const holder = parseHolder(read?.data?.toString('utf8') ?? '');
    if (!read || !holder || JSON.stringify(holder) !== JSON.stringify(parseHolder(JSON.stringify(expected)))) return false;
    try {
      await call('remove the lock', connect, (done) => client.remove(ZOOKEEPER_LOCK_PATH, read.version, (e) => done(e)));
      return true;
    } catch (error) {
      const code = codeOf(error as ZkErr);
      if (code === NO_NODE || code === BAD_VERSION) return false;
      throw error;
    }
  } finally {
    await closeZooKeeperClient(client);
  }
}

async function holderIn(client: LockClient, connect: string): Promise<LockHolder | undefined> {
  try {
    const data = await call<Buffer | null>('read the lock', connect, (done) =>
      client.getData(
        ZOOKEEPER_LOCK_PATH,
        () => undefined,
        (e, d) => done(e, d),
      ),
    );
    return parseHolder(data?.toString('utf8') ?? '') ?? { host: '?', bootId: '', pid: 0, user: '', command: '', since: '' };
  } catch (error) {
    if (codeOf(error as ZkErr) === NO_NODE) return undefined;
    throw error;
  }
}

/** Takes the lock, or refuses with who holds it and since when. The session stays open until release. */
export async function acquireZooKeeperLock(connect: string, holder: LockHolder = thisProcess()): Promise<ZooKeeperLock> {
  const client = await open(connect);
  try {
    await call('create /kafka-ops', connect, (done) => client.mkdirp('/kafka-ops', (e) => done(e)));
    const create = () =>
      call('create the lock', connect, (done) =>
        client.create(ZOOKEEPER_LOCK_PATH, Buffer.from(JSON.stringify(holder)), EPHEMERAL, (e) => done(e)),
      );
    try {
      await create();
    } catch (error) {
      if (codeOf(error as ZkErr) !== NODE_EXISTS) throw error;
      let current = await holderIn(client, connect);
      // A run killed on this very host and boot (SIGKILL, OOM) leaves its znode until its session
      // expires; its pid proves it gone, so the next run (its resume) need not wait for the expiry.
      if (current && livenessOf(current) === 'gone') {
        await call("remove a dead run's lock", connect, (done) => client.remove(ZOOKEEPER_LOCK_PATH, -1, (e) => done(e))).catch(
          (e: ZkErr) => {
            if (codeOf(e) !== NO_NODE) throw e;
          },
        );
        try {
          await create();
          return lockOf(client, connect);
        } catch (retry) {
          if (codeOf(retry as ZkErr) !== NODE_EXISTS) throw retry;
          current = await holderIn(client, connect);
        }
      }
      throw new UserError(`Another kafka-ops run holds cluster lock in ZooKeeper${current ? `: ${describeHolder(current)}` : ''}.`, {
        code: 'CLUSTER_LOCKED',
        action: `Wait for it to finish. The lock (${connect} ${ZOOKEEPER_LOCK_PATH}) is ephemeral: it goes within seconds of its holder's exit (its ZooKeeper session's end); \`kafka-ops status\` shows it, \`kafka-ops unlock --force\` breaks it once its holder is gone.`,
      });
    }
  } catch (error) {
    await closeZooKeeperClient(client);
    throw error;
  }
  return lockOf(client, connect);
}

function lockOf(client: LockClient, connect: string): ZooKeeperLock {
  return {
    async release() {
      try {
        await call('remove the lock', connect, (done) => client.remove(ZOOKEEPER_LOCK_PATH, -1, (e) => done(e)));
      } catch {
        // the session's end removes it anyway
      } finally {
        await closeZooKeeperClient(client);
      }
    },
  };
}
