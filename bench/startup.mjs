#!/usr/bin/env node
// Start-up of the CLI as paired ratios against a bare `node -e ""`: each run of a command is
// followed by a run of the bare node, and the ratio is taken pair by pair, so a machine whose
// speed drifts (other work on it) moves both sides alike. Commands: `--version` (target 1.5x)
// and `plan` previewing the example inventory with --from/--to (pure, no host contacted; target
// 3x), plus `plan --help`. Prints the median ratio with its spread and the median wall times.
// No assertions; exits 0. Needs `npm run build` (dist/bundle, the validators, the manifest).
//   node bench/startup.mjs [PAIRS]   (default 21)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pairs = Number.parseInt(process.argv[2] ?? process.env.BENCH_RUNS ?? '21', 10);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const inventory = fileURLToPath(new URL('../examples/inventory.yaml', import.meta.url));

if (!existsSync(new URL('../dist/bundle/cli.js', import.meta.url))) {
  console.log('dist/bundle is missing: run `npm run build` first.');
  process.exit(0);
}

const env = { ...process.env };
delete env.NODE_ENV;

function wallMs(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')}: exit ${result.status}: ${result.stderr.toString().trim().split('\n')[0]}`);
  return ms;
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const bare = ['-e', ''];
const commands = [
  { name: 'kafka-ops --version', args: [bin, '--version'], target: 1.5 },
  { name: 'kafka-ops plan (preview)', args: [bin, 'plan', '--from', '0.10.2', '--to', '0.11.0', '-i', inventory], target: 3 },
  { name: 'kafka-ops plan --help', args: [bin, 'plan', '--help'] },
];

console.log(`kafka-ops start-up against a bare \`node -e ""\`, ${pairs} pairs each (node ${process.version})`);
console.log(
  `${'command'.padEnd(26)} ${'ratio median'.padStart(12)} ${'(p10 – p90)'.padStart(14)} ${'command ms'.padStart(11)} ${'node ms'.padStart(8)}  target`,
);
for (const c of commands) {
  wallMs(c.args); // warm the file-system cache once, not counted
  wallMs(bare);
  const ratios = [];
  const own = [];
  const base = [];
  for (let i = 0; i < pairs; i++) {
    const a = wallMs(c.args);
    const b = wallMs(bare);
    own.push(a);
    base.push(b);
    ratios.push(a / b);
  }
  const median = quantile(ratios, 0.5);
  const verdict = c.target === undefined ? '' : `<= ${c.target}x ${median <= c.target ? 'ok' : 'OVER'}`;
  console.log(
    `${c.name.padEnd(26)} ${`${median.toFixed(2)}x`.padStart(12)} ${`(${quantile(ratios, 0.1).toFixed(2)} – ${quantile(ratios, 0.9).toFixed(2)})`.padStart(14)} ${quantile(own, 0.5).toFixed(0).padStart(11)} ${quantile(base, 0.5).toFixed(0).padStart(8)}  ${verdict}`,
  );
}
