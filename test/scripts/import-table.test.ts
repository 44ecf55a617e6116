/**
 * The lint rule behind docs/architecture.md's import table, with the project's own eslint.config.js
 * (the type-aware rules are off: these files do not exist for the TypeScript project). One case per
 * cell that matters: each row allows what the table allows and refuses the rest, however the path
 * to the imported file is written.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off', '@typescript-eslint/no-unused-vars': 'off' },
  },
});

/** The import-table and no-restricted-syntax messages for one import line in a file at `path`. */
async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const used = 1;\n`, { filePath: path });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'diskferry/import-table' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

const cases: ReadonlyArray<readonly [file: string, line: string, refused: string | null]> = [
  ['shared/probe.ts', "import { x } from './ipc.js';", null],
  ['shared/probe.ts', "import { readFile } from 'node:fs/promises';", 'shared may not import node'],
  ['shared/probe.ts', "import { x } from '../main/engine/errors.js';", 'shared may not import main/engine'],
  ['main/engine/queue/probe.ts', "import { x } from '../../../shared/ipc.js';", null],
  ['main/engine/queue/probe.ts', "import { open } from 'node:fs/promises';", null],
  ['main/engine/queue/probe.ts', "import { request } from 'undici';", null],
  ['main/engine/queue/probe.ts', "import { app } from 'electron';", 'main/engine may not import electron'],
  ['main/engine/queue/probe.ts', "import { x } from '../../app/app-core.js';", 'main/engine may not import main/app'],
  ['main/engine/queue/probe.ts', "import { x } from '../../../main/app/app-core.js';", 'main/engine may not import main/app'],
  ['main/engine/queue/probe.ts', "export { x } from '../../simulator/simulator.js';", 'main/engine may not import main/simulator'],
  ['main/engine/queue/probe.ts', "const m = await import('../../cli/index.js');", 'main/engine may not import main/cli'],
  ['main/simulator/probe.ts', "import { x } from '../engine/image/blkhash.js';", null],
  ['main/simulator/probe.ts', "import { x } from '../app/ports.js';", 'main/simulator may not import main/app'],
  ['main/simulator/probe.ts', "import { utilityProcess } from 'electron';", 'main/simulator may not import electron'],
  ['main/simulator/probe.ts', "import { x } from '../../test/simulator/secret-ledger.js';", 'main/simulator may not import test'],
  ['main/app/probe.ts', "import { x } from '../engine/errors.js';", null],
  ['main/app/probe.ts', "import { dialog } from 'electron';", 'main/app may not import electron'],
  ['main/app/probe.ts', "import { x } from '../platform/dialogs.js';", 'main/app may not import main (Electron glue)'],
  ['main/app/probe.ts', "import { x } from '../simulator/simulator.js';", 'main/app may not import main/simulator'],
  ['main/cli/probe.ts', "import { x } from '../app/node-ports.js';", null],
  ['main/cli/probe.ts', "import { shell } from 'electron';", 'main/cli may not import electron'],
  ['main/cli/probe.ts', "import { x } from '../web-host/host.js';", 'main/cli may not import main/web-host'],
  ['main/web-host/probe.ts', "import { x } from '../simulator/simulator.js';", null],
  ['main/web-host/probe.ts', "import { x } from '../ipc/handle.js';", 'main/web-host may not import main (Electron glue)'],
  ['main/web-host/probe.ts', "import { x } from '../../preload/web/client.js';", 'main/web-host may not import preload/web'],
  ['main/platform/probe.ts', "import { app } from 'electron';", null],
  ['main/platform/probe.ts', "import { x } from '../app/demo-engine.js';", null],
  ['main/platform/probe.ts', "import { x } from '../simulator/simulator.js';", 'main (Electron glue) may not import main/simulator'],
  ['main/index.ts', "import { x } from './cli/index.js';", 'main (Electron glue) may not import main/cli'],
  ['main/window.ts', "import { x } from '../renderer/lib/api.js';", 'main (Electron glue) may not import renderer'],
  ['preload/probe.ts', "import { contextBridge } from 'electron';", null],
  ['preload/probe.ts', "import { readFile } from 'node:fs/promises';", 'preload may not import node'],
  ['preload/probe.ts', "import { x } from './web/client.js';", 'preload may not import preload/web'],
  ['preload/web/probe.ts', "import { createDiskFerryApi } from '../api.js';", null],
  ['preload/web/probe.ts', "import { ipcRenderer } from 'electron';", 'preload/web may not import electron'],
  ['renderer/lib/probe.ts', "import type { DiskFerryApi } from '../../preload/api.js';", null],
  ['renderer/lib/probe.ts', "import { createDiskFerryApi } from '../../preload/api.js';", 'renderer may import only types from preload'],
  ['renderer/lib/probe.ts', "import { x } from '../../main/engine/errors.js';", 'renderer may not import main/engine'],
  ['renderer/lib/probe.ts', "import { join } from 'node:path';", 'renderer may not import node'],
  ['main/app/probe.ts', "import { readFileSync } from 'node:fs';", 'No *Sync fs calls in app code.'],
  ['main/app/probe.ts', "import * as fs from 'node:fs';\nfs.statSync('x');", 'No *Sync fs calls in app code.'],
  ['test/probe.test.ts', "import { app } from 'electron';\nimport { readFileSync } from 'node:fs';", null],
];

describe('the import table in lint', () => {
  it.each(cases)('%s: %s', async (file, line, refused) => {
    const found = await problems(file, line);
    if (refused === null) expect(found).toEqual([]);
    else expect(found).toEqual([expect.stringContaining(refused)]);
  });
});
