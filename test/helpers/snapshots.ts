/**
 * Hand-built cluster snapshots for the gate tests, and an in-memory writable stream for
 * the output tests. A snapshot is what ZooKeeper would show: registered broker ids, each
 * partition's assigned replicas, ISR and leader, and per-topic config overrides.
 */
import { Writable } from 'node:stream';
import type { ClusterSnapshot, PartitionState } from '../../src/cluster/port.js';

/**
 * One partition; the ISR defaults to every replica and the leader to the first ISR
 * member (the preferred leader when the ISR is in assignment order), -1 with an empty ISR.
 */
export function partition(name: string, replicas: number[], isr: number[] = replicas, leader: number = isr[0] ?? -1): PartitionState {
  const dash = name.lastIndexOf('-');
  return { topic: name.slice(0, dash), partition: Number(name.slice(dash + 1)), replicas, isr, leader };
}

/** A snapshot of `partitions` with `brokers` registered; `minIsr` holds per-topic min.insync.replicas overrides. */
export function snapshot(
  brokers: number[],
  partitions: PartitionState[],
  minIsr: Record<string, string> = {},
  controller?: number,
): ClusterSnapshot {
  const topics = [...new Set([...partitions.map((p) => p.topic), ...Object.keys(minIsr)])];
  return {
    brokers,
    ...(controller === undefined ? {} : { controller }),
    partitions,
    topics: topics.map((name) => ({ name, config: name in minIsr ? { 'min.insync.replicas': minIsr[name] as string } : {} })),
  };
}

/**
 * A healthy three-broker cluster: brokers 1-3 registered, controller 1, topic `orders`
 * with replication factor 3 and every replica in sync, leaders spread over the brokers.
 */
export function healthyCluster(): ClusterSnapshot {
  return snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3]), partition('orders-1', [2, 3, 1]), partition('orders-2', [3, 1, 2])], {}, 1);
}

/** A writable stream that keeps what is written to it. */
export class MemoryStream extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}
