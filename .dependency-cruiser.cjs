/**
 * The layers of src/, checked by `npm run lint` (see README "Layout"). Data flows one way:
 * files → model → plan (pure) → engine → ports → adapters; commands → services → engine;
 * ui/ renders what services return. test/unit/layers.test.ts proves each rule bites.
 */
const PORTS_AND_PURE = [
  '^src/engine/',
  '^src/errors[.]ts$',
  '^src/plan/(model|versions|observed|leadership-rules|migration)[.]ts$',
  '^src/inventory/model[.]ts$',
  '^src/config/(lint|properties|secret-keys)[.]ts$',
  '^src/cluster/(port|kraft-port)[.]ts$',
  '^src/hosts/port[.]ts$',
];
const ADAPTERS = '^src/(hosts|cluster|store|sandbox|files)/';

/* global module */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: two modules that need each other are one idea split wrong, or need a third (a port, a shared helper).',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'plan-is-pure',
      severity: 'error',
      comment: 'plan/ is data and pure functions: no I/O (node:fs, node:child_process, any node: module), no packages, no adapters.',
      from: { path: '^src/plan/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'plan-below-adapters',
      severity: 'error',
      comment: 'plan/ never imports adapters or the layers above it.',
      from: { path: '^src/plan/' },
      to: { path: `${ADAPTERS}|^src/(engine|services|ui|commands|check)/` },
    },
    {
      name: 'engine-only-ports',
      severity: 'error',
      comment: 'The engine reaches the world only through its ports (engine/ports.ts, cluster/port.ts, hosts/port.ts) and pure helpers.',
      from: { path: '^src/engine/' },
      to: { pathNot: PORTS_AND_PURE },
    },
    {
      name: 'services-not-ui',
      severity: 'error',
      comment: 'services/ take an IoHost (src/io-host.ts) and return results (src/results.ts); they never import ui/ or commands/.',
      from: { path: '^src/services/' },
      to: { path: '^src/(ui|commands)/' },
    },
    {
      name: 'below-services',
      severity: 'error',
      comment: 'Models, plan, engine and adapters never import the layers that use them (services, ui, commands).',
      from: { path: '^src/(plan|engine|inventory|config|check|hosts|cluster|store|files|sandbox)/|^src/(errors|io-host|results)[.]ts$' },
      to: { path: '^src/(services|ui|commands)/' },
    },
    {
      name: 'adapters-not-engine',
      severity: 'error',
      comment: 'Adapters implement ports; they import the ports (engine/ports.ts) but not the engine itself.',
      from: { path: ADAPTERS },
      to: { path: '^src/engine/', pathNot: '^src/engine/ports[.]ts$' },
    },
    {
      name: 'ui-only-from-commands',
      severity: 'error',
      comment: 'Only commands (and ui/ itself) build the terminal side.',
      from: { path: '^src/', pathNot: '^src/(ui|commands)/|^src/cli[.]ts$' },
      to: { path: '^src/ui/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a circle through types is still two modules that need each other.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};
