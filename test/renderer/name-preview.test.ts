import { describe, expect, it } from 'vitest';
import { previewFileName, unknownPlaceholders } from '../../renderer/lib/name-preview.js';

const disk = { name: 'web-01-disk1', id: '1b2c', vmNames: [] };
const now = Date.UTC(2025, 5, 1, 12);

describe('download file name preview', () => {
  it('expands the placeholders', () => {
    expect(previewFileName('{disk}.{ext}', disk, 'raw', now)).toBe('web-01-disk1.raw');
    expect(previewFileName('{date}_{id}.{ext}', disk, 'qcow2', now)).toBe('2025-06-01_1b2c.qcow2');
  });

  it('uses the first VM of the disk, and drops {vm} with its separator for a floating disk', () => {
    expect(previewFileName('{vm}-{disk}.{ext}', { ...disk, vmNames: ['web-01', 'web-02'] }, 'raw', now)).toBe('web-01-web-01-disk1.raw');
    expect(previewFileName('{vm}-{disk}.{ext}', disk, 'raw', now)).toBe('web-01-disk1.raw');
    expect(previewFileName('{vm}-{disk}.{ext}', { ...disk, vmNames: null }, 'raw', now)).toBe('web-01-disk1.raw');
  });

  it('replaces unsafe characters and adds a missing extension', () => {
    expect(previewFileName('a:b:{disk}', disk, 'raw', now)).toBe('a_b_web-01-disk1.raw');
    expect(previewFileName('..{disk}', { name: '', id: 'x1', vmNames: [] }, 'raw', now)).toBe('_x1.raw');
  });

  it('shows the folders {vm}/{disk} makes: one per VM, no-vm for a floating disk', () => {
    expect(previewFileName('{vm}/{disk}', { ...disk, vmNames: ['web-01'] }, 'raw', now)).toBe('web-01/web-01-disk1.raw');
    expect(previewFileName('{vm}/{disk}', disk, 'qcow2', now)).toBe('no-vm/web-01-disk1.qcow2');
  });

  it('names unknown placeholders', () => {
    expect(unknownPlaceholders('{name}-{disk}.{ext}')).toEqual(['name']);
    expect(unknownPlaceholders('{disk}.{ext}')).toEqual([]);
  });
});
