import { describe, expect, it } from 'vitest';
import { envForProperties, envNameOf, keyOfEnvName, propertiesFromEnv } from '../../src/hosts/env-properties.js';

describe('server.properties as environment variables', () => {
  it.each([
    ['inter.broker.protocol.version', 'KAFKA_INTER_BROKER_PROTOCOL_VERSION'],
    ['broker.id', 'KAFKA_BROKER_ID'],
    ['listener.name.internal.ssl.keystore_type', 'KAFKA_LISTENER_NAME_INTERNAL_SSL_KEYSTORE__TYPE'],
    ['confluent.support-metrics', 'KAFKA_CONFLUENT_SUPPORT___METRICS'],
  ])('%s ↔ %s', (key, name) => {
    expect(envNameOf('KAFKA_', key)).toBe(name);
    expect(keyOfEnvName('KAFKA_', name)).toBe(key);
  });

  it('ignores variables without the prefix, and the bare prefix', () => {
    expect(keyOfEnvName('KAFKA_', 'JAVA_OPTS')).toBeUndefined();
    expect(keyOfEnvName('KAFKA_', 'KAFKA_')).toBeUndefined();
    expect(propertiesFromEnv('KAFKA_', { JAVA_OPTS: '-Xmx1g', KAFKA_BROKER_ID: '1', KAFKA_LOG_DIRS: '/data' })).toBe(
      'broker.id=1\nlog.dirs=/data\n',
    );
  });

  it('changes only the variables of changed keys, removes dropped keys and keeps everything else in order', () => {
    const env = {
      JAVA_OPTS: '-Xmx1g',
      KAFKA_BROKER_ID: '1',
      KAFKA_INTER_BROKER_PROTOCOL_VERSION: '0.8.2',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    };
    const out = envForProperties('KAFKA_', env, 'broker.id=1\ninter.broker.protocol.version=0.9.0\nlog.message.format.version=0.9.0\n');
    expect(out).toEqual({
      JAVA_OPTS: '-Xmx1g',
      KAFKA_BROKER_ID: '1',
      KAFKA_INTER_BROKER_PROTOCOL_VERSION: '0.9.0',
      KAFKA_LOG_MESSAGE_FORMAT_VERSION: '0.9.0',
    });
    expect(Object.keys(out)).toEqual([
      'JAVA_OPTS',
      'KAFKA_BROKER_ID',
      'KAFKA_INTER_BROKER_PROTOCOL_VERSION',
      'KAFKA_LOG_MESSAGE_FORMAT_VERSION',
    ]);
  });
});
