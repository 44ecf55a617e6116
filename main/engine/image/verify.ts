/**
 * End-to-end verification of a transfer: the blkhash of the guest data is computed locally while the
 * data moves (no second pass over the file), then compared with the data server's `/checksum` of
 * what it holds (protocol.md §3, reference/imageio.md §6).
 */
import { DiskFerryError } from '../errors.js';
import type { RangeSource } from '../imageio/put-body.js';
import type { ImageChecksum } from '../imageio/session.js';
import { BlkhashAccumulator } from './blkhash-accumulator.js';
import { BLKHASH_DEFAULT_ALGORITHM, BLKHASH_DEFAULT_BLOCK_SIZE, type BlkhashAlgorithm } from './blkhash.js';

/**
 * Whether verification should hash on a worker thread: only when `DISKFERRY_HASH_THREAD=1`. The
 * thread frees the thread that moves the data from BLAKE2b (about 1 CPU-s per GiB) at the price of a
 * copy of every block (0.1-0.25 CPU-s per GiB) and about 20 MiB of memory (its isolate and buffer
 * pool: peak RSS of a verified upload 150 MiB with it, 125-136 without, against a 150 MiB target).
 * On the 2-core benchmark machine it made the data plane 17-25 % faster when quiet and slower under
 * load, and end to end no difference beyond the noise (docs/benchmarks.md); so it is for machines
 * with cores to spare, chosen by the user.
 */
export function hashThreadWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  return env['DISKFERRY_HASH_THREAD'] === '1';
}

/**
 * Whether a verified download asks for the server's checksum while its data still moves
 * (`DISKFERRY_SERVER_CHECKSUM=early`) instead of after the last byte (the default). The image of a
 * download cannot change while it is read, so the answer is the same, and the host reads and hashes
 * its image beside serving the data instead of afterwards (docs/benchmarks.md: a verified download
 * about a fifth faster). Not the default: imageio counts a finished checksum as the whole image
 * read, and the engine ends a download whose ticket has read everything and is then idle at two of
 * its polls. A limited rate, a pause, a slow disk or a stall after the checksum gives it that, and
 * the download fails half-way (it resumes when run again).
 */
export function earlyChecksumWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  return env['DISKFERRY_SERVER_CHECKSUM'] === 'early';
}

/** What verification found (plain data, for results and reports). */
export interface Verification {
  readonly algorithm: BlkhashAlgorithm;
  readonly blockSize: number;
  /** The local blkhash of the guest data (hex); null when none was computed. */
  readonly digest: string | null;
  /** The server's blkhash; null when it was not asked. */
  readonly serverDigest: string | null;
  /** true: the checksums match; null: not compared (see `note`). A mismatch is an error, never false here. */
  readonly verified: boolean | null;
  /** One line for the user: verified, or why not. */
  readonly note: string;
}

/** The part of an imageio session verification uses. */
export interface ChecksumServer {
  readonly url: string;
  readonly features: { readonly checksum: boolean };
  checksum(options: { algorithm?: string; blockSize?: number }, signal: AbortSignal): Promise<ImageChecksum>;
  /** The server's image size (its checksum covers all of it). */
  size(signal: AbortSignal): Promise<number>;
}

/** The result when verification was turned off. */
export const VERIFY_OFF: Verification = {
  algorithm: BLKHASH_DEFAULT_ALGORITHM,
  blockSize: BLKHASH_DEFAULT_BLOCK_SIZE,
  digest: null,
  serverDigest: null,
  verified: null,
  note: 'not verified: verification was turned off',
};

/** What a mismatch means for the user, by direction. */
export interface MismatchWording {
  /** What the local side is: "the local image", "the downloaded file". */
  readonly local: string;
  /** What happens now and what to do; ends the message. */
  readonly consequence: string;
  /**
   * When the server refused the ticket (403) for the checksum: returns why the transfer cannot be
   * verified (the engine ended it on its own), or null when the refusal is an error.
   */
  readonly whenTicketGone?: () => Promise<string | null>;
}

/** The local blkhash of one transfer, fed as data moves, then compared with the server's. */
export class TransferDigest {
  /** The server's checksum, asked for while the data still moved (see askServerEarly), or null. */
  private early: Promise<ImageChecksum> | null = null;

  private constructor(private readonly acc: BlkhashAccumulator) {}

  /**
   * A digest of `size` guest bytes with imageio's defaults (BLAKE2b-256, 4 MiB blocks); with
   * `thread`, BLAKE2b runs on a worker thread while its buffer pool has room.
   */
  static async create(size: number, options: { thread?: boolean } = {}): Promise<TransferDigest> {
    return new TransferDigest(await BlkhashAccumulator.create(size, { thread: options.thread === true }));
  }

