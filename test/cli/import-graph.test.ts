/**
 * The shape of the command line's code, checked: no import circle in main/ or shared/ (type-only
 * imports aside, they vanish at run time), and a command never imports another command — commands
 * use the CLI's services (args, context, queue/, data-plane) and index.ts alone dispatches them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();

/** Every .ts file under `dir`. */
async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && /\.tsx?$/.test(e.name)).map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** The relative imports of one file that exist at run time, as paths from the root. */
function runtimeImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\bfrom\s+['"](\.[^'"]+)['"]/gm)) {
    if (m[2]) continue;
    out.push(relative(ROOT, resolve(ROOT, dirname(file), m[3]!)).replace(/\.js$/, '.ts'));
  }
  for (const m of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) out.push(relative(ROOT, resolve(ROOT, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
  return out;
}

/** One import circle of the graph, as the files in order, or null. */
function findCircle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next) && graph.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    if (state.has(file)) continue;
    const found = visit(file);
    if (found) return found;
  }
  return null;
}

async function graphOf(dirs: readonly string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) for (const file of await sources(dir)) graph.set(file, runtimeImports(file, await readFile(join(ROOT, file), 'utf8')));
  return graph;
}

/** Every file that loading `entries` loads, the entries included. */
function loadedFrom(graph: ReadonlyMap<string, readonly string[]>, entries: readonly string[]): Set<string> {
  const loaded = new Set<string>();
  const visit = (file: string) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const next of graph.get(file) ?? []) visit(next);
  };
  for (const entry of entries) visit(entry);
  return loaded;
}

describe('import graph', () => {
  it('finds a circle when there is one, and reads import forms as TypeScript writes them', () => {
    const text = "import { a } from './a.js';\nimport type { B } from './b.js';\nexport { c } from '../c.js';\nimport './d.js';\n";
    expect(runtimeImports('main/x/y.ts', text)).toEqual(['main/x/a.ts', 'main/c.ts', 'main/x/d.ts']);
    const circle = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
    ]);
    expect(findCircle(circle)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCircle(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toBeNull();
  });

  it('has no circle in main/ and shared/', async () => {
    const circle = findCircle(await graphOf(['main', 'shared']));
    expect(circle?.join(' → ') ?? null).toBeNull();
  });

  it('lets no command import another command (index.ts alone knows them all)', async () => {
    const graph = await graphOf(['main/cli']);
    const commands = [...graph.keys()].filter((f) => f.startsWith('main/cli/commands/'));
    expect(commands.length).toBeGreaterThan(5);
    const crossings = commands.flatMap((f) => (graph.get(f) ?? []).filter((to) => to.startsWith('main/cli/commands/')).map((to) => `${f} → ${to}`));
    expect(crossings).toEqual([]);
  });

  it('starts the command line without the engine: --version and --help load only light modules', async () => {
    const loaded = loadedFrom(await graphOf(['main', 'shared']), ['main/cli/index.ts']);
    expect(loaded.size).toBeGreaterThan(3);
    const heavy = [...loaded].filter((f) => /^main\/(cli\/commands|cli\/context|cli\/queue|engine\/(ovirt|transfer|imageio|queue|net))\//.test(f) || f === 'main/cli/context.ts');
    expect(heavy).toEqual([]);
  });

  it('runs a data-plane-only transfer (--transfer-url) without the engine client, the queue or the engine transfer', async () => {
    const loaded = loadedFrom(await graphOf(['main', 'shared']), ['main/cli/context.ts', 'main/cli/commands/upload.ts', 'main/cli/commands/download.ts']);
    expect(loaded.has('main/cli/data-plane.ts')).toBe(true);
    // undici comes with the engine client (ovirt/) and its connectors; the queue and the transfer run are the engine flow's.
    const engineSide = [...loaded].filter((f) =>
      /^main\/(cli\/queue\/|engine\/backup\/|engine\/ovirt\/(client|engine-connection|transport)\.ts|engine\/janitor\/janitor\.ts|engine\/queue\/transfer-queue\.ts|engine\/transfer\/(transfer-run|upload-image|download-disk)\.ts|engine\/(net\/connectors|trust\/engine-ca)\.ts)/.test(f),
    );
    expect(engineSide).toEqual([]);
  });
});
