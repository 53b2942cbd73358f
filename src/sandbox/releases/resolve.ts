/**
 * resolveRelease: a real Apache Kafka release from Maven Central, laid out as a binary
 * distribution and cached per release. The first resolve runs the machine's `mvn` on a
 * generated POM in a temporary directory (dependency:copy-dependencies, runtime scope);
 * the result is renamed into the cache only once complete (its marker written last), so a
 * cached resolve runs no mvn at all (mvn's start-up alone costs 8-11 s here) and a resolve
 * killed half-way leaves nothing that looks complete. Sandbox and test concern only: the
 * upgrade commands never download anything.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InfrastructureError, UserError } from '../../errors.js';
import { defaultScala, generatePom, parseRelease, pickMainClasses, releaseArtifacts } from './catalog.js';
import { writeDistribution } from './distribution.js';
import { jarClassNames } from './jar-index.js';

export interface ResolveOptions {
  /** Scala build (default: defaultScala(version)). */
  scala?: string;
  /** Cache root (default: $KAFKA_OPS_CACHE, else $XDG_CACHE_HOME/kafka-ops, else ~/.cache/kafka-ops). */
  cacheDir?: string;
  /** Include the tools module (verifiable clients; topic/feature/quorum commands from 3.x). Default true. */
  tools?: boolean;
  /** Progress lines while mvn downloads (nothing is said for a cached release). */
  onProgress?: (message: string) => void;
  /** Environment mvn runs in and is looked up on (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedRelease {
  version: string;
  scala: string;
  /** The distribution directory (bin/, config/, libs/): usable as a --kafka-home. */
  home: string;
  libs: string;
  /** Script name (kafka-server-start.sh, kafka-topics.sh, ...) → absolute path, only those this release has. */
  bin: Record<string, string>;
  /** Script name → main class it starts. */
  mainClasses: Record<string, string>;
  /** True when it came from the cache (no mvn ran). */
  cached: boolean;
  elapsedMs: number;
}

const MARKER = '.kafka-ops-release.json';

interface Marker {
  version: string;
  scala: string;
  tools: boolean;
  mainClasses: Record<string, string>;
  bin: string[];
  resolvedAt: string;
}

export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KAFKA_OPS_CACHE) return path.resolve(env.KAFKA_OPS_CACHE);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'kafka-ops');
  return path.join(os.homedir(), '.cache', 'kafka-ops');
}

/** Where a release is cached: <root>/releases/kafka_<scala>-<version>[-core]. */
export function releaseCachePath(version: string, scala: string, tools: boolean, cacheRoot: string): string {
  return path.join(cacheRoot, 'releases', `kafka_${scala}-${version}${tools ? '' : '-core'}`);
}

