/**
 * The admin-API reader's settings: which reader an inventory gets, the kafkajs client
 * options built from `state` (TLS files, SASL with its password from env or file), and
 * errors that name the setting but never carry a secret.
 */
import { describe, expect, it } from 'vitest';
import { POLL_INTERVAL_MS, kafkaJsConfig, pollDelayMs, saslPassword, type SecretSources } from '../../src/cluster/kafkajs.js';
import { UserError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { StateSettings } from '../../src/inventory/model.js';
import { chooseReader } from '../../src/services/connections.js';
import { VALID_INVENTORY, itRefusesEachLocated, useScratchDir, userErrorOf } from '../helpers/inventory-fixtures.js';

const SECRET = 's3cr3t-Pa55';
const files: Record<string, string> = {
  '/etc/kafka/ca.pem': 'CA PEM',
  '/etc/kafka/client.pem': 'CERT PEM',
  '/etc/kafka/client.key': 'KEY PEM',
  '/run/secrets/kafka': `${SECRET}\n`,
};
const sources: SecretSources = {
  env: { KAFKA_PASSWORD: SECRET, EMPTY: '' },
  readFile(path) {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  },
};
const servers = ['kafka1:9093', 'kafka2:9093'];

describe('chooseReader', () => {
  it.each<[string, StateSettings, string | undefined]>([
    ['ZooKeeper only', { zookeeper: 'zk:2181' }, 'zookeeper'],
    ['bootstrap servers only', { bootstrapServers: servers }, 'admin'],
    ['both: ZooKeeper works for every ZooKeeper-mode release', { zookeeper: 'zk:2181', bootstrapServers: servers }, 'zookeeper'],
    ['both, admin chosen', { reader: 'admin', zookeeper: 'zk:2181', bootstrapServers: servers }, 'admin'],
    ['neither', {}, undefined],
  ])('%s', (_what, state, reader) => {
    expect(chooseReader(state)).toBe(reader);
  });
});

describe('kafkaJsConfig', () => {
  it('plain: bootstrap servers, timeouts, few quick retries, no TLS and no SASL', () => {
    const config = kafkaJsConfig({ bootstrapServers: servers }, { connectTimeoutMs: 3000 }, sources);
    expect(config).toMatchObject({ brokers: servers, connectionTimeout: 3000, clientId: 'kafka-ops' });
    expect(config.ssl).toBeUndefined();
    expect(config.sasl).toBeUndefined();
  });

  it('TLS: the CA, certificate and key files are read, rejectUnauthorized kept', () => {
    const config = kafkaJsConfig(
      {
        bootstrapServers: servers,
        tls: {
          caFile: '/etc/kafka/ca.pem',
          certFile: '/etc/kafka/client.pem',
          keyFile: '/etc/kafka/client.key',
          rejectUnauthorized: false,
        },
      },
      { connectTimeoutMs: 3000 },
      sources,
    );
    expect(config.ssl).toEqual({ ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM', rejectUnauthorized: false });
  });

  it('TLS with no files uses the system CAs', () => {
    expect(kafkaJsConfig({ bootstrapServers: servers, tls: { rejectUnauthorized: true } }, { connectTimeoutMs: 1 }, sources).ssl).toEqual({
      rejectUnauthorized: true,
    });
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('SASL %s with the password from the environment', (mechanism) => {
    const config = kafkaJsConfig(
      { bootstrapServers: servers, sasl: { mechanism, username: 'ops', passwordEnv: 'KAFKA_PASSWORD' } },
      { connectTimeoutMs: 1 },
      sources,
    );
    expect(config.sasl).toEqual({ mechanism, username: 'ops', password: SECRET });
  });

  it('SASL password from a file, its final newline dropped', () => {
    expect(saslPassword({ mechanism: 'plain', username: 'ops', passwordFile: '/run/secrets/kafka' }, sources)).toBe(SECRET);
  });

  it.each([
    ['an unset variable', { passwordEnv: 'NOT_SET' }, 'STATE_SECRET_MISSING', /NOT_SET/],
    ['an empty variable', { passwordEnv: 'EMPTY' }, 'STATE_SECRET_MISSING', /EMPTY/],
    ['a missing file', { passwordFile: '/nope' }, 'STATE_SECRET_UNREADABLE', /\/nope.*ENOENT/],
    ['no source at all', {}, 'STATE_SECRET_MISSING', /no password source/],
  ])('%s is a user error naming the setting', (_what, source, code, says) => {
    const error = userErrorOf(() => saslPassword({ mechanism: 'scram-sha-512', username: 'ops', ...source }, sources));
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(says);
  });

  it('an unreadable TLS file is a user error; no error or message ever holds the password', () => {
    const error = userErrorOf(() =>
      kafkaJsConfig(
        {
          bootstrapServers: servers,
          tls: { caFile: '/missing/ca.pem', rejectUnauthorized: true },
          sasl: { mechanism: 'plain', username: 'ops', passwordEnv: 'KAFKA_PASSWORD' },
        },
        { connectTimeoutMs: 1 },
        sources,
      ),
    );
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/\/missing\/ca\.pem/);
    expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
  });
});

describe('state.reader in the inventory', () => {
  const scratch = useScratchDir('reader');
  const withState = (state: string) => VALID_INVENTORY.replace('executor:\n', `${state}executor:\n`);

  it('loads a bootstrap-only inventory with the admin reader chosen', () => {
    const inventory = loadInventory(scratch.write('admin.yaml', withState('state:\n  bootstrapServers: ["k1:9092"]\n')));
    expect(chooseReader(inventory.state)).toBe('admin');
  });

  itRefusesEachLocated(
    [
      [
        'reader admin without bootstrap servers',
        withState('state:\n  reader: admin\n  zookeeper: zk:2181\n'),
        'admin',
        'INVENTORY_MISSING',
        ['state.bootstrapServers'],
      ],
      [
        'reader zookeeper without a connect string',
        withState('state:\n  reader: zookeeper\n  bootstrapServers: ["k1:9092"]\n'),
        'zookeeper\n',
        'INVENTORY_MISSING',
        ['state.zookeeper'],
      ],
      ['an unknown reader', withState('state:\n  reader: kraft\n'), 'kraft', 'SCHEMA', ['reader']],
    ],
    scratch.write,
    loadInventory,
  );
});

describe('pollDelayMs: the admin-API reader spaces its reads', () => {
  it.each([
    [5, 10_000, POLL_INTERVAL_MS],
    [2_000, 10_000, 2_000],
    [2_000, 900, 900],
    [40_000, 60_000, 40_000],
    [10, 0, 0],
  ])('after a read of %i ms, with %i ms left: %i ms', (lastReadMs, timeoutMs, expected) => {
    expect(pollDelayMs(lastReadMs, timeoutMs)).toBe(expected);
  });
});
