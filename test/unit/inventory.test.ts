/**
 * Inventory loading: every class of bad input is a UserError (exit code 2) that names
 * the file, the line and column of the offending text, and what is wrong with it; the
 * example inventory loads with its defaults merged into every broker.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { VALID_INVENTORY, itRefusesEachLocated, useScratchDir, userErrorOf, type BadInputRow } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('inventory');

/** A broken variant of the valid inventory: `from` replaced by `to` (which must change it). */
const variant = (from: string, to: string): string => {
  const text = VALID_INVENTORY.replace(from, to);
  if (text === VALID_INVENTORY) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text;
};

const TWO_BROKERS_TAIL = `brokers:
  - id: 1
    host: kafka1.example.com
  - id: 2
    host: kafka2.example.com
`;

const BAD: BadInputRow[] = [
  [
    'a systemd unit name starting with - (systemctl would read it as an option; issue 14)',
    variant('    systemd: kafka.service\n', '    systemd: -Hroot@evil\n'),
    '-Hroot@evil',
    'SCHEMA',
    ['`defaults.run.systemd`', 'not starting with -'],
  ],
  [
    'a ZooKeeper port above 65535 (it passed the schema, then crashed the connect; issue 14)',
    variant('cluster: test\n', 'cluster: test\nstate:\n  zookeeper: zk1:2181,zk2:99999/kafka\n'),
    'zk1:2181',
    'SCHEMA',
    ['`state.zookeeper`', 'every port 1-65535'],
  ],
  [
    'malformed YAML (a plain value starting with a reserved character)',
    variant('  kind: ssh\n', '  kind: @ssh\n'),
    '@ssh',
    'YAML_SYNTAX',
    ['Malformed YAML', '@'],
  ],
  [
    'a duplicate YAML key',
    variant('cluster: test\n', 'cluster: test\ncluster: other\n'),
    'cluster: other',
    'YAML_DUPLICATE_KEY',
    ['Duplicate key'],
  ],
  [
    'an unknown key (typo confgPath)',
    variant('  configPath:', '  confgPath:'),
    '/etc/kafka/server.properties',
    'SCHEMA',
    ['unknown key', '`confgPath`', 'defaults'],
  ],
  [
    'an unknown key on a broker',
    variant('    host: kafka2.example.com\n', '    host: kafka2.example.com\n    hots: x\n'),
    'x\n',
    'SCHEMA',
    ['unknown key', '`hots`', 'brokers.1'],
  ],
  [
    'a broker without its required host',
    `${VALID_INVENTORY}  - id: 3\n`,
    'id: 3',
    'SCHEMA',
    ['`brokers.2`', 'missing the required key', '`host`'],
  ],
  ['no brokers at all', VALID_INVENTORY.replace(TWO_BROKERS_TAIL, ''), 'cluster', 'SCHEMA', ['the document', '`brokers`']],
  ['a broker id of the wrong type', variant('id: 1', 'id: "one"'), '"one"', 'SCHEMA', ['`brokers.0.id`', 'must be integer']],
  [
    'an SSH port out of range',
    variant('    user: kafka\n', '    user: kafka\n    port: 70000\n'),
    '70000',
    'SCHEMA',
    ['`defaults.ssh.port`', '<= 65535'],
  ],
  [
    'a stop timeout of 0',
    variant('timeoutSeconds: 120', 'timeoutSeconds: 0'),
    '0\nbrokers',
    'SCHEMA',
    ['`defaults.stop.timeoutSeconds`', '>= 1'],
  ],
  [
    'an unknown stop signal',
    variant('    timeoutSeconds: 120\n', '    timeoutSeconds: 120\n    signal: SIGKILL\n'),
    'SIGKILL',
    'SCHEMA',
    ['`defaults.stop.signal`', '"SIGINT", "SIGTERM"'],
  ],
  [
    'a bad host name',
    variant('host: kafka2.example.com', 'host: kafka_1..example'),
    'kafka_1..example',
    'SCHEMA',
    ['`brokers.1.host`', 'is not a host name or IP address'],
  ],
  [
    'a relative configPath',
    variant('configPath: /etc/kafka/server.properties', 'configPath: etc/kafka/server.properties'),
    'etc/kafka/server.properties',
    'SCHEMA',
    ['`defaults.configPath`', 'absolute path'],
  ],
  [
    'a configPath with a control character',
    variant('configPath: /etc/kafka/server.properties', 'configPath: "/etc/kafka/server\\t.properties"'),
    '"/etc/kafka/server',
    'SCHEMA',
    ['`defaults.configPath`', 'without control characters'],
  ],
  [
    'an install key that is not a release',
    variant('"0.11.0.3": /opt', '"latest": /opt'),
    '/opt/kafka_2.11-0.11.0.3',
    'SCHEMA',
    ['`defaults.installs.latest`', 'is not a Kafka release'],
  ],
  // issue 14: YAML reads these as 16, 1000 and 0, so a typo or a pasted hex id named another broker
  ['a broker id written in hex', variant('id: 2', 'id: 0x10'), '0x10', 'SCHEMA', ['`brokers.1.id`', 'plain decimal']],
  ['a broker id written with an exponent', variant('id: 2', 'id: 1e3'), '1e3', 'SCHEMA', ['`brokers.1.id`', 'plain decimal']],
  ['a broker id written -0', variant('id: 2', 'id: -0'), '-0\n    host: kafka2', 'SCHEMA', ['`brokers.1.id`', 'plain decimal']],
  ['a broker id written 2.0', variant('id: 2', 'id: 2.0'), '2.0', 'SCHEMA', ['`brokers.1.id`', 'plain decimal']],
  ['duplicate broker ids', variant('id: 2', 'id: 1'), '1\n    host: kafka2', 'INVENTORY_DUPLICATE_ID', ['Broker id 1 appears twice']],
  [
    'two brokers on the same host, SSH port and configPath',
    variant('host: kafka2.example.com', 'host: kafka1.example.com\n  # same host, same port'),
    'kafka1.example.com\n  # same',
    'INVENTORY_DUPLICATE_HOST',
    ['Brokers 1 and 2', '/etc/kafka/server.properties', 'kafka1.example.com:22'],
  ],
  [
    'a field missing after merging defaults (no `run` anywhere)',
    variant('  run:\n    systemd: kafka.service\n', ''),
    'id: 1',
    'INVENTORY_MISSING',
    ['Broker 1', '`run`', '`defaults`'],
  ],
  [
    'no installs anywhere',
    variant('  installs:\n    "0.10.2.1": /opt/kafka_2.11-0.10.2.1\n    "0.11.0.3": /opt/kafka_2.11-0.11.0.3\n', ''),
    'id: 1',
    'INVENTORY_MISSING',
    ['Broker 1', '`installs`'],
  ],
  [
    'a hook given as one string (a shell would have to parse it; hooks are argv)',
    variant('  stop:\n', '  hooks:\n    preStop: "drain-lb $HOST"\n  stop:\n'),
    '"drain-lb',
    'SCHEMA',
    ['`defaults.hooks.preStop`'],
  ],
  [
    'an unknown hook (the names are preStop, postStart and postRoll)',
    variant('  stop:\n', '  hooks:\n    preStopp: [drain-lb]\n  stop:\n'),
    '[drain-lb]',
    'SCHEMA',
    ['preStopp', 'did you mean `preStop`'],
  ],
];

