import { open, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DiskFerryError, errorCode, errorMessage } from '../errors.js';
import { backingLayer, flatName } from './backing-chain.js';
import { foreignFormat } from './foreign-formats.js';

/** Formats DiskFerry recognises in a local file. */
export type LocalImageFormat = 'raw' | 'qcow2' | 'iso';

/** The parts of a qcow2 header that decide whether and how it can be uploaded. */
export interface Qcow2HeaderInfo {
  readonly version: 2 | 3;
  readonly clusterBits: number;
  readonly virtualSize: number;
  readonly backingFile: string | null;
  /** The backing file's format from the header extension (`qcow2`, `raw`, …); null when the header does not say. */
  readonly backingFormat: string | null;
  readonly encrypted: boolean;
  readonly externalDataFile: boolean;
  readonly compressionType: 'deflate' | 'zstd';
  readonly extendedL2: boolean;
  readonly l1Size: number;
  readonly l1TableOffset: number;
  readonly refcountTableOffset: number;
  readonly incompatibleFeatures: bigint;
}

/**
 * What a probe found that an upload is planned by, with the file's size and modification time that
 * tell whether it is still the same file. JSON-safe: a queued job carries it from plan to run.
 */
export interface ImageStamp {
  readonly format: LocalImageFormat;
  /** Guest-visible size: the disk's provisioned size. */
  readonly virtualSize: number;
  /** Bytes of the file itself. */
  readonly fileSize: number;
  /** Modification time in epoch ms, to notice a file that changes after the probe. */
  readonly mtimeMs: number;
}

/** What probing a local file found (plain data). */
export interface ImageProbe extends ImageStamp {
  readonly path: string;
  readonly name: string;
  readonly contentType: 'data' | 'iso';
  /**
   * The qcow2 header as this probe parsed it; null for raw and ISO files, and for a probe rebuilt
   * from a stamp (the qcow2 reader parses the header again when it opens the file).
   */
  readonly qcow2: Qcow2HeaderInfo | null;
  /**
   * The files under a qcow2 with a backing file, nearest first (its backing file, that one's, …),
   * each checked to exist and to be a qcow2 or raw image; absent or empty for a self-contained image.
   * An upload sends the chain collapsed (image/qcow2-source.ts).
   */
  readonly chain?: readonly string[];
}

/** The stamp of a probe (what a queued job keeps of it). */
export function imageStamp(probe: ImageStamp): ImageStamp {
  return { format: probe.format, virtualSize: probe.virtualSize, fileSize: probe.fileSize, mtimeMs: probe.mtimeMs };
}

/**
 * The probe of `path`, reusing `known` (an earlier probe of it, or the stamp a queued job carries)
 * while the file keeps the size and modification time it had then: a file is probed once from plan
 * to run. A file changed since is probed again; when it is no longer the same kind of image, what
 * was decided for it (the disk format) no longer holds, and it is refused with image-changed.
 */
export async function probeImageOnce(path: string, known?: ImageStamp | null): Promise<ImageProbe> {
  if (known) {
    const st = await stat(path).catch(() => null);
    if (st?.isFile() && st.size === known.fileSize && st.mtimeMs === known.mtimeMs) {
      if ('path' in known && (known as ImageProbe).path === path) return known as ImageProbe;
      return { ...imageStamp(known), path, name: basename(path), contentType: known.format === 'iso' ? 'iso' : 'data', qcow2: null };
    }
  }
  const probe = await probeImage(path);
  if (known && probe.format !== known.format)
    throw new DiskFerryError(
      'image-changed',
      `${probe.name} changed since it was planned: it was a ${known.format} image and is now ${probe.format}. Add it again so that its disk is planned for what it is now.`,
      { retryable: false, subject: { kind: 'file', name: probe.name } },
    );
  return probe;
}

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const ISO_MAGIC = Buffer.from([0x01, 0x43, 0x44, 0x30, 0x30, 0x31, 0x01, 0x00]); // "\x01CD001\x01\x00" at 0x8000
const ISO_OFFSET = 0x8000;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTL2 = 1n << 4n;
const INCOMPAT_KNOWN = 0x1fn;
const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;
/** qemu's limit on a backing file name (1023 bytes). */
const MAX_BACKING_NAME = 1023;

