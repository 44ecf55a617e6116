/** The upload rules, each pinned once: every host (app plan, app queue, CLI, the run) asks these functions. */
import { describe, expect, it } from 'vitest';
import { acceptsUploads, checkUploadDomain, checkUploadSpace, defaultDiskName, diskFormatFor, planUpload, qcow2SizeEstimate, uploadLayout, uploadRoom, uploadSpaceNeeded } from '../../../main/engine/plan/upload-rules.js';
import type { EngineVersion } from '../../../main/engine/ovirt/types.js';

const version = (major: number, minor: number): EngineVersion => ({ major, minor, build: 0, revision: 0, full: `${major}.${minor}.0` });
const nfs = { name: 'data-nfs', isBlock: false };
const iscsi = { name: 'data-iscsi', isBlock: true };

describe('upload rules', () => {
  it('names the disk after the file without its extension', () => {
    expect(defaultDiskName('fedora-40.qcow2')).toBe('fedora-40');
    expect(defaultDiskName('/images/web.01.raw')).toBe('web.01');
    expect(defaultDiskName('README')).toBe('README');
    expect(defaultDiskName('.raw')).toBe('.raw');
  });

  it('puts an ISO into a raw disk whatever was asked; qcow2 defaults to cow, raw to raw', () => {
    expect(diskFormatFor('iso', 'cow')).toBe('raw');
    expect(diskFormatFor('qcow2')).toBe('cow');
    expect(diskFormatFor('qcow2', 'raw')).toBe('raw');
    expect(diskFormatFor('raw')).toBe('raw');
    expect(diskFormatFor('raw', 'cow')).toBe('cow');
  });

  it('preallocates ISO images and raw disks on block storage, and says so for the latter', () => {
    expect(uploadLayout('iso', { diskFormat: 'cow' }, nfs)).toEqual({ format: 'raw', sparse: false, notes: ['ISO images are uploaded as raw disks.'] });
    expect(uploadLayout('raw', {}, iscsi)).toEqual({ format: 'raw', sparse: false, notes: ['data-iscsi is block storage, where raw disks are always preallocated.'] });
    expect(uploadLayout('raw', { preallocated: true }, iscsi).notes).toEqual([]);
    expect(uploadLayout('qcow2', {}, iscsi)).toEqual({ format: 'cow', sparse: true, notes: [] });
    expect(uploadLayout('raw', {}, nfs)).toEqual({ format: 'raw', sparse: true, notes: [] });
  });

  it('takes uploads only on active data domains, refusing others in words', () => {
    expect(acceptsUploads({ type: 'data', status: 'active' })).toBe(true);
    expect(acceptsUploads({ type: 'iso', status: 'active' })).toBe(false);
    expect(acceptsUploads({ type: 'data', status: 'maintenance' })).toBe(false);
    expect(() => checkUploadDomain({ name: 'iso-old', type: 'iso', status: 'active' })).toThrow(/iso-old is not a data domain/);
    expect(() => checkUploadDomain({ name: 'data-maint', type: 'data', status: 'preparing_for_maintenance' })).toThrow(/data-maint is not active \(its status: preparing for maintenance\)/);
    expect(() => checkUploadDomain({ name: 'data-nfs', type: 'data', status: 'active' })).not.toThrow();
  });

  it('plans the run by the same rules, with what the engine version allows', () => {
    const probe = { name: 'web.qcow2', format: 'qcow2' as const, virtualSize: 1 << 30, fileSize: 1 << 20, mtimeMs: 0 };
    const v45 = version(4, 5);
    expect(planUpload(probe, {}, iscsi, v45, 1 << 20)).toMatchObject({ diskName: 'web', format: 'cow', sparse: true, transferFormat: 'raw', backup: 'incremental' });
    expect(planUpload(probe, { diskName: 'x', diskFormat: 'raw' }, iscsi, v45, 1 << 20)).toMatchObject({ diskName: 'x', format: 'raw', sparse: false });
    expect(() => planUpload(probe, { diskFormat: 'raw' }, nfs, version(4, 1), null)).toThrow(/cannot convert qcow2 to a raw disk/);
  });

  describe('space on the storage domain', () => {
    const GiB = 1024 ** 3;
    it('counts what the disk takes there: a preallocated disk its virtual size, a thin one its data, cow with its tables', () => {
      expect(uploadSpaceNeeded({ format: 'raw', sparse: false }, 4 * GiB, 100)).toBe(4 * GiB);
      expect(uploadSpaceNeeded({ format: 'raw', sparse: true }, 4 * GiB, GiB)).toBe(GiB);
      expect(uploadSpaceNeeded({ format: 'cow', sparse: true }, 4 * GiB, GiB)).toBe(qcow2SizeEstimate(4 * GiB, GiB));
      expect(uploadSpaceNeeded({ format: 'cow', sparse: true }, 4 * GiB, GiB)).toBeGreaterThan(GiB);
      expect(uploadSpaceNeeded({ format: 'cow', sparse: false }, 4 * GiB, 0)).toBeGreaterThan(4 * GiB);
      // Data is never more than the disk: a raw file larger than its guest (an ISO's padding) counts the guest.
      expect(uploadSpaceNeeded({ format: 'raw', sparse: true }, GiB, 2 * GiB)).toBe(GiB);
    });

    it('gives no room below the critical space threshold, the free space above it, and null when unknown', () => {
      expect(uploadRoom({ available: 3 * GiB, criticalSpace: 5 * GiB })).toBe(0);
      expect(uploadRoom({ available: 30 * GiB, criticalSpace: 5 * GiB })).toBe(30 * GiB);
      expect(uploadRoom({ available: 3 * GiB, criticalSpace: null })).toBe(3 * GiB);
      expect(uploadRoom({ available: null, criticalSpace: 5 * GiB })).toBeNull();
    });

    it('refuses, as domain-full with the numbers and the way out, a disk that does not fit', () => {
      const full = { name: 'data-full', available: 3 * GiB, criticalSpace: 5 * GiB };
      expect(() => checkUploadSpace(full, 1, 'tiny.raw')).toThrow(expect.objectContaining({ code: 'domain-full', message: expect.stringMatching(/data-full has 3\.0 GiB free, below its critical space threshold of 5\.0 GiB.*Choose another storage domain/) }));
      const roomy = { ...full, criticalSpace: 0 };
      expect(() => checkUploadSpace(roomy, 4 * GiB, 'big.raw')).toThrow(expect.objectContaining({ code: 'domain-full', message: expect.stringMatching(/data-full has 3\.0 GiB free, not enough for big\.raw \(4\.0 GiB\)/) }));
      expect(() => checkUploadSpace(roomy, 3 * GiB, 'fits.raw')).not.toThrow();
      expect(() => checkUploadSpace({ name: 'x', available: null, criticalSpace: null }, 100 * GiB, 'unknown.raw')).not.toThrow();
    });
  });
});
