/** Files shipped inside the kafka-ops package (schemas, plan templates), found from dist/. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

const cache = new Map<string, object>();

export function packageJson(relativePath: string): object {
  let value = cache.get(relativePath);
  if (!value) {
    value = JSON.parse(readFileSync(new URL(`../../${relativePath}`, import.meta.url), 'utf8')) as object;
    cache.set(relativePath, value);
  }
  return value;
}
