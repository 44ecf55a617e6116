// Loads the packed app under plain Node, the way Electron's main process would load it: the
// package's `main` (with everything it imports), then each package that shipped code requires
// lazily (koffi, which the OS ports in main/engine/os load on first use), then the preload bundle. `electron` is a
// recorder (see electron-stub.mjs). Prints one JSON line: the modules loaded, the Electron members
// called, the native libraries opened, and the errors.
// Usage: node load-app.mjs <app folder> <JSON list of {importer, specifier}>
import Module, { createRequire, register } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';

const appRoot = resolve(process.argv[2]);
const lazy = JSON.parse(process.argv[3] ?? '[]');
const appRootUrl = pathToFileURL(appRoot + sep).href;
const here = fileURLToPath(new URL('.', import.meta.url));
const calls = new Set();
const loaded = new Set();
const native = [];
const errors = [];

/** App values the main process reads at load time; everything else is a recorder. */
const values = {
  'app.isPackaged': true,
  'app.getAppPath': () => appRoot,
  'app.getVersion': () => JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')).version,
  'app.getLocale': () => 'en-US',
  'app.getPath': (name) => join(appRoot, '..', `electron-${name}`),
  // Never settles: the check loads the app; it does not start Electron's event loop.
  'app.whenReady': () => new Promise(() => {}),
};

function recorder(path) {
  const members = new Map();
  return new Proxy(function stub() {}, {
    get(_target, prop) {
      if (prop === 'then') return undefined;
      if (typeof prop === 'symbol') return prop === Symbol.toPrimitive ? () => `[electron ${path}]` : undefined;
      const key = path ? `${path}.${prop}` : prop;
      if (key in values) {
        const v = values[key];
        return typeof v === 'function'
          ? (...args) => {
              calls.add(key);
              return v(...args);
            }
          : v;
      }
      if (!members.has(prop)) members.set(prop, recorder(key));
      return members.get(prop);
    },
    apply() {
      calls.add(path);
      return recorder(`${path}()`);
    },
    construct() {
      calls.add(`new ${path}`);
      return recorder(`new ${path}`);
    },
  });
}

globalThis.__packageCheck = { electron: recorder('') };

const { port1, port2 } = new MessageChannel();

const waiters = [];
port1.on('message', (m) => {
  if (typeof m === 'string') loaded.add(m);
  else waiters.shift()?.();
});
port1.unref();
/** Resolves once the hooks thread has delivered every report it sent so far. */
const flushReports = () =>
  new Promise((resolve) => {
    waiters.push(resolve);
    port1.ref();
    port1.postMessage({ ping: true });
  }).finally(() => port1.unref());
register(pathToFileURL(join(here, 'hooks.mjs')), {
  data: { appRootUrl, stubUrl: pathToFileURL(join(here, 'electron-stub.mjs')).href, port: port2 },
  transferList: [port2],
});

const stubCjs = join(here, 'electron-stub.cjs');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'electron') return stubCjs;
  const found = resolveFilename.call(this, request, parent, ...rest);
  const fromApp = parent?.filename?.startsWith(appRoot + sep) ?? false;
  if (fromApp && found.startsWith(sep) && !found.startsWith(appRoot + sep)) {
    throw new Error(`'${request}' required by ${relative(appRoot, parent.filename)} resolves outside the packed app, to ${found}`);
  }
  if (found.startsWith(appRoot + sep)) loaded.add(relative(appRoot, found).split(sep).join('/'));
  return found;
};
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  native.push(relative(appRoot, filename).split(sep).join('/'));
  return dlopen.call(this, module, filename, ...rest);
};

function failed(what, err) {
  const text = err instanceof Error ? `${err.code ? `${err.code} ` : ''}${err.message.split('\n')[0]}` : String(err);
  errors.push(`${what}: ${text.split(appRoot + sep).join('').split(pathToFileURL(appRoot + sep).href).join('')}`);
}

const main = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')).main ?? 'index.js';
let entryLoaded = false;
try {
  await import(pathToFileURL(join(appRoot, main)).href);
  entryLoaded = true;
} catch (err) {
  failed(`loading ${main}`, err);
}
await flushReports();
const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2) : spec.split('/').slice(0, 1)).join('/');
// After a failed entry the lazy loads would only repeat its error in other words.
for (const { importer, specifier } of entryLoaded ? lazy : []) {
  // Only what the entry's import graph has not loaded already: the lazily required packages.
  if ([...loaded].some((p) => p.startsWith(`node_modules/${packageOf(specifier)}/`))) continue;
  try {
    createRequire(join(appRoot, importer))(specifier);
  } catch (err) {
    // An ESM-only package cannot be require()d; the static check has already found it in the app.
    if (['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE', 'ERR_PACKAGE_PATH_NOT_EXPORTED'].includes(err?.code)) continue;
    failed(`require('${specifier}') from ${importer}`, err);
  }
}
try {
  createRequire(join(appRoot, 'package.json'))(join(appRoot, 'dist', 'preload', 'index.cjs'));
} catch (err) {
  failed('loading dist/preload/index.cjs', err);
}
await flushReports();
process.stdout.write(`\n${JSON.stringify({ loaded: [...loaded].sort(), calls: [...calls].sort(), native, errors })}\n`);
process.exit(0);
