/**
 * What a Kafka release is made of on Maven Central: the Scala build to take, the artifacts
 * of its broker classpath (core, the tools module, a logging binding, what Java 17 lacks),
 * and the main class of each command script. Pure data, so unit tests pin every rule.
 */
import { UserError } from '../../errors.js';

export type ReleaseTuple = readonly number[];

/** A release number as Apache Kafka publishes them: 0.10.2.2, 2.8.2, 3.9.2, 4.0.0. */
export function parseRelease(version: string): ReleaseTuple {
  if (!/^\d+\.\d+\.\d+(\.\d+)?$/.test(version)) {
    throw new UserError(`"${version}" is not a Kafka release number (expected e.g. 0.10.2.2, 2.8.2 or 3.9.2)`, {
      code: 'RELEASE_VERSION_INVALID',
      action: 'Pass a full Kafka release number, or --kafka-home with an unpacked Kafka distribution.',
    });
  }
  return version.split('.').map(Number);
}

/** <0, 0 or >0 as `a` is older than, the same as or newer than `b` (missing parts count as 0). */
export function compareReleases(a: ReleaseTuple, b: ReleaseTuple): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const before = (v: ReleaseTuple, bound: string) => compareReleases(v, bound.split('.').map(Number)) < 0;

/**
 * The Scala build taken by default: 2.11 up to 0.10.1 (the last line without a 2.12 build),
 * 2.12 from 0.10.2 to 2.3, 2.13 from 2.4 on (Kafka's default Scala from 3.0, the only one of 4.x).
 */
export function defaultScala(version: string): string {
  const v = parseRelease(version);
  if (before(v, '0.10.2')) return '2.11';
  if (before(v, '2.4')) return '2.12';
  return '2.13';
}

export interface MavenArtifact {
  groupId: string;
  artifactId: string;
  version: string;
}

/** Kafka's own artifacts first: Maven's "first declaration wins" then keeps their versions of shared dependencies. */
export function releaseArtifacts(version: string, scala: string, tools: boolean): MavenArtifact[] {
  const v = parseRelease(version);
  const kafka = (artifactId: string): MavenArtifact => ({ groupId: 'org.apache.kafka', artifactId, version });
  const artifacts = [kafka(`kafka_${scala}`)];
  // The tools module (VerifiableProducer/Consumer, and from 3.x the topic, feature and quorum commands).
  if (tools && !before(v, '0.10.0')) artifacts.push(kafka('kafka-tools'));
  if (before(v, '2.0')) {
    // log4j 1.2 through slf4j-log4j12, as those releases shipped; Kafka used javax.xml.bind
    // (DatatypeConverter), which Java 11 removed.
    artifacts.push(
      { groupId: 'org.slf4j', artifactId: 'slf4j-log4j12', version: '1.7.25' },
      { groupId: 'log4j', artifactId: 'log4j', version: '1.2.17' },
      { groupId: 'javax.xml.bind', artifactId: 'jaxb-api', version: '2.3.1' },
    );
  } else if (before(v, '4.0')) {
    // reload4j: the log4j 1.2 fork Kafka itself moved to in 2.8.2 / 3.x.
    artifacts.push({ groupId: 'org.slf4j', artifactId: 'slf4j-reload4j', version: '1.7.36' });
  } else {
    artifacts.push(
      { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j2-impl', version: '2.24.3' },
      { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: '2.24.3' },
      // kafka-clients' POM brings slf4j-api 1.7.36 first, and an slf4j 1.7 API never finds the
      // slf4j2 binding: without 2.x here a 4.4.0 broker logs nothing ("NOP logger"), not even server.log.
      { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: '2.0.17' },
    );
  }
  return artifacts;
}

/** log4j 1.2 (-Dlog4j.configuration) before 4.0, log4j2 (-Dlog4j2.configurationFile) from 4.0. */
export function usesLog4j2(version: string): boolean {
  return !before(parseRelease(version), '4.0');
}

export function generatePom(artifacts: readonly MavenArtifact[], dependencyPluginVersion = '3.6.1'): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const deps = artifacts
    .map(
      (a) =>
        `    <dependency><groupId>${esc(a.groupId)}</groupId><artifactId>${esc(a.artifactId)}</artifactId><version>${esc(a.version)}</version></dependency>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kafka-ops.sandbox</groupId>
  <artifactId>release-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${dependencyPluginVersion}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

/**
 * The command scripts of a distribution and the main classes that implement them, newest
 * location first: the resolver takes the first class present in the release's jars, so each
 * script starts what *that* release has (e.g. TopicCommand moved from kafka.admin to
 * org.apache.kafka.tools in 3.7). A script whose classes are all absent is not written.
 */
export const COMMAND_SCRIPTS: Readonly<Record<string, readonly string[]>> = {
  'kafka-server-start.sh': ['kafka.Kafka'],
  'zookeeper-server-start.sh': ['org.apache.zookeeper.server.quorum.QuorumPeerMain'],
  'kafka-topics.sh': ['org.apache.kafka.tools.TopicCommand', 'kafka.admin.TopicCommand'],
  'kafka-configs.sh': ['org.apache.kafka.tools.ConfigCommand', 'kafka.admin.ConfigCommand'],
  'kafka-console-producer.sh': ['org.apache.kafka.tools.ConsoleProducer', 'kafka.tools.ConsoleProducer'],
  'kafka-console-consumer.sh': ['org.apache.kafka.tools.consumer.ConsoleConsumer', 'kafka.tools.ConsoleConsumer'],
  'kafka-verifiable-producer.sh': ['org.apache.kafka.tools.VerifiableProducer', 'kafka.tools.VerifiableProducer'],
  'kafka-verifiable-consumer.sh': ['org.apache.kafka.tools.VerifiableConsumer', 'kafka.tools.VerifiableConsumer'],
  'kafka-storage.sh': ['kafka.tools.StorageTool', 'org.apache.kafka.tools.StorageTool'],
  'kafka-features.sh': ['org.apache.kafka.tools.FeatureCommand', 'kafka.admin.FeatureCommand'],
  'kafka-metadata-quorum.sh': ['org.apache.kafka.tools.MetadataQuorumCommand', 'kafka.admin.MetadataQuorumCommand'],
  'kafka-leader-election.sh': ['org.apache.kafka.tools.LeaderElectionCommand', 'kafka.admin.LeaderElectionCommand'],
  'kafka-preferred-replica-election.sh': ['kafka.admin.PreferredReplicaLeaderElectionCommand'],
  'kafka-broker-api-versions.sh': ['org.apache.kafka.tools.BrokerApiVersionsCommand', 'kafka.admin.BrokerApiVersionsCommand'],
  'zookeeper-shell.sh': ['org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka', 'org.apache.zookeeper.ZooKeeperMain'],
};

/** Scripts that start a server: they log through config/log4j.properties, the commands through tools-log4j. */
export const SERVER_SCRIPTS = new Set(['kafka-server-start.sh', 'zookeeper-server-start.sh']);

/** The main class of each script present in `classes` (the set of class names in the release's jars). */
export function pickMainClasses(classes: ReadonlySet<string>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [script, candidates] of Object.entries(COMMAND_SCRIPTS)) {
    const found = candidates.find((c) => classes.has(c));
    if (found) picked[script] = found;
  }
  return picked;
}