describe('bad inventories are located UserErrors', () => {
  itRefusesEachLocated(BAD, scratch.write, loadInventory);

  it('a file that does not exist names the file, with no position', () => {
    const file = join(scratch.dir, 'missing.yaml');
    const error = userErrorOf(() => loadInventory(file));
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('FILE_UNREADABLE');
    expect(error.location).toEqual({ file });
    expect(error.message).toContain('does not exist');
  });

  it('the same host is fine on another SSH port', () => {
    const text = variant('    host: kafka2.example.com\n', '    host: kafka1.example.com\n    ssh:\n      port: 2222\n');
    const inventory = loadInventory(scratch.write('same-host.yaml', text));
    expect(inventory.brokers.map((b) => `${b.host}:${b.ssh.port}`)).toEqual(['kafka1.example.com:22', 'kafka1.example.com:2222']);
  });
});

describe('the example inventory', () => {
  const inventory = loadInventory('examples/inventory.yaml');
  const broker = (id: number) => inventory.brokers.find((b) => b.id === id);

  it('loads its cluster, state and three brokers', () => {
    expect(inventory.cluster).toBe('prod-east');
    expect(inventory.state.zookeeper).toBe('zk1.example.com:2181,zk2.example.com:2181,zk3.example.com:2181/kafka');
    expect(inventory.brokers.map((b) => [b.id, b.host])).toEqual([
      [1, 'kafka1.example.com'],
      [2, 'kafka2.example.com'],
      [3, 'kafka3.example.com'],
    ]);
  });

  it('merges defaults into every broker, the per-broker SSH port winning', () => {
    expect(inventory.brokers.map((b) => b.ssh.port)).toEqual([22, 22, 2222]);
    for (const b of inventory.brokers) {
      expect(b.ssh.user).toBe('kafka');
      expect(b.configPath).toBe('/etc/kafka/server.properties');
      expect(b.installLink).toBe('/opt/kafka');
      expect(b.installs).toEqual({ '0.10.2.1': '/opt/kafka_2.11-0.10.2.1', '0.11.0.3': '/opt/kafka_2.11-0.11.0.3' });
      expect(b.run).toEqual({ kind: 'systemd', unit: 'kafka.service' });
      expect(b.stop).toEqual({ signal: 'SIGINT', timeoutSeconds: 300 });
      expect(b.startTimeoutSeconds).toBe(600);
    }
  });

  it('expands ~ in local paths to the home directory', () => {
    expect(broker(3)?.ssh.identityFile).toBe(join(homedir(), '.ssh/id_ed25519'));
    expect(inventory.executor).toEqual({
      kind: 'ssh',
      knownHosts: join(homedir(), '.ssh/known_hosts'),
      hostKeyPolicy: 'strict',
      connectTimeoutSeconds: 15,
    });
  });
});

