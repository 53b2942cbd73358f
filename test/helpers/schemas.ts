/** Validating --json documents against the published schemas in schemas/ (with their cross-references). */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const dir = new URL('../../schemas/', import.meta.url);
const ajv = new Ajv2020({ allErrors: true, strict: true });
for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as object, name);
}

export function schemaFile(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
}

/** The schema's errors for `document` (empty when valid), as readable lines. */
export function schemaErrors(name: string, document: unknown): string[] {
  const validate = ajv.getSchema(name);
  if (!validate) throw new Error(`no schema ${name} in schemas/`);
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** Parses JUnit XML after checking it is well-formed; attributes keep their names, single elements stay arrays. */
export function parseJUnit(xml: string): any {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && ['testsuite', 'testcase', 'failure', 'skipped'].includes(name),
  }).parse(xml);
}
