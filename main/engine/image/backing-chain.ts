/**
 * A qcow2's backing chain on the local disk (qemu's rules): a relative backing name is resolved
 * against the folder of the file that names it, the backing format comes from the header extension
 * (else from the file's magic, as qemu probes it), and only qcow2 and raw layers are read. A missing
 * file, a loop and a chain deeper than MAX_CHAIN_DEPTH are refused with what to do.
 */
import { open, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { DiskFerryError, errorCode } from '../errors.js';

/**
 * Layers under the top a chain may have. Months of nightly incremental backups stay far below it; a
 * deeper chain is more likely a mistake, and each layer holds an open file and a share of the L2 cache.
 */
export const MAX_CHAIN_DEPTH = 256;

const QCOW2_MAGIC = 0x514649fb;

/** The name `qemu-img convert` advice suggests for a flattened copy. */
export function flatName(name: string): string {
  return `${name.replace(/\.qcow2$/i, '')}-flat.qcow2`;
}

/** One layer under a file: where it is and how to read it. */
export interface BackingLayer {
  readonly path: string;
  readonly format: 'qcow2' | 'raw';
}

function refused(message: string): DiskFerryError {
  return new DiskFerryError('unsupported-image', message, { retryable: false });
}

/**
 * The backing file `name` of `overlay` (a path as the caller opened it), resolved and checked: it
 * exists, is a qcow2 or raw image, and is not already in the chain (`seen`: real paths of the layers
 * above). `topName` is the file the user chose, for the advice.
 */
export async function backingLayer(overlay: string, name: string, declaredFormat: string | null, seen: ReadonlySet<string>, topName: string): Promise<BackingLayer> {
  const path = isAbsolute(name) ? name : resolve(dirname(overlay), name);
  const flatten = `Keep the chain's files together as they were made, or flatten it first: qemu-img convert -O qcow2 ${topName} ${flatName(topName)}`;
  if (seen.size > MAX_CHAIN_DEPTH) throw refused(`${topName} has a backing chain of more than ${MAX_CHAIN_DEPTH} files, more than DiskFerry reads. Flatten it first: qemu-img convert -O qcow2 ${topName} ${flatName(topName)}`);
  const real = await realpath(path).catch((err: unknown) => {
    const code = errorCode(err);
    const why = code === 'ENOENT' ? 'which is not there' : code === 'EACCES' || code === 'EPERM' ? 'which cannot be read (permission denied)' : `which cannot be opened (${code ?? 'error'})`;
    throw refused(`${basename(overlay)} is a qcow2 image with a backing file (${name}), ${why}: looked for ${path}. ${flatten}`);
  });
  if (seen.has(real)) throw refused(`${topName} has a backing chain that loops: ${basename(overlay)} names ${name}, which is already in the chain. The chain is damaged; use a good copy.`);
  let format = declaredFormat;
  if (format === null) format = await sniff(real);
  if (format !== 'qcow2' && format !== 'raw')
    throw refused(`${basename(overlay)} has a backing file ${name} in ${format} format; DiskFerry reads qcow2 and raw backing files only. Flatten the chain first: qemu-img convert -O qcow2 ${topName} ${flatName(topName)}`);
  return { path, format };
}

/** The format of a backing file whose overlay does not say: qcow2 by its magic, else raw (qemu probes the same way). */
async function sniff(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head.readUInt32BE(0) === QCOW2_MAGIC ? 'qcow2' : 'raw';
  } finally {
    await fh.close();
  }
}