/** The backing format header extension (qcow2 spec, "Header extensions"); null when absent or unreadable. */
function backingFormatOf(head: Buffer, version: number, headerLength: number): string | null {
  let at = version === 3 ? headerLength : 72;
  for (let i = 0; i < 64 && at + 8 <= head.length; i++) {
    const type = head.readUInt32BE(at);
    const length = head.readUInt32BE(at + 4);
    if (type === EXT_END || at + 8 + length > head.length) return null;
    if (type === EXT_BACKING_FORMAT) return head.subarray(at + 8, at + 8 + length).toString('utf8');
    at += 8 + Math.ceil(length / 8) * 8;
  }
  return null;
}

function unsupported(message: string, name?: string): DiskFerryError {
  return new DiskFerryError('unsupported-image', message, { retryable: false, ...(name !== undefined ? { subject: { kind: 'file' as const, name } } : {}) });
}

/** Parses and validates a qcow2 header (the first 512 bytes of the file); throws unsupported-image. */
export function parseQcow2Header(head: Buffer, fileSize: number, name: string): Qcow2HeaderInfo {
  if (head.length < 72) throw unsupported(`${name} looks like a qcow2 image but its header is truncated. The file is damaged.`, name);
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw unsupported(`${name} is a qcow2 image of version ${version}, which DiskFerry cannot read (versions 2 and 3 only).`, name);
  const clusterBits = head.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) throw unsupported(`${name} has a corrupt qcow2 header (cluster bits ${clusterBits}). The file is damaged.`, name);
  const virtualSize = Number(head.readBigUInt64BE(24));
  if (!Number.isSafeInteger(virtualSize)) throw unsupported(`${name} has a corrupt qcow2 header (virtual size out of range).`, name);
  const backingOffset = Number(head.readBigUInt64BE(8));
  const backingSize = head.readUInt32BE(16);
  const cryptMethod = head.readUInt32BE(32);
  const incompatible = version === 3 && head.length >= 104 ? head.readBigUInt64BE(72) : 0n;
  const headerLength = version === 3 && head.length >= 104 ? head.readUInt32BE(100) : 72;
  const compressionByte = version === 3 && headerLength > 104 && head.length > 104 ? head[104] : 0;
  let backingFile: string | null = null;
  if (backingOffset !== 0 && backingSize > 0) {
    if (backingSize > MAX_BACKING_NAME || backingOffset + backingSize > head.length)
      throw unsupported(`${name} has a corrupt qcow2 header: its backing file name (${backingSize} bytes at ${backingOffset}) cannot be read. Check it with qemu-img info ${name}.`);
    backingFile = head.subarray(backingOffset, backingOffset + backingSize).toString('utf8');
    if (backingFile.includes('\0') || /^[a-z][a-z0-9+.-]+:/i.test(backingFile))
      throw unsupported(`${name} has a backing file that is not a plain file (${JSON.stringify(backingFile)}). Flatten it first: qemu-img convert -O qcow2 ${name} ${flatName(name)}`);
  }
  const info: Qcow2HeaderInfo = {
    version,
    clusterBits,
    virtualSize,
    backingFile,
    backingFormat: backingFile === null ? null : backingFormatOf(head, version, headerLength),
    encrypted: cryptMethod !== 0,
    externalDataFile: (incompatible & INCOMPAT_DATA_FILE) !== 0n,
    compressionType: (incompatible & INCOMPAT_COMPRESSION) !== 0n && compressionByte === 1 ? 'zstd' : 'deflate',
    extendedL2: (incompatible & INCOMPAT_EXTL2) !== 0n,
    l1Size: head.readUInt32BE(36),
    l1TableOffset: Number(head.readBigUInt64BE(40)),
    refcountTableOffset: Number(head.readBigUInt64BE(48)),
    incompatibleFeatures: incompatible,
  };
  if (info.encrypted) throw unsupported(`${name} is an encrypted qcow2 image. Decrypt it first (qemu-img convert), then upload the copy.`, name);
  if (info.externalDataFile) throw unsupported(`${name} keeps its data in an external data file, which cannot be uploaded. Convert it to a self-contained image first.`, name);
  if ((incompatible & INCOMPAT_CORRUPT) !== 0n) throw unsupported(`${name} is marked corrupt by qemu. Repair it with qemu-img check -r all, or use a good copy.`, name);
  if ((incompatible & ~INCOMPAT_KNOWN) !== 0n) throw unsupported(`${name} uses qcow2 features DiskFerry does not know. Convert it with qemu-img convert -O qcow2 first.`, name);
  if (info.l1TableOffset >= fileSize && info.l1Size > 0) throw unsupported(`${name} is truncated: its qcow2 tables lie past the end of the file.`, name);
  return info;
}

