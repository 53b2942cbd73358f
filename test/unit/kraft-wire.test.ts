import { describe, expect, it } from 'vitest';
import { migrationControllerEndpoints, quorumStatusOf } from '../../src/cluster/kraft-wire.js';
import type { WireQuorum } from '../../src/cluster/kafka-wire.js';
import type { Inventory } from '../../src/inventory/model.js';

describe('the quorum status from a DescribeQuorum answer', () => {
  const quorum: WireQuorum = {
    leaderId: 3001,
    leaderEpoch: 7,
    highWatermark: 120,
    replicas: [
      { nodeId: 3000, logEndOffset: 118, lag: 2, lastFetchTimestamp: 9_900, lastCaughtUpTimestamp: 9_700, status: 'Follower' },
      { nodeId: 3001, logEndOffset: 120, lag: 0, lastFetchTimestamp: -1, lastCaughtUpTimestamp: 10_000, status: 'Leader' },
      { nodeId: 3002, logEndOffset: 120, lag: 0, lastFetchTimestamp: 9_990, lastCaughtUpTimestamp: 9_990, status: 'Follower' },
      { nodeId: 1, logEndOffset: 110, lag: 10, lastFetchTimestamp: 9_000, lastCaughtUpTimestamp: 8_000, status: 'Observer' },
    ],
  };

  it('reads as `describe --status` prints it: the lag over the voters only, observers apart', () => {
    expect(quorumStatusOf(quorum)).toEqual({
      leaderId: 3001,
      leaderEpoch: 7,
      highWatermark: 120,
      maxFollowerLag: 2,
      maxFollowerLagTimeMs: 300,
      voters: [3000, 3001, 3002],
      observers: [1],
    });
  });

  it('a quorum without a leader has no lag time', () => {
    const leaderless = {
      ...quorum,
      leaderId: -1,
      replicas: quorum.replicas.map((r) => ({ ...r, status: r.status === 'Leader' ? ('Follower' as const) : r.status })),
    };
    expect(quorumStatusOf(leaderless)).toMatchObject({ leaderId: -1, maxFollowerLagTimeMs: -1, voters: [3000, 3001, 3002] });
  });
});

describe("a migration's controllers as protocol endpoints", () => {
  it('each CONTROLLER listener, IPv6 brackets dropped; none without a migration section', () => {
    const inventory = {
      migration: { controllers: [{ listener: '10.0.0.5:9093' }, { listener: '[::1]:9094' }, { listener: 'bad' }] },
    } as unknown as Inventory;
    expect(migrationControllerEndpoints(inventory)).toEqual([
      { host: '10.0.0.5', port: 9093 },
      { host: '::1', port: 9094 },
    ]);
    expect(migrationControllerEndpoints({} as Inventory)).toEqual([]);
  });
});
