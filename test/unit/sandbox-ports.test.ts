/**
 * The sandbox's ports lie below the kernel's ephemeral range, so that no outgoing connection
 * on the machine can take a broker's port while that broker restarts.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortStart, freePorts } from '../../src/sandbox/processes.js';

describe('freePorts', () => {
  it('gives distinct ports below the ephemeral range that can be listened on', async () => {
    const ports = await freePorts(12);
    expect(new Set(ports).size).toBe(12);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(ephemeralPortStart());
    }
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
