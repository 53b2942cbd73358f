/**
 * Parsing the KRaft tools' documented output formats (test/fixtures/kraft/README.md says
 * where the samples come from), and refusing anything else with a located message.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { finalizedFeaturesOf, parseFeaturesDescribe, parseQuorumReplication, parseQuorumStatus } from '../../src/cluster/kraft-output.js';

const fixture = (name: string) => readFileSync(`test/fixtures/kraft/${name}`, 'utf8');

describe('kafka-features.sh describe', () => {
  it.each([
    ['features-describe-3.6.txt', '3.0-IV1', '3.6-IV2', { metadataVersion: '3.6-IV2' }],
    ['features-describe-3.9.txt', '3.0-IV1', '3.9-IV0', { metadataVersion: '3.9-IV0', kraftVersion: 0 }],
    ['features-describe-4.0.txt', '3.3-IV3', '4.0-IV3', { metadataVersion: '4.0-IV3', kraftVersion: 0 }],
  ])('%s: metadata.version supported %s … %s, finalized %j', (file, min, max, finalized) => {
    const features = parseFeaturesDescribe(fixture(file));
    const metadata = features.find((f) => f.feature === 'metadata.version');
    expect([metadata?.supportedMin, metadata?.supportedMax]).toEqual([min, max]);
    expect(finalizedFeaturesOf(features)).toEqual(finalized);
  });

  it.each([
    ['features-describe-3.9.2-real.txt', '3.0-IV1'],
    // The 4.4 tool cannot name level 1 and prints "UNKNOWN 1": read as the level's name.
    ['features-describe-4.4-tool-on-3.9.2.txt', '3.0-IV1'],
  ])('%s (captured from a real 3.9.2 cluster): min %s, finalized 3.9-IV0, kraft.version 0', (file, min) => {
    const features = parseFeaturesDescribe(fixture(file));
    const metadata = features.find((f) => f.feature === 'metadata.version');
    expect([metadata?.supportedMin, metadata?.supportedMax]).toEqual([min, '3.9-IV0']);
    expect(finalizedFeaturesOf(features)).toEqual({ metadataVersion: '3.9-IV0', kraftVersion: 0 });
  });

  it('reads every feature line of a 4.0 cluster, and a level of 0 as not finalized', () => {
    const features = parseFeaturesDescribe(fixture('features-describe-4.0.txt'));
    expect(features.map((f) => f.feature)).toEqual(['group.version', 'kraft.version', 'metadata.version', 'transaction.version']);
    expect(features.find((f) => f.feature === 'group.version')?.finalized).toBeUndefined();
    expect(features.find((f) => f.feature === 'metadata.version')?.epoch).toBe(530);
  });

  it.each([
    ['empty output', ''],
    [
      'a ZooKeeper-mode cluster (no metadata.version)',
      'Feature: group.version\tSupportedMinVersion: 0\tSupportedMaxVersion: 1\tFinalizedVersionLevel: 0\tEpoch: 3\n',
    ],
    ['a Feature line without its range', 'Feature: metadata.version\tFinalizedVersionLevel: 3.9-IV0\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseFeaturesDescribe(text)).toThrow(InfrastructureError);
  });
});

describe('kafka-metadata-quorum.sh describe --replication', () => {
  it('3.3-3.8 format (no DirectoryId): every replica with its lag, timestamps and status', () => {
    const rows = parseQuorumReplication(fixture('quorum-replication-3.6.txt'));
    expect(rows.map((r) => [r.nodeId, r.lag, r.status])).toEqual([
      [1, 0, 'Leader'],
      [2, 0, 'Follower'],
      [3, 2, 'Follower'],
      [4, 0, 'Observer'],
      [5, 1, 'Observer'],
      [6, 0, 'Observer'],
    ]);
    expect(rows[0]).toEqual({
      nodeId: 1,
      logEndOffset: 48211,
      lag: 0,
      lastFetchTimestamp: -1,
      lastCaughtUpTimestamp: 1732262400120,
      status: 'Leader',
    });
  });

  it('3.9+ format: the DirectoryId column does not shift the numbers', () => {
    const rows = parseQuorumReplication(fixture('quorum-replication-3.9-lagging.txt'));
    expect(rows.find((r) => r.nodeId === 3)).toEqual({
      nodeId: 3,
      logEndOffset: 88710,
      lag: 1822,
      lastFetchTimestamp: 1732262491200,
      lastCaughtUpTimestamp: 1732262491200,
      status: 'Follower',
    });
    expect(rows.map((r) => r.status)).toEqual(['Leader', 'Follower', 'Follower', 'Observer']);
  });

  it('also reads space-separated rows (a terminal copy)', () => {
    const rows = parseQuorumReplication(
      'NodeId  LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status\n7  10  0  -1  1000  Leader\n',
    );
    expect(rows).toEqual([{ nodeId: 7, logEndOffset: 10, lag: 0, lastFetchTimestamp: -1, lastCaughtUpTimestamp: 1000, status: 'Leader' }]);
  });

  it.each([
    ['no header', '1\t10\t0\t-1\t-1\tLeader\n'],
    ['an unknown status', 'NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\n1\t10\t0\t-1\t-1\tCandidate\n'],
    [
      'a lag that is not a number',
      'NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\n1\t10\tx\t-1\t-1\tLeader\n',
    ],
    ['a missing column', 'NodeId\tLogEndOffset\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\n1\t10\t-1\t-1\tLeader\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseQuorumReplication(text)).toThrow(/kafka-metadata-quorum\.sh describe --replication/);
  });
});

describe('kafka-metadata-quorum.sh describe --status', () => {
  it.each([
    ['quorum-status-3.6.txt', 1, [1, 2, 3], [4, 5, 6], 170],
    ['quorum-status-3.9.txt', 2, [1, 2, 3], [4], 9100],
  ])('%s: leader %i, voters %j, observers %j', (file, leader, voters, observers, lagMs) => {
    const status = parseQuorumStatus(fixture(file));
    expect(status.leaderId).toBe(leader);
    expect(status.voters).toEqual(voters);
    expect(status.observers).toEqual(observers);
    expect(status.maxFollowerLagTimeMs).toBe(lagMs);
    expect(status.clusterId).toBe('6kHnOe2tRZy1b9pQm3XaLw');
  });

  it('a quorum without a leader (LeaderId -1, no MaxFollowerLagTimeMs) is read, not refused', () => {
    const status = parseQuorumStatus(
      'ClusterId: a\nLeaderId: -1\nLeaderEpoch: 41\nHighWatermark: -1\nMaxFollowerLag: -1\nCurrentVoters: [{"id": 3000}, {"id": 3001}]\nCurrentObservers: []\n',
    );
    expect([status.leaderId, status.maxFollowerLagTimeMs, status.voters, status.observers]).toEqual([-1, -1, [3000, 3001], []]);
  });

  it('refuses output without CurrentVoters', () => {
    expect(() => parseQuorumStatus('ClusterId: a\nLeaderId: 1\nLeaderEpoch: 1\nHighWatermark: 1\nMaxFollowerLag: 0\n')).toThrow(
      /CurrentVoters/,
    );
  });
});

describe('captured from a real 3.9.2 quorum (3 controllers, 3 brokers), by the 3.9.2 and the 4.4.0 tool', () => {
  it.each(['quorum-replication-3.9.2-real.txt', 'quorum-replication-4.4-tool-on-3.9.2.txt'])(
    '%s: voters 1-3, brokers 4-6 observers',
    (file) => {
      const replicas = parseQuorumReplication(fixture(file));
      expect(replicas.map((r) => `${r.nodeId}:${r.status}`)).toEqual([
        '1:Leader',
        '2:Follower',
        '3:Follower',
        '4:Observer',
        '5:Observer',
        '6:Observer',
      ]);
      expect(replicas.every((r) => r.lastFetchTimestamp > 1_700_000_000_000 && r.logEndOffset > 0)).toBe(true);
    },
  );

  it.each(['quorum-status-3.9.2-real.txt', 'quorum-status-4.4-tool-on-3.9.2.txt'])('%s: leader 1, voters and observers by id', (file) => {
    const status = parseQuorumStatus(fixture(file));
    expect([status.leaderId, status.voters, status.observers]).toEqual([1, [1, 2, 3], [4, 5, 6]]);
  });
});
