/** A digest of a plan's content: what was reviewed, what a run applies, what a confirmation belongs to. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted and undefined members dropped, so equal content gives equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const members = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
  return `{${members.join(',')}}`;
}

/** `sha256:<hex>` of the plan's canonical JSON; `omit` leaves top-level members out (the recorded digest itself). */
export function planDigest(plan: object, omit: readonly string[] = ['reviewed', '$schema']): string {
  const content = Object.fromEntries(Object.entries(plan).filter(([k]) => !omit.includes(k)));
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}
