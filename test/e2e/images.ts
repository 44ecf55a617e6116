/**
 * Disk images made on the fly for the end-to-end tests, with no qemu-img: a small but complete
 * qcow2 v3 (header, refcount table and block, L1 and L2 tables, data clusters — what `qemu-img
 * check` accepts), an ISO 9660 image (the CD001 descriptor at 0x8000) and a sparse raw image.
 */
import { open, writeFile } from 'node:fs/promises';

const CLUSTER = 64 * 1024;
const COPIED = 1n << 63n;

/** Writes a qcow2 v3 with 64 KiB clusters whose guest data is `dataClusters` patterned clusters at the start of each 8 MiB. */
export async function writeQcow2(path: string, virtualSize: number, dataClusters: number): Promise<void> {
  const perL2 = CLUSTER / 8;
  const l1Size = Math.ceil(virtualSize / (perL2 * CLUSTER));
  const l2Count = l1Size;
  // Clusters: 0 header, 1 refcount table, 2 refcount block, 3 L1, 4… L2 tables, then data.
  const firstL2 = 4;
  const firstData = firstL2 + l2Count;
  const total = firstData + dataClusters;
  if (total > CLUSTER / 2) throw new Error('image too large for one refcount block');
  const buf = Buffer.alloc(total * CLUSTER);
  buf.writeUInt32BE(0x514649fb, 0);
  buf.writeUInt32BE(3, 4);
  buf.writeUInt32BE(16, 20); // cluster_bits
  buf.writeBigUInt64BE(BigInt(virtualSize), 24);
  buf.writeUInt32BE(l1Size, 36);
  buf.writeBigUInt64BE(BigInt(3 * CLUSTER), 40); // l1_table_offset
  buf.writeBigUInt64BE(BigInt(1 * CLUSTER), 48); // refcount_table_offset
  buf.writeUInt32BE(1, 56); // refcount_table_clusters
  buf.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
  buf.writeUInt32BE(104, 100); // header_length; the header extension area that follows is all zero (end marker)
  buf.writeBigUInt64BE(BigInt(2 * CLUSTER), 1 * CLUSTER); // refcount table → block
  for (let c = 0; c < total; c++) buf.writeUInt16BE(1, 2 * CLUSTER + c * 2);
  for (let i = 0; i < l1Size; i++) buf.writeBigUInt64BE(BigInt((firstL2 + i) * CLUSTER) | COPIED, 3 * CLUSTER + i * 8);
  const stride = Math.max(1, Math.floor(virtualSize / CLUSTER / Math.max(1, dataClusters)));
  for (let d = 0; d < dataClusters; d++) {
    const guestCluster = d * stride;
    const l1 = Math.floor(guestCluster / perL2);
    const l2 = guestCluster % perL2;
    const hostCluster = firstData + d;
    buf.writeBigUInt64BE(BigInt(hostCluster * CLUSTER) | COPIED, (firstL2 + l1) * CLUSTER + l2 * 8);
    buf.fill((d % 250) + 1, hostCluster * CLUSTER, (hostCluster + 1) * CLUSTER);
  }
  await writeFile(path, buf);
}

/** Writes an ISO 9660 image of `size` bytes: a primary volume descriptor and a little data. */
export async function writeIso(path: string, size: number): Promise<void> {
  const buf = Buffer.alloc(size);
  buf.write('\x01CD001\x01\x00', 0x8000, 'latin1');
  buf.write('DISKFERRY_E2E', 0x8028, 'latin1');
  buf.write('\xffCD001\x01', 0x8800, 'latin1'); // volume descriptor set terminator
  buf.fill(0x5a, 0x10000, Math.min(size, 0x30000));
  await writeFile(path, buf);
}

/** Writes a sparse raw image of `size` bytes with `dataMiB` MiB of patterned data spread over it. */
export async function writeRaw(path: string, size: number, dataMiB: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(size);
    const chunk = Buffer.alloc(1024 * 1024);
    const stride = Math.floor(size / Math.max(1, dataMiB) / chunk.length) * chunk.length;
    for (let i = 0; i < dataMiB; i++) {
      chunk.fill((i % 200) + 7);
      await fh.write(chunk, 0, chunk.length, i * stride);
    }
  } finally {
    await fh.close();
  }
}
