/** `sandbox up --racks N`: which rack each broker gets, and the broker.rack line in its server.properties. */
import { describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/config/properties.js';
import { sandboxRackOf, serverProperties } from '../../src/sandbox/brokers.js';
import { sandboxLayout } from '../../src/sandbox/layout.js';

const input = (id: number, rack?: string) => ({
  paths: sandboxLayout('/tmp/sbx').broker(id),
  port: 9092,
  zookeeperConnect: '127.0.0.1:2181',
  interBrokerProtocolVersion: '2.8',
  release: '2.8.2',
  partitions: 6,
  ...(rack ? { rack } : {}),
});

describe('sandbox racks', () => {
  it('spreads brokers round robin, so consecutive brokers sit in different racks', () => {
    expect([1, 2, 3, 4, 5, 6].map((id) => sandboxRackOf(id, 3))).toEqual(['r1', 'r2', 'r3', 'r1', 'r2', 'r3']);
    expect([1, 2, 3].map((id) => sandboxRackOf(id, 1))).toEqual(['r1', 'r1', 'r1']);
  });

  it('writes broker.rack only when the broker has a rack', () => {
    expect(parseProperties(serverProperties(input(4, 'r1')))['broker.rack']).toBe('r1');
    expect(parseProperties(serverProperties(input(4)))['broker.rack']).toBeUndefined();
  });
});
