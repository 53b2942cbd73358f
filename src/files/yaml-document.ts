/**
 * Reading a YAML input file (inventory or plan) into plain data while keeping the
 * positions, so that every complaint about it names file, line and column.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import { UserError, type SourceLocation } from '../errors.js';

export interface LocatedDocument {
  file: string;
  data: unknown;
  /** Position of the value at `path` (or of its closest existing parent). */
  locate(path: ReadonlyArray<string | number>): SourceLocation;
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
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  return { file, data, locate: (path) => locateIn(doc, lineCounter, file, path) };
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

const ajv = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true, verbose: true });
const validators = new Map<object, ValidateFunction>();

/** Validate `doc.data` against a JSON Schema; the first violation becomes a located UserError. */
export function assertMatchesSchema<T>(doc: LocatedDocument, schema: object, what: string): T {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  if (validate(doc.data)) return doc.data as T;
  const error = validate.errors?.[0];
  if (!error) throw new TypeError('schema validation failed without an error');
  const { path, message, action } = describeSchemaError(error);
  throw new UserError(`Invalid ${what}: ${message}`, { code: 'SCHEMA', action, location: doc.locate(path) });
}

function describeSchemaError(error: ErrorObject): { path: Array<string | number>; message: string; action: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    .concat(error.propertyName === undefined ? [] : [error.propertyName]); // a bad key (propertyNames): point at it
  const at = path.length > 0 ? `\`${path.join('.')}\`` : 'the document';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        path: [...path, String(params.additionalProperty)],
        message: `unknown key \`${String(params.additionalProperty)}\` in ${at}.`,
        action: 'Remove it or fix its spelling; see the README for the accepted keys.',
      };
    case 'required':
      return {
        path,
        message: `${at} is missing the required key \`${String(params.missingProperty)}\`.`,
        action: `Add \`${String(params.missingProperty)}\`.`,
      };
    case 'type':
      return { path, message: `${at} must be ${String(params.type)}.`, action: `Change ${at} to a value of type ${String(params.type)}.` };
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
