/** Files shipped inside the kafka-ops package (schemas, plan templates, built validators). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's root: the nearest directory above this module whose package.json is kafka-ops'.
 * Searched, not a fixed `../..`: the same code runs from dist/files/ (tsc), from src/files/
 * (tests) and from dist/bundle/chunks/ (the bundled CLI).
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pjson = path.join(dir, 'package.json');
    if (existsSync(pjson) && (JSON.parse(readFileSync(pjson, 'utf8')) as { name?: string }).name === 'kafka-ops') return dir;
    if (path.dirname(dir) === dir) throw new Error(`kafka-ops: no package.json of kafka-ops above ${from}`);
  }
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
