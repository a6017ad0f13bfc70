// Lint rules, including the layering of STYLE.md as errors: a layer that reaches where it
// must not fails `npm run lint` (and so `npm test`), not a code review.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ours = ['main', 'server', 'renderer', 'preload', 'shared', 'test', 'bench'];

/** Import patterns forbidding every top-level folder of ours except the ones allowed. */
function onlyFolders(allowed, message) {
  return ours
    .filter((folder) => !allowed.includes(folder))
    .map((folder) => ({
      regex: `^(\\.\\./)+${folder}(/|$)`,
      message: `${message} (${folder}/ is out of bounds here).`,
    }));
}

const nodeBuiltins = {
  regex: '^node:',
  message: 'shared/ must load in the renderer too: no Node APIs.',
};
const electron = {
  regex: '^electron(-updater)?(/|$)',
  message:
    "Only main/index.ts and main/api/ipc-bridge.ts may import 'electron', and only " +
    "main/updates/electron-updater.ts 'electron-updater' (neither loads in plain Node).",
};
const storageLayer = [
  {
    regex: '^better-sqlite3$',
    message: 'Only main/store/ and server/store/ touch better-sqlite3.',
  },
  { regex: '^pg$', message: 'Only main/store/ and server/store/ touch pg.' },
  {
    regex: '^rxdb/plugins/storage-',
    message: "Only main/store/ touches RxDB's storage layer.",
  },
];
/** From main/<capability>/x.ts, another capability is reached only through its index.ts. */
const capabilityIndexOnly = {
  regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.js$).+',
  message: "A capability reaches another only through that capability's index.ts.",
};

function restrict(patterns) {
  return { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] };
}

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'out/**', 'dist/**', 'release/**', 'bench/out/**', 'test/out/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'No .only in committed tests.' },
        { object: 'it', property: 'only', message: 'No .only in committed tests.' },
        { object: 'test', property: 'only', message: 'No .only in committed tests.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  // Layers. Later entries for the same files replace earlier ones, so each entry is complete.
  {
    files: ['shared/**/*.ts', 'shared/**/*.tsx'],
    rules: restrict([
      ...onlyFolders(['shared'], 'shared/ imports nothing of ours'),
      nodeBuiltins,
      electron,
      ...storageLayer,
      { regex: '^react', message: 'shared/ has no UI.' },
    ]),
  },
  {
    files: ['main/**/*.ts'],
    rules: restrict([
      ...onlyFolders(['main', 'shared'], 'main/ imports shared/ and itself only'),
      electron,
      ...storageLayer,
      capabilityIndexOnly,
    ]),
  },
  {
    files: ['main/store/**/*.ts'],
    rules: restrict([
      ...onlyFolders(['main', 'shared'], 'main/ imports shared/ and itself only'),
      electron,
      capabilityIndexOnly,
    ]),
  },
  {
    files: ['main/index.ts', 'main/api/ipc-bridge.ts'],
    rules: restrict([
      ...onlyFolders(['main', 'shared'], 'main/ imports shared/ and itself only'),
      ...storageLayer,
      capabilityIndexOnly,
    ]),
  },
  {
    files: ['main/updates/electron-updater.ts'],
    rules: restrict([
      ...onlyFolders(['main', 'shared'], 'main/ imports shared/ and itself only'),
      { regex: '^electron(/|$)', message: "The updater adapter imports 'electron-updater' only." },
      ...storageLayer,
      capabilityIndexOnly,
    ]),
  },
  {
    files: ['server/**/*.ts'],
    rules: restrict([
      ...onlyFolders(['server', 'shared'], 'server/ imports shared/ and itself only'),
      electron,
      ...storageLayer,
    ]),
  },
  {
    files: ['server/store/**/*.ts'],
    rules: restrict([
      ...onlyFolders(['server', 'shared'], 'server/ imports shared/ and itself only'),
      electron,
    ]),
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: restrict([
      ...onlyFolders(['renderer', 'shared'], 'renderer/ imports shared/ and itself only'),
      electron,
      ...storageLayer,
      { regex: '^node:', message: 'The renderer has no Node.' },
    ]),
  },
  {
    files: ['preload/**/*.ts'],
    rules: restrict([
      ...onlyFolders(['shared'], 'preload/ imports only the contract in shared/'),
      ...storageLayer,
    ]),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: restrict([
      { regex: '^electron(/|$)', message: 'Tests and benchmarks run in plain Node.' },
    ]),
  },
);
