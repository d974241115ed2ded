// ESLint for the TypeScript sources, tests and benchmarks; generated code and
// build output are not ours to lint. It also holds the import rules of the
// layout (README "Layout", docs/decisions.md): records flow contract →
// gateway → publish → stream → stages (sink, identity) → storage, and no
// folder of src/ imports one downstream of what it may know; sdk/ imports
// nothing of src/, and src/ takes from sdk/ only its wire export.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** The folders of src/ that the processes are assembled in (serve, the CLI, the HTTP endpoint). */
const ASSEMBLY = ['serve', 'cli', 'http'];
/** What each folder of src/ may not import, by folder. */
const FORBIDDEN = {
  'contract|errors|lifecycle|observability|tls': ['plan', 'gateway', 'publish', 'stream', 'stages', 'sink', 'identity', 'storage', 'policy', 'tasks', 'admin', 'privacy', 'repair', ...ASSEMBLY],
  // A tracking plan judges records as the contract does, and the sources file names each source's.
  plan: ['config', 'gateway', 'publish', 'stream', 'stages', 'sink', 'identity', 'storage', 'policy', 'tasks', 'admin', 'privacy', 'repair', ...ASSEMBLY],
  config: ['gateway', 'publish', 'stream', 'stages', 'sink', 'identity', 'storage', 'policy', 'tasks', 'admin', 'privacy', 'repair', ...ASSEMBLY],
  // The stores of the policy layer and of durable tasks: NATS key-value buckets that the gateway and the stages beside the sink share.
  policy: ['gateway', 'publish', 'stages', 'sink', 'identity', 'storage', 'tasks', 'admin', 'privacy', 'repair', ...ASSEMBLY],
  tasks: ['gateway', 'publish', 'stages', 'sink', 'identity', 'storage', 'admin', 'privacy', 'repair', ...ASSEMBLY],
  admin: ['gateway', 'publish', 'stages', 'sink', 'identity', 'storage', 'privacy', 'repair', ...ASSEMBLY],
  privacy: ['gateway', 'publish', 'sink', 'admin', 'repair', ...ASSEMBLY],
  // The repair stage beside the sink sends records through the sink's path again.
  repair: ['gateway', 'publish', 'admin', 'privacy', ...ASSEMBLY],
  gateway: ['stages', 'sink', 'identity', 'storage', 'privacy', 'repair', ...ASSEMBLY],
  publish: ['gateway', 'stages', 'sink', 'identity', 'storage', 'privacy', 'admin', 'tasks', 'repair', ...ASSEMBLY],
  stream: ['gateway', 'publish', 'stages', 'sink', 'identity', 'storage', 'privacy', 'policy', 'tasks', 'admin', 'repair', ...ASSEMBLY],
  stages: ['gateway', 'publish', 'sink', 'identity', 'tasks', 'repair', ...ASSEMBLY],
  sink: ['gateway', 'publish', 'identity', 'tasks', 'repair', ...ASSEMBLY],
  identity: ['gateway', 'publish', 'sink', 'tasks', 'repair', ...ASSEMBLY],
  accounting: ['gateway', 'publish', 'sink', 'identity', 'privacy', 'admin', 'tasks', 'repair', ...ASSEMBLY],
  storage: ['gateway', 'publish', 'stream', 'stages', 'sink', 'identity', 'policy', 'tasks', 'admin', 'privacy', 'repair', ...ASSEMBLY],
};
/** sdk/ from src/: only the wire export (sdk/src/wire.ts), which the gRPC-Web bridge shares. */
const SDK_FROM_SRC = { regex: '(^|/)sdk/(?!src/wire$)', message: 'src/ may import from sdk/ only sdk/src/wire (the package export @tributary/sdk/wire).' };
const layerRules = Object.entries(FORBIDDEN).map(([folders, forbidden]) => ({
  files: folders.split('|').map((folder) => `src/${folder}/**/*.ts`),
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
            message: `src/{${folders}} may not import ${forbidden.join(', ')}: a folder imports nothing upstream of it in the flow, no stage it does not hand records to, and not the assembly of processes (README, Layout).`,
          },
          SDK_FROM_SRC,
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'sdk/dist/', 'src/gen/', 'sdk/src/gen/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The console's page runs in a browser, with uPlot loaded before it.
    files: ['src/console/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, uPlot: 'readonly' } },
  },
  ...layerRules,
  {
    files: ['src/**/*.ts'],
    ignores: Object.keys(FORBIDDEN).flatMap((folders) => folders.split('|').map((folder) => `src/${folder}/**/*.ts`)),
    rules: { 'no-restricted-imports': ['error', { patterns: [SDK_FROM_SRC] }] },
  },
  {
    files: ['sdk/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src/', message: 'sdk/ imports nothing from the server (src/): it is a package of its own.' }] }] },
  },
  {
    files: ['examples/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
