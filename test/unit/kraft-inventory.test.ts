/**
 * KRaft inventories (`mode: kraft`): roles per node, the tools' connection, and located
 * refusals for every inconsistent combination; ZooKeeper inventories stay as they were
 * and refuse KRaft-only keys instead of ignoring them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/inventory/load.js';
import { VALID_INVENTORY, itRefusesEachLocated, useScratchDir, type BadInputRow } from '../helpers/inventory-fixtures.js';

const scratch = useScratchDir('kraft-inventory');
const EXAMPLE = readFileSync('examples/inventory-kraft.yaml', 'utf8');

const variant = (from: string, to: string): string => {
  const text = EXAMPLE.replace(from, to);
  if (text === EXAMPLE) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text;
};

describe('a KRaft inventory', () => {
  it('loads the example: mode, tools settings, and roles from defaults or the node', () => {
    const inventory = loadInventory('examples/inventory-kraft.yaml');
    expect(inventory.mode).toBe('kraft');
    expect(inventory.kraft).toEqual({ bootstrapServer: 'kafka4.example.com:9092', toolsNode: 1 });
    expect(inventory.brokers.map((b) => [b.id, b.roles])).toEqual([
      [1, ['controller']],
      [2, ['controller']],
      [3, ['controller']],
      [4, ['broker']],
      [5, ['broker']],
      [6, ['broker']],
    ]);
    expect(inventory.brokers[0]?.configPath).toBe('/etc/kafka/controller.properties');
    expect(inventory.brokers[3]?.configPath).toBe('/etc/kafka/broker.properties');
  });

  it('takes a comma list of bootstrap addresses (one --bootstrap-server argument: the tools try each)', () => {
    const file = scratch.write(
      'list.yaml',
      variant('bootstrapServer: kafka4.example.com:9092', 'bootstrapServer: kafka4.example.com:9092,kafka5.example.com:9092'),
    );
    expect(loadInventory(file).kraft?.bootstrapServer).toBe('kafka4.example.com:9092,kafka5.example.com:9092');
  });

  it('defaults toolsNode to the first node listed', () => {
    const file = scratch.write(
      'no-tools-node.yaml',
      variant('  toolsNode: 1                              # the node whose host runs them (from its install link)\n', ''),
    );
    expect(loadInventory(file).kraft?.toolsNode).toBe(1);
  });

  it('a ZooKeeper inventory (no mode) has no mode, kraft settings or roles', () => {
    const inventory = loadInventory(scratch.write('zk.yaml', VALID_INVENTORY));
    expect(inventory.mode).toBeUndefined();
    expect(inventory.kraft).toBeUndefined();
    expect(inventory.brokers.every((b) => b.roles === undefined)).toBe(true);
  });
});

const BAD: BadInputRow[] = [
  ['an unknown mode', variant('mode: kraft', 'mode: craft'), 'craft', 'SCHEMA', ['mode']],
  [
    'an unknown role',
    variant(
      '    roles: [controller]\n    configPath: /etc/kafka/controller.properties\n  - id: 2',
      '    roles: [controler]\n    configPath: /etc/kafka/controller.properties\n  - id: 2',
    ),
    'controler',
    'SCHEMA',
    ['roles'],
  ],
  ['a role given twice', variant('  roles: [broker]', '  roles: [broker, broker]'), '[broker, broker]', 'SCHEMA', ['roles']],
  ['a node without roles when defaults give none', variant('  roles: [broker]\n', ''), 'id: 4', 'INVENTORY_KRAFT', ['Node 4', '`roles`']],
  ['no controller at all', EXAMPLE.replaceAll('roles: [controller]', 'roles: [broker]'), '- id: 1', 'INVENTORY_KRAFT', ['controller']],
  [
    'mode kraft without a kraft section',
    variant(
      'kraft:\n  bootstrapServer: kafka4.example.com:9092   # what kafka-features.sh / kafka-metadata-quorum.sh connect to\n  toolsNode: 1                              # the node whose host runs them (from its install link)\n',
      '',
    ),
    'kraft\nstate',
    'INVENTORY_KRAFT',
    ['`kraft` section'],
  ],
  [
    'both bootstrapServer and bootstrapController',
    variant('  toolsNode: 1 ', '  bootstrapController: controller1.example.com:9093\n  toolsNode: 1 '),
    'bootstrapServer',
    'INVENTORY_KRAFT',
    ['exactly one'],
  ],
  ['a toolsNode that is not in the inventory', variant('  toolsNode: 1 ', '  toolsNode: 9 '), '9 ', 'INVENTORY_KRAFT', ['toolsNode', '9']],
  [
    'a bootstrap address that is not host:port',
    variant('bootstrapServer: kafka4.example.com:9092', 'bootstrapServer: kafka4.example.com'),
    'kafka4.example.com   #',
    'SCHEMA',
    ['bootstrapServer'],
  ],
  [
    'a bootstrap list with an empty entry',
    variant('bootstrapServer: kafka4.example.com:9092', 'bootstrapServer: kafka4.example.com:9092,,k5:9092'),
    'kafka4.example.com:9092,,k5:9092',
    'SCHEMA',
    ['bootstrapServer'],
  ],
  [
    'a relative commandConfig',
    variant('  toolsNode: 1 ', '  commandConfig: admin.properties\n  toolsNode: 1 '),
    'admin.properties',
    'SCHEMA',
    ['commandConfig'],
  ],
  [
    'roles in a ZooKeeper inventory',
    VALID_INVENTORY.replace('    host: kafka2.example.com\n', '    host: kafka2.example.com\n    roles: [broker]\n'),
    '[broker]',
    'INVENTORY_KRAFT',
    ['`roles`', 'mode: kraft'],
  ],
  [
    'a kraft section in a ZooKeeper inventory',
    VALID_INVENTORY.replace('executor:', 'kraft:\n  bootstrapServer: k1:9092\nexecutor:'),
    'bootstrapServer',
    'INVENTORY_KRAFT',
    ['`kraft`', 'mode: kraft'],
  ],
];

describe('a broken KRaft inventory is refused at the offending line and column', () => {
  itRefusesEachLocated(BAD, scratch.write, loadInventory);
});