  /** Guest bytes at an offset (hashed or copied at once: the buffer may be reused afterwards). */
  add(offset: number, data: Uint8Array): void {
    this.acc.add(offset, data);
  }

  /** Ranges that read as zeros and are never read or sent (zero extents, holes). */
  addZeroRanges(ranges: ReadonlyArray<{ readonly start: number; readonly length: number; readonly zero: boolean }>): void {
    for (const r of ranges) if (r.zero) this.acc.zero(r.start, r.length);
  }

  /** An upload source whose reads are hashed as they are sent. */
  source(inner: RangeSource): RangeSource {
    return {
      read: async (offset, buffer) => {
        const n = await inner.read(offset, buffer);
        if (n > 0) this.acc.add(offset, buffer.subarray(0, n));
        return n;
      },
    };
  }

  /** Hashes ranges already present locally (a resumed download): the only bytes read back. */
  async addFrom(source: RangeSource, ranges: ReadonlyArray<{ readonly start: number; readonly end: number }>, signal?: AbortSignal): Promise<void> {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (const r of ranges) {
      for (let pos = r.start; pos < r.end; ) {
        signal?.throwIfAborted();
        const n = await source.read(pos, buf.subarray(0, Math.min(buf.length, r.end - pos)));
        if (n <= 0) throw new DiskFerryError('io', `The partial file ended at byte ${pos} while it was read back for the checksum. Download again without resuming.`, { retryable: false });
        this.acc.add(pos, buf.subarray(0, n));
        pos += n;
      }
    }
  }

  /**
   * Asks the server for its checksum now, while the data still moves, for an image that cannot
   * change during the transfer (a download's): the server reads and hashes its image while the
   * client receives and hashes the same bytes, instead of afterwards. verify() takes the answer; one
   * that failed or was aborted (a pause aborts `signal`) is asked for again, by the next data phase
   * or by verify(). Nothing is asked of a server without the checksum feature.
   */
  askServerEarly(server: ChecksumServer, signal: AbortSignal): void {
    if (!server.features.checksum || this.early) return;
    const asked = server.checksum({ algorithm: this.acc.algorithm, blockSize: this.acc.blockSize }, signal);
    this.early = asked;
    asked.catch(() => {
      if (this.early === asked) this.early = null;
    });
  }

  /**
   * Computes the local digest and compares it with the server's (same algorithm and block size).
   * A server without the checksum feature gives `verified: null` with a note; a mismatch throws
   * verification-failed with both digests.
   */
  async verify(server: ChecksumServer, signal: AbortSignal, wording: MismatchWording): Promise<Verification> {
    const digest = await this.acc.digest();
    const base = { algorithm: this.acc.algorithm, blockSize: this.acc.blockSize, digest };
    if (!server.features.checksum) return { ...base, serverDigest: null, verified: null, note: 'not verified: the server cannot compute checksums' };
    let answer: ImageChecksum;
    try {
      const ask = () => server.checksum({ algorithm: this.acc.algorithm, blockSize: this.acc.blockSize }, signal);
      const early = this.early;
      this.early = null;
      // An early answer that failed is asked for again: only this one's failure counts.
      answer = early ? await early.catch(ask) : await ask();
    } catch (err) {
      const gone = err instanceof DiskFerryError && err.code === 'ticket-gone' ? await wording.whenTicketGone?.() : null;
      if (!gone) throw err;
      return { ...base, serverDigest: null, verified: null, note: gone };
    }
    const how = `${this.acc.algorithm}, ${this.acc.blockSize / (1024 * 1024)} MiB blocks`;
    if (answer.algorithm !== this.acc.algorithm || answer.blockSize !== this.acc.blockSize)
      throw new DiskFerryError('protocol', `The data server on ${server.url} computed its checksum with ${answer.algorithm} and ${answer.blockSize}-byte blocks, not the ${how} asked for.`, {
        retryable: false,
      });
    if (answer.checksum !== digest) {
      // The server hashes its whole image: one larger than the local data (a disk bigger than the
      // file, a qcow2 container in a larger volume) gives another checksum without anything being wrong.
      const serverSize = await server.size(signal).catch(() => null);
      if (serverSize !== null && serverSize !== this.acc.size)
        return {
          ...base,
          serverDigest: answer.checksum,
          verified: null,
          note: `not verified: the server's image is ${serverSize} bytes and ${wording.local} ${this.acc.size}, so their checksums cannot be compared`,
        };
      throw new DiskFerryError(
        'verification-failed',
        `The transfer did not verify: the server's checksum (${how}) is ${answer.checksum}, but ${wording.local}'s is ${digest}. ${wording.consequence}`,
        { retryable: false },
      );
    }
    return { ...base, serverDigest: answer.checksum, verified: true, note: `verified: the server's ${this.acc.algorithm} checksum matches` };
  }
}
