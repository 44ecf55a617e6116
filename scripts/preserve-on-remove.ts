/**
 * Keeps what tests delete, for the secrets scan (scripts/test-unit.ts): most tests remove their temp
 * folders (logs, reports, journals, queue stores, CLI profiles) in afterAll, before any scan could
 * read them. Installed as a vitest setup file when DISKFERRY_TEST_TMP_ROOT and
 * DISKFERRY_TEST_PRESERVE_DIR are set, it wraps Node's `rm` / `rmdir` (promise, callback and sync
 * forms) so that, before a path under the temp root is removed, every regular file in it up to
 * `MAX_PRESERVED_BYTES` gets a hard link in the preserve folder. Removal then proceeds unchanged (same
 * arguments, same result); a hard link costs no copy. Bigger files are kept only when they look like
 * text by the scan's own rule (`looksLikeText` of scripts/secret-scan.ts): disk images, the
 * simulator's volumes among them, are not.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { looksLikeText as sampleLooksLikeText, TEXT_SAMPLE_BYTES } from './secret-scan.js';

/** Files up to this size are always kept; bigger ones only when they look like text. */
const MAX_PRESERVED_BYTES = 1024 * 1024;
/** Nothing bigger is kept (the scan would skip it). */
const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** True when the first bytes of the file look like text (the scan reads nothing else of a big file). */
function looksLikeText(path: string): boolean {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(TEXT_SAMPLE_BYTES);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return sampleLooksLikeText(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

const INSTALLED = Symbol.for('diskferry.preserve-on-remove');

let counter = 0;

/** Hard-links every small regular file under `target` (inside `root`) into a fresh folder of `into`. */
function preserveTree(target: string, root: string, into: string): number {
  const abs = resolve(target);
  if (abs !== root && !abs.startsWith(root + sep)) return 0;
  const batch = join(into, `${process.pid}-${++counter}`);
  let kept = 0;
  const stack = [abs];
  while (stack.length > 0) {
    const path = stack.pop()!;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(path);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(path);
      } catch {
        // unreadable: nothing to keep
      }
      for (const n of names) stack.push(join(path, n));
    } else if (st.isFile() && st.size <= MAX_TEXT_BYTES) {
      const dest = join(batch, relative(root, path));
      try {
        if (st.size > MAX_PRESERVED_BYTES && !looksLikeText(path)) continue;
        fs.mkdirSync(dirname(dest), { recursive: true });
        try {
          fs.linkSync(path, dest);
        } catch {
          fs.copyFileSync(path, dest);
        }
        kept++;
      } catch {
        // best effort: the scan covers what could be kept
      }
    }
  }
  return kept;
}

type Fn = (...args: unknown[]) => unknown;

/** Wraps the removal functions of `fs` and `fs/promises`; returns the function that restores them. */
export function installPreserveOnRemove(root: string, into: string): () => void {
  const rootAbs = resolve(root);
  const keep = (target: unknown) => {
    try {
      if (typeof target === 'string' || target instanceof URL || Buffer.isBuffer(target)) {
        preserveTree(target instanceof URL ? fileURLToPath(target) : String(target), rootAbs, into);
      }
    } catch {
      // never change what the removal itself does or throws
    }
  };
  const targets: Array<[Record<string, unknown>, string]> = [
    [fs.promises as unknown as Record<string, unknown>, 'rm'],
    [fs.promises as unknown as Record<string, unknown>, 'rmdir'],
    [fs as unknown as Record<string, unknown>, 'rm'],
    [fs as unknown as Record<string, unknown>, 'rmdir'],
    [fs as unknown as Record<string, unknown>, 'rmSync'],
    [fs as unknown as Record<string, unknown>, 'rmdirSync'],
  ];
  const saved = targets.map(([obj, name]) => [obj, name, obj[name]] as const);
  for (const [obj, name, original] of saved) {
    obj[name] = function (this: unknown, ...args: unknown[]) {
      keep(args[0]);
      return (original as Fn).apply(this, args);
    };
  }
  syncBuiltinESMExports();
  return () => {
    for (const [obj, name, original] of saved) obj[name] = original;
    syncBuiltinESMExports();
  };
}

/** The setup-file entry: installs once per process when the runner asked for it. */
const root = process.env['DISKFERRY_TEST_TMP_ROOT'];
const into = process.env['DISKFERRY_TEST_PRESERVE_DIR'];
const g = globalThis as { [INSTALLED]?: boolean };
if (root && into && !g[INSTALLED]) {
  g[INSTALLED] = true;
  installPreserveOnRemove(root, into);
}
