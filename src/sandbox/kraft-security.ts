/**
 * `sandbox up --mode kraft --security sasl-ssl`: each broker gets a second, TLS + SASL/SCRAM-SHA-512
 * listener beside its PLAINTEXT one (the brokers' own inter-broker and controller traffic stays
 * on PLAINTEXT, so the cluster does not depend on what is being tested).
 *
 * - The key pair is made with the JDK's own keytool (a self-signed certificate for 127.0.0.1, in
 *   a PKCS12 keystore every broker reads); its certificate, exported as PEM, is the clients' CA.
 * - The SCRAM user is created at format time by the FROM release's own storage tool
 *   (`--add-scram`, KIP-900), so it exists before any broker starts.
 * - Passwords are random, kept in 0600 files in a 0700 `secrets/` folder; the inventory names
 *   the password file (`state.sasl.passwordFile`) and the tools' client properties file
 *   (`kraft.commandConfig`), never a password. keytool reads its store password from the
 *   environment (`-storepass:env`), not from its command line.
 */
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { InfrastructureError } from '../errors.js';

export type KraftSecurity = 'plaintext' | 'sasl-ssl';
export const SCRAM_MECHANISM = 'SCRAM-SHA-512';
export const SANDBOX_SASL_USER = 'kafka-ops';
/** The broker listener name of the secured listener. */
export const SECURE_LISTENER = 'SASL_SSL';

export interface KraftSecretFiles {
  dir: string;
  /** PKCS12 keystore of the brokers (key + self-signed certificate for 127.0.0.1). */
  keystore: string;
  /** The certificate as PEM: the CA clients trust (kafkajs `ca`, Java `ssl.truststore.type=PEM`). */
  caPem: string;
  /** The SCRAM user's password, alone in its file (what the inventory references). */
  passwordFile: string;
  /** Admin client properties for the release's tools (`--command-config`). */
  clientConfig: string;
}

/** What only the sandbox itself holds in memory: the passwords, to write the nodes' files. */
export interface KraftSecrets extends KraftSecretFiles {
  user: string;
  password: string;
  storePassword: string;
}

export function secretFilesOf(root: string): KraftSecretFiles {
  const dir = path.join(root, 'secrets');
  return {
    dir,
    keystore: path.join(dir, 'broker.p12'),
    caPem: path.join(dir, 'ca.pem'),
    passwordFile: path.join(dir, `${SANDBOX_SASL_USER}.password`),
    clientConfig: path.join(dir, 'client.properties'),
  };
}

/** keytool beside the java that runs the nodes (the JRE ships it), else on PATH. */
export function keytoolOf(java: string): string {
  try {
    return path.join(path.dirname(realpathSync(java)), 'keytool');
  } catch {
    return 'keytool';
  }
}

async function keytool(java: string, args: string[], storePassword: string): Promise<void> {
  const tool = keytoolOf(java);
  const { exitCode, stdout, stderr } = await execa(tool, args, {
    reject: false,
    timeout: 60_000,
    env: { KAFKA_OPS_STOREPASS: storePassword },
  });
  if (exitCode !== 0)
    throw new InfrastructureError(`keytool ${args[0]} failed (exit ${String(exitCode)}): ${(stdout + stderr).trim().slice(-400)}`, {
      code: 'SANDBOX_TLS_FAILED',
      retriable: false,
      action: `Check that ${tool} runs (it comes with the JRE: apt-get install -y openjdk-17-jre-headless).`,
    });
}

/** Java properties value escaping for a `key=value` line (backslashes and line breaks). */
const propValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Makes the key pair, the CA file, the password file and the tools' client properties. */
export async function makeKraftSecrets(java: string, root: string): Promise<KraftSecrets> {
  const files = secretFilesOf(root);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  await chmod(files.dir, 0o700);
  // Hex: nothing the storage tool's `[name=…,password=…]` syntax or JAAS quoting would read specially.
  const password = randomBytes(18).toString('hex');
  const storePassword = randomBytes(18).toString('hex');
  await keytool(
    java,
    [
      '-genkeypair',
      '-alias',
      'broker',
      '-keyalg',
      'RSA',
      '-keysize',
      '2048',
      '-validity',
      '30',
      '-dname',
      'CN=127.0.0.1, O=kafka-ops sandbox',
      '-ext',
      'SAN=IP:127.0.0.1,DNS:localhost',
      '-storetype',
      'PKCS12',
      '-keystore',
      files.keystore,
      '-storepass:env',
      'KAFKA_OPS_STOREPASS',
      '-keypass:env',
      'KAFKA_OPS_STOREPASS',
    ],
    storePassword,
  );
  await keytool(
    java,
    ['-exportcert', '-rfc', '-alias', 'broker', '-keystore', files.keystore, '-storepass:env', 'KAFKA_OPS_STOREPASS', '-file', files.caPem],
    storePassword,
  );
  await chmod(files.keystore, 0o600);
  await writeFile(files.passwordFile, `${password}\n`, { mode: 0o600 });
  await writeFile(files.clientConfig, clientProperties(files, SANDBOX_SASL_USER, password), { mode: 0o600 });
  return { ...files, user: SANDBOX_SASL_USER, password, storePassword };
}

/** Admin client properties of the release's tools over the secured listener. */
export function clientProperties(files: Pick<KraftSecretFiles, 'caPem'>, user: string, password: string): string {
  return [
    '# Written by kafka-ops sandbox up --security sasl-ssl: the KRaft tools (--command-config) over SASL_SSL.',
    'security.protocol=SASL_SSL',
    `sasl.mechanism=${SCRAM_MECHANISM}`,
    `sasl.jaas.config=${propValue(`org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`)}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${propValue(files.caPem)}`,
    '',
  ].join('\n');
}

/** The storage tool's `--add-scram` argument creating the sandbox user (KIP-900; 3.5+ tools). */
export function addScramArgs(secrets: Pick<KraftSecrets, 'user' | 'password'>): string[] {
  return ['--add-scram', `${SCRAM_MECHANISM}=[name=${secrets.user},password=${secrets.password}]`];
}

/** Broker properties of the secured listener (appended to a broker's; controllers keep theirs). */
export function secureBrokerProperties(secrets: Pick<KraftSecrets, 'keystore' | 'storePassword'>): Array<[string, string]> {
  return [
    ['sasl.enabled.mechanisms', SCRAM_MECHANISM],
    [
      `listener.name.${SECURE_LISTENER.toLowerCase()}.${SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config`,
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    ],
    ['ssl.keystore.type', 'PKCS12'],
    ['ssl.keystore.location', propValue(secrets.keystore)],
    ['ssl.keystore.password', secrets.storePassword],
    ['ssl.key.password', secrets.storePassword],
  ];
}
