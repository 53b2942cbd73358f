import { describe, expect, it } from 'vitest';
import { ClusterModel, partitionState, StaleSet, staleNodeOf } from '../../src/cluster/zookeeper-model.js';

const REQUESTS = ['/admin/preferred_replica_election', '/admin/reassign_partitions'];

describe('staleNodeOf: the node a watch event names', () => {
  it.each([
    ['/brokers/ids', { kind: 'brokers' }],
    ['/controller', { kind: 'controller' }],
    ['/admin/preferred_replica_election', { kind: 'requests' }],
    ['/admin/reassign_partitions', { kind: 'requests' }],
    ['/brokers/topics', { kind: 'topics' }],
    ['/brokers/topics/orders', { kind: 'assignment', topic: 'orders' }],
    ['/brokers/topics/my.topic-1/partitions/12/state', { kind: 'state', topic: 'my.topic-1', partition: 12 }],
    ['/config/topics/orders', { kind: 'config', topic: 'orders' }],
    ['/brokers/topics/orders/partitions', { kind: 'unknown' }],
    ['/somewhere/else', { kind: 'unknown' }],
  ])('%s', (path, stale) => {
    expect(staleNodeOf(path, REQUESTS)).toEqual(stale);
  });
});

describe('StaleSet', () => {
  it('starts as "everything" (the first read), then names single nodes', () => {
    expect(new StaleSet().size).toBe(Infinity);
    const set = new StaleSet();
    set.all = false;
    expect(set.empty).toBe(true);
    set.add({ kind: 'state', topic: 'a', partition: 1 });
    set.add({ kind: 'state', topic: 'a', partition: 1 });
    set.add({ kind: 'state', topic: 'a', partition: 2 });
    set.add({ kind: 'config', topic: 'b' });
    set.add({ kind: 'brokers' });
    expect(set.size).toBe(4);
    set.add({ kind: 'unknown' });
    expect(set.all).toBe(true);
  });
});

describe('ClusterModel.snapshot', () => {
  it('lists assigned topics and their partitions in name and partition order, rebuilt only when touched', () => {
    const model = new ClusterModel();
    const topic = (name: string, assigned: boolean, partitions: number[]) => ({
      name,
      assigned,
      config: {},
      partitions: new Map(partitions.map((p) => [p, partitionState(name, p, [1, 2], { leader: 1, isr: [1, 2] })])),
    });
    model.topics.set('b', topic('b', true, [10, 2]));
    model.topics.set('a', topic('a', true, [0]));
    model.topics.set('gone', topic('gone', false, []));
    model.controller = { id: 2, createdAtMs: 5 };
    const snapshot = model.snapshot();
    expect(snapshot.partitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(['a-0', 'b-2', 'b-10']);
    expect(snapshot.topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect(snapshot).toMatchObject({ controller: 2, controllerSinceMs: 5 });
    // Unchanged: the same partition objects (frozen), in arrays of the caller's own.
    const again = model.snapshot();
    expect(again.partitions[0]).toBe(snapshot.partitions[0]);
    expect(again.partitions).not.toBe(snapshot.partitions);
    expect(Object.isFrozen(snapshot.partitions[0])).toBe(true);
    snapshot.partitions.reverse();
    expect(model.snapshot().partitions.map((p) => p.partition)).toEqual([0, 2, 10]);
    model.touch();
    expect(model.snapshot()).toEqual(again);
  });
});
