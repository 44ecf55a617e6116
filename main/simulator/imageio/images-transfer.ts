import type { Exchange } from './context.js';
import { allowCors, expireTicketIfArmed, readBody, takeDropAfterBytes, takeFailPut } from './exchange-io.js';
import { checkAllowedRange, checkAvailableRange, ConnectionLost, HttpError, SERVER_FAILED } from './http-errors.js';
import { parseContentLength } from './http-request.js';
import { OperationCanceled, openSessionOrDeny, runOperation, type OperationRun, type Session } from './session.js';
import { Throttle } from './throttle.js';
import { parseContentRange, parseRange, validateEnum } from './validate.js';

function pieceSize(ex: Exchange): number {
  const rate = ex.server.faults.bandwidthBytesPerSecond;
  return rate ? Math.min(ex.server.pool.size, Throttle.pieceFor(rate)) : ex.server.pool.size;
}

async function pace(ex: Exchange, n: number): Promise<void> {
  const rate = ex.server.faults.bandwidthBytesPerSecond;
  if (rate) await ex.connection.throttle.take(n, rate);
}

/** GET /images/{id}: a ranged or whole download (images.py::get). */
export async function getImage(ex: Exchange, id: string): Promise<void> {
  const { req, res } = ex;
  allowCors(ex);
  if (!id) throw new HttpError(400, 'Ticket id is required');
  if (req.query.get('close') === 'y') res.closeConnection();
  let offset = 0;
  let size: number | null = null;
  const rangeHeader = req.headers.get('range');
  if (rangeHeader !== undefined) {
    const range = parseRange(rangeHeader);
    offset = range.first;
    if (offset < 0) throw new HttpError(416, 'suffix-byte-range-spec not supported yet');
    if (range.last !== null) size = range.last - offset + 1;
  }
  expireTicketIfArmed(ex, id);
  const session = openSessionOrDeny(ex, id, 'read');
  const ticketSize = session.ticket.size;
  if (size !== null) {
    checkAllowedRange(offset, size, ticketSize);
    checkAvailableRange(offset, size, ticketSize, session.backend.size());
  } else {
    // An open range starting past the end is not validated by imageio; ops.Read then fails like this.
    size = Math.min(ticketSize, session.backend.size()) - offset;
    if (size < 0) throw new HttpError(400, `Requested ${size} bytes, available 0 bytes`);
  }
  res.headers.set('content-length', size);
  res.headers.set('content-type', 'application/octet-stream');
  res.headers.set('content-disposition', session.ticket.filename ? `attachment; filename=${session.ticket.filename}` : 'attachment');
  if (rangeHeader !== undefined) {
    res.status = 206;
    res.headers.set('content-range', `bytes ${offset}-${offset + size - 1}/${ticketSize}`);
  }
  const length = size;
  // The operation ends once the last piece is handed to the socket, as imageio's write returns then.
  const { lastWrite } = await runOperation(ex, session, offset, (run) => streamOut(ex, session, run, offset, length));
  await lastWrite;
}

/**
 * Streams [offset, offset+size) in pieces through two pooled buffers: one is read from the image while
 * the other is being sent, and a buffer is reused only after its write completed. Returns the last
 * write still in flight.
 */
