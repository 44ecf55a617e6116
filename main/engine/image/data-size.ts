/**
 * How many bytes of data an image holds, cheaply and from above, for a plan's space check before
 * anything is sent: a raw file's allocated blocks (SEEK_DATA/SEEK_HOLE, nothing read; the file size
 * where the file system cannot tell), a qcow2's allocated clusters (its tables only). The run later
 * counts the exact data (zero blocks dropped), which is never more.
 */
import { open } from 'node:fs/promises';
import type { ImageProbe } from './probe.js';
import { Qcow2FileSource } from './qcow2-source.js';
import { sparseFilesFor } from '../os/index.js';

/** The image's data bytes as guest data, at most its virtual size (an ISO: its whole size). */
export async function dataBytesAtMost(probe: Pick<ImageProbe, 'path' | 'format' | 'virtualSize' | 'fileSize'>): Promise<number> {
  if (probe.format === 'iso') return probe.virtualSize;
  if (probe.format === 'qcow2') {
    const source = await Qcow2FileSource.open(probe.path);
    try {
      const extents = await source.extents();
      return extents.reduce((sum, e) => sum + (e.zero ? 0 : e.length), 0);
    } finally {
      await source.close();
    }
  }
  const fh = await open(probe.path, 'r');
  try {
    const ranges = sparseFilesFor().dataRanges({ path: probe.path, fd: fh.fd }, probe.fileSize);
    return Math.min(probe.virtualSize, ranges === null ? probe.fileSize : ranges.reduce((sum, r) => sum + (r.end - r.start), 0));
  } finally {
    await fh.close();
  }
}
