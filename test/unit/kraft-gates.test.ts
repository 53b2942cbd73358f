/**
 * The KRaft decisions, table-driven: every node supports the target metadata.version; a
 * controller stops only while the other voters form a caught-up majority; the kraft.version
 * warning. Inputs are what the tools print (fixtures) or small in-memory tables.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodeFeatureSupport, QuorumReplica } from '../../src/cluster/kraft-port.js';
import { featureSupportFindings, kraftVersionFindings, quorumBeforeStopFindings, votersNotCaughtUp } from '../../src/engine/kraft-gates.js';
import { parseQuorumReplication } from '../../src/cluster/kraft-output.js';

const replication = (name: string) => parseQuorumReplication(readFileSync(`test/fixtures/kraft/${name}`, 'utf8'));
const NOW = 1_000_000;
const voter = (nodeId: number, status: QuorumReplica['status'], lag = 0, agoMs = 100): QuorumReplica => ({
  nodeId,
  status,
  lag,
  logEndOffset: 100 - lag,
  lastFetchTimestamp: status === 'Leader' ? -1 : NOW - agoMs,
  lastCaughtUpTimestamp: status === 'Leader' ? NOW : agoMs < 0 ? -1 : NOW - agoMs,
});

describe('quorum majority before stopping a controller', () => {
  const healthy3 = [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower'), voter(4, 'Observer', 5000, 60_000)];
  it.each<[string, QuorumReplica[], number, boolean]>([
    ['3 voters all caught up, stopping a follower', healthy3, 2, false],
    ['3 voters all caught up, stopping the leader', healthy3, 1, false],
    ['a broker (observer) is not a voter: never blocked by the quorum', healthy3, 4, false],
    ['a node the quorum does not list', healthy3, 9, false],
    ['3 voters, the other follower lags by offsets', [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower', 5000)], 2, true],
    [
      '3 voters, the other follower has not caught up for 9 s',
      [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower', 0, 9000)],
      2,
      true,
    ],
    ['3 voters, the other follower never caught up', [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower', 0, -1)], 2, true],
    ['3 voters, stopping the lagging one itself is fine', [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower', 5000)], 3, false],
    [
      '5 voters, one other lagging: 3 of 5 remain caught up',
      [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower'), voter(4, 'Follower'), voter(5, 'Follower', 5000)],
      2,
      false,
    ],
    [
      '5 voters, two others lagging: 2 of 5 remain',
      [voter(1, 'Leader'), voter(2, 'Follower'), voter(3, 'Follower'), voter(4, 'Follower', 5000), voter(5, 'Follower', 0, 10_000)],
      2,
      true,
    ],
    ['1 voter: stopping it can never keep a majority', [voter(1, 'Leader')], 1, true],
    ['no leader at all', [voter(1, 'Follower'), voter(2, 'Follower'), voter(3, 'Follower')], 2, true],
  ])('%s → blocked: %s', (_what, rows, node, blocked) => {
    const findings = quorumBeforeStopFindings(rows, node);
    expect(findings.length > 0).toBe(blocked);
    expect(findings.every((f) => f.blocking && f.check === 'quorum-majority-without-controller')).toBe(true);
  });

  it('names the lagging voter with its lag and age (3.9 fixture: controller 3 is 1822 offsets, 9.1 s behind)', () => {
    const [finding] = quorumBeforeStopFindings(replication('quorum-replication-3.9-lagging.txt'), 1);
    expect(finding?.nodes).toEqual([3]);
    expect(finding?.message).toMatch(/1 caught-up voter\(s\) of 3, fewer than the majority of 2/);
    expect(finding?.message).toMatch(/3 \(lag 1822, 9100 ms since caught up\)/);
  });

  it('the 3.6 fixture (every follower within 2 offsets and 170 ms) lets any controller stop', () => {
    for (const node of [1, 2, 3]) expect(quorumBeforeStopFindings(replication('quorum-replication-3.6.txt'), node)).toEqual([]);
  });

  it("the thresholds are the operator's: a tighter offset limit blocks the 3.6 fixture", () => {
    expect(
      quorumBeforeStopFindings(replication('quorum-replication-3.6.txt'), 2, { maxLagOffsets: 1, maxCaughtUpAgeMs: 2000 }),
    ).toHaveLength(1);
  });
});

describe('every node supports the target metadata.version', () => {
  const range = (node: number, min: string, max: string): NodeFeatureSupport => ({ node, metadataVersion: { min, max }, source: 'test' });
  it.each<[string, NodeFeatureSupport[], number[], string, number[]]>([
    ['all on 4.0 binaries', [range(1, '3.3-IV3', '4.0-IV3'), range(2, '3.3-IV3', '4.0-IV3')], [1, 2], '4.0-IV3', []],
    ['one node still on 3.9 binaries', [range(1, '3.3-IV3', '4.0-IV3'), range(2, '3.0-IV1', '3.9-IV0')], [1, 2], '4.0', [2]],
    ['a release name resolves to its latest id', [range(1, '3.0-IV1', '3.9-IV0')], [1], '3.9', []],
    ["a target below a 4.0 binary's minimum", [range(1, '3.3-IV3', '4.0-IV3')], [1], '3.3-IV2', [1]],
    ['one node did not answer', [range(1, '3.3-IV3', '4.0-IV3')], [1, 2], '4.0-IV3', [2]],
    [
      'a range kafka-ops cannot read counts as unknown',
      [range(1, '3.3-IV3', '4.0-IV3'), range(2, '9.9-IV9', '9.9-IV9')],
      [1, 2],
      '4.0-IV3',
      [2],
    ],
  ])('%s → blocking nodes %j', (_what, support, nodes, target, blocked) => {
    const findings = featureSupportFindings(support, nodes, target);
    expect(findings.flatMap((f) => f.nodes).sort()).toEqual(blocked);
    expect(findings.every((f) => f.blocking)).toBe(true);
  });

  it('says which range the node has and where it came from', () => {
    const [finding] = featureSupportFindings(
      [{ node: 5, metadataVersion: { min: '3.0-IV1', max: '3.9-IV0' }, source: 'binary 3.9.1' }],
      [5],
      '4.0-IV3',
    );
    expect(finding?.message).toBe(
      'metadata.version 4.0-IV3 is outside what node 5 (3.0-IV1 … 3.9-IV0, from binary 3.9.1) support: finalizing would be refused.',
    );
  });
});

describe('kraft.version warning', () => {
  it.each([
    ['3.8', {}, 0],
    ['3.9', { kraftVersion: 0 }, 1],
    ['4.0', {}, 1],
    ['4.0', { kraftVersion: 1 }, 1],
  ])('target %s with %j → %i warning(s), never blocking', (to, finalized, count) => {
    const findings = kraftVersionFindings(finalized, to);
    expect(findings).toHaveLength(count);
    expect(findings.every((f) => !f.blocking)).toBe(true);
  });

  it('at level 0 it says --release-version would raise it and that kafka-ops names metadata.version alone', () => {
    expect(kraftVersionFindings({ kraftVersion: 0 }, '4.0')[0]?.message).toMatch(
      /--release-version.*raise it to 1.*--feature metadata\.version=/,
    );
  });
});

describe('voters not caught up (check and verify)', () => {
  it('the lagging fixture: controller 3 only; observers never count', () => {
    expect(votersNotCaughtUp(replication('quorum-replication-3.9-lagging.txt')).map((v) => v.nodeId)).toEqual([3]);
  });
  it('a real 3.9.2 quorum at rest: none', () => {
    expect(votersNotCaughtUp(replication('quorum-replication-3.9.2-real.txt'))).toEqual([]);
  });
  it('no leader: every voter', () => {
    const table = replication('quorum-replication-3.9.2-real.txt').map((r) =>
      r.status === 'Leader' ? { ...r, status: 'Follower' as const } : r,
    );
    expect(votersNotCaughtUp(table).map((v) => v.nodeId)).toEqual([1, 2, 3]);
  });
});
