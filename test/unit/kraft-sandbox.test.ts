/** The KRaft sandbox's generated files: node properties per role, the static quorum, the id and both logging configurations. */
import { describe, expect, it } from 'vitest';
import {
  fileLog4j2,
  inventoryRoles,
  kraftNodeCommand,
  kraftNodeProperties,
  kraftRoles,
  newClusterId,
  quorumVoters,
} from '../../src/sandbox/kraft-sandbox.js';
import { sandboxLayout } from '../../src/sandbox/layout.js';

const layout = sandboxLayout('/tmp/sbx');
const nodes = [
  { id: 1, role: 'controller' as const, port: 9101 },
  { id: 2, role: 'controller' as const, port: 9102 },
  { id: 3, role: 'controller' as const, port: 9103 },
  { id: 4, role: 'broker' as const, port: 9204 },
];
const props = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );

describe('KRaft sandbox files', () => {
  it('a static quorum of the controllers only', () => {
    expect(quorumVoters(nodes)).toBe('1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103');
  });

  it('a controller listens on CONTROLLER only; a broker on PLAINTEXT and knows the voters', () => {
    const voters = quorumVoters(nodes);
    const controller = props(kraftNodeProperties(nodes[0]!, layout.broker(1), voters, 6));
    expect([controller['process.roles'], controller['node.id'], controller.listeners]).toEqual([
      'controller',
      '1',
      'CONTROLLER://127.0.0.1:9101',
    ]);
    expect(controller['advertised.listeners']).toBeUndefined();
    const broker = props(kraftNodeProperties(nodes[3]!, layout.broker(4), voters, 6));
    expect([broker['process.roles'], broker.listeners, broker['controller.quorum.voters'], broker['min.insync.replicas']]).toEqual([
      'broker',
      'PLAINTEXT://127.0.0.1:9204',
      voters,
      '2',
    ]);
  });

  it('--combined: every node a voter on its CONTROLLER port and a broker on PLAINTEXT (advertised without CONTROLLER)', () => {
    expect(kraftRoles({ controllers: 3, brokers: 3, combined: 3 })).toEqual(['combined', 'combined', 'combined']);
    expect(kraftRoles({ controllers: 1, brokers: 3 })).toEqual(['controller', 'broker', 'broker', 'broker']);
    const combined = [1, 2, 3].map((id) => ({ id, role: 'combined' as const, port: 9200 + id, controllerPort: 9100 + id }));
    const voters = quorumVoters(combined);
    expect(voters).toBe('1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103');
    const p = props(kraftNodeProperties(combined[1]!, layout.broker(2), voters, 6));
    expect([p['process.roles'], p.listeners, p['advertised.listeners'], p['controller.listener.names']]).toEqual([
      'broker,controller',
      'PLAINTEXT://127.0.0.1:9202,CONTROLLER://127.0.0.1:9102',
      'PLAINTEXT://127.0.0.1:9202',
      'CONTROLLER',
    ]);
    expect(p['min.insync.replicas']).toBe('2');
    expect(inventoryRoles('combined')).toEqual(['controller', 'broker']);
  });

  it('a cluster id is 16 bytes in base64url (Kafka Uuid), new each time', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(newClusterId()).not.toBe(id);
  });

  it('one command line for either release: log4j 1 and log4j2 configuration, classpath through the install link', () => {
    const argv = kraftNodeCommand('/usr/bin/java', layout.broker(4), 'broker');
    expect(argv).toContain('-Dlog4j.configuration=file:/tmp/sbx/broker-4/log4j.properties');
    expect(argv).toContain('-Dlog4j2.configurationFile=/tmp/sbx/broker-4/log4j2.xml');
    expect(argv.slice(-4)).toEqual(['-cp', '/tmp/sbx/broker-4/kafka/libs/*', 'kafka.Kafka', '/tmp/sbx/broker-4/server.properties']);
    expect(fileLog4j2('/tmp/a "b"/server.log')).toContain('fileName="/tmp/a &quot;b&quot;/server.log"');
  });
});
