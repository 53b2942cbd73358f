#!/usr/bin/env node
// Resolves every real Kafka release the tests use (test/releases.json) into the release cache
// before the suite starts, so a fresh machine downloads each once, up front and in order, and
// no test file pays for (or races on) a download. A cached release costs nothing (no mvn).
// Needs the build (dist/). Usage: node scripts/warm-releases.mjs [VERSION...]
import { readFileSync } from 'node:fs';

const { resolveRelease } = await import('../dist/sandbox/releases/index.js');
const listed = JSON.parse(readFileSync(new URL('../test/releases.json', import.meta.url), 'utf8')).releases;
const versions = process.argv.length > 2 ? process.argv.slice(2) : listed;
const started = Date.now();
for (const version of versions) {
  try {
    const release = await resolveRelease(version, { onProgress: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(`Kafka ${version}: ${release.cached ? 'cached' : 'resolved'} in ${release.home}\n`);
  } catch (error) {
    process.stderr.write(`${error.message}\n${error.action ?? ''}\n`);
    process.exit(error.exitCode ?? 1);
  }
}
process.stderr.write(`Releases ready (${versions.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
