/**
 * Reading a YAML input file (inventory or plan) into plain data while keeping the
 * positions, so that every complaint about it names file, line and column.
 */
import { nearestKey } from '../config/lint.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { LineCounter, isNode, isScalar, parseDocument, visit, type Document } from 'yaml';
import { UserError, type SourceLocation } from '../errors.js';
import { packageRoot } from './package-files.js';

export interface LocatedDocument {
  file: string;
  data: unknown;
  /** Position of the value at `path` (or of its closest existing parent). */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
  /** The text of the scalar at `path` as written in the file (`0x10`, not 16), if there is one. */
  sourceOf?(path: ReadonlyArray<string | number>): string | undefined;
}

export function readYamlFile(file: string, what: string): LocatedDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw new UserError(`The ${what} file ${file} ${reason}.`, {
      code: 'FILE_UNREADABLE',
      action: `Check the path given for the ${what} (flag or environment variable).`,
      location: { file },
      cause: error,
    });
  }
  return parseYaml(text, file, what);
}

export function parseYaml(text: string, file: string, what: string): LocatedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    const duplicate = first.code === 'DUPLICATE_KEY';
    throw new UserError(`${duplicate ? 'Duplicate key' : 'Malformed YAML'} in the ${what}: ${first.message.split('\n')[0]}`, {
      code: duplicate ? 'YAML_DUPLICATE_KEY' : 'YAML_SYNTAX',
      action: duplicate ? 'Remove or rename one of the two keys.' : 'Fix the YAML syntax at this position (indentation, quotes, colons).',
      location: { file, line: pos.line, column: pos.col },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The yaml library refuses a document whose aliases expand without bound (a "billion laughs").
    if (!(error instanceof ReferenceError)) throw error;
    const pos = lineCounter.linePos(firstAliasOffset(doc));
    throw new UserError(`Too many YAML aliases in the ${what}: ${error.message}`, {
      code: 'YAML_ALIAS_LIMIT',
      action: 'Write the values out instead of expanding aliases (*name) of aliases; an input file needs no more than a few.',
      location: { file, line: pos.line, column: pos.col },
      cause: error,
    });
  }
  return {
    file,
    data,
    locate: (path) => locateIn(doc, lineCounter, file, path),
    sourceOf: (path) => {
      const node = doc.getIn(path, true);
      return isScalar(node) && node.range ? text.slice(node.range[0], node.range[1]) : undefined;
    },
  };
}

/** Offset of the first alias (`*name`) of the document: where an alias bomb starts. */
function firstAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function locateIn(doc: Document, lineCounter: LineCounter, file: string, path: ReadonlyArray<string | number>): SourceLocation {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { file, line: pos.line, column: pos.col };
    }
  }
  return { file };
}

/** The schemas inputs are checked against (package-relative), compiled at build time by scripts/build-validators.mjs. */
export const INPUT_SCHEMAS = ['schemas/inventory.schema.json', 'schemas/plan.schema.json'] as const;
export type InputSchema = (typeof INPUT_SCHEMAS)[number];
export const AJV_OPTIONS: Options = { allErrors: false, strict: true, allowUnionTypes: true, verbose: true };

const requireHere = createRequire(import.meta.url);
const validators = new Map<InputSchema, ValidateFunction>();

/** Where the build writes the validator of `schema`. */
export const compiledValidatorPath = (schema: InputSchema): string =>
  path.join(packageRoot, 'dist', 'validators', path.basename(schema).replace(/\.schema\.json$/, '.cjs'));

/**
 * The validator of a shipped schema. Compiling a schema with ajv costs more than everything
 * else a `plan` preview does, so the build compiles them ahead (standalone code); it is used when
 * it was compiled from the schema as it is now, and the schema is compiled here otherwise
 * (sources run without a build, in tests).
 */
function validatorOf(schema: InputSchema): ValidateFunction {
  const known = validators.get(schema);
  if (known) return known;
  const text = readFileSync(path.join(packageRoot, schema), 'utf8');
  let validate: ValidateFunction | undefined;
  try {
    const compiled = requireHere(compiledValidatorPath(schema)) as ValidateFunction & { schemaText?: string };
    if (compiled.schemaText === text) validate = compiled;
  } catch {
    // Not built: compiled below.
  }
  if (!validate) {
    const { Ajv2020 } = requireHere('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    validate = new Ajv2020(AJV_OPTIONS).compile(JSON.parse(text) as object);
  }
  validators.set(schema, validate);
  return validate;
}

/** Validate `doc.data` against a shipped JSON Schema; the first violation becomes a located UserError. */
export function assertMatchesSchema<T>(doc: LocatedDocument, schema: InputSchema, what: string): T {
  const validate = validatorOf(schema);
  if (validate(doc.data)) return doc.data as T;
  const error = validate.errors?.[0];
  if (!error) throw new TypeError('schema validation failed without an error');
  const { path: at, message, action } = describeSchemaError(error, doc.data);
  throw new UserError(`Invalid ${what}: ${message}`, { code: 'SCHEMA', action, location: doc.locate(at) });
}

function valueAt(data: unknown, path: ReadonlyArray<string | number>): unknown {
  let value = data;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

function describeSchemaError(error: ErrorObject, data: unknown): { path: Array<string | number>; message: string; action: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    .concat(error.propertyName === undefined ? [] : [error.propertyName]); // a bad key (propertyNames): point at it
  const at = path.length > 0 ? `\`${path.join('.')}\`` : 'the document';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const near = nearestKey(key, known, 3);
      return {
        path: [...path, key],
        message: `unknown key \`${key}\` in ${at}${near ? `: did you mean \`${near}\`?` : '.'}`,
        action: 'Remove it or fix its spelling; see the README for the accepted keys.',
      };
    }
    case 'required':
      return {
        path,
        message: `${at} is missing the required key \`${String(params.missingProperty)}\`.`,
        action: `Add \`${String(params.missingProperty)}\`.`,
      };
    case 'type': {
      const value = valueAt(data, path);
      // YAML reads an unquoted 1.1 (or 1.10, or 2.0) as a number: a version must be quoted.
      if (params.type === 'string' && typeof value === 'number') {
        return {
          path,
          message: `${at} must be a string; YAML read the unquoted ${String(value)} as a number: quote it.`,
          action: `Write it in quotes, e.g. "${String(value)}" (an unquoted 1.10 reads as 1.1).`,
        };
      }
      return { path, message: `${at} must be ${String(params.type)}.`, action: `Change ${at} to a value of type ${String(params.type)}.` };
    }
    case 'enum':
      return {
        path,
        message: `${at} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`,
        action: 'Use one of the allowed values.',
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `${at} ${error.message}.`, action: 'Use a value in the allowed range.' };
    case 'pattern':
    case 'format': {
      const title = (error.parentSchema as { description?: string } | undefined)?.description;
      return {
        path,
        message: `${at} is not ${title ?? `valid (${error.message})`}.`,
        action: `Give ${title ?? 'a valid value'}.`,
      };
    }
    default:
      return { path, message: `${at} ${error.message ?? 'is invalid'}.`, action: 'Fix the value; see the README for the format.' };
  }
}
