/**
 * server.properties as text: read values, and change only given keys while keeping
 * comments, blank lines and the order of everything else. Pure.
 */

export type PropertyEdits = Record<string, string | null>;

interface Line {
  raw: string;
  key?: string;
}

/** Java-properties keys and values, enough for server.properties (no line continuations in keys). */
function parseLines(text: string): Line[] {
  return text.split(/\r?\n/).map((raw) => {
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return { raw };
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(trimmed) ?? /^([^=:\s]+)$/.exec(trimmed);
    return { raw, key: match?.[1] };
  });
}

export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of parseLines(text)) {
    if (!line.key) continue;
    const trimmed = line.raw.trimStart();
    out[line.key] = trimmed.slice(line.key.length).replace(/^\s*[=:\s]\s*/, '').trimEnd().replace(/\\(.)/g, (_, c: string) => (({ t: '\t', n: '\n', r: '\r', f: '\f' }) as Record<string, string>)[c] ?? c);
  }
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
  lines.forEach((l, i) => l.key && lastIndex.set(l.key, i));
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (!line.key || !(line.key in edits)) {
      out.push(line.raw);
      return;
    }
    const value = edits[line.key];
    if (lastIndex.get(line.key) !== i || value === null || value === undefined) return;
    out.push(`${line.key}=${escapeValue(value)}`);
  });
  const appended = Object.entries(edits).filter(([key, value]) => value !== null && !lastIndex.has(key));
  if (appended.length > 0) {
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    out.push('', `# Added by ${marker}`);
    for (const [key, value] of appended) out.push(`${key}=${escapeValue(value as string)}`);
    out.push('');
  }
  return out.join(text.includes('\r\n') ? '\r\n' : '\n');
}

function escapeValue(value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError('a server.properties value cannot contain a line break');
  return value.replace(/\\/g, '\\\\');
}
