/**
 * Which config keys hold secrets, what a reference to a secret's value looks like, and redaction
 * of secret values in anything shown or stored (pure: the engine uses it too). See secrets.ts.
 */
/** What a secret's value is shown and stored as. */
export const REDACTED = '(redacted)';

const SECRET_KEY = /(password|secret|jaas\.config|\.master\.key|credentials?$|(^|\.)token$)/i;

/** Keys whose value is a secret: `*password*`, `*secret*`, `*.jaas.config`, keystore/truststore/key passwords, token master keys. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

const REFERENCE = /^@(env|file):(.+)$/;

/** `@env:NAME` or `@file:PATH`; undefined for anything else. */
export function secretReference(value: string | null | undefined): { kind: 'env' | 'file'; name: string } | undefined {
  const match = value == null ? null : REFERENCE.exec(value);
  return match ? { kind: match[1] as 'env' | 'file', name: match[2] as string } : undefined;
}

/**
 * A copy of `value` with the value of every secret key redacted wherever it sits: a string under
 * a secret key, or the `from`/`to` of a change of one (a reference stays: it is no secret).
 */
export function redactSecrets<T>(value: T): T {
  return redact(value, false) as T;
}

function redact(value: unknown, secret: boolean): unknown {
  if (typeof value === 'string') return secret && !secretReference(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, secret));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redact(v, secret || isSecretKey(k))]));
}
