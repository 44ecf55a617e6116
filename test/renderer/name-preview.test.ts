import { describe, expect, it } from 'vitest';
import { previewFileName, unknownPlaceholders } from '../../renderer/lib/name-preview.js';

const disk = { name: 'web-01-disk1', id: '1b2c' };
const now = Date.UTC(2025, 5, 1, 12);

describe('download file name preview', () => {
  it('expands the placeholders', () => {
    expect(previewFileName('{disk}.{ext}', disk, 'raw', now)).toBe('web-01-disk1.raw');
    expect(previewFileName('{date}_{id}.{ext}', disk, 'qcow2', now)).toBe('2025-06-01_1b2c.qcow2');
  });

  it('drops an unknown VM name with its separator', () => {
    expect(previewFileName('{vm}-{disk}.{ext}', disk, 'raw', now)).toBe('web-01-disk1.raw');
  });

  it('replaces unsafe characters and adds a missing extension', () => {
    expect(previewFileName('a/b:{disk}', disk, 'raw', now)).toBe('a_b_web-01-disk1.raw');
    expect(previewFileName('..{disk}', { name: '', id: 'x1' }, 'raw', now)).toBe('_x1.raw');
  });

  it('names unknown placeholders', () => {
    expect(unknownPlaceholders('{name}-{disk}.{ext}')).toEqual(['name']);
    expect(unknownPlaceholders('{disk}.{ext}')).toEqual([]);
  });
});
