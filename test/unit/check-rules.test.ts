/**
 * The rules of `check` and `verify`, table-driven: a healthy three-broker cluster gives no
 * finding; each single problem gives exactly its finding id and severity, and the report's
 * exit code follows (3 when something was unreachable, 1 for a failing finding, 0 else).
 */
import { describe, expect, it } from 'vitest';
import { checkFindings, controlledShutdownBoundMs } from '../../src/check/check-rules.js';
import {
  CHECK_IDS,
  CHECK_TITLES,
  VERIFY_IDS,
  reportOf,
  type BrokerObservation,
  type Finding,
  type Observations,
} from '../../src/check/model.js';
import { verifyFindings } from '../../src/check/verify-rules.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { Inventory } from '../../src/inventory/model.js';
import { useScratchDir } from '../helpers/inventory-fixtures.js';
import { partition, snapshot } from '../helpers/snapshots.js';
import { schemaErrors, schemaFile } from '../helpers/schemas.js';

const scratch = useScratchDir('check-rules');
const OLD = '/opt/kafka_2.11-0.10.2.1';
const NEW = '/opt/kafka_2.11-0.11.0.3';
const inventory: Inventory = loadInventory(
  scratch.write(
    'inventory.yaml',
    `cluster: rules
state:
  zookeeper: zk1:2181
executor:
  kind: ssh
defaults:
  configPath: /etc/kafka/server.properties
  installLink: /opt/kafka
  installs:
    "0.10.2.1": ${OLD}
    "0.11.0.3": ${NEW}
  run:
    systemd: kafka.service
  logFile: /var/log/kafka/server.log
  stop:
    timeoutSeconds: 120
brokers:
  - id: 1
    host: kafka1
  - id: 2
    host: kafka2
  - id: 3
    host: kafka3
`,
  ),
);

const CONFIG = ['zookeeper.connect=zk1:2181', 'min.insync.replicas=2', 'unclean.leader.election.enable=false', 'log.dirs=/data/a,/data/b'];
const configText = (extra: string[] = [], id = 1) => [`broker.id=${id}`, ...CONFIG, ...extra].join('\n');
/** What the installs' own KafkaConfig docs list (enough of it for these configs). */
const KNOWN_KEYS = new Set([
  'broker.id',
  'zookeeper.connect',
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'log.dirs',
  'num.io.threads',
  'controlled.shutdown.enable',
  'controlled.shutdown.max.retries',
  'controlled.shutdown.retry.backoff.ms',
  'inter.broker.protocol.version',
  'log.message.format.version',
]);

/** Every broker up on 0.10.2.1 with both installs present, plenty of disk; topic orders RF 3 fully in sync. */
function healthy(link = OLD, extra: string[] = []): Observations {
  return {
    inventory,
    brokers: inventory.brokers.map((spec) => ({
      spec,
      facts: {
        process: { pid: 100 + spec.id, ignoredSignals: [], startedAtMs: 50_000 },
        linkTarget: link,
        installs: {
          '0.10.2.1': { present: true, release: '0.10.2.1', realPath: OLD },
          '0.11.0.3': { present: true, release: '0.11.0.3', realPath: NEW },
        },
        configModifiedAtMs: 10_000,
        linkModifiedAtMs: 10_000,
      },
      configText: configText(extra, spec.id),
      configKeys: { '0.10.2.1': KNOWN_KEYS, '0.11.0.3': KNOWN_KEYS },
      disk: [
        { path: '/data/a', totalBytes: 1000, availableBytes: 500 },
        { path: '/data/b', totalBytes: 1000, availableBytes: 400 },
      ],
    })),
    cluster: {
      snapshot: snapshot(
        [1, 2, 3],
        [partition('orders-0', [1, 2, 3]), partition('orders-1', [2, 3, 1]), partition('orders-2', [3, 1, 2])],
        {},
        1,
      ),
    },
  };
}

