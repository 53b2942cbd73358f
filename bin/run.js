#!/usr/bin/env node
// `--version` alone is answered here, in oclif's own words (`<bin>/<version> <platform>-<arch>
// node-<version>`), without loading oclif: it is what scripts call most, and loading oclif is
// most of the CLI's start-up.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const { readFileSync } = await import('node:fs');
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${pjson.oclif.bin}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  // oclif and every command in one bundle (scripts/bundle.mjs): a few files to load, not hundreds.
  const { execute } = await import('../dist/bundle/cli.js');
  await execute({ dir: import.meta.url });
  // The command's work is done and its output written: a socket some library failed to close
  // (a server that accepted and never answered) must not keep the process alive (issue 14).
  setTimeout(() => process.exit(), 2_000).unref();
}
