import { describe, expect, it } from 'vitest';
import {
  parseBrokerIds,
  parseController,
  parsePartitionState,
  statCreatedAtMs,
  parseTopicAssignment,
  parseTopicConfig,
} from '../../src/cluster/zookeeper.js';

describe('parseBrokerIds', () => {
  it.each([
    [[], []],
    [
      ['3', '1', '2'],
      [1, 2, 3],
    ],
    [
      ['10', '9'],
      [9, 10],
    ],
    [['1', 'not-a-broker'], [1]],
  ])('%j -> %j', (children, ids) => {
    expect(parseBrokerIds(children)).toEqual(ids);
  });
});

describe('parseController', () => {
  it.each([
    ['{"version":1,"brokerid":2,"timestamp":"1458000000000"}', 2],
    ['{"version":1,"brokerid":-1}', undefined],
    ['3', 3],
    ['', undefined],
    [undefined, undefined],
  ])('%j -> %j', (data, id) => {
    expect(parseController(data)).toBe(id);
  });

  it.each(['{"version":1}', '{"brokerid":"2"}', 'nonsense', '[1]'])('rejects %j with a ZOOKEEPER_UNEXPECTED_DATA error', (data) => {
    expect(() => parseController(data)).toThrowError(expect.objectContaining({ code: 'ZOOKEEPER_UNEXPECTED_DATA', retriable: false }));
  });
});

describe('parseTopicAssignment', () => {
  it('returns replicas in assignment order, partitions sorted numerically', () => {
    expect(parseTopicAssignment('{"version":1,"partitions":{"10":[3,1,2],"2":[2,3,1],"0":[1,2,3]}}')).toEqual([
      { partition: 0, replicas: [1, 2, 3] },
      { partition: 2, replicas: [2, 3, 1] },
      { partition: 10, replicas: [3, 1, 2] },
    ]);
  });

  it.each([
    ['{"version":1}', '"partitions" is not an object'],
    ['{"partitions":[[1,2]]}', '"partitions" is not an object'],
    ['{"partitions":{"x":[1]}}', 'partition "x" is not a number'],
    ['{"partitions":{"0":[1,"2"]}}', 'not a list of integers'],
    ['{', 'not JSON'],
  ])('rejects %s (%s), naming the node', (data, why) => {
    expect(() => parseTopicAssignment(data, '/brokers/topics/t')).toThrowError(
      new RegExp(`/brokers/topics/t .*${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});

describe('parsePartitionState', () => {
  it.each([
    ['{"controller_epoch":1,"leader":2,"version":1,"leader_epoch":0,"isr":[2,3,1]}', { leader: 2, isr: [2, 3, 1], leaderEpoch: 0 }],
    ['{"controller_epoch":4,"leader":-1,"version":1,"leader_epoch":7,"isr":[]}', { leader: -1, isr: [], leaderEpoch: 7 }],
    // Older writers may leave the epoch out; it is optional for the engine.
    ['{"leader":3,"isr":[3]}', { leader: 3, isr: [3] }],
  ])('%s', (data, state) => {
    expect(parsePartitionState(data)).toEqual(state);
  });

  it.each(['{"isr":[1]}', '{"leader":1}', '{"leader":1,"isr":"1,2"}', 'null'])('rejects %s', (data) => {
    expect(() => parsePartitionState(data)).toThrowError(expect.objectContaining({ code: 'ZOOKEEPER_UNEXPECTED_DATA' }));
  });
});

describe('parseTopicConfig', () => {
  it.each([
    ['{"version":1,"config":{"min.insync.replicas":"2","retention.ms":"1000"}}', { 'min.insync.replicas': '2', 'retention.ms': '1000' }],
    ['{"version":1,"config":{"min.insync.replicas":2}}', { 'min.insync.replicas': '2' }],
    ['{"version":1,"config":{}}', {}],
    ['{"version":1}', {}],
    ['', {}],
    [undefined, {}],
  ])('%j', (data, config) => {
    expect(parseTopicConfig(data)).toEqual(config);
  });

  it('rejects a config that is not an object', () => {
    expect(() => parseTopicConfig('{"config":["a"]}')).toThrowError(/"config" is not an object/);
  });
});

describe('statCreatedAtMs', () => {
  it('reads the 8-byte big-endian ctime of a ZooKeeper stat', () => {
    const ctime = Buffer.alloc(8);
    ctime.writeBigInt64BE(1796165589920n);
    expect(statCreatedAtMs({ ctime })).toBe(1796165589920);
  });

  it.each([undefined, null, {}, { ctime: Buffer.alloc(4) }, { ctime: Buffer.alloc(8) }])('tells nothing from %o', (stat) => {
    expect(statCreatedAtMs(stat)).toBeUndefined();
  });
});
