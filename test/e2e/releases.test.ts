/**
 * The release resolver against the machine's real Maven and Maven Central: a real resolve laid
 * out as a distribution whose scripts run on Java 17, a cached resolve that runs no mvn at all,
 * and each failure (no mvn, unknown release, registry unreachable, mvn failing half-way) a clear
 * error naming the version and --kafka-home, leaving nothing in the cache that looks complete.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaOpsError } from '../../src/errors.js';
import { resolveRelease } from '../../src/sandbox/releases/index.js';

const root = mkdtempSync(join(tmpdir(), 'kafka-ops-releases-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const realMvn = execFileSync('sh', ['-c', 'command -v mvn'], { encoding: 'utf8' }).trim();

/** A PATH of one directory holding only `mvn` (the given script), or nothing. */
function pathWithMvn(name: string, script?: string): string {
  const bin = join(root, name);
  execFileSync('mkdir', ['-p', bin]);
  if (script !== undefined) {
    writeFileSync(join(bin, 'mvn'), script);
    chmodSync(join(bin, 'mvn'), 0o755);
  }
  return bin;
}

async function failure(promise: Promise<unknown>): Promise<KafkaOpsError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KafkaOpsError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

function cacheEntries(cacheDir: string): string[] {
  return existsSync(join(cacheDir, 'releases')) ? readdirSync(join(cacheDir, 'releases')) : [];
}

describe('resolveRelease on real Maven', () => {
  it('resolves 0.10.2.2 as a distribution that runs on Java 17, then serves it from the cache without mvn', async () => {
    const cacheDir = join(root, 'cache');
    const lines: string[] = [];
    const first = await resolveRelease('0.10.2.2', { cacheDir, onProgress: (m) => lines.push(m) });
    expect(first.cached).toBe(false);
    expect(first.scala).toBe('2.12');
    expect(readdirSync(first.libs)).toEqual(
      expect.arrayContaining(['kafka_2.12-0.10.2.2.jar', 'kafka-tools-0.10.2.2.jar', 'jaxb-api-2.3.1.jar']),
    );
    expect(first.mainClasses['kafka-topics.sh']).toBe('kafka.admin.TopicCommand');
    expect(Object.keys(first.bin)).toEqual(
      expect.arrayContaining(['kafka-server-start.sh', 'zookeeper-server-start.sh', 'kafka-verifiable-producer.sh']),
    );
    expect(lines[0]).toContain('Resolving Kafka 0.10.2.2');

    // The cached release is found with no mvn on PATH at all, and says nothing.
    const again: string[] = [];
    const second = await resolveRelease('0.10.2.2', { cacheDir, env: { PATH: pathWithMvn('none') }, onProgress: (m) => again.push(m) });
    expect(second).toMatchObject({ cached: true, home: first.home });
    expect(again).toEqual([]);

    // A real script of the release: kafka-topics.sh without arguments prints the release's own usage.
    const topics = spawnSync(second.bin['kafka-topics.sh']!, [], { encoding: 'utf8' });
    expect(`${topics.stdout}${topics.stderr}`).toContain('Create, delete, describe, or change a topic.');
  });

  it('no mvn: MAVEN_NOT_FOUND before anything is created', async () => {
    const cacheDir = join(root, 'no-mvn');
    const error = await failure(resolveRelease('0.11.0.3', { cacheDir, env: { PATH: pathWithMvn('empty') } }));
    expect(error.code).toBe('MAVEN_NOT_FOUND');
    expect(error.message).toContain('0.11.0.3');
    expect(error.action).toContain('--kafka-home');
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('a release Maven Central does not have: RELEASE_UNKNOWN from the real registry', async () => {
    const cacheDir = join(root, 'unknown');
    const error = await failure(resolveRelease('0.10.2.9', { cacheDir }));
    expect(error.code).toBe('RELEASE_UNKNOWN');
    expect(error.message).toContain('0.10.2.9');
    expect(error.action).toContain('--kafka-home');
    expect(cacheEntries(cacheDir)).toEqual([]);
  });

  it('a registry that cannot be reached: RELEASE_REGISTRY_UNREACHABLE, retriable', async () => {
    // Real Maven, pointed by a mirror at a closed port on loopback and an empty local repository.
    const settings = join(root, 'settings.xml');
    writeFileSync(
      settings,
      `<settings><mirrors><mirror><id>closed</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>\n`,
    );
    const wrapper = `#!/bin/sh\nexec ${realMvn} -s ${settings} -Dmaven.repo.local=${join(root, 'empty-m2')} "$@"\n`;
    const cacheDir = join(root, 'unreachable');
    const error = await failure(
      resolveRelease('0.11.0.3', { cacheDir, env: { ...process.env, PATH: `${pathWithMvn('offline', wrapper)}:${process.env.PATH}` } }),
    );
    expect(error.code).toBe('RELEASE_REGISTRY_UNREACHABLE');
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('0.11.0.3');
    expect(cacheEntries(cacheDir)).toEqual([]);
  });

  it('mvn failing half-way leaves nothing in the cache, and the next resolve starts over', async () => {
    const script =
      '#!/bin/sh\nfor a in "$@"; do case "$a" in -DoutputDirectory=*) d="${a#-DoutputDirectory=}";; esac; done\n/usr/bin/touch "$d/kafka_2.12-0.11.0.3.jar"\necho "[ERROR] Java heap space"\nexit 1\n';
    const cacheDir = join(root, 'half');
    const error = await failure(resolveRelease('0.11.0.3', { cacheDir, env: { PATH: pathWithMvn('half', script) } }));
    expect(error.code).toBe('RELEASE_RESOLVE_FAILED');
    expect(error.message).toContain('Java heap space');
    expect(cacheEntries(cacheDir)).toEqual([]);
  });
});