function readMarker(home: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(path.join(home, MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function fromMarker(home: string, marker: Marker, started: number, cached: boolean): ResolvedRelease {
  return {
    version: marker.version,
    scala: marker.scala,
    home,
    libs: path.join(home, 'libs'),
    bin: Object.fromEntries(marker.bin.map((s) => [s, path.join(home, 'bin', s)])),
    mainClasses: marker.mainClasses,
    cached,
    elapsedMs: Date.now() - started,
  };
}

/** The cached release, or undefined: never runs mvn. */
export function cachedRelease(
  version: string,
  opts: Pick<ResolveOptions, 'scala' | 'cacheDir' | 'tools' | 'env'> = {},
): ResolvedRelease | undefined {
  const started = Date.now();
  parseRelease(version);
  const scala = opts.scala ?? defaultScala(version);
  const root = opts.cacheDir ?? defaultCacheRoot(opts.env);
  const candidates = [releaseCachePath(version, scala, true, root)];
  if (opts.tools === false) candidates.push(releaseCachePath(version, scala, false, root));
  for (const home of candidates) {
    const marker = readMarker(home);
    if (marker) return fromMarker(home, marker, started, true);
  }
  return undefined;
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // next
    }
  }
  return undefined;
}

const ALTERNATIVE = 'or pass --kafka-home FROM_DIR --kafka-home TO_DIR with two unpacked Kafka binary distributions';

function mavenNotFound(version: string): UserError {
  return new UserError(
    `Cannot resolve Kafka ${version}: no mvn on $PATH (the sandbox fetches real Kafka releases from Maven Central with Maven)`,
    {
      code: 'MAVEN_NOT_FOUND',
      action: `Install Maven (apt-get install -y maven), ${ALTERNATIVE}.`,
    },
  );
}

/** Maps mvn's failure output to the error a user can act on. Exported for unit tests. */
export function classifyMavenFailure(
  version: string,
  scala: string,
  output: string,
  exitCode: number | null,
): UserError | InfrastructureError {
  const coordinate = `org.apache.kafka:kafka_${scala}:${version}`;
  const errors = output
    .split('\n')
    .filter((l) => l.startsWith('[ERROR]'))
    .slice(0, 6)
    .join('\n');
  const missingKafka = new RegExp(
    String.raw`(Could not find artifact|Failure to find|The following artifacts could not be resolved:)[^\n]*org\.apache\.kafka:kafka[-_][\w.-]*:(jar|pom):` +
      version.replace(/\./g, '\\.'),
  );
  if (missingKafka.test(output) || /org\.apache\.kafka:kafka[-_][\w.-]*:(jar|pom):[^\s]+ was not found in/.test(output)) {
    return new UserError(`Kafka ${version} is not on Maven Central as ${coordinate} (unknown release, or no Scala ${scala} build of it)`, {
      code: 'RELEASE_UNKNOWN',
      action: `Check the release number (e.g. 0.10.2.2, 0.11.0.3, 2.8.2, 3.9.2) and the Scala build, ${ALTERNATIVE}.`,
    });
  }
  if (
    /UnknownHost|Connection refused|Connect(ion)? timed out|Network is unreachable|No route to host|Temporary failure in name resolution|Could not transfer artifact|in offline mode|transfer failed/i.test(
      output,
    )
  ) {
    return new InfrastructureError(`Cannot resolve Kafka ${version}: Maven could not reach its registry (Maven Central)\n${errors}`, {
      code: 'RELEASE_REGISTRY_UNREACHABLE',
      retriable: true,
      action: `Check the network and Maven's settings (~/.m2/settings.xml: mirrors, proxies), then retry, ${ALTERNATIVE}.`,
    });
  }
  return new InfrastructureError(
    `Cannot resolve Kafka ${version}: mvn failed (exit ${exitCode ?? 'signal'})\n${errors || output.trim().split('\n').slice(-8).join('\n')}`,
    {
      code: 'RELEASE_RESOLVE_FAILED',
      retriable: false,
      action: `Run the mvn command again by hand to see why, ${ALTERNATIVE}.`,
    },
  );
}

/** One "Downloaded from central: URL (14 kB at 1.2 MB/s)" line → bytes, undefined for other lines. */
export function downloadedBytes(line: string): number | undefined {
  const m = /Downloaded from [^:]+: \S+ \(([\d.,]+) (B|kB|KB|MB|GB)/.exec(line);
  if (!m) return undefined;
  const scale = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as 'B' | 'kB' | 'KB' | 'MB' | 'GB'];
  return Number(m[1]!.replace(/,/g, '')) * scale;
}

function runMaven(
  mvn: string,
  dir: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      mvn,
      [
        '-B',
        '-f',
        path.join(dir, 'pom.xml'),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${path.join(dir, 'libs')}`,
      ],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let partial = '';
    const take = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        output += `${line}\n`;
        onLine(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output: output + partial }));
  });
}

/**
 * The distribution of Kafka `version`: from the cache, else resolved from Maven Central and
 * cached. Errors (UserError / InfrastructureError) name the version and --kafka-home.
 */
export async function resolveRelease(version: string, opts: ResolveOptions = {}): Promise<ResolvedRelease> {
  const started = Date.now();
  parseRelease(version);
  const env = opts.env ?? process.env;
  const scala = opts.scala ?? defaultScala(version);
  const tools = opts.tools ?? true;
  const root = opts.cacheDir ?? defaultCacheRoot(env);
  const cached = cachedRelease(version, { scala, cacheDir: root, tools });
  if (cached) return cached;

  const mvn = findOnPath('mvn', env);
  if (!mvn) throw mavenNotFound(version);
  const home = releaseCachePath(version, scala, tools, root);
  await mkdir(path.dirname(home), { recursive: true });
  const work = `${home}.tmp-${process.pid}-${Date.now()}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(path.join(work, 'libs'), { recursive: true });
  try {
    await writeFile(path.join(work, 'pom.xml'), generatePom(releaseArtifacts(version, scala, tools)));
    const say = opts.onProgress ?? (() => {});
    say(`Resolving Kafka ${version} (kafka_${scala}) from Maven Central with mvn: first time only, cached in ${home}`);
    let files = 0;
    let bytes = 0;
    let lastReport = Date.now();
    const { exitCode, output } = await runMaven(mvn, work, env, (line) => {
      const n = downloadedBytes(line);
      if (n === undefined) return;
      files++;
      bytes += n;
      if (Date.now() - lastReport >= 2000) {
        lastReport = Date.now();
        say(`Kafka ${version}: downloaded ${files} files, ${(bytes / 1e6).toFixed(1)} MB`);
      }
    });
    if (exitCode !== 0) throw classifyMavenFailure(version, scala, output, exitCode);
    const libs = path.join(work, 'libs');
    const jars = readdirSync(libs).filter((n) => n.endsWith('.jar'));
    const core = `kafka_${scala}-${version}.jar`;
    if (!jars.includes(core)) {
      throw new InfrastructureError(`mvn finished but ${core} is not among the ${jars.length} jars it copied for Kafka ${version}`, {
        code: 'RELEASE_RESOLVE_FAILED',
        retriable: false,
        action: `Look at ${work}, ${ALTERNATIVE}.`,
      });
    }
    const classes = new Set<string>();
    for (const jar of jars.filter((n) => /^(kafka|zookeeper)/.test(n))) for (const c of jarClassNames(path.join(libs, jar))) classes.add(c);
    const mainClasses = pickMainClasses(classes);
    const bin = await writeDistribution(work, version, scala, mainClasses);
    await rm(path.join(work, 'pom.xml'), { force: true });
    const marker: Marker = {
      version,
      scala,
      tools,
      mainClasses,
      bin: Object.keys(bin).sort(),
      resolvedAt: new Date().toISOString(),
    };
    await writeFile(path.join(work, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
    try {
      await rename(work, home);
    } catch (error) {
      // Another process finished the same release first, or a stale incomplete directory is in the way.
      if (readMarker(home)) return fromMarker(home, readMarker(home)!, started, true);
      if (!existsSync(home)) throw error;
      await rm(home, { recursive: true, force: true });
      await rename(work, home);
    }
    say(
      `Kafka ${version}: ${jars.length} jars, ${(bytes / 1e6).toFixed(1)} MB downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return fromMarker(home, marker, started, false);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
