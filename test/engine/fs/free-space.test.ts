import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ensureFreeSpace, freeBytes, FREE_SPACE_MARGIN } from '../../../main/engine/fs/free-space.js';

describe('free space before a download', () => {
  it('reads the free bytes of a real file system', async () => {
    const free = await freeBytes(tmpdir());
    expect(free).not.toBeNull();
    expect(free!).toBeGreaterThan(0);
  });

  it('refuses what does not fit, with the numbers and what to do', async () => {
    const free = (await freeBytes(tmpdir()))!;
    const err = await ensureFreeSpace(tmpdir(), free + 1024 ** 3, 'Downloading big-disk').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'disk-full', retryable: false });
    expect((err as Error).message).toMatch(/^Downloading big-disk needs about .+ more, but .+ has .+ free\. Free some space or choose another folder/);
  });

  it('lets through what fits with the margin, and decides nothing when the size is unknown', async () => {
    await expect(ensureFreeSpace(tmpdir(), 1024 * 1024, 'Downloading small')).resolves.toBeUndefined();
    await expect(ensureFreeSpace(tmpdir(), 100, 'x', async () => FREE_SPACE_MARGIN)).rejects.toMatchObject({ code: 'disk-full' });
    // The data fits but not the margin: the message says the margin, else its numbers contradict it.
    const err = await ensureFreeSpace('/mnt/small', 4 * 1024 ** 2, 'Downloading disk small', async () => 20 * 1024 ** 2).catch((e: unknown) => e);
    expect((err as Error).message).toBe('Downloading disk small needs about 4.00 MiB more and keeps 64.00 MiB free besides (for the file system and other programs), but /mnt/small has 20.00 MiB free. Free some space or choose another folder.');
    await expect(ensureFreeSpace(tmpdir(), 100, 'x', async () => null)).resolves.toBeUndefined();
    await expect(ensureFreeSpace('/no/such/dir', 100, 'x')).resolves.toBeUndefined();
  });
});
