/**
 * server.properties carried as environment variables, in the convention of the common
 * Kafka images: prefix + key upper-cased, "." → "_", "_" → "__", "-" → "___"
 * (`log.retention.hours` ↔ `KAFKA_LOG_RETENTION_HOURS`). Pure.
 */
import { parseProperties } from '../config/properties.js';

const ENV_OF: Record<string, string> = { '.': '_', _: '__', '-': '___' };
const KEY_OF: Record<string, string> = { _: '.', __: '_', ___: '-' };

export function envNameOf(prefix: string, key: string): string {
  return prefix + key.replace(/[._-]/g, (c) => ENV_OF[c] as string).toUpperCase();
}

export function keyOfEnvName(prefix: string, name: string): string | undefined {
  if (!name.startsWith(prefix) || name.length === prefix.length) return undefined;
  // Longest run first at each position, as the images read it: "___" before "__" before "_".
  return name
    .slice(prefix.length)
    .toLowerCase()
    .replace(/___|__|_/g, (run) => KEY_OF[run] as string);
}

/** The server.properties the image writes from `env` (sorted, one key per line). */
export function propertiesFromEnv(prefix: string, env: Record<string, string>): string {
  const lines = Object.entries(env)
    .map(([name, value]) => [keyOfEnvName(prefix, name), value] as const)
    .filter((e): e is readonly [string, string] => e[0] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * The env that makes the image write `content`: only variables of keys whose value
 * differs are set or removed; every other variable (and its order) is kept.
 */
export function envForProperties(prefix: string, env: Record<string, string>, content: string): Record<string, string> {
  const wanted = parseProperties(content);
  const current = parseProperties(propertiesFromEnv(prefix, env));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const key = keyOfEnvName(prefix, name);
    if (key === undefined) out[name] = value;
    else if (key in wanted) out[name] = wanted[key] as string;
  }
  for (const [key, value] of Object.entries(wanted)) if (!(key in current)) out[envNameOf(prefix, key)] = value;
  return out;
}
