/**
 * Backing chains made by qemu-img and qemu-io: a qcow2 base, a middle layer and a top, each with
 * writes that overlap the layers below, zero writes that mask them, and a discard that leaves a layer
 * unallocated; relative backing names, as a backup set has them.
 */
import { join } from 'node:path';
import { qemu } from './qcow2-fixtures.js';

/** The layers of a chain, base first; `top` is what a user uploads or restores. */
export interface Chain {
  readonly files: readonly string[];
  readonly top: string;
}

/**
 * base (`baseFormat`, 8 MiB, or shorter) ← mid.qcow2 ← top.qcow2 (12 MiB, larger than the base), in
 * `dir`, each overlay naming its backing file relatively. `extendedL2` makes the top use subclusters.
 */
export async function makeChain(dir: string, o: { baseFormat?: 'qcow2' | 'raw'; extendedL2?: boolean; prefix?: string } = {}): Promise<Chain> {
  const p = o.prefix ?? 'chain';
  const baseFormat = o.baseFormat ?? 'qcow2';
  const base = join(dir, `${p}-base.${baseFormat === 'raw' ? 'raw' : 'qcow2'}`);
  const mid = join(dir, `${p}-mid.qcow2`);
  const top = join(dir, `${p}-top.qcow2`);
  await qemu('qemu-img', ['create', '-f', baseFormat, base, '8M']);
  await io(baseFormat, base, ['write -P 0x11 0 2M', 'write -P 0x12 3M 1M', 'write -P 0x13 6M 2M']);
  await qemu('qemu-img', ['create', '-f', 'qcow2', '-b', `${p}-base.${baseFormat === 'raw' ? 'raw' : 'qcow2'}`, '-F', baseFormat, mid, '8M']);
  // Overwrites part of the base, zeroes a base run (a zero cluster masks it), adds data in a base hole.
  await io('qcow2', mid, ['write -P 0x21 1M 512k', 'write -z 3M 1M', 'write -P 0x22 4M 256k']);
  const topOptions = o.extendedL2 ? ['-o', 'extended_l2=on,cluster_size=128k'] : [];
  await qemu('qemu-img', ['create', '-f', 'qcow2', ...topOptions, '-b', `${p}-mid.qcow2`, '-F', 'qcow2', top, '12M']);
  // Small writes (subclusters with extended L2), a zero run over the middle's data, data past the base's end.
  await io('qcow2', top, ['write -P 0x31 100k 8k', 'write -P 0x32 1200k 4k', 'write -z 4M 64k', 'write -P 0x33 10M 1M', 'write -P 0x34 7M 4k']);
  return { files: [base, mid, top], top };
}

async function io(format: 'qcow2' | 'raw', file: string, commands: readonly string[]): Promise<void> {
  await qemu('qemu-io', ['-f', format, ...commands.flatMap((c) => ['-c', c]), file]);
}
