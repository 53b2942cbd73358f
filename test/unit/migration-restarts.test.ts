import { describe, expect, it } from 'vitest';
import type { KraftQuorum, QuorumReplica } from '../../src/cluster/kraft-port.js';
import { RestartAwareQuorum, withMigrationMembers } from '../../src/engine/migration.js';
import { quorumBeforeStopFindings } from '../../src/engine/kraft-gates.js';

/** What the leader (3001) reports at `now`: 3000's and 1's last fetch and catch-up at `seen`. */
function rows(now: number, seen: { voter: number; observer: number }): QuorumReplica[] {
  return [
    { nodeId: 3000, logEndOffset: 50, lag: 0, lastFetchTimestamp: seen.voter, lastCaughtUpTimestamp: seen.voter, status: 'Follower' },
    { nodeId: 3001, logEndOffset: 50, lag: 0, lastFetchTimestamp: -1, lastCaughtUpTimestamp: now, status: 'Leader' },
    { nodeId: 3002, logEndOffset: 50, lag: 0, lastFetchTimestamp: now - 100, lastCaughtUpTimestamp: now - 100, status: 'Follower' },
    { nodeId: 1, logEndOffset: 50, lag: 0, lastFetchTimestamp: seen.observer, lastCaughtUpTimestamp: seen.observer, status: 'Observer' },
  ];
}
const noQuorum: KraftQuorum = {
  replication: () => Promise.reject(new Error('not read')),
  status: () => Promise.reject(new Error('not read')),
};
const members = (replication: QuorumReplica[]) => withMigrationMembers({ brokers: [], partitions: [] } as never, replication, 4000).brokers;

describe('a node the migration stopped, as the quorum reports it', () => {
  it('is neither fetching nor caught up on the timestamps the leader kept from before its stop', () => {
    const quorum = new RestartAwareQuorum(noQuorum);
    // 3000 fetched 300 ms before it was stopped: the leader still shows that as recent.
    const before = rows(10_000, { voter: 9_700, observer: 9_900 });
    expect(members(before)).toEqual([1, 3000, 3001, 3002]);
    quorum.stoppedNow(3000);
    quorum.stoppedNow(1);
    const stale = quorum.adjust(rows(10_500, { voter: 9_700, observer: 9_900 }));
    expect(members(stale)).toEqual([3001, 3002]);
    // The next controller may not stop: without 3000 only the leader is caught up.
    expect(quorumBeforeStopFindings(stale, 3002)).toMatchObject([{ check: 'quorum-majority-without-controller', nodes: [3000] }]);
    expect(quorumBeforeStopFindings(rows(10_500, { voter: 9_700, observer: 9_900 }), 3002)).toEqual([]);
  });

  it('counts again once the leader reports a fetch and a catch-up after the first answer read since its stop', () => {
    const quorum = new RestartAwareQuorum(noQuorum);
    quorum.stoppedNow(3000);
    quorum.stoppedNow(1);
    quorum.adjust(rows(10_500, { voter: 9_700, observer: 9_900 }));
    // Fetching again, not caught up yet: registered, but no vote to count on.
    const fetching = quorum.adjust(
      rows(12_000, { voter: 9_700, observer: 11_900 }).map((r) => (r.nodeId === 3000 ? { ...r, lastFetchTimestamp: 11_950 } : r)),
    );
    expect(members(fetching)).toEqual([1, 3000, 3001, 3002]);
    expect(quorumBeforeStopFindings(fetching, 3002)).toMatchObject([{ nodes: [3000] }]);
    const back = quorum.adjust(rows(12_500, { voter: 12_400, observer: 12_400 }));
    expect(quorumBeforeStopFindings(back, 3002)).toEqual([]);
    // Once seen back, later answers pass unchanged.
    const later = rows(13_000, { voter: 12_900, observer: 12_900 });
    expect(quorum.adjust(later)).toEqual(later);
  });

  it('an answer without a leader sets no mark: the first one with a leader does', () => {
    const quorum = new RestartAwareQuorum(noQuorum);
    quorum.stoppedNow(3000);
    const leaderless = rows(10_000, { voter: 9_900, observer: 9_900 }).map((r) =>
      r.status === 'Leader' ? { ...r, status: 'Follower' as const } : r,
    );
    expect(quorum.adjust(leaderless).find((r) => r.nodeId === 3000)).toMatchObject({ lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1 });
    // Read at 11_000: a fetch at 10_900 was made before that answer, so it does not count yet.
    expect(members(quorum.adjust(rows(11_000, { voter: 10_900, observer: 10_900 })))).not.toContain(3000);
    expect(members(quorum.adjust(rows(11_500, { voter: 11_400, observer: 11_400 })))).toContain(3000);
  });

  it('a stopped node that became the leader is back', () => {
    const quorum = new RestartAwareQuorum(noQuorum);
    quorum.stoppedNow(3001);
    const answer = rows(10_000, { voter: 9_900, observer: 9_900 });
    expect(quorum.adjust(answer)).toEqual(answer);
  });
});
