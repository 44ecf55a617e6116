import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code (CommonJS, run with `eval`): BLAKE2b-256 updates on saved hash states. It holds
 * no state of its own: each message carries the block's saved state and the bytes, and the answer is
 * the new saved state, so the worker can be stopped and started again at any time.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createBLAKE2b } = require(workerData.hashWasm);
createBLAKE2b(256).then((h) => {
  parentPort.on('message', (m) => {
    try {
      h.load(m.state);
      h.update(new Uint8Array(m.buffer, 0, m.length));
      parentPort.postMessage({ id: m.id, state: h.save(), buffer: m.buffer }, [m.buffer]);
    } catch (err) {
      parentPort.postMessage({ id: m.id, error: String(err) });
    }
  });
  parentPort.postMessage({ ready: true });
});
`;

/** Buffers that carry bytes to the thread and back (allocated on first use, then reused). */
const POOL_BUFFERS = 4;
/** An idle thread stops after this long (it is started again on demand). */
const IDLE_MS = 2000;

interface Waiter {
  readonly chunk: HashChunk;
  resolve(state: Uint8Array): void;
  reject(err: Error): void;
}

/** Bytes copied into a buffer of the pool, waiting to be hashed on the thread. */
export interface HashChunk {
  buffer: ArrayBuffer;
  readonly length: number;
  /** False for a one-off buffer (the pool was empty), which is dropped after use. */
  readonly pooled: boolean;
}

/** Where hash-wasm can be loaded from by path, or null (a bundle without node_modules). */
function hashWasmPath(): string | null {
  try {
    return createRequire(import.meta.url).resolve('hash-wasm');
  } catch {
    return null;
  }
}

/**
 * A worker thread that runs BLAKE2b updates for blkhash, so hashing a download or an upload does not
 * hold up the event loop that moves the data. Bytes travel in a small pool of buffers that go to the
 * thread and come back (transferred, never allocated per update); when the pool is empty the caller
 * hashes on its own thread (the back-pressure that keeps memory bounded). A thread that cannot start
 * stays off and the caller hashes everything itself, with the same result.
 */
export class BlkhashThread {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private broken = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly free: ArrayBuffer[] = [];
  private allocated = 0;

  constructor(private readonly bufferSize: number) {}

  /**
   * Copies `data` (at most the buffer size) into a buffer of the pool; null when the thread is off or
   * the pool is empty, unless `force` (then a one-off buffer is allocated).
   */
  copy(data: Uint8Array, force = false): HashChunk | null {
    if (this.broken || data.length > this.bufferSize) return null;
    let buffer = this.free.pop();
    if (!buffer && this.allocated < POOL_BUFFERS) {
      buffer = new ArrayBuffer(this.bufferSize);
      this.allocated++;
    }
    if (!buffer && !force) return null;
    const chunk: HashChunk = buffer ? { buffer, length: data.length, pooled: true } : { buffer: new ArrayBuffer(data.length), length: data.length, pooled: false };
    new Uint8Array(chunk.buffer, 0, data.length).set(data);
    return chunk;
  }

  /** Updates a saved BLAKE2b-256 state with a chunk's bytes on the thread; the chunk goes back to the pool. */
  update(state: Uint8Array, chunk: HashChunk): Promise<Uint8Array> {
    const worker = this.broken ? null : this.start();
    if (!worker) {
      this.release(chunk);
      return Promise.reject(new Error('the hash thread is not available'));
    }
    const id = this.nextId++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { chunk, resolve, reject });
      worker.postMessage({ id, state, buffer: chunk.buffer, length: chunk.length }, [chunk.buffer]);
    });
  }

  /** Puts a chunk's buffer back into the pool. */
  release(chunk: HashChunk): void {
    if (chunk.pooled && chunk.buffer.byteLength === this.bufferSize) this.free.push(chunk.buffer);
  }

  /** Stops the thread; later updates start a new one. */
  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const w = this.worker;
    this.worker = null;
    this.failAll(new Error('the hash thread was stopped'));
    if (w) void w.terminate().catch(() => {});
  }

  private start(): Worker | null {
    if (this.worker) return this.worker;
    const path = hashWasmPath();
    if (!path) {
      this.broken = true;
      return null;
    }
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { hashWasm: path } });
      w.unref(); // never keeps the process alive
      w.on('message', (m: { id?: number; state?: Uint8Array; buffer?: ArrayBuffer; error?: string; ready?: boolean }) => this.onMessage(m));
      w.on('error', (err) => this.fail(w, err));
      w.on('exit', () => this.fail(w, new Error('the hash thread exited')));
      this.worker = w;
      return w;
    } catch {
      this.broken = true;
      return null;
    }
  }

  private onMessage(m: { id?: number; state?: Uint8Array; buffer?: ArrayBuffer; error?: string; ready?: boolean }): void {
    if (m.ready || m.id === undefined) return;
    const waiter = this.waiting.get(m.id);
    if (!waiter) return;
    this.waiting.delete(m.id);
    if (m.buffer) {
      waiter.chunk.buffer = m.buffer; // back from the thread
      this.release(waiter.chunk);
    } else if (waiter.chunk.pooled) this.allocated--; // lost with the failed update
    if (m.state) waiter.resolve(m.state);
    else waiter.reject(new Error(m.error ?? 'hashing failed'));
    if (this.waiting.size === 0 && this.worker && !this.idleTimer) {
      this.idleTimer = setTimeout(() => this.close(), IDLE_MS);
      this.idleTimer.unref();
    }
  }

  private fail(w: Worker, err: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.broken = true;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    for (const waiter of this.waiting.values()) {
      if (waiter.chunk.pooled) this.allocated--; // its buffer went with the thread
      waiter.reject(err);
    }
    this.waiting.clear();
  }
}
