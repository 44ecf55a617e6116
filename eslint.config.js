// ESLint flat config. Besides the usual TypeScript checks it enforces the import table of
// docs/architecture.md: who may import whom (engine and shared never import electron, shared never
// imports Node, renderer and preload never import main code, raw ipcMain/ipcRenderer only in the
// typed wrappers).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electron = { name: 'electron', message: 'Only the Electron glue (main/*.ts, main/ipc, main/platform, preload) may import electron.' };
const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'http', 'https', 'net', 'tls', 'child_process', 'stream', 'url', 'util'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', 'coverage/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name=/Sync$/][callee.object.name='fs']", message: 'No *Sync fs calls in app code.' }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electron],
          patterns: [
            { group: nodeBuiltins, message: 'shared/ is platform-neutral: no Node modules.' },
            { group: ['**/main/**', '**/renderer/**', '**/preload/**', '**/test/**'], message: 'shared/ imports only shared/.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'main/engine is Electron-free: pass a port instead.' }],
          patterns: [
            { group: ['**/renderer/**', '**/preload/**', '**/test/**'], message: 'main/engine imports only shared/ and main/engine/.' },
            { group: ['../../ipc/**', '../../platform/**', '../../cli/**', '../ipc/**', '../platform/**', '../cli/**'], message: 'main/engine must not import the Electron glue or the CLI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/engine/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/renderer/**', '**/preload/**', '**/test/**'], message: 'main may import shared/ and main/ only.' }] },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/main/**', '**/renderer/**', '**/test/**'], message: 'preload may import shared/ only.' },
            { group: nodeBuiltins, message: 'preload runs sandboxed: no Node modules.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to main only through window.diskferry.' }],
          patterns: [
            { group: ['**/main/**', '**/test/**'], message: 'The renderer may not import main code.' },
            { group: ['**/preload/**'], message: 'The renderer may import preload types only.', allowTypeImports: true },
            { group: nodeBuiltins, message: 'The renderer has no Node.' },
          ],
        },
      ],
    },
  },
  {
    // Raw ipcMain/ipcRenderer only inside the typed wrappers (style.md: one contract, typed wrappers).
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['main/ipc/**', 'main/index.ts', 'preload/**', 'test/**'], // main/index.ts only hands ipcMain to the wrappers
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name=/Sync$/][callee.object.name='fs']", message: 'No *Sync fs calls in app code.' },
        { selector: "ImportSpecifier[imported.name=/^ipc(Main|Renderer)$/]", message: 'Use the typed IPC wrappers in main/ipc and preload, not raw ipcMain/ipcRenderer.' },
      ],
    },
  },
  {
    files: ['bin/**/*.js', '*.config.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts', '*.config.ts', '*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
