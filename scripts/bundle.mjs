#!/usr/bin/env node
// Build step (after tsc): bundles src/cli.ts (oclif, yaml and every command) into
// dist/bundle/cli.js, ESM with code splitting, so that what a command imports lazily (kafkajs,
// ssh2, the Kubernetes client, the ZooKeeper client, the sandbox) stays in chunks loaded when
// used. Dependencies other than oclif, yaml and execa (which every command loads: a hundred
// files of its own) stay in node_modules. Deterministic output.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const inlined = new Set(['@oclif/core', 'yaml', 'execa']);
const external = Object.keys(pjson.dependencies)
  .filter((name) => !inlined.has(name))
  .flatMap((name) => [name, `${name}/*`])
  // oclif loads these only to run TypeScript sources in development; never part of the CLI.
  .concat(['typescript', 'ts-node', 'tsx']);

const result = await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // oclif is CommonJS: its require() calls need a require in the ESM bundle.
  banner: { js: "import { createRequire as __kafkaOpsRequire } from 'node:module'; const require = __kafkaOpsRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  logLevel: 'warning',
  metafile: process.env.BUNDLE_META === '1',
});
if (result.metafile) {
  const out = result.metafile.outputs['dist/bundle/cli.js'];
  const by = {};
  for (const [f, v] of Object.entries(out.inputs)) {
    const k = f.includes('node_modules/') ? f.split('node_modules/').pop().split('/').slice(0, 2).join('/') : 'src';
    by[k] = (by[k] ?? 0) + v.bytesInOutput;
  }
  console.log(
    Object.entries(by)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12),
  );
}
