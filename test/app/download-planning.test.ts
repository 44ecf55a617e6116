/**
 * `transfers:planDownloads`: what the download folder's file system can hold, asked of the OS port
 * the core runs with: this machine's for real, and one whose statfs answers exFAT (the rest of libc
 * real), whose queued downloads then say in the log why they take the disk's whole size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linuxSparseFiles, type LinuxNative } from '../../main/engine/os/linux.js';
import { startCore, until, type CoreHarness } from './helpers.js';

const exfat: () => LinuxNative = () => ({ statfs: async () => ({ type: 0x2011bab0 }), fallocate: () => -1, lseek: () => -1, posix_fadvise: () => 0, errno: () => 95 });

describe.runIf(process.platform === 'linux')('app core: the download plan of a folder', () => {
  let real: CoreHarness;
  let onExfat: CoreHarness;
  beforeAll(async () => {
    [real, onExfat] = await Promise.all([startCore(), startCore({ core: { sparse: linuxSparseFiles(exfat) } })]);
  });
  afterAll(async () => {
    await Promise.all([real?.close(), onExfat?.close()]);
  });

  it('says this machine holds sparse files in a temporary folder, with its free space', async () => {
    const plan = await real.call('transfers:planDownloads', { folder: real.dir });
    expect(plan).toMatchObject({ sparse: true, network: false });
    expect(plan.freeBytes).toBeGreaterThan(0);
  });

  it('knows nothing of a folder that does not exist', async () => {
    expect(await real.call('transfers:planDownloads', { folder: `${real.dir}/no-such-folder` })).toEqual({ fileSystem: null, sparse: true, network: false, freeBytes: null });
  });

  it('says an exFAT folder cannot hold sparse files, and a raw download there says why it takes the whole disk', async () => {
    expect(await onExfat.call('transfers:planDownloads', { folder: onExfat.dir })).toMatchObject({ fileSystem: 'exFAT', sparse: false, network: false });
    await onExfat.call('engines:demo', undefined);
    const disk = (await onExfat.call('catalog:disks', {}))
      .filter((d) => d.status === 'ok' && (d.provisionedSize ?? 0) > 0)
      .sort((a, b) => a.provisionedSize! - b.provisionedSize!)[0]!;
    await onExfat.call('transfers:addDownloads', { diskIds: [disk.id], folder: onExfat.dir, format: 'raw', existing: 'rename' });
    // Said when the run knows the disk's size, before any data moves.
    const note = "The destination's file system (exFAT) cannot hold sparse files: the whole";
    await until(() => onExfat.logLines.some((l) => l.includes(note)), 30_000, 'the note in the log');
    expect(onExfat.logLines.find((l) => l.includes(note))).toMatch(/WARN .*the whole [\d.]+ [KMG]iB will be written\./);
  });
});
