/**
 * Lays a resolved classpath out as a Kafka binary distribution: libs/ (the jars), config/
 * (log4j files) and bin/ with one script per command, each starting the main class of *that*
 * release through kafka-run-class.sh with JVM flags Java 17 accepts (Apache Kafka's own
 * scripts pass CMS/ParNew/PrintGCDateStamps flags that Java 17 refuses before 2.x).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SERVER_SCRIPTS, usesLog4j2 } from './catalog.js';

/** The sandbox's JVMs share 2 cores: serial GC, C1 only (see sandbox/java.ts), sun.nio.ch exported for 0.x index unmapping. */
const JVM_FLAGS = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1';
const MODULE_FLAGS = '--add-exports java.base/sun.nio.ch=ALL-UNNAMED';

function header(script: string, version: string, scala: string): string {
  return [
    '#!/bin/sh',
    `# ${script} of Apache Kafka ${version} (Scala ${scala}), laid out by kafka-ops from the release's jars on Maven Central.`,
    '# Environment as in Apache Kafka: KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS, KAFKA_OPTS, LOG_DIR, JAVA_HOME.',
    'base_dir=$(cd "$(dirname "$0")/.." && pwd)',
  ].join('\n');
}

function log4jOption(version: string, file: string): string {
  return usesLog4j2(version)
    ? `-Dlog4j2.configurationFile=$base_dir/config/${file}`
    : `-Dlog4j.configuration=file:$base_dir/config/${file}`;
}

export function runClassScript(version: string, scala: string): string {
  const tools = usesLog4j2(version) ? 'tools-log4j2.properties' : 'tools-log4j.properties';
  return `${header('kafka-run-class.sh', version, scala)}
if [ $# -lt 1 ]; then echo "USAGE: $0 classname [opts]" >&2; exit 1; fi
[ -n "$LOG_DIR" ] || LOG_DIR="$base_dir/logs"
[ -n "$KAFKA_HEAP_OPTS" ] || KAFKA_HEAP_OPTS="-Xmx256m"
[ -n "$KAFKA_JVM_PERFORMANCE_OPTS" ] || KAFKA_JVM_PERFORMANCE_OPTS="${JVM_FLAGS}"
[ -n "$KAFKA_LOG4J_OPTS" ] || KAFKA_LOG4J_OPTS="${log4jOption(version, tools)}"
if [ -n "$JAVA_HOME" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
# Word splitting of the *_OPTS variables is intended, as in Kafka's own script.
exec "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS ${MODULE_FLAGS} "-Dkafka.logs.dir=$LOG_DIR" $KAFKA_LOG4J_OPTS $KAFKA_OPTS -cp "$base_dir/libs/*" "$@"
`;
}

export function commandScript(script: string, mainClass: string, version: string, scala: string): string {
  const server = SERVER_SCRIPTS.has(script);
  const log4j = usesLog4j2(version) ? 'log4j2.properties' : 'log4j.properties';
  const lines = [header(script, version, scala)];
  if (server) {
    lines.push(
      `if [ $# -lt 1 ]; then echo "USAGE: $0 ${script.startsWith('zookeeper') ? 'zookeeper.properties' : 'server.properties [--override property=value]*'}" >&2; exit 1; fi`,
      `[ -n "$KAFKA_LOG4J_OPTS" ] || export KAFKA_LOG4J_OPTS="${log4jOption(version, log4j)}"`,
      `[ -n "$KAFKA_HEAP_OPTS" ] || export KAFKA_HEAP_OPTS="${script.startsWith('zookeeper') ? '-Xmx128m' : '-Xmx256m'}"`,
    );
  } else {
    lines.push('[ -n "$KAFKA_HEAP_OPTS" ] || export KAFKA_HEAP_OPTS="-Xmx128m"');
  }
  lines.push(`exec "$base_dir/bin/kafka-run-class.sh" ${mainClass} "$@"`, '');
  return lines.join('\n');
}

const LOG4J_SERVER = `# Broker and ZooKeeper logging: server.log under kafka.logs.dir (LOG_DIR), and stdout.
log4j.rootLogger=INFO, stdout, kafkaAppender
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.kafkaAppender=org.apache.log4j.FileAppender
log4j.appender.kafkaAppender.File=\${kafka.logs.dir}/server.log
log4j.appender.kafkaAppender.layout=org.apache.log4j.PatternLayout
log4j.appender.kafkaAppender.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

const LOG4J_TOOLS = `# Command-line tools: warnings and errors to stderr.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
`;

const LOG4J2_SERVER = `# Broker and controller logging: server.log under kafka.logs.dir (LOG_DIR), and stdout.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
rootLogger.appenderRef.file.ref = FILE
`;

const LOG4J2_TOOLS = `# Command-line tools: warnings and errors to stderr.
status = warn
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
`;

/** Writes bin/ and config/ into `home` (whose libs/ is already there); returns script name → absolute path. */
export async function writeDistribution(
  home: string,
  version: string,
  scala: string,
  mainClasses: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const bin = path.join(home, 'bin');
  const config = path.join(home, 'config');
  await mkdir(bin, { recursive: true });
  await mkdir(config, { recursive: true });
  if (usesLog4j2(version)) {
    await writeFile(path.join(config, 'log4j2.properties'), LOG4J2_SERVER);
    await writeFile(path.join(config, 'tools-log4j2.properties'), LOG4J2_TOOLS);
  } else {
    await writeFile(path.join(config, 'log4j.properties'), LOG4J_SERVER);
    await writeFile(path.join(config, 'tools-log4j.properties'), LOG4J_TOOLS);
  }
  const scripts: Record<string, string> = { 'kafka-run-class.sh': runClassScript(version, scala) };
  for (const [script, main] of Object.entries(mainClasses)) scripts[script] = commandScript(script, main, version, scala);
  const paths: Record<string, string> = {};
  for (const [script, text] of Object.entries(scripts)) {
    const file = path.join(bin, script);
    await writeFile(file, text);
    await chmod(file, 0o755);
    paths[script] = file;
  }
  return paths;
}
