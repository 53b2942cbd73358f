/**
 * Issue 14: with `hostKeyPolicy: accept-new`, parallel connections to one new host each appended its key,
 * so known_hosts got one duplicate line per connection. Appends to a file now go one at a time and add a
 * key only when the file does not already hold it for that name.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendKnownHost, checkHostKey, parseKnownHosts } from '../../src/hosts/ssh/ssh.js';

/** An ssh-ed25519 public key blob: string "ssh-ed25519", string key (32 bytes). */
function ed25519Blob(): Buffer {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
}

describe('accept-new appends to known_hosts', () => {
  it('twelve parallel connections learning the same host add one line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kafka-ops-known-')), 'known_hosts');
    writeFileSync(file, 'other.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl');
    const key = { type: 'ssh-ed25519', blob: ed25519Blob() };
    await Promise.all(Array.from({ length: 12 }, () => appendKnownHost(file, '[127.0.0.1]:2222', key)));
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^other\.example /); // the last line had no newline: it is not glued to the new one
    expect(lines[1]).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${key.blob.toString('base64')}`);
    expect(checkHostKey(parseKnownHosts(readFileSync(file, 'utf8')), '[127.0.0.1]:2222', key).status).toBe('known');
  });

  it('another host, or the same host on another port, still gets its own line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kafka-ops-known-')), 'known_hosts');
    const key = { type: 'ssh-ed25519', blob: ed25519Blob() };
    await Promise.all([
      appendKnownHost(file, '[127.0.0.1]:2222', key),
      appendKnownHost(file, '[127.0.0.1]:2223', key),
      appendKnownHost(file, 'kafka1.example', key),
      appendKnownHost(file, '[127.0.0.1]:2222', key),
    ]);
    expect(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['[127.0.0.1]:2222', '[127.0.0.1]:2223', 'kafka1.example']);
  });
});
