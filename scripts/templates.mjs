#!/usr/bin/env node
// Writes plans/*.yaml, the ready templates for common upgrades, from the planner itself.
// The list of templates is test code (test/helpers/plan-templates.ts), bundled here with
// the planner by esbuild. test/unit/plan-file.test.ts fails if a committed template differs
// from what this writes, so templates never drift from the planner's rules.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

// Inside the package, so the bundle finds node_modules and the package root.
mkdirSync(new URL('../node_modules/.cache/', import.meta.url), { recursive: true });
const out = mkdtempSync(new URL('../node_modules/.cache/kafka-ops-templates-', import.meta.url).pathname);
try {
  const entry = join(out, 'entry.ts');
  writeFileSync(
    entry,
    `export { templatePlans } from ${JSON.stringify(new URL('../test/helpers/plan-templates.ts', import.meta.url).pathname)};\n` +
      `export { planToYaml } from ${JSON.stringify(new URL('../src/store/plan-file.ts', import.meta.url).pathname)};\n`,
  );
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: join(out, 'templates.mjs'),
  });
  const { templatePlans, planToYaml } = await import(pathToFileURL(join(out, 'templates.mjs')).href);
  mkdirSync(new URL('../plans/', import.meta.url), { recursive: true });
  for (const { file, plan } of templatePlans()) {
    writeFileSync(new URL(`../plans/${file}`, import.meta.url), planToYaml(plan, '../schemas/plan.schema.json'));
    console.log(`plans/${file}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
