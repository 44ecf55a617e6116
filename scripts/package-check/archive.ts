/**
 * What electron-builder put in `resources/`: the entries of app.asar as its header lists them (path,
 * size, whether the file lives in app.asar.unpacked), and a plain-folder copy of the app (asar
 * contents plus the unpacked files) that Node can load from.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import asar from '@electron/asar';

/** One file of the app as the asar header describes it; `path` is relative, with `/`. */
export interface ArchiveFile {
  readonly path: string;
  readonly size: number;
  readonly unpacked: boolean;
}

/** The packed app: its files, the asar's size on disk, and where the unpacked files are. */
export interface Archive {
  readonly asarPath: string;
  readonly unpackedDir: string;
  readonly asarBytes: number;
  readonly files: ReadonlyMap<string, ArchiveFile>;
}

interface HeaderNode {
  files?: Record<string, HeaderNode>;
  size?: number;
  unpacked?: boolean;
  link?: string;
}

/** Reads the header of `<resources>/app.asar`. */
export async function openArchive(resourcesDir: string): Promise<Archive> {
  const asarPath = join(resourcesDir, 'app.asar');
  const { header } = asar.getRawHeader(asarPath) as { header: HeaderNode };
  const files = new Map<string, ArchiveFile>();
  const walk = (node: HeaderNode, prefix: string) => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) walk(child, path);
      else if (child.link === undefined) files.set(path, { path, size: Number(child.size ?? 0), unpacked: child.unpacked === true });
    }
  };
  walk(header, '');
  return { asarPath, unpackedDir: `${asarPath}.unpacked`, asarBytes: (await stat(asarPath)).size, files };
}

/** Writes the app as one plain folder (`extractAll` takes unpacked files from app.asar.unpacked). */
export function extractArchive(archive: Archive, dest: string): void {
  asar.extractAll(archive.asarPath, dest);
}

/** The top-level package folder of a node_modules path (`node_modules/@a/b/x.js` → `@a/b`), or null. */
export function packageOf(path: string): string | null {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? m[1]! : null;
}

/** Bytes per top-level package in node_modules, largest first. */
export function sizeByPackage(archive: Archive): Array<[string, number]> {
  const sizes = new Map<string, number>();
  for (const f of archive.files.values()) {
    if (f.unpacked) continue;
    const pkg = packageOf(f.path) ?? `(app) ${f.path.split('/').slice(0, 2).join('/')}`;
    sizes.set(pkg, (sizes.get(pkg) ?? 0) + f.size);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}
