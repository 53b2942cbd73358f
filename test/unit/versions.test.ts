/**
 * The version table against Apache Kafka's own definitions: the ApiVersion /
 * MetadataVersion list (kafka/api/ApiVersion.scala, server-common MetadataVersion.java),
 * how KafkaConfig resolves a config value to one of its ids (short version → the
 * release's latest sub-version; "0.10.2.1" keeps three segments before 1.0, "2.8.1" two
 * from 1.0) and which record (message format) version each id selects.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  assertUpgradePath,
  compareProtocol,
  compareRelease,
  messageFormatOf,
  protocolVersionsAcceptedBy,
  resolveProtocolVersion,
} from '../../src/plan/versions.js';

/**
 * Every ZooKeeper-mode inter.broker.protocol.version id Kafka defines, in its order,
 * transcribed release by release from ApiVersion.scala (to 2.8) and MetadataVersion.java
 * (3.0–3.9, the IBP_x_y_IVn constants).
 */
const KAFKA_IDS: string[] = [
  '0.8.0',
  '0.8.1',
  '0.8.2',
  '0.9.0',
  '0.10.0-IV0',
  '0.10.0-IV1',
  '0.10.1-IV0',
  '0.10.1-IV1',
  '0.10.1-IV2',
  '0.10.2-IV0',
  '0.11.0-IV0',
  '0.11.0-IV1',
  '0.11.0-IV2',
  '1.0-IV0',
  '1.1-IV0',
  '2.0-IV0',
  '2.0-IV1',
  '2.1-IV0',
  '2.1-IV1',
  '2.1-IV2',
  '2.2-IV0',
  '2.2-IV1',
  '2.3-IV0',
  '2.3-IV1',
  '2.4-IV0',
  '2.4-IV1',
  '2.5-IV0',
  '2.6-IV0',
  '2.7-IV0',
  '2.7-IV1',
  '2.7-IV2',
  '2.8-IV0',
  '2.8-IV1',
  '3.0-IV0',
  '3.0-IV1',
  '3.1-IV0',
  '3.2-IV0',
  '3.3-IV0',
  '3.3-IV1',
  '3.3-IV2',
  '3.3-IV3',
  '3.4-IV0',
  '3.5-IV0',
  '3.5-IV1',
  '3.5-IV2',
  '3.6-IV0',
  '3.6-IV1',
  '3.6-IV2',
  '3.7-IV0',
  '3.7-IV1',
  '3.7-IV2',
  '3.7-IV3',
  '3.7-IV4',
  '3.8-IV0',
  '3.9-IV0',
];

describe('resolveProtocolVersion: a config value as KafkaConfig reads it', () => {
  // A short version means the latest sub-version of that release (the upgrade notes'
  // "inter.broker.protocol.version=0.11.0" is 0.11.0-IV2). Extra segments are dropped:
  // three are kept before 1.0, two from 1.0 on. "0.11" is kafka-ops' shorthand for
  // "0.11.0" (Kafka itself would not accept it in server.properties; kafka-ops only
  // writes the three-segment form there).
  it.each([
    ['0.11', '0.11.0-IV2'],
    ['0.11.0', '0.11.0-IV2'],
    ['0.11.0.3', '0.11.0-IV2'],
    ['0.10.2.1', '0.10.2-IV0'],
    ['0.10.2', '0.10.2-IV0'],
    ['0.10.0', '0.10.0-IV1'],
    ['0.10.1.1', '0.10.1-IV2'],
    ['0.9.0.1', '0.9.0'],
    ['0.8.2.2', '0.8.2'],
    ['1.0', '1.0-IV0'],
    ['1.0.2', '1.0-IV0'],
    ['2.0.1', '2.0-IV1'],
    ['2.1', '2.1-IV2'],
    ['2.8.1', '2.8-IV1'],
    ['3.0', '3.0-IV1'],
    ['3.3', '3.3-IV3'],
    ['3.7.1', '3.7-IV4'],
    ['3.9', '3.9-IV0'],
    [' 2.8 ', '2.8-IV1'],
  ])('%j → %s', (value, id) => {
    expect(resolveProtocolVersion(value)).toBe(id);
  });

  it.each(KAFKA_IDS)('exact id %s resolves to itself', (id) => {
    expect(resolveProtocolVersion(id)).toBe(id);
  });

  it.each([
    ['a sub-version the release does not have', '0.11.0-IV9'],
    ['a sub-version on a pre-0.10 release', '0.9.0-IV0'],
    ['a release after the last ZooKeeper-mode one', '4.0'],
    ['a release before 0.8.0', '0.7'],
    ['a release before 0.8.0 with three segments', '0.7.2'],
    ['a minor that never existed', '1.2'],
    ['a bare major', '2'],
    ['words', 'garbage'],
    ['the empty string', ''],
    ['a version with a v prefix', 'v2.8'],
  ])('%s (%j) is rejected: undefined', (_what, value) => {
    expect(resolveProtocolVersion(value)).toBeUndefined();
  });
});

