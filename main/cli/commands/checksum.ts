import { parseChoice, parseCommand } from '../args.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { BLKHASH_ALGORITHMS, BLKHASH_DEFAULT_BLOCK_SIZE } from '../../engine/image/blkhash.js';
import { isBlkhashBlockSize, localChecksum } from '../../engine/image/local-checksum.js';
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';

const MiB = 1024 * 1024;

/**
 * `diskferry checksum FILE… [--algorithm A] [--block-size BYTES]`: the blkhash of each image's guest
 * data, as an ovirt-imageio server computes `GET /images/{ticket}/checksum` of a raw-format transfer
 * (reference/imageio.md §6.3). Needs no engine.
 */
export async function runChecksum(ctx: CliContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, { algorithm: { type: 'string' }, 'block-size': { type: 'string' } });
  ctx.applyGlobals(values);
  if (positionals.length === 0) throw new UsageError('Name at least one image file to checksum.');
  const algorithm = parseChoice('algorithm', values.algorithm, BLKHASH_ALGORITHMS) ?? 'blake2b';
  const blockSize = values['block-size'] === undefined ? BLKHASH_DEFAULT_BLOCK_SIZE : Number(values['block-size']);
  if (!isBlkhashBlockSize(blockSize))
    throw new UsageError(`--block-size takes bytes from 1048576 to 16777216 in steps of 4096 (what imageio accepts), not '${values['block-size']}'.`);

  return ctx.eachTransfer(positionals, async (file, _control, onProgress) => {
    const started = performance.now();
    const r = await localChecksum(file, {
      algorithm,
      blockSize,
      signal: ctx.signal,
      onProgress: (done, total) => {
        const elapsedMs = performance.now() - started;
        const rate = elapsedMs > 500 ? (done / elapsedMs) * 1000 : null;
        onProgress({
          state: 'verifying',
          bytesDone: done,
          bytesTotal: total,
          dataDone: done,
          dataTotal: total,
          bytesOnWire: 0,
          rate,
          etaSeconds: rate ? (total - done) / rate : null,
          elapsedMs,
          connections: 0,
          viaProxy: null,
        });
      },
    });
    const secs = (performance.now() - started) / 1000;
    const blocks = blockSize % MiB === 0 ? `${blockSize / MiB} MiB` : `${blockSize}-byte`;
    ctx.result(
      `${r.checksum}  ${file} (${r.algorithm}, ${blocks} blocks; ${r.format}, ${formatBytes(r.size)}, ${formatBytes(r.bytesRead)} of data read in ${formatDuration(secs)}, ${formatRate(r.bytesRead / Math.max(secs, 0.001))})`,
      { file, algorithm: r.algorithm, block_size: r.blockSize, checksum: r.checksum, format: r.format, size: r.size, data_bytes: r.bytesRead, elapsed: secs },
    );
  });
}
