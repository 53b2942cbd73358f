/**
 * Issue 14: an SSH identity file others may read (mode 0644) was used silently. As OpenSSH does, kafka-ops
 * refuses a private key of the user's own that is group/other-accessible, before it opens any connection.
 * The SSH port is a loopback server that accepts and stalls (test/helpers/hostile-servers.ts): it counts
 * whether a connection was made at all.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, KafkaOpsError } from '../../src/errors.js';
import { connectSsh } from '../../src/hosts/ssh/ssh.js';
import { startHostileServer, type HostileServer } from '../helpers/hostile-servers.js';
import { brokerSpec } from '../helpers/inventory-fixtures.js';

/** A real private key (PEM RSA, which ssh2 reads), so that the 0600 case gets as far as the connection. */
const KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function connectWithKeyMode(mode: number): Promise<{ error: KafkaOpsError; accepted: number; file: string }> {
  server = await startHostileServer('stall', 30_000);
  const dir = mkdtempSync(join(tmpdir(), 'kafka-ops-identity-'));
  const file = join(dir, 'id_ed25519');
  writeFileSync(file, KEY);
  chmodSync(file, mode);
  const spec = brokerSpec(1, { host: '127.0.0.1', ssh: { port: server.port, user: 'kafka', agent: false, identityFile: file } });
  const error = (await connectSsh(spec, {
    kind: 'ssh',
    knownHosts: join(dir, 'known_hosts'),
    hostKeyPolicy: 'strict',
    connectTimeoutSeconds: 2,
  }).catch((e: unknown) => e)) as KafkaOpsError;
  return { error, accepted: server.accepted, file };
}

describe.skipIf(process.platform === 'win32')('an SSH identity file others can read', () => {
  it.each(['0644', '0640', '0604', '0660'])('mode %s is refused before any connection (exit 2), saying chmod 600', async (octal) => {
    const mode = parseInt(octal, 8);
    const { error, accepted, file } = await connectWithKeyMode(mode);
    expect(error).toBeInstanceOf(KafkaOpsError);
    expect({ code: error.code, exitCode: error.exitCode }).toEqual({ code: 'SSH_IDENTITY_PERMISSIONS', exitCode: ExitCode.badInput });
    expect(error.message).toContain(`${file} for kafka@127.0.0.1`);
    expect(error.message).toContain(`mode ${octal}`);
    expect(error.action).toContain(`chmod 600 ${file}`);
    expect(accepted).toBe(0);
  });

  it('mode 0600 is used: the connection is made (and the stalling server is then an SSH error, not this one)', async () => {
    const { error, accepted } = await connectWithKeyMode(0o600);
    expect(error).toBeInstanceOf(KafkaOpsError);
    expect(error.code).not.toBe('SSH_IDENTITY_PERMISSIONS');
    expect(accepted).toBe(1);
  });
});