describe('protocol order', () => {
  it('compareProtocol orders every id strictly after the one before it', () => {
    for (let i = 1; i < KAFKA_IDS.length; i++) {
      const [older, newer] = [KAFKA_IDS[i - 1] as string, KAFKA_IDS[i] as string];
      expect(compareProtocol(older, newer), `${older} < ${newer}`).toBeLessThan(0);
      expect(compareProtocol(newer, older), `${newer} > ${older}`).toBeGreaterThan(0);
      expect(compareProtocol(newer, newer)).toBe(0);
    }
  });

  it('a short version compares equal to the id it means', () => {
    expect(compareProtocol('0.11', '0.11.0-IV2')).toBe(0);
    expect(compareProtocol('2.8.1', '2.8-IV1')).toBe(0);
    expect(compareProtocol('0.11.0-IV1', '0.11.0')).toBeLessThan(0);
  });

  it('compares numerically, not as strings (0.9.0 < 0.10.0, 2.8 < 3.0 < 3.9)', () => {
    expect(compareRelease('0.9.0', '0.10.0')).toBeLessThan(0);
    expect(compareRelease('0.10.2', '0.11.0')).toBeLessThan(0);
    expect(compareRelease('0.11.0', '1.0')).toBeLessThan(0);
    expect(compareRelease('2.8.2', '3.0.0')).toBeLessThan(0);
    expect(compareRelease('3.0', '3.9')).toBeLessThan(0);
    expect(compareRelease('0.11', '0.11.0.3')).toBe(0);
  });

  it('throws on a value that is not a version instead of ordering it somewhere', () => {
    expect(() => compareProtocol('garbage', '1.0')).toThrow(TypeError);
    expect(() => compareRelease('4.0', '1.0')).toThrow(TypeError);
  });
});

describe("protocolVersionsAcceptedBy: the ids a release's binaries accept", () => {
  it('0.10.2.1 accepts everything up to 0.10.2-IV0 and nothing from 0.11.0', () => {
    const accepted = protocolVersionsAcceptedBy('0.10.2.1');
    expect(accepted.at(-1)).toBe('0.10.2-IV0');
    expect(accepted).toEqual(KAFKA_IDS.slice(0, KAFKA_IDS.indexOf('0.10.2-IV0') + 1));
    expect(accepted).not.toContain('0.11.0-IV0');
  });

  it('3.9 accepts the whole ZooKeeper-mode table, in order', () => {
    expect(protocolVersionsAcceptedBy('3.9')).toEqual(KAFKA_IDS);
  });

  it.each([
    ['0.8.2', '0.8.2'],
    ['0.9.0.1', '0.9.0'],
    ['0.11.0.3', '0.11.0-IV2'],
    ['2.8.2', '2.8-IV1'],
    ['3.3.2', '3.3-IV3'],
  ])('%s ends with %s', (release, last) => {
    expect(protocolVersionsAcceptedBy(release).at(-1)).toBe(last);
  });

  it('an unknown release accepts nothing', () => {
    expect(protocolVersionsAcceptedBy('4.0')).toEqual([]);
  });
});

describe('messageFormatOf: the record version an id selects (ApiVersion.recordVersion)', () => {
  // v1 came with KIP-31/32 at 0.10.0-IV0, v2 with KIP-98 at 0.11.0-IV0.
  it.each([
    ['0.8.0', 0],
    ['0.8.2', 0],
    ['0.9.0', 0],
    ['0.10.0-IV0', 1],
    ['0.10.0-IV1', 1],
    ['0.10.1', 1],
    ['0.10.2-IV0', 1],
    ['0.11.0-IV0', 2],
    ['0.11.0-IV1', 2],
    ['0.11.0', 2],
    ['1.0', 2],
    ['2.8', 2],
    ['3.9', 2],
  ] as const)('%s → v%i', (id, format) => {
    expect(messageFormatOf(id)).toBe(format);
  });

  it('is monotonic over the whole table', () => {
    const formats = KAFKA_IDS.map((id) => messageFormatOf(id));
    expect(formats).toEqual([...formats].sort((a, b) => a - b));
  });
});

describe('assertUpgradePath', () => {
  const failure = (from: string, to: string): UserError => {
    try {
      assertUpgradePath(from, to);
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      return error as UserError;
    }
    throw new Error(`assertUpgradePath(${from}, ${to}) did not throw`);
  };

  it.each([
    ['0.8.2', '0.9.0'],
    ['0.8.2.2', '3.9'],
    ['0.10.2.1', '0.11'],
    ['2.8', '3.0'],
  ])('%s → %s is a path it plans', (from, to) => {
    expect(() => assertUpgradePath(from, to)).not.toThrow();
  });

  const cases = [
    { what: 'a downgrade', from: '1.1', to: '0.11.0', mentions: ['older'] },
    { what: 'the same release', from: '2.8', to: '2.8.2', mentions: ['already on 2.8'] },
    { what: 'a release older than 0.8.2', from: '0.8.1', to: '0.9.0', mentions: ['0.8.2'] },
  ];

  it.each(cases)('$what ($from → $to) is a UserError with exit code 2', ({ from, to, mentions }) => {
    const error = failure(from, to);
    expect(error.exitCode).toBe(2);
    expect(error.kind).toBe('user');
    expect(error.action).not.toBe('');
    for (const text of mentions) expect(error.message).toContain(text);
  });

  it('each refusal has its own code', () => {
    const codes = cases.map(({ from, to }) => failure(from, to).code);
    expect(new Set(codes).size).toBe(cases.length);
  });
});