async function streamOut(
  ex: Exchange,
  session: Session,
  run: OperationRun,
  offset: number,
  size: number,
): Promise<{ lastWrite: Promise<void> | null }> {
  const { pool } = ex.server;
  const { conn } = ex.connection;
  const drop = takeDropAfterBytes(ex);
  const piece = pieceSize(ex);
  const buffers: [Buffer, Buffer | null] = [pool.acquire(), null];
  let pending: Promise<void> | null = null;
  let writing = false;
  let failed = true;
  try {
    let sent = 0;
    for (let k = 0; sent < size; k++) {
      const n = Math.min(piece, size - sent, drop === null ? Infinity : drop - sent);
      if (n <= 0) break;
      const buf = (k % 2 === 0 ? buffers[0] : (buffers[1] ??= pool.acquire())).subarray(0, n);
      await session.backend.readInto(offset + sent, buf);
      if (pending) await pending;
      await pace(ex, n);
      writing = true;
      pending = ex.res.write(buf);
      pending.then(
        () => (writing = false),
        () => (writing = false),
      );
      sent += n;
      run.advance(n);
      if (run.canceled) throw new OperationCanceled();
    }
    if (drop !== null && sent < size) {
      if (pending) await pending;
      if (!ex.res.started) await ex.res.write(Buffer.alloc(0));
      conn.destroy();
      throw new ConnectionLost('dropAfterBytes fault');
    }
    failed = false;
    // Wrapped, or the async function would adopt the promise and wait for it.
    return { lastWrite: pending };
  } finally {
    const release = (): void => {
      for (const b of buffers) if (b) pool.release(b);
    };
    // A write may still hold a buffer: it goes back to the pool only when the write is done or dead.
    if (failed && writing) conn.destroy();
    if (!failed && pending) void pending.then(release, release);
    else release();
  }
}

/** PUT /images/{id}: streams the body into the image (images.py::put). */
export async function putImage(ex: Exchange, id: string): Promise<void> {
  const { req, res } = ex;
  allowCors(ex);
  if (!id) throw new HttpError(400, 'Ticket id is required');
  if (req.query.get('close') === 'y') res.closeConnection();
  const length = parseContentLength(req.headers.get('content-length'));
  if (length === null) throw new HttpError(400, 'Content-Length header is required');
  const contentRange = req.headers.get('content-range');
  const offset = contentRange !== undefined ? parseContentRange(contentRange).first : 0;
  const flush = validateEnum(req.query, 'flush', ['y', 'n'], 'y') === 'y';
  expireTicketIfArmed(ex, id);
  const session = openSessionOrDeny(ex, id, 'write');
  checkAllowedRange(offset, length, session.ticket.size);
  // A failing backend write: nothing of this request reaches the image.
  if (takeFailPut(ex)) throw new HttpError(500, SERVER_FAILED);
  await runOperation(ex, session, offset, (run) => streamIn(ex, session, run, offset, length, flush));
}

/**
 * Receives the body into two pooled buffers: the next piece arrives while the previous one is being
 * written, so socket and disk work overlap. Progress counts written bytes.
 */
async function streamIn(ex: Exchange, session: Session, run: OperationRun, offset: number, length: number, flush: boolean): Promise<void> {
  const { pool } = ex.server;
  const drop = takeDropAfterBytes(ex);
  const buffers: [Buffer, Buffer | null] = [pool.acquire(), null];
  let writing: Promise<void> | null = null;
  const settle = async (): Promise<void> => {
    const w = writing;
    writing = null;
    await w;
  };
  try {
    let got = 0;
    for (let k = 0; got < length; k++) {
      const want = Math.min(pieceSize(ex), length - got, drop === null ? Infinity : drop - got);
      if (want <= 0) {
        await settle();
        ex.connection.conn.destroy();
        throw new ConnectionLost('dropAfterBytes fault');
      }
      const buf = (k % 2 === 0 ? buffers[0] : (buffers[1] ??= pool.acquire())).subarray(0, want);
      const n = await readBody(ex, buf);
      await settle();
      if (n > 0) {
        // Progress moves when the write lands, not when the next piece arrives.
        writing = session.backend.write(offset + got, buf.subarray(0, n)).then(() => run.advance(n));
        writing.catch(() => {});
        got += n;
      }
      if (n < want) {
        await settle();
        throw new HttpError(400, `Requested ${length} bytes, available ${got} bytes`);
      }
      await pace(ex, n);
      if (run.canceled) break;
    }
    await settle();
    if (run.canceled) throw new OperationCanceled();
    if (flush) await session.backend.flush();
  } finally {
    // Never hand a buffer back while the image may still be reading it.
    await (writing as Promise<void> | null)?.catch(() => {});
    for (const b of buffers) if (b) pool.release(b);
  }
}
