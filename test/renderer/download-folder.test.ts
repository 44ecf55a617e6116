import { describe, expect, it } from 'vitest';
import { folderNotes } from '../../renderer/lib/download-folder.js';

const GiB = 1024 ** 3;
const exfat = { fileSystem: 'exFAT', sparse: false, network: false, freeBytes: 800 * GiB };

describe('the download plan on its folder', () => {
  it('says nothing before the core answered', () => {
    expect(folderNotes(null, 'raw', 500 * GiB)).toEqual([]);
  });

  it('shows the free space of a folder that holds sparse files, without judging it', () => {
    expect(folderNotes({ fileSystem: 'NTFS', sparse: true, network: false, freeBytes: GiB }, 'raw', 500 * GiB)).toEqual([{ key: 'download.freeSpace', bytes: GiB, warning: false }]);
  });

  it('warns that a raw download to exFAT writes the whole size', () => {
    expect(folderNotes(exfat, 'raw', 500 * GiB)).toEqual([
      { key: 'download.notSparse', fs: 'exFAT', bytes: 500 * GiB, warning: true },
      { key: 'download.freeSpace', bytes: 800 * GiB, warning: false },
    ]);
  });

  it('says when the whole size does not fit, and a qcow2 download then needs no warning', () => {
    const small = { ...exfat, freeBytes: 100 * GiB };
    expect(folderNotes(small, 'raw', 500 * GiB).map((n) => n.key)).toEqual(['download.notSparse', 'download.tooSmall']);
    expect(folderNotes(small, 'qcow2', 500 * GiB)).toEqual([{ key: 'download.freeSpace', bytes: 100 * GiB, warning: false }]);
  });

  it('says "may not" for a network share', () => {
    expect(folderNotes({ fileSystem: 'SMB share', sparse: false, network: true, freeBytes: null }, 'raw', GiB)).toEqual([{ key: 'download.mayNotSparse', fs: 'SMB share', bytes: GiB, warning: true }]);
  });
});
