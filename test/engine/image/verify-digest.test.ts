/**
 * The out-of-order blkhash: pieces in any order, repeated and overlapping, with zero runs, give the
 * digest of the sequential reference implementation (itself pinned to imageio's test vectors); gaps
 * and stray offsets are refused; a comparison states both digests.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../../main/engine/errors.js';
import { BlkhashAccumulator } from '../../../main/engine/image/blkhash-accumulator.js';
import { Blkhash, type BlkhashAlgorithm } from '../../../main/engine/image/blkhash.js';
import { TransferDigest, type ChecksumServer } from '../../../main/engine/image/verify.js';

const MiB = 1024 * 1024;

/** An image with data, zeros inside data, and zero runs described as such. */
function image(size: number): { bytes: Buffer; zeroRuns: Array<{ start: number; length: number }> } {
  const bytes = randomBytes(size);
  const zeroRuns = [
    { start: 0, length: 64 * 1024 },
    { start: 3 * MiB, length: 5 * MiB + 17 }, // a whole block and parts of its neighbours
    { start: size - 300, length: 300 },
  ];
  for (const z of zeroRuns) bytes.fill(0, z.start, z.start + z.length);
  bytes.fill(0, 9 * MiB, 9 * MiB + 4096); // zeros that arrive as data
  return { bytes, zeroRuns };
}

async function sequential(bytes: Buffer, algorithm: BlkhashAlgorithm = 'blake2b'): Promise<string> {
  const h = await Blkhash.create({ algorithm });
  h.update(bytes);
  return h.digest();
}