/** `obs` with broker `id`'s observation changed. */
function withBroker(obs: Observations, id: number, change: (b: BrokerObservation) => BrokerObservation): Observations {
  return { ...obs, brokers: obs.brokers.map((b) => (b.spec.id === id ? change(structuredClone(b)) : b)) };
}
const facts = (b: BrokerObservation) => b.facts as NonNullable<BrokerObservation['facts']>;
const summary = (fs: Finding[]) =>
  fs
    .map((f) => `${f.id}:${f.severity}${f.broker !== undefined ? `:b${f.broker}` : ''}${f.topic !== undefined ? `:${f.topic}` : ''}`)
    .sort();
const check = (obs: Observations, to = '0.11.0', minFreeDiskPercent = 10) => checkFindings(obs, { to, minFreeDiskPercent });

describe('check rules', () => {
  it('find nothing on a healthy cluster, and the report passes with exit 0', () => {
    expect(check(healthy())).toEqual([]);
    const report = reportOf('check', CHECK_IDS, healthy(), '0.11.0', [], false);
    expect(report).toMatchObject({ passed: true, exitCode: 0 });
    expect(report.checks.every((c) => c.status === 'passed')).toBe(true);
  });

  const infra = { message: 'connect ECONNREFUSED', action: 'Check the host.', infrastructure: true };
  const cases: Array<{
    what: string;
    obs: () => Observations;
    to?: string;
    minFree?: number;
    expected: string[];
    exit: number;
    strictExit?: number;
  }> = [
    {
      what: 'a host unreachable over the network',
      obs: () => withBroker(healthy(), 2, (b) => ({ spec: b.spec, unreachable: infra })),
      expected: ['host-reachable:error:b2'],
      exit: 3,
    },
    {
      what: 'an unknown host key',
      obs: () => withBroker(healthy(), 2, (b) => ({ spec: b.spec, unreachable: { ...infra, infrastructure: false } })),
      expected: ['host-reachable:error:b2'],
      exit: 1,
    },
    {
      what: 'no broker process',
      obs: () => withBroker(healthy(), 3, (b) => ({ ...b, facts: { ...facts(b), process: undefined } })),
      expected: ['broker-process:error:b3'],
      exit: 1,
    },
    {
      what: 'an install link outside `installs`',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, facts: { ...facts(b), linkTarget: '/opt/other' } })),
      expected: ['installed-release:error:b1'],
      exit: 1,
    },
    {
      what: 'server.properties unreadable',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, configText: undefined, configError: 'Permission denied' })),
      expected: ['config-found:error:b1'],
      exit: 1,
    },
    {
      what: 'the target install missing',
      obs: () =>
        withBroker(healthy(), 2, (b) => ({
          ...b,
          facts: { ...facts(b), installs: { ...facts(b).installs, '0.11.0.3': { present: false } } },
        })),
      expected: ['target-install:error:b2'],
      exit: 1,
    },
    {
      what: 'the target install holding another release',
      obs: () =>
        withBroker(healthy(), 2, (b) => ({
          ...b,
          facts: { ...facts(b), installs: { ...facts(b).installs, '0.11.0.3': { present: true, release: '0.11.0.2' } } },
        })),
      expected: ['target-install:error:b2'],
      exit: 1,
    },
    {
      what: 'no install of the target family in the inventory',
      obs: healthy,
      to: '1.0',
      expected: ['target-install:error:b1', 'target-install:error:b2', 'target-install:error:b3'],
      exit: 1,
    },
    {
      what: 'a process ignoring SIGINT',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, facts: { ...facts(b), process: { pid: 7, ignoredSignals: ['SIGINT'] } } })),
      expected: ['stop-signal-honoured:error:b1'],
      exit: 1,
    },
    {
      what: 'IBP differing between brokers',
      obs: () => withBroker(healthy(), 2, (b) => ({ ...b, configText: configText(['inter.broker.protocol.version=0.10.1'], 2) })),
      expected: ['versions-consistent:warning'],
      exit: 0,
      strictExit: 1,
    },
    {
      what: 'a downgrade requested',
      obs: healthy,
      to: '0.10.1',
      expected: ['target-install:error:b1', 'target-install:error:b2', 'target-install:error:b3', 'upgrade-path:error'],
      exit: 1,
    },
    {
      what: 'a broker not registered',
      obs: () => ({ ...healthy(), cluster: { snapshot: snapshot([1, 2], [partition('orders-0', [1, 2, 3], [1, 2])]) } }),
      expected: ['brokers-registered:error:b3', 'no-under-replicated-partitions:error:orders'],
      exit: 1,
    },
    {
      what: 'an offline partition',
      obs: () => ({ ...healthy(), cluster: { snapshot: snapshot([1, 2, 3], [partition('orders-0', [1, 2, 3], [], -1)]) } }),
      expected: ['no-offline-partitions:error', 'no-under-replicated-partitions:error:orders'],
      exit: 1,
    },
    {
      what: 'a topic with replication factor 1',
      obs: () => ({ ...healthy(), cluster: { snapshot: snapshot([1, 2, 3], [partition('solo-0', [2])]) } }),
      expected: ['topic-replication-factor:warning:solo'],
      exit: 0,
      strictExit: 1,
    },
    {
      what: 'replication factor <= min.insync.replicas',
      obs: () => ({ ...healthy(), cluster: { snapshot: snapshot([1, 2, 3], [partition('pair-0', [1, 2])]) } }),
      expected: ['topic-rf-above-min-isr:warning:pair'],
      exit: 0,
      strictExit: 1,
    },
    {
      what: 'a topic overriding min.insync.replicas to 1',
      obs: () => ({ ...healthy(), cluster: { snapshot: snapshot([1, 2, 3], [partition('loose-0', [1, 2, 3])], { loose: '1' }) } }),
      expected: ['topic-min-isr:warning:loose'],
      exit: 0,
    },
    {
      what: 'controlled.shutdown.enable=false',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, configText: configText(['controlled.shutdown.enable=false']) })),
      expected: ['controlled-shutdown-enabled:error:b1'],
      exit: 1,
    },
    {
      what: 'unclean.leader.election.enable=true',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, configText: configText(['unclean.leader.election.enable=true']) })),
      expected: ['unclean-leader-election:warning:b1'],
      exit: 0,
    },
    {
      what: 'unclean.leader.election.enable unset on 0.10.2 (default true)',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, configText: configText().replace('unclean.leader.election.enable=false', '') })),
      expected: ['unclean-leader-election:warning:b1'],
      exit: 0,
    },
    {
      what: 'a stop timeout shorter than the controlled-shutdown bound',
      obs: () =>
        withBroker(healthy(), 1, (b) => ({
          ...b,
          configText: configText(['controlled.shutdown.max.retries=10', 'controlled.shutdown.retry.backoff.ms=10000']),
        })),
      expected: ['stop-timeout:warning:b1'],
      exit: 0,
      strictExit: 1,
    },
    {
      what: 'a misspelt key (near a known one, which stays at its default)',
      obs: () => withBroker(healthy(), 2, (b) => ({ ...b, configText: configText(['controlled.shutdown.enabled=true'], 2) })),
      expected: ['config-lint:error:b2'],
      exit: 1,
    },
    {
      what: 'a key no release of Kafka knows (a plugin’s, perhaps)',
      obs: () => withBroker(healthy(), 2, (b) => ({ ...b, configText: configText(['my.authorizer.ldap.url=ldap://x'], 2) })),
      expected: ['config-lint:warning:b2'],
      exit: 0,
      strictExit: 1,
    },
    {
      what: 'a host that cannot list its release’s config keys',
      obs: () => withBroker(healthy(), 1, (b) => ({ ...b, configKeys: undefined })),
      expected: ['config-lint:info:b1'],
      exit: 0,
    },
    {
      what: 'a value lint rejects',
      obs: () => withBroker(healthy(), 3, (b) => ({ ...b, configText: configText(['num.io.threads=four'], 3) })),
      expected: ['config-lint:error:b3'],
      exit: 1,
    },
    {
      what: 'a log dir below the free-disk threshold',
      obs: healthy,
      minFree: 45,
      expected: ['disk-free:error:b1', 'disk-free:error:b2', 'disk-free:error:b3'],
      exit: 1,
    },
    {
      what: 'a configured log dir missing on the host',
      obs: () => withBroker(healthy(), 2, (b) => ({ ...b, disk: [{ path: '/data/a', totalBytes: 1000, availableBytes: 500 }] })),
      expected: ['disk-free:warning:b2'],
      exit: 0,
    },
    {
      what: 'an executor that cannot report disk space',
      obs: () => withBroker(healthy(), 2, (b) => ({ ...b, disk: 'unsupported' })),
      expected: ['disk-free:info:b2'],
      exit: 0,
    },
    {
      what: 'ZooKeeper unreachable',
      obs: () => ({ ...healthy(), cluster: { unreachable: infra } }),
      expected: ['cluster-reachable:error'],
      exit: 3,
    },
  ];

  it.each(cases)('$what', ({ obs, to, minFree, expected, exit, strictExit }) => {
    const findings = check(obs(), to ?? '0.11.0', minFree ?? 10);
    expect(summary(findings)).toEqual(expected.sort());
    for (const f of findings) expect(f.fix.length, f.id).toBeGreaterThan(0);
    expect(reportOf('check', CHECK_IDS, obs(), to ?? '0.11.0', findings, false).exitCode).toBe(exit);
    expect(reportOf('check', CHECK_IDS, obs(), to ?? '0.11.0', findings, true).exitCode).toBe(
      strictExit ?? (exit === 0 && findings.some((f) => f.severity === 'warning') ? 1 : exit),
    );
  });

  it("lints the config the broker ends with: the plan's IBP on the target release", () => {
    // 0.11.0 IBP on the 0.10.2 binaries would be rejected; after the plan it runs on 0.11.0.3, which accepts it.
    expect(
      summary(check(withBroker(healthy(), 1, (b) => ({ ...b, configText: configText(['inter.broker.protocol.version=0.11.0']) })))),
    ).toEqual(['versions-consistent:warning']);
  });

  it('reports a check that could not be done as not-checked, never as passed', () => {
    const obs = withBroker(healthy(), 2, (b) => ({ ...b, disk: 'unsupported' }));
    const report = reportOf('check', CHECK_IDS, obs, '0.11.0', check(obs), false);
    expect(report.checks.find((c) => c.id === 'disk-free')?.status).toBe('not-checked');
    expect(report.passed).toBe(true);
  });

  it.each([
    [{}, 3 * 5000 + 30_000],
    [{ 'controlled.shutdown.max.retries': '1', 'controlled.shutdown.retry.backoff.ms': '1000' }, 31_000],
    [{ 'controlled.shutdown.max.retries': 'x' }, 45_000],
  ])('controlled-shutdown bound of %j is %i ms', (config, ms) => {
    expect(controlledShutdownBoundMs(config)).toBe(ms);
  });
});

