/**
 * The input schemas' validators compiled at build time (scripts/build-validators.mjs) are what
 * ajv compiles at run time: same verdicts, same first error, and each carries the schema text it
 * came from (a stale one is not used). Needs the build (npm test builds first).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packageRoot } from '../../src/files/package-files.js';
import { AJV_OPTIONS, INPUT_SCHEMAS, compiledValidatorPath } from '../../src/files/yaml-document.js';

const require = createRequire(import.meta.url);
const example = (name: string): unknown => parse(readFileSync(path.join(packageRoot, name), 'utf8'));

const inventory = example('examples/inventory.yaml') as Record<string, unknown>;
const samples: Record<string, unknown[]> = {
  'schemas/inventory.schema.json': [
    inventory,
    { ...inventory, extra: 1 },
    { ...inventory, brokers: [{ id: 'one' }] },
    { ...inventory, cluster: 'bad name!' },
    {},
  ],
  'schemas/plan.schema.json': [{}, { version: 1 }, { phases: 'none' }, inventory],
};

describe('precompiled input validators', () => {
  it.each(INPUT_SCHEMAS)('%s: built from the current schema and agreeing with a runtime compile', (schema) => {
    const text = readFileSync(path.join(packageRoot, schema), 'utf8');
    const compiled = require(compiledValidatorPath(schema)) as ((data: unknown) => boolean) & { schemaText: string; errors?: unknown[] };
    expect(compiled.schemaText).toBe(text);
    const runtime = new Ajv2020(AJV_OPTIONS).compile(JSON.parse(text) as object);
    const verdicts = (samples[schema] ?? []).map((data) => {
      const a = compiled(data);
      const b = runtime(data);
      expect(a).toBe(b);
      const first = (errors: unknown[] | null | undefined) => {
        const e = errors?.[0] as { keyword?: string; instancePath?: string; params?: unknown } | undefined;
        return e && { keyword: e.keyword, instancePath: e.instancePath, params: e.params };
      };
      expect(first(compiled.errors)).toEqual(first(runtime.errors));
      return a;
    });
    // Both outcomes were exercised, so the comparison says something.
    expect(verdicts).toContain(false);
    if (schema === 'schemas/inventory.schema.json') expect(verdicts).toContain(true);
  });
});
