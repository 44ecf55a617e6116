/**
 * blkhash on the hash thread: the same digest as the sequential reference, whatever the order and
 * size of the pieces; the thread's buffer pool is bounded and refuses more than it holds.
 */
import { randomBytes } from 'node:crypto';
import { createBLAKE2b } from 'hash-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { BlkhashAccumulator } from '../../../main/engine/image/blkhash-accumulator.js';
import { Blkhash } from '../../../main/engine/image/blkhash.js';
import { BlkhashThread } from '../../../main/engine/image/blkhash-thread.js';
import { hashThreadWanted } from '../../../main/engine/image/verify.js';

const MiB = 1024 * 1024;
const threads: BlkhashThread[] = [];
afterEach(() => {
  for (const t of threads.splice(0)) t.close();
});

describe('BlkhashThread', () => {
  it('updates a saved BLAKE2b-256 state exactly as the calling thread would', async () => {
    const data = randomBytes(3 * MiB + 7);
    const h = await createBLAKE2b(256);
    h.init();
    const start = h.save();
    h.update(data);
    const expected = h.digest('hex');

    const thread = new BlkhashThread(4 * MiB);
    threads.push(thread);
    const chunk = thread.copy(data)!;
    data.fill(0); // the caller's buffer may be reused at once: the chunk holds a copy
    const state = await thread.update(start, chunk);
    h.load(state);
    expect(h.digest('hex')).toBe(expected);
  });

  it('holds at most four buffers: a fifth copy is refused unless forced', () => {
    const thread = new BlkhashThread(1024);
    threads.push(thread);
    const data = new Uint8Array(1024);
    const chunks = [1, 2, 3, 4].map(() => thread.copy(data));
    expect(chunks.every((c) => c !== null && c.pooled)).toBe(true);
    expect(thread.copy(data)).toBeNull();
    expect(thread.copy(data, true)).toMatchObject({ pooled: false, length: 1024 });
    thread.release(chunks[0]!);
    expect(thread.copy(data)).toMatchObject({ pooled: true });
  });
});

describe('BlkhashAccumulator with the hash thread', () => {
  it('gives the sequential digest for shuffled, unaligned pieces', async () => {
    const size = 21 * MiB + 4321;
    const bytes = randomBytes(size);
    bytes.fill(0, 8 * MiB, 12 * MiB); // a whole zero block inside the data
    const seq = await Blkhash.create();
    seq.update(bytes);

    const acc = await BlkhashAccumulator.create(size, { thread: true });
    const pieces: Array<[number, number]> = [];
    for (let pos = 0; pos < size; ) {
      const end = Math.min(size, pos + 1 + Math.floor(Math.random() * 3 * MiB));
      pieces.push([pos, end]);
      pos = end;
    }
    for (let i = pieces.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
    }
    const scratch = Buffer.alloc(3 * MiB);
    for (const [start, end] of pieces) {
      // One reused buffer, overwritten after each add, as a download's piece buffers are.
      bytes.copy(scratch, 0, start, end);
      acc.add(start, scratch.subarray(0, end - start));
      scratch.fill(0xff);
      await new Promise((r) => setImmediate(r));
    }
    expect(await acc.digest()).toBe(seq.digest());
  });
});

describe('BlkhashAccumulator, zero blocks sent as data', () => {
  it.each([false, true])('gives the sequential digest when whole blocks of data are zeros (thread: %s)', async (thread) => {
    const size = 10 * MiB + 99; // a short last block, zero too
    const bytes = randomBytes(size);
    bytes.fill(0, 4 * MiB, 8 * MiB);
    bytes.fill(0, 5, 4096); // zeros that are not a whole block
    bytes.fill(0, 8 * MiB); // the last, shorter block
    const seq = await Blkhash.create();
    seq.update(bytes);
    const acc = await BlkhashAccumulator.create(size, { thread });
    for (let pos = 0; pos < size; pos += 4 * MiB) acc.add(pos, bytes.subarray(pos, Math.min(size, pos + 4 * MiB)));
    expect(await acc.digest()).toBe(seq.digest());
  });
});

describe('when verification hashes on a thread', () => {
  it('only when DISKFERRY_HASH_THREAD=1 asks for it', () => {
    expect(hashThreadWanted({})).toBe(false);
    expect(hashThreadWanted({ DISKFERRY_HASH_THREAD: '1' })).toBe(true);
    expect(hashThreadWanted({ DISKFERRY_HASH_THREAD: '0' })).toBe(false);
    expect(hashThreadWanted({ DISKFERRY_HASH_THREAD: 'yes' })).toBe(false);
  });
});
