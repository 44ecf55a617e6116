import { describe, expect, it } from 'vitest';
import { Blkhash } from '../../../main/engine/image/blkhash.js';

const MiB = 1024 * 1024;

async function hashOf(parts: Array<Uint8Array | number>, opts: Parameters<typeof Blkhash.create>[0] = {}): Promise<string> {
  const h = await Blkhash.create(opts);
  for (const p of parts) {
    if (typeof p === 'number') h.zero(p);
    else h.update(p);
  }
  return h.digest();
}

// Test vectors of reference/imageio.md §6.2.
describe('blkhash', async () => {
  it('hashes an empty image', async () => {
    expect(await hashOf([])).toBe('0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
    expect(await hashOf([], { algorithm: 'sha256' })).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes zeros the same whether fed as bytes or as zero runs', async () => {
    const expected = '17836e1ad3e6b310afd84ca98acc7db488700832a2ba565d060ae2ef49b0e8f3';
    expect(await hashOf([new Uint8Array(MiB)])).toBe(expected);
    expect(await hashOf([MiB])).toBe(expected);
    expect(await hashOf([MiB], { algorithm: 'sha256' })).toBe('599d71033d700ac892a0e48fa61b125d2f59941bb45da1909444d43c6ee0bab2');
  });

  it('hashes a partial last block', async () => {
    expect(await hashOf([4 * MiB + 1])).toBe('b25edc682573ea136a500d208a75fd6e327fda7b7f6d083bcd77fc1d6647bc1f');
    expect(await hashOf([new Uint8Array(MiB), 3 * MiB + 1], { algorithm: 'sha256' })).toBe(
      '14a4d47f23a30177885d9820122f17d2d3a55fe63f7f5c27b95f689e0b2accd6',
    );
  });

  it('hashes data with 4 MiB and 1 MiB blocks', async () => {
    const a = new Uint8Array(8 * MiB).fill(0x61);
    expect(await hashOf([a])).toBe('76d1af83611e66d863269b6168e9e728d0f33fa2f1419862681a5b2cc75db888');
    expect(await hashOf([a], { algorithm: 'sha256' })).toBe('941162ca0d3fcd4e4b5bcaf179e3a156ae2b66b39e87993a7e626e61938ab2c9');
    expect(await hashOf([a], { blockSize: MiB })).toBe('cf3bf66d2e44cbe9c8c3d52688ad9fc50119d12930804496db8b2b4aa0c4b697');
  });

  it('hashes mixed data and zero runs fed in odd pieces', async () => {
    const head = new Uint8Array(4096).fill(0x78);
    const tail = new TextEncoder().encode('end');
    const zeros = 8 * MiB - 4096;
    const parts = [head.subarray(0, 100), head.subarray(100), 12345, zeros - 12345, tail];
    expect(await hashOf(parts)).toBe('402b741506bc64b2432a7c2fb55ab3188ffb26cf512b8e719bb8b3714db88789');
    expect(await hashOf(parts, { algorithm: 'sha256' })).toBe('fe3ede295105101d0f1c05c6dde64ad4f0c5cf754e39ea5ceffa041805029ea2');
    expect(await hashOf(parts, { algorithm: 'blake2s' })).toBe('798f4efe10e45b693e28dea487a424f971188da8503b46bfdabc1f61eaea4a88');
  });
});