describe('verify rules (--at 0.11)', () => {
  const done = () => healthy(NEW, ['inter.broker.protocol.version=0.11.0', 'log.message.format.version=0.11.0']);
  const cases: Array<{ what: string; obs: () => Observations; expected: string[] }> = [
    { what: 'a cluster fully at 0.11', obs: done, expected: [] },
    { what: "IBP and LMFV unset (the binaries' own latest)", obs: () => healthy(NEW), expected: [] },
    {
      what: 'a broker still on the 0.10.2 install',
      obs: () => withBroker(done(), 2, (b) => ({ ...b, facts: { ...facts(b), linkTarget: OLD } })),
      expected: ['running-release:error:b2', 'release-mix:info'],
    },
    {
      what: 'a process older than its config',
      obs: () => withBroker(done(), 1, (b) => ({ ...b, facts: { ...facts(b), configModifiedAtMs: 60_000 } })),
      expected: ['running-current:error:b1'],
    },
    {
      what: 'IBP still pinned',
      obs: () =>
        withBroker(done(), 3, (b) => ({
          ...b,
          configText: configText(['inter.broker.protocol.version=0.10.2', 'log.message.format.version=0.10.2'], 3),
        })),
      expected: ['inter-broker-protocol:error:b3', 'message-format:error:b3', 'release-mix:info'],
    },
    {
      what: 'LMFV not bumped yet',
      obs: () =>
        withBroker(done(), 3, (b) => ({
          ...b,
          configText: configText(['inter.broker.protocol.version=0.11.0', 'log.message.format.version=0.10.2'], 3),
        })),
      expected: ['message-format:error:b3', 'release-mix:info'],
    },
    {
      what: 'a broker not registered',
      obs: () => ({ ...done(), cluster: { snapshot: snapshot([1, 3], [partition('orders-0', [1, 2, 3], [1, 3])]) } }),
      expected: ['brokers-registered:error:b2', 'no-under-replicated-partitions:error:orders'],
    },
  ];
  it.each(cases)('$what', ({ obs, expected }) => {
    const findings = verifyFindings(obs(), '0.11.0');
    expect(summary(findings)).toEqual(expected.sort());
    expect(reportOf('verify', VERIFY_IDS, obs(), '0.11.0', findings, false).exitCode).toBe(expected.length === 0 ? 0 : 1);
  });

  it('after a --brokers run: the mix of releases and IBP per broker, and the run that finishes the others', () => {
    const obs = withBroker(
      withBroker(done(), 2, (b) => ({
        ...b,
        facts: { ...facts(b), linkTarget: OLD },
        configText: configText(['inter.broker.protocol.version=0.10.2', 'log.message.format.version=0.10.2'], 2),
      })),
      3,
      (b) => ({
        ...b,
        facts: { ...facts(b), linkTarget: OLD },
        configText: configText(['inter.broker.protocol.version=0.10.2', 'log.message.format.version=0.10.2'], 3),
      }),
    );
    const mix = verifyFindings(obs, '0.11.0').find((f) => f.id === 'release-mix');
    expect(mix?.message).toBe(
      'The brokers run a mix: 0.11.0.3, inter.broker.protocol.version 0.11.0, log.message.format.version 0.11.0 on broker(s) 1; ' +
        '0.10.2.1, inter.broker.protocol.version 0.10.2, log.message.format.version 0.10.2 on broker(s) 2,3.',
    );
    expect(mix?.fix).toBe('Finish the brokers not at 0.11.0 yet: `kafka-ops upgrade --to 0.11.0 --brokers 2,3` (or `resume`).');
    const report = reportOf('verify', VERIFY_IDS, obs, '0.11.0', verifyFindings(obs, '0.11.0'), false);
    expect(report.checks.find((c) => c.id === 'release-mix')?.status).not.toBe('passed');
  });

  it('ignores log.message.format.version from 3.0, where Kafka ignores it', () => {
    const obs = healthy(NEW, ['inter.broker.protocol.version=3.0', 'log.message.format.version=0.10.2']);
    expect(summary(verifyFindings(obs, '3.0'))).toEqual([
      'running-release:error:b1',
      'running-release:error:b2',
      'running-release:error:b3',
    ]);
  });
});

