/**
 * What the release resolver takes from Maven Central for each line (Scala build, tools module,
 * logging binding, what Java 17 lacks), which main class each script starts, and how mvn's
 * failures become errors a user can act on.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  compareReleases,
  defaultScala,
  generatePom,
  parseRelease,
  pickMainClasses,
  releaseArtifacts,
} from '../../src/sandbox/releases/catalog.js';
import { commandScript, runClassScript } from '../../src/sandbox/releases/distribution.js';
import { classifyMavenFailure, defaultCacheRoot, downloadedBytes, releaseCachePath } from '../../src/sandbox/releases/resolve.js';

const ids = (version: string, tools = true) =>
  releaseArtifacts(version, defaultScala(version), tools).map((a) => `${a.groupId}:${a.artifactId}`);

describe('release catalog', () => {
  it('takes the Scala build each line was published with', () => {
    expect(defaultScala('0.8.2.2')).toBe('2.11');
    expect(defaultScala('0.10.1.1')).toBe('2.11');
    expect(defaultScala('0.10.2.2')).toBe('2.12');
    expect(defaultScala('2.3.1')).toBe('2.12');
    expect(defaultScala('2.8.2')).toBe('2.13');
    expect(defaultScala('3.9.2')).toBe('2.13');
    expect(defaultScala('4.0.0')).toBe('2.13');
  });

  it('refuses what is not a release number, naming --kafka-home', () => {
    for (const bad of ['0.11', 'latest', '3.9.2; rm -rf /', '']) {
      const error = (() => {
        try {
          parseRelease(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).code).toBe('RELEASE_VERSION_INVALID');
      expect((error as UserError).action).toContain('--kafka-home');
    }
    expect(compareReleases(parseRelease('0.10.2.2'), parseRelease('0.11.0.3'))).toBeLessThan(0);
    expect(compareReleases(parseRelease('3.9.2'), parseRelease('3.9.2'))).toBe(0);
  });

  it('adds the logging binding and the Java 11+ gaps each line needs', () => {
    expect(ids('0.10.2.2')).toEqual([
      'org.apache.kafka:kafka_2.12',
      'org.apache.kafka:kafka-tools',
      'org.slf4j:slf4j-log4j12',
      'log4j:log4j',
      'javax.xml.bind:jaxb-api',
    ]);
    expect(ids('2.8.2')).toEqual(['org.apache.kafka:kafka_2.13', 'org.apache.kafka:kafka-tools', 'org.slf4j:slf4j-reload4j']);
    expect(ids('4.0.0', false)).toEqual([
      'org.apache.kafka:kafka_2.13',
      'org.apache.logging.log4j:log4j-slf4j2-impl',
      'org.apache.logging.log4j:log4j-core',
      // Else kafka-clients' slf4j-api 1.7.36 wins and a 4.x broker logs nothing.
      'org.slf4j:slf4j-api',
    ]);
    const pom = generatePom(releaseArtifacts('0.11.0.3', '2.12', true));
    expect(pom).toContain('<artifactId>kafka_2.12</artifactId><version>0.11.0.3</version>');
    expect(pom).toContain('<artifactId>maven-dependency-plugin</artifactId>');
  });

  it('picks the main class a release really has, newest location first', () => {
    const old = pickMainClasses(
      new Set(['kafka.Kafka', 'kafka.admin.TopicCommand', 'kafka.tools.ConsoleConsumer', 'org.apache.kafka.tools.VerifiableProducer']),
    );
    expect(old).toEqual({
      'kafka-server-start.sh': 'kafka.Kafka',
      'kafka-topics.sh': 'kafka.admin.TopicCommand',
      'kafka-console-consumer.sh': 'kafka.tools.ConsoleConsumer',
      'kafka-verifiable-producer.sh': 'org.apache.kafka.tools.VerifiableProducer',
    });
    const modern = pickMainClasses(
      new Set(['kafka.admin.FeatureCommand', 'org.apache.kafka.tools.FeatureCommand', 'org.apache.kafka.tools.TopicCommand']),
    );
    expect(modern['kafka-features.sh']).toBe('org.apache.kafka.tools.FeatureCommand');
    expect(modern['kafka-topics.sh']).toBe('org.apache.kafka.tools.TopicCommand');
    expect(modern['kafka-storage.sh']).toBeUndefined();
  });

  it('writes scripts with JVM flags Java 17 accepts and the log4j of the line', () => {
    const run = runClassScript('0.10.2.2', '2.12');
    expect(run).toContain('--add-exports java.base/sun.nio.ch=ALL-UNNAMED');
    expect(run).not.toMatch(/CMS|ParNew|PrintGCDateStamps/);
    expect(run).toContain('-Dlog4j.configuration=file:$base_dir/config/tools-log4j.properties');
    expect(runClassScript('4.0.0', '2.13')).toContain('-Dlog4j2.configurationFile=$base_dir/config/tools-log4j2.properties');
    const start = commandScript('kafka-server-start.sh', 'kafka.Kafka', '0.11.0.3', '2.12');
    expect(start).toContain('exec "$base_dir/bin/kafka-run-class.sh" kafka.Kafka "$@"');
    expect(start).toContain('config/log4j.properties');
  });

  it('caches under KAFKA_OPS_CACHE, else the user cache directory', () => {
    expect(defaultCacheRoot({ KAFKA_OPS_CACHE: '/c' })).toBe('/c');
    expect(defaultCacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/kafka-ops');
    expect(releaseCachePath('0.11.0.3', '2.12', true, '/c')).toBe('/c/releases/kafka_2.12-0.11.0.3');
    expect(releaseCachePath('0.11.0.3', '2.12', false, '/c')).toBe('/c/releases/kafka_2.12-0.11.0.3-core');
  });
});

describe('mvn failures', () => {
  it('an artifact Maven Central does not have is an unknown release', () => {
    const output = [
      '[INFO] BUILD FAILURE',
      '[ERROR] Failed to execute goal on project release-classpath: Could not resolve dependencies for project kafka-ops.sandbox:release-classpath:pom:1: Could not find artifact org.apache.kafka:kafka_2.12:jar:0.10.9.9 in central (https://repo.maven.apache.org/maven2) -> [Help 1]',
    ].join('\n');
    const error = classifyMavenFailure('0.10.9.9', '2.12', output, 1);
    expect(error).toBeInstanceOf(UserError);
    expect(error.code).toBe('RELEASE_UNKNOWN');
    expect(error.message).toContain('0.10.9.9');
    expect(error.action).toContain('--kafka-home');
  });

  it('a registry that cannot be reached is retriable infrastructure', () => {
    const output =
      '[ERROR] Failed to execute goal on project release-classpath: Could not resolve dependencies for project x: Failed to collect dependencies at org.apache.kafka:kafka_2.12:jar:0.11.0.3: Failed to read artifact descriptor for org.apache.kafka:kafka_2.12:jar:0.11.0.3: Could not transfer artifact org.apache.kafka:kafka_2.12:pom:0.11.0.3 from/to central (https://repo.maven.apache.org/maven2): Connect to 127.0.0.1:9 failed: Connection refused';
    const error = classifyMavenFailure('0.11.0.3', '2.12', output, 1);
    expect(error.code).toBe('RELEASE_REGISTRY_UNREACHABLE');
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('0.11.0.3');
  });

  it('reads download sizes from transfer lines', () => {
    expect(downloadedBytes('Downloaded from central: https://repo.maven.apache.org/maven2/x.jar (14 kB at 1.2 MB/s)')).toBe(14_000);
    expect(downloadedBytes('Downloaded from central: https://r/x.jar (1.5 MB at 3 MB/s)')).toBe(1_500_000);
    expect(downloadedBytes('[INFO] Copying x.jar')).toBeUndefined();
  });
});