describe('built-in defaults', () => {
  it('fills what neither broker nor defaults give', () => {
    const inventory = loadInventory(
      scratch.write('minimal.yaml', variant('  stop:\n    timeoutSeconds: 120\n', '').replace('  ssh:\n    user: kafka\n', '')),
    );
    for (const b of inventory.brokers) {
      expect(b.ssh).toEqual({ port: 22, user: 'root', agent: false });
      expect(b.stop).toEqual({ signal: 'SIGINT', timeoutSeconds: 300 });
      expect(b.startTimeoutSeconds).toBe(600);
    }
  });

  it("resolves a relative identityFile against the inventory's directory", () => {
    const file = scratch.write('relative.yaml', variant('    user: kafka\n', '    user: kafka\n    identityFile: keys/id_ed25519\n'));
    expect(loadInventory(file).brokers[0]?.ssh.identityFile).toBe(resolve(scratch.dir, 'keys/id_ed25519'));
  });

  it('hooks merge key by key: defaults, then the broker (its own command and timeout win)', () => {
    const text = variant(
      '  stop:\n',
      '  hooks:\n    preStop: [/usr/local/bin/drain, "--host", "a b"]\n    postStart: [/usr/local/bin/undrain]\n  stop:\n',
    ).replace(
      '    host: kafka2.example.com\n',
      '    host: kafka2.example.com\n    hooks:\n      postStart: [/bin/true]\n      timeoutSeconds: 30\n',
    );
    const [one, two] = loadInventory(scratch.write('hooks.yaml', text)).brokers;
    expect(one?.hooks).toEqual({
      on: 'local',
      preStop: ['/usr/local/bin/drain', '--host', 'a b'],
      postStart: ['/usr/local/bin/undrain'],
      timeoutSeconds: 300,
    });
    expect(two?.hooks).toEqual({
      on: 'local',
      preStop: ['/usr/local/bin/drain', '--host', 'a b'],
      postStart: ['/bin/true'],
      timeoutSeconds: 30,
    });
    expect(loadInventory('examples/inventory.yaml').brokers[0]?.hooks).toBeUndefined();
  });

  it('a command run spec gets its output file next to the pid file', () => {
    const file = scratch.write(
      'command.yaml',
      variant(
        '    systemd: kafka.service\n',
        '    command: [/opt/kafka/bin/kafka-server-start.sh, /etc/kafka/server.properties]\n    pidFile: /var/run/kafka.pid\n',
      ),
    );
    expect(loadInventory(file).brokers[0]?.run).toEqual({
      kind: 'command',
      command: ['/opt/kafka/bin/kafka-server-start.sh', '/etc/kafka/server.properties'],
      pidFile: '/var/run/kafka.pid',
      outputFile: '/var/run/kafka.out',
      env: {},
    });
  });
});
