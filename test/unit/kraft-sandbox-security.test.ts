/**
 * `sandbox up --mode kraft --security sasl-ssl`'s files, made for real: the key pair by the JDK's
 * keytool, read back by keytool and by node's TLS; a broker's second listener; the inventory it
 * writes loaded by the real loader, naming the password file and the tools' client properties
 * (never a password), and the kafkajs settings built from it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaJsConfig } from '../../src/cluster/kafkajs.js';
import { loadInventory } from '../../src/inventory/load.js';
import { findJava } from '../../src/sandbox/java.js';
import { addScramArgs, keytoolOf, makeKraftSecrets, type KraftSecrets } from '../../src/sandbox/kraft-security.js';
import { kraftNodeProperties, kraftSandboxInventory, quorumVoters, type KraftSandboxState } from '../../src/sandbox/kraft-sandbox.js';
import { sandboxLayout } from '../../src/sandbox/layout.js';

const root = mkdtempSync(path.join(tmpdir(), 'kafka-ops-kraft-sec-'));
const layout = sandboxLayout(root);
let secrets: KraftSecrets;
const props = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => l.split(/=(.*)/s).slice(0, 2)),
  );
const nodes = [
  { id: 1, role: 'controller' as const, port: 9101 },
  { id: 2, role: 'broker' as const, port: 9202, securePort: 9302 },
];

beforeAll(async () => {
  secrets = await makeKraftSecrets(findJava(), root);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('KRaft sandbox --security sasl-ssl', () => {
  it('keytool makes a keystore it can read and a PEM certificate for 127.0.0.1; secrets are 0600 in a 0700 folder', () => {
    const listed = execFileSync(keytoolOf(findJava()), ['-list', '-keystore', secrets.keystore, '-storepass:env', 'P'], {
      env: { ...process.env, P: secrets.storePassword },
      encoding: 'utf8',
    });
    expect(listed).toMatch(/broker, .*PrivateKeyEntry/);
    const cert = new X509Certificate(readFileSync(secrets.caPem));
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(statSync(secrets.dir).mode & 0o777).toBe(0o700);
    for (const f of [secrets.keystore, secrets.passwordFile, secrets.clientConfig]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(readFileSync(secrets.passwordFile, 'utf8')).toBe(`${secrets.password}\n`);
    const client = props(readFileSync(secrets.clientConfig, 'utf8'));
    expect(client['security.protocol']).toBe('SASL_SSL');
    expect(client['sasl.mechanism']).toBe('SCRAM-SHA-512');
    expect(client['sasl.jaas.config']).toContain(`username="kafka-ops" password="${secrets.password}"`);
    expect([client['ssl.truststore.type'], client['ssl.truststore.location']]).toEqual(['PEM', secrets.caPem]);
    expect(addScramArgs(secrets)).toEqual(['--add-scram', `SCRAM-SHA-512=[name=kafka-ops,password=${secrets.password}]`]);
  });

  it('a broker gets a SASL_SSL listener beside PLAINTEXT (inter-broker stays PLAINTEXT); a controller does not', () => {
    const voters = quorumVoters(nodes);
    const broker = props(kraftNodeProperties(nodes[1], layout.broker(2), voters, 6, secrets));
    expect(broker.listeners).toBe('PLAINTEXT://127.0.0.1:9202,SASL_SSL://127.0.0.1:9302');
    expect(broker['advertised.listeners']).toBe(broker.listeners);
    expect(broker['listener.security.protocol.map']).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(broker['inter.broker.listener.name']).toBe('PLAINTEXT');
    expect(broker['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(broker['listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    );
    expect([broker['ssl.keystore.type'], broker['ssl.keystore.location']]).toEqual(['PKCS12', secrets.keystore]);
    const controller = props(kraftNodeProperties(nodes[0], layout.broker(1), voters, 6, secrets));
    expect(controller.listeners).toBe('CONTROLLER://127.0.0.1:9101');
    expect(controller['ssl.keystore.location']).toBeUndefined();
  });

  it('the inventory names the CA, the password file and the tools’ client properties, never a password; kafkajs gets them from it', async () => {
    const state = {
      java: '/usr/bin/java',
      installs: { from: { release: '3.9.2', dir: '/opt/k392' }, to: { release: '4.4.0', dir: '/opt/k440' } },
      nodes: nodes.map((n) => ({ ...n, pidFile: layout.broker(n.id).pidFile })),
      secrets,
    } as unknown as KraftSandboxState;
    const ssh = { port: 2222, user: 'me', knownHostsFile: path.join(root, 'known_hosts'), userKeyFile: path.join(root, 'id') };
    const text = kraftSandboxInventory(state, layout, ssh);
    expect(text).not.toContain(secrets.password);
    expect(text).not.toContain(secrets.storePassword);
    const file = path.join(root, 'inventory.yaml');
    await writeFile(file, text);
    const inventory = loadInventory(file);
    expect(inventory.state.bootstrapServers).toEqual(['127.0.0.1:9302']);
    expect(inventory.state.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'kafka-ops', passwordFile: secrets.passwordFile });
    expect(inventory.state.tls).toEqual({ caFile: secrets.caPem, rejectUnauthorized: true });
    expect(inventory.kraft).toMatchObject({ bootstrapServer: '127.0.0.1:9302', commandConfig: secrets.clientConfig });
    const config = kafkaJsConfig(inventory.state, { connectTimeoutMs: 1000 });
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'kafka-ops', password: secrets.password });
    expect(config.ssl).toEqual({ rejectUnauthorized: true, ca: [readFileSync(secrets.caPem, 'utf8')] });

    const plain = path.join(root, 'inventory-plaintext.yaml');
    await writeFile(plain, kraftSandboxInventory(state, layout, ssh, { plaintext: true }));
    const p = loadInventory(plain);
    expect([p.state.bootstrapServers, p.state.sasl, p.state.tls, p.kraft?.commandConfig]).toEqual([
      ['127.0.0.1:9202'],
      undefined,
      undefined,
      undefined,
    ]);
  });
});
