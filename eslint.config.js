// ESLint flat config. Besides the usual TypeScript checks it enforces:
// - the import table of docs/architecture.md ("Who may import whom"), row by row, with a local rule
//   that resolves each import to a part of the project (scripts/eslint-import-table.mjs);
// - no *Sync fs calls in app code, called through `fs.` or imported by name;
// - no cast of what was thrown in app code (`err as Error`): errorMessage / errorCode / asError;
// - raw ipcMain/ipcRenderer only in the typed wrappers;
// - type-aware rules on the product code (main, shared, preload, renderer): no floating promises,
//   no promises where a plain value or a void callback is expected.
// `npm run lint` keeps a cache (node_modules/.cache/eslint): a file is linted again when it, the
// config or what its rules read changed. The type-aware rules read the types of every product file
// it imports, which ESLint's cache does not follow: their config carries a digest of the product
// sources, the tsconfigs and the lock file (`typeInputs` below), so a change to any of them lints
// every product file again, and their results are reused only while all of them stayed the same.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importTable from './scripts/eslint-import-table.mjs';

const root = dirname(fileURLToPath(import.meta.url));

/** The parts of the project, by path prefix (a folder ends in `/`; the longest prefix wins). */
const parts = {
  shared: ['shared/'],
  'main/engine': ['main/engine/'],
  'main/simulator': ['main/simulator/'],
  'main/app': ['main/app/'],
  'main/cli': ['main/cli/'],
  'main/web-host': ['main/web-host/'],
  'main (Electron glue)': ['main/index.ts', 'main/window.ts', 'main/ipc/', 'main/platform/'],
  preload: ['preload/'],
  'preload/web': ['preload/web/'],
  renderer: ['renderer/'],
  test: ['test/'],
  scripts: ['scripts/'],
};

/**
 * docs/architecture.md's table: what each part may import besides itself. `electron` and `node`
 * (Node's built-in modules) are targets too; npm packages are not the table's business. A part not
 * listed (test, scripts) may import anything.
 */
const may = {
  shared: [],
  'main/engine': ['shared', 'node'],
  'main/simulator': ['shared', 'main/engine', 'node'],
  'main/app': ['shared', 'main/engine', 'node'],
  'main/cli': ['shared', 'main/engine', 'main/app', 'node'],
  'main/web-host': ['shared', 'main/engine', 'main/app', 'main/simulator', 'node'],
  'main (Electron glue)': ['shared', 'main/engine', 'main/app', 'electron', 'node'],
  preload: ['shared', 'electron'],
  'preload/web': ['shared', 'preload'],
  renderer: ['shared'],
};
/** Where only `import type` is allowed. */
const typesOnly = { renderer: ['preload'] };

const thrownCast = 'Read what was thrown with errorMessage, errorCode or asError (main/engine/errors.ts), not a cast.';
const noSyncFs = [
  { selector: "CallExpression[callee.property.name=/Sync$/][callee.object.name='fs']", message: 'No *Sync fs calls in app code.' },
  { selector: 'ImportDeclaration[source.value=/^(node:)?fs$/] > ImportSpecifier[imported.name=/Sync$/]', message: 'No *Sync fs calls in app code.' },
  // Not fs, but the same blocks of app code: what was thrown is read through the helpers.
  { selector: "TSAsExpression[typeAnnotation.typeName.name='Error']:not([expression.name=/^(err|e|error|cause|reason)$/])", message: thrownCast },
  { selector: 'TSAsExpression[expression.name=/^(err|e|error|cause|reason)$/]', message: thrownCast },
];

const product = ['main/**/*.ts', 'shared/**/*.ts', 'preload/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.tsx'];

/**
 * A digest of everything the type-aware rules can read: the product's sources (main, shared,
 * preload, renderer), the tsconfigs and the lock file (the installed types). Part of their config,
 * so that ESLint's cache (keyed by a file's content and its config) drops their results whenever one
 * of these changed. A few milliseconds for the ~360 files.
 */
function typeInputs() {
  const digest = createHash('sha256');
  const add = (path) => digest.update(path).update('\0').update(readFileSync(join(root, path))).update('\0');
  for (const dir of ['main', 'shared', 'preload', 'renderer']) {
    const files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    for (const f of files.sort()) add(join(dir, f));
  }
  const top = readdirSync(root).filter((f) => /^tsconfig.*\.json$/.test(f) || f === 'package-lock.json');
  for (const f of top.sort()) add(f);
  return digest.digest('hex');
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', 'coverage/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { diskferry: importTable },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'diskferry/import-table': ['error', { root, parts, may, typesOnly }],
      'no-restricted-syntax': ['error', ...noSyncFs],
    },
  },
  {
    // Type-aware rules, product code only: the type information costs most of lint's time.
    files: product,
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    settings: { typeInputs: typeInputs() },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Raw ipcMain/ipcRenderer only inside the typed wrappers (style.md: one contract, typed wrappers).
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['main/ipc/**', 'main/index.ts', 'preload/**', 'test/**'], // main/index.ts only hands ipcMain to the wrappers
    rules: {
      'no-restricted-syntax': [
        'error',
        ...noSyncFs,
        { selector: 'ImportSpecifier[imported.name=/^ipc(Main|Renderer)$/]', message: 'Use the typed IPC wrappers in main/ipc and preload, not raw ipcMain/ipcRenderer.' },
      ],
    },
  },
  {
    files: ['bin/**/*.js', '*.config.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', '*.config.ts', '*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
