// The CLI as the sandbox benches drive it: one built `kafka-ops` process per call, its --json
// document parsed, and the sandbox torn down at the end whatever happened.
import { execFileSync } from 'node:child_process';

const bin = new URL('../bin/run.js', import.meta.url).pathname;

export const cliJson = (...args) =>
  JSON.parse(
    execFileSync(process.execPath, [bin, ...args, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    }),
  );

export function tearDownSandbox(dir) {
  try {
    execFileSync(process.execPath, [bin, 'sandbox', 'down', '--dir', dir, '--purge'], { stdio: 'ignore' });
  } catch {
    console.error(`could not tear down ${dir}; run: kafka-ops sandbox down --dir ${dir}`);
  }
}