/** Data pieces of random sizes covering everything but the zero runs, shuffled, some sent twice. */
function pieces(size: number, zeroRuns: Array<{ start: number; length: number }>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const isZero = (p: number) => zeroRuns.some((z) => p >= z.start && p < z.start + z.length);
  for (let pos = 0; pos < size; ) {
    if (isZero(pos)) {
      pos++;
      continue;
    }
    let end = pos;
    while (end < size && !isZero(end) && end - pos < 1 + Math.floor(Math.random() * 2 * MiB)) end = Math.min(size, end + 4096);
    while (end > pos + 1 && isZero(end - 1)) end--;
    out.push([pos, end]);
    pos = end;
  }
  for (let i = 0; i < 5; i++) out.push(out[Math.floor(Math.random() * out.length)]!); // retried requests
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('BlkhashAccumulator', () => {
  it.each(['blake2b', 'sha256'] as const)('gives the sequential %s digest whatever the order', async (algorithm) => {
    const size = 13 * MiB + 123;
    const { bytes, zeroRuns } = image(size);
    const acc = await BlkhashAccumulator.create(size, { algorithm });
    const zeroFirst = Math.random() < 0.5;
    if (zeroFirst) for (const z of zeroRuns) acc.zero(z.start, z.length);
    for (const [start, end] of pieces(size, zeroRuns)) acc.add(start, bytes.subarray(start, end));
    if (!zeroFirst) for (const z of zeroRuns) acc.zero(z.start, z.length);
    expect(acc.complete).toBe(true);
    expect(await acc.digest()).toBe(await sequential(bytes, algorithm));
  });

  it('matches the imageio test vector for data, zeros and a short last block fed backwards', async () => {
    const size = 8 * MiB + 3;
    const acc = await BlkhashAccumulator.create(size);
    acc.add(8 * MiB, Buffer.from('end'));
    acc.zero(4096, 8 * MiB - 4096);
    acc.add(0, Buffer.alloc(4096, 'x'));
    expect(await acc.digest()).toBe('402b741506bc64b2432a7c2fb55ab3188ffb26cf512b8e719bb8b3714db88789');
  });

  it('hashes no block of zeros that arrives as data, in any pieces; zeros that data follows in a block are hashed', async () => {
    const size = 12 * MiB;
    const bytes = Buffer.alloc(size);
    bytes.fill(0x5e, 9 * MiB, 9 * MiB + 100); // block 2: zeros, data, zeros
    const acc = await BlkhashAccumulator.create(size);
    // 1 MiB pieces, as a download's GETs bring them (no extents: the zeros come as data), backwards.
    for (let at = size - MiB; at >= 0; at -= MiB) acc.add(at, bytes.subarray(at, at + MiB));
    expect(await acc.digest()).toBe(await sequential(bytes));
    expect(acc.hashedBytes).toBe(4 * MiB); // blocks 0 and 1 took the zero digest
  });

  it('copies pieces that arrive early, so the caller may reuse its buffer', async () => {
    const data = randomBytes(4 * MiB);
    const acc = await BlkhashAccumulator.create(4 * MiB);
    const reused = Buffer.from(data.subarray(MiB));
    acc.add(MiB, reused);
    reused.fill(7); // the caller's next read overwrites it
    acc.add(0, data.subarray(0, MiB));
    expect(await acc.digest()).toBe(await sequential(data));
  });

  it('refuses to finish with bytes missing, and input outside the image', async () => {
    const acc = await BlkhashAccumulator.create(10 * MiB);
    acc.add(0, Buffer.alloc(MiB, 1));
    acc.zero(5 * MiB, 5 * MiB);
    expect(acc.missingBytes()).toBe(4 * MiB);
    await expect(acc.digest()).rejects.toMatchObject({ code: 'internal', message: expect.stringContaining('missing 4194304 bytes') });
    expect(() => acc.add(10 * MiB - 1, Buffer.alloc(2))).toThrow(DiskFerryError);
  });
});

describe('TransferDigest.verify', () => {
  const server = (checksum: string | null): ChecksumServer => ({
    url: 'imageio.test:54322 (direct)',
    features: { checksum: checksum !== null },
    checksum: async (o) => ({ algorithm: o.algorithm ?? 'blake2b', blockSize: o.blockSize ?? 4 * MiB, checksum: checksum ?? '' }),
    size: async () => MiB,
  });
  const wording = { local: 'the local image', consequence: 'Nothing was kept.' };

  it('says verified when the server agrees, and why not when it cannot compute checksums', async () => {
    const d = await TransferDigest.create(MiB);
    d.addZeroRanges([{ start: 0, length: MiB, zero: true }]);
    const local = await (async () => {
      const h = await Blkhash.create();
      h.zero(MiB);
      return h.digest();
    })();
    const ok = await d.verify(server(local), AbortSignal.timeout(5000), wording);
    expect(ok).toMatchObject({ verified: true, digest: local, serverDigest: local, algorithm: 'blake2b', blockSize: 4 * MiB });
    const none = await d.verify(server(null), AbortSignal.timeout(5000), wording);
    expect(none).toMatchObject({ verified: null, digest: local, note: 'not verified: the server cannot compute checksums' });
  });

  it('fails a mismatch with both digests in the message', async () => {
    const d = await TransferDigest.create(MiB);
    d.add(0, Buffer.alloc(MiB, 1));
    const err = await d.verify(server('ab'.repeat(32)), AbortSignal.timeout(5000), wording).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiskFerryError);
    expect((err as DiskFerryError).code).toBe('verification-failed');
    expect((err as DiskFerryError).message).toMatch(/server's checksum \(blake2b, 4 MiB blocks\) is (ab){32}, but the local image's is [0-9a-f]{64}\. Nothing was kept\./);
  });

  describe('a checksum asked for early (askServerEarly, a download)', () => {
    /** A server stand-in that counts its checksum requests and fails the first `failures` of them. */
    const counting = (checksum: string, failures = 0) => {
      const asked: AbortSignal[] = [];
      const s: ChecksumServer = {
        ...server(checksum),
        checksum: async (o, signal) => {
          asked.push(signal);
          if (asked.length <= failures) throw new DiskFerryError('network', 'the connection was reset', { retryable: true });
          return { algorithm: o.algorithm ?? 'blake2b', blockSize: o.blockSize ?? 4 * MiB, checksum };
        },
      };
      return { s, asked };
    };
    const zeroDigest = async () => {
      const h = await Blkhash.create();
      h.zero(MiB);
      return h.digest();
    };
    const zeros = async () => {
      const d = await TransferDigest.create(MiB);
      d.addZeroRanges([{ start: 0, length: MiB, zero: true }]);
      return d;
    };

    it('asks once and verify() takes that answer; a second data phase does not ask again', async () => {
      const { s, asked } = counting(await zeroDigest());
      const d = await zeros();
      d.askServerEarly(s, AbortSignal.timeout(5000));
      d.askServerEarly(s, AbortSignal.timeout(5000));
      expect(asked).toHaveLength(1);
      expect(await d.verify(s, AbortSignal.timeout(5000), wording)).toMatchObject({ verified: true });
      expect(asked).toHaveLength(1);
    });

    it('asks again, in verify(), when the early request failed', async () => {
      const { s, asked } = counting(await zeroDigest(), 1);
      const d = await zeros();
      d.askServerEarly(s, AbortSignal.timeout(5000));
      await new Promise((r) => setImmediate(r));
      expect(asked).toHaveLength(1);
      expect(await d.verify(s, AbortSignal.timeout(5000), wording)).toMatchObject({ verified: true });
      expect(asked).toHaveLength(2);
    });

    it('asks again after a pause aborted the early request, with the new data phase', async () => {
      const { s, asked } = counting(await zeroDigest());
      const d = await zeros();
      const paused = new AbortController();
      let aborted: (() => void) | null = null;
      const slow: ChecksumServer = {
        ...s,
        checksum: (o, signal) =>
          signal === paused.signal
            ? new Promise((_, reject) => (aborted = () => reject(new DiskFerryError('cancelled', 'paused', { retryable: false }))))
            : s.checksum(o, signal),
      };
      d.askServerEarly(slow, paused.signal);
      paused.abort();
      aborted!();
      await new Promise((r) => setImmediate(r));
      d.askServerEarly(slow, AbortSignal.timeout(5000)); // the data phase after the resume
      expect(asked).toHaveLength(1); // asked by the new data phase, not left to verify()
      expect(await d.verify(slow, AbortSignal.timeout(5000), wording)).toMatchObject({ verified: true });
      expect(asked).toHaveLength(1);
    });

    it('asks nothing of a server without the checksum feature', async () => {
      const { asked } = counting('');
      const d = await zeros();
      const none: ChecksumServer = { ...server(null), checksum: async () => { asked.push(AbortSignal.abort()); throw new Error('not asked'); } };
      d.askServerEarly(none, AbortSignal.timeout(5000));
      expect(asked).toHaveLength(0);
      expect(await d.verify(none, AbortSignal.timeout(5000), wording)).toMatchObject({ verified: null });
    });
  });
});