/**
 * Detects raw, qcow2 and ISO files and refuses what cannot be uploaded, with a message that says
 * what to do (protocol.md §4).
 */
export async function probeImage(path: string): Promise<ImageProbe> {
  const name = basename(path);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') throw new DiskFerryError('bad-input', `${path} does not exist.`, { cause: err, retryable: false });
    if (code === 'EACCES' || code === 'EPERM') throw new DiskFerryError('bad-input', `${path} cannot be read: permission denied. Check its permissions, or copy it where you can read it.`, { cause: err, retryable: false });
    throw err;
  }
  if (st.isDirectory()) throw new DiskFerryError('bad-input', `${name} is a folder. Choose disk image files (raw, qcow2 or ISO).`, { retryable: false });
  if (!st.isFile()) throw new DiskFerryError('bad-input', `${name} is not a regular file.`, { retryable: false });
  if (st.size === 0) throw unsupported(`${name} is empty (0 bytes): it holds no disk image. Check that you chose the image file itself.`, name);

  const fh = await open(path, 'r').catch((err: unknown) => {
    const code = errorCode(err);
    // Listed but not readable by this user (stat passes where open does not).
    if (code === 'EACCES' || code === 'EPERM') throw new DiskFerryError('bad-input', `${path} cannot be read: permission denied. Check its permissions, or copy it where you can read it.`, { cause: err, retryable: false });
    throw new DiskFerryError('bad-input', `${name} cannot be opened: ${errorMessage(err)}`, { cause: err, retryable: false });
  });
  try {
    const head = Buffer.alloc(Math.min(st.size, 64 * 1024));
    await fh.read(head, 0, head.length, 0);
    const base = { path, name, fileSize: st.size, mtimeMs: st.mtimeMs };
    if (head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC) {
      const qcow2 = parseQcow2Header(head, st.size, name);
      const chain = qcow2.backingFile === null ? [] : await backingChain(path, qcow2);
      return { ...base, format: 'qcow2', virtualSize: qcow2.virtualSize, contentType: 'data', qcow2, chain };
    }
    const tail = st.size >= 1024 ? Buffer.alloc(512) : null;
    if (tail) await fh.read(tail, 0, 512, st.size - 512);
    const foreign = foreignFormat(head, tail);
    if (foreign) throw unsupported(`${name} is ${foreign.what}, not a raw, qcow2 or ISO image. ${foreign.fix.replaceAll('FILE', name)}`, name);
    const isoMark = Buffer.alloc(ISO_MAGIC.length);
    if (st.size >= ISO_OFFSET + ISO_MAGIC.length) await fh.read(isoMark, 0, isoMark.length, ISO_OFFSET);
    const format: LocalImageFormat = isoMark.equals(ISO_MAGIC) ? 'iso' : 'raw';
    return { ...base, format, virtualSize: st.size, contentType: format === 'iso' ? 'iso' : 'data', qcow2: null };
  } finally {
    await fh.close();
  }
}

/**
 * The files under a qcow2 with a backing file, nearest first, each header checked as the top's is
 * (image/backing-chain.ts resolves names and refuses missing files, loops and odd formats).
 */
async function backingChain(path: string, top: Qcow2HeaderInfo): Promise<string[]> {
  const topName = basename(path);
  const seen = new Set([await realpath(path)]);
  const out: string[] = [];
  let overlay = path;
  let info: Qcow2HeaderInfo | null = top;
  while (info?.backingFile) {
    const layer = await backingLayer(overlay, info.backingFile, info.backingFormat, seen, topName);
    out.push(layer.path);
    seen.add(await realpath(layer.path));
    overlay = layer.path;
    info = null;
    if (layer.format === 'qcow2') {
      const fh = await open(layer.path, 'r');
      try {
        const size = (await fh.stat()).size;
        const head = Buffer.alloc(Math.min(size, 64 * 1024));
        await fh.read(head, 0, head.length, 0);
        if (head.length < 4 || head.readUInt32BE(0) !== QCOW2_MAGIC) throw unsupported(`${basename(layer.path)}, in the backing chain of ${topName}, is declared qcow2 but is not a qcow2 image. The chain is damaged; use a good copy.`);
        info = parseQcow2Header(head, size, basename(layer.path));
      } finally {
        await fh.close();
      }
    }
  }
  return out;
}
