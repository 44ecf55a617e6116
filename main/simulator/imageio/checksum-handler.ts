import { setImmediate as yieldLoop } from 'node:timers/promises';
import {
  BLKHASH_ALGORITHMS,
  BLKHASH_DEFAULT_ALGORITHM,
  BLKHASH_DEFAULT_BLOCK_SIZE,
  Blkhash,
  type BlkhashAlgorithm,
} from '../../engine/image/blkhash.js';
import type { Backend } from './backends.js';
import type { Exchange } from './context.js';
import { HttpError } from './http-errors.js';
import { pyInt, pyRepr } from './python-format.js';
import { OperationCanceled, openSessionOrDeny, runOperation, type OperationRun } from './session.js';
import { validateEnum } from './validate.js';

/** checksum.py limits: a quarter to four times the default block, aligned to 4 KiB. */
const MIN_BLOCK_SIZE = BLKHASH_DEFAULT_BLOCK_SIZE / 4;
const MAX_BLOCK_SIZE = BLKHASH_DEFAULT_BLOCK_SIZE * 4;
const ZERO_SLICE = Buffer.alloc(64 * 1024);

function isZero(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i += ZERO_SLICE.length) {
    const slice = buf.subarray(i, i + ZERO_SLICE.length);
    if (!slice.equals(slice.length === ZERO_SLICE.length ? ZERO_SLICE : ZERO_SLICE.subarray(0, slice.length))) return false;
  }
  return true;
}

function blockSizeOf(raw: string | undefined): number {
  if (raw === undefined) return BLKHASH_DEFAULT_BLOCK_SIZE;
  const value = pyInt(raw);
  if (value === null) throw new HttpError(400, `Invalid block size: ${pyRepr(raw)}`);
  if (value < MIN_BLOCK_SIZE || value > MAX_BLOCK_SIZE) {
    throw new HttpError(400, `Block size out of allowed range: ${MIN_BLOCK_SIZE}-${MAX_BLOCK_SIZE}`);
  }
  if (value % 4096 !== 0) throw new HttpError(400, 'Block size is not aligned to 4096');
  return value;
}

/**
 * blkhash over the backend (checksum.py::Operation): blocks known to be zero are never read, read
 * blocks that turn out all zero use the zero digest; both give the same result as hashing the bytes.
 */
async function blkhashOf(backend: Backend, algorithm: BlkhashAlgorithm, blockSize: number, run: OperationRun): Promise<string> {
  const hash = await Blkhash.create({ algorithm, blockSize });
  const size = backend.size();
  const buf = Buffer.allocUnsafe(Math.min(blockSize, Math.max(size, 1)));
  for (let start = 0, i = 0; start < size; start += blockSize, i++) {
    const length = Math.min(blockSize, size - start);
    if (!backend.mayHoldData(start, start + length)) {
      hash.zero(length);
      // Zero blocks are cheap; yield now and then so a huge sparse image does not stall the server.
      if (i % 1024 === 1023) await yieldLoop();
    } else {
      const view = buf.subarray(0, length);
      await backend.readInto(start, view);
      if (isZero(view)) hash.zero(length);
      else hash.update(view);
    }
    run.advance(length);
    if (run.canceled) throw new OperationCanceled();
  }
  return hash.digest();
}

/** GET /images/{id}/checksum: validation, then a 403 that keeps the connection, then the blkhash. */
export async function getChecksum(ex: Exchange, id: string): Promise<void> {
  if (!id) throw new HttpError(400, 'Ticket id is required');
  const algorithm = validateEnum(ex.req.query, 'algorithm', BLKHASH_ALGORITHMS, BLKHASH_DEFAULT_ALGORITHM);
  const blockSize = blockSizeOf(ex.req.query.get('block_size'));
  const session = openSessionOrDeny(ex, id, 'read', false);
  const checksum = await ex.connection.conn.withoutIdleTimeout(() =>
    runOperation(ex, session, 0, (run) => blkhashOf(session.backend, algorithm, blockSize, run)),
  );
  await ex.res.sendJson({ algorithm, block_size: blockSize, checksum });
}

/** GET /images/{anything}/checksum/algorithms: no authorization. */
export async function getAlgorithms(ex: Exchange): Promise<void> {
  await ex.res.sendJson({ algorithms: [...BLKHASH_ALGORITHMS].sort() });
}
