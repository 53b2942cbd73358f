/**
 * server.properties as text: read values, and change only given keys while keeping
 * comments, blank lines and the order of everything else. Pure.
 */

export type PropertyEdits = Record<string, string | null>;

/** One logical line: a comment or blank line, or an entry whose value may continue over several physical lines. */
interface Line {
  /** The physical lines it spans, verbatim, each with its line terminator (none at the end of the file). */
  raw: string[];
  key?: string;
  value?: string;
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** True when the line ends in an odd number of backslashes: Java's line continuation. */
function continues(line: string): boolean {
  return (/\\+$/.exec(line)?.[0].length ?? 0) % 2 === 1;
}

/** java.util.Properties' unescaping: \t \n \r \f, \uXXXX, and \x for any other x. */
function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
    c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : (ESCAPES[c] ?? c),
  );
}

/** Splits a logical line (continuations joined) into key and value the way java.util.Properties.load does. */
function entryOf(logical: string): { key: string; value: string } {
  let i = 0;
  let key = '';
  while (i < logical.length && !/[=:\s]/.test(logical[i] as string)) {
    if (logical[i] === '\\' && i + 1 < logical.length) {
      key += logical.slice(i, i + 2);
      i += 2;
    } else key += logical[i++];
  }
  while (i < logical.length && /[ \t\f]/.test(logical[i] as string)) i++;
  if (logical[i] === '=' || logical[i] === ':') i++;
  while (i < logical.length && /[ \t\f]/.test(logical[i] as string)) i++;
  return { key: unescape(key), value: unescape(logical.slice(i)) };
}

/** server.properties as java.util.Properties reads it: comments, continuations, escapes. */
function parseLines(text: string): Line[] {
  // Java's LineReader ends a line at \n, \r\n and a lone \r alike.
  const parts = text.split(/(\r\n|\r|\n)/);
  const physical: string[] = [];
  const ends: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    physical.push(parts[i] as string);
    ends.push(parts[i + 1] ?? '');
  }
  const lines: Line[] = [];
  for (let i = 0; i < physical.length; i++) {
    const first = physical[i] as string;
    const trimmed = first.replace(/^[ \t\f]+/, '');
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) {
      lines.push({ raw: [first + ends[i]] });
      continue;
    }
    const raw = [first + ends[i]];
    let logical = trimmed;
    while (continues(logical) && i + 1 < physical.length) {
      const next = physical[++i] as string;
      raw.push(next + ends[i]);
      logical = logical.slice(0, -1) + next.replace(/^[ \t\f]+/, '');
    }
    if (continues(logical)) logical = logical.slice(0, -1); // a continuation at the end of the file
    lines.push({ raw, ...entryOf(logical) });
  }
  return lines;
}

/** Keys and values as Kafka sees them: java.util.Properties' parsing, then values trimmed as Kafka's ConfigDef does. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of parseLines(text)) if (line.key !== undefined) out[line.key] = (line.value ?? '').trim();
  return out;
}

/**
 * Apply `edits` (key → new value, or null to remove). An existing key is changed in
 * place (its last occurrence, which is the one Java uses; earlier duplicates are removed);
 * a new key is appended at the end with a comment saying who added it.
 */
export function editProperties(text: string, edits: PropertyEdits, marker = 'kafka-ops'): string {
  const lines = parseLines(text);
  const lastIndex = new Map<string, number>();
  lines.forEach((l, i) => l.key !== undefined && lastIndex.set(l.key, i));
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (line.key === undefined || !(line.key in edits)) {
      out.push(...line.raw);
      return;
    }
    const value = edits[line.key];
    if (lastIndex.get(line.key) !== i || value === null || value === undefined) return;
    const end = /(\r\n|\r|\n)$/.exec(line.raw[line.raw.length - 1] as string)?.[0] ?? '';
    out.push(`${escapeKey(line.key)}=${escapeValue(value)}${end}`);
  });
  const appended = Object.entries(edits).filter(([key, value]) => value !== null && !lastIndex.has(key));
  if (appended.length > 0) {
    while (out.length > 0 && /^(\r\n|\r|\n)?$/.test(out[out.length - 1] as string)) out.pop();
    if (out.length > 0 && !/[\r\n]$/.test(out[out.length - 1] as string)) out.push(eol);
    out.push(eol, `# Added by ${marker}${eol}`);
    for (const [key, value] of appended) out.push(`${escapeKey(key)}=${escapeValue(value as string)}${eol}`);
  }
  return out.join('');
}

/** Java escaping that reads back exactly: the file is read as ISO-8859-1, so anything past ASCII becomes \\uXXXX. */
function escapeText(text: string, specials: RegExp): string {
  if (/[\r\n]/.test(text)) throw new TypeError('a server.properties key or value cannot contain a line break');
  return text
    .replace(/\\/g, '\\\\')
    .replace(specials, (c) => `\\${c}`)
    .replace(/\t/g, '\\t')
    .replace(/\f/g, '\\f')
    .replace(/[^\x20-\x7e\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function escapeKey(key: string): string {
  return escapeText(key, /[=: #!]/g);
}

function escapeValue(value: string): string {
  // Leading spaces would be skipped as separator: escape each; anything else after `=` is value.
  const escaped = escapeText(value, /(?!)/g);
  const lead = /^ */.exec(escaped)?.[0].length ?? 0;
  return '\\ '.repeat(lead) + escaped.slice(lead);
}