describe('the check-result schema', () => {
  it('lists exactly the check ids of the code', () => {
    expect(schemaFile('check-result.v1.schema.json').$defs.checkId.enum.sort()).toEqual(Object.keys(CHECK_TITLES).sort());
  });

  it('accepts reports with findings of every kind and rejects a finding without a fix', () => {
    const obs = withBroker(healthy(), 2, (b) => ({ ...b, disk: 'unsupported', configText: configText(['num.io.threads=four'], 2) }));
    const report = reportOf('check', CHECK_IDS, obs, '0.11.0', check(obs), true);
    expect(schemaErrors('check-result.v1.schema.json', report)).toEqual([]);
    const broken = { ...report, findings: [{ ...report.findings[0], fix: undefined }] };
    expect(schemaErrors('check-result.v1.schema.json', JSON.parse(JSON.stringify(broken))).join('\n')).toContain(
      "must have required property 'fix'",
    );
  });
});

describe('an incomplete run', () => {
  it('marks the checks that needed an unreachable host or cluster state as not-checked, never passed', () => {
    const obs = {
      ...withBroker(healthy(), 2, (b) => ({ spec: b.spec, unreachable: { message: 'refused', action: 'x', infrastructure: true } })),
      cluster: {},
    };
    const report = reportOf('check', CHECK_IDS, obs, '0.11.0', check(obs), false);
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    expect(status).toMatchObject({
      'host-reachable': 'failed',
      'cluster-reachable': 'failed',
      'config-lint': 'not-checked',
      'no-under-replicated-partitions': 'not-checked',
    });
    expect(Object.values(status)).not.toContain('passed');
    expect(report.exitCode).toBe(3);
  });
});
