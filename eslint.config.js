// ESLint flat config. Besides the usual TypeScript checks it enforces:
// - the import table of docs/architecture.md ("Who may import whom"), row by row, with a local rule
//   that resolves each import to a part of the project (scripts/eslint-import-table.mjs);
// - no *Sync fs calls in app code, called through `fs.` or imported by name;
// - no cast of what was thrown in app code (`err as Error`): errorMessage / errorCode / asError;
// - raw ipcMain/ipcRenderer only in the typed wrappers;
// - type-aware rules on the product code (main, shared, preload, renderer): no floating promises,
//   no promises where a plain value or a void callback is expected.
import { dirname } from 'node:path';
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
