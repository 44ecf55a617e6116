import { describe, expect, it } from 'vitest';
import { expandTemplate, NO_VM_FOLDER, safeFileName, unknownPlaceholders, type NameFields } from '../../shared/file-names.js';

const fields: NameFields = { disk: 'web-01-disk1', id: '1b2c', vm: null, ext: 'raw', now: Date.UTC(2025, 5, 1, 12) };

describe('download file names from a template', () => {
  it('expands the placeholders', () => {
    expect(expandTemplate('{disk}.{ext}', fields)).toBe('web-01-disk1.raw');
    expect(expandTemplate('{date}_{id}.{ext}', { ...fields, ext: 'qcow2' })).toBe('2025-06-01_1b2c.qcow2');
  });

  it('puts the VM name in, or drops an unknown one with its separator', () => {
    expect(expandTemplate('{vm}-{disk}.{ext}', { ...fields, vm: 'web-01' })).toBe('web-01-web-01-disk1.raw');
    expect(expandTemplate('{vm}-{disk}.{ext}', fields)).toBe('web-01-disk1.raw');
    expect(expandTemplate('{disk}_{vm}.{ext}', fields)).toBe('web-01-disk1.raw');
  });

  it('makes a folder of each "/" in the template, never of one in a name, and never outside the output folder', () => {
    expect(expandTemplate('{vm}/{disk}', { ...fields, vm: 'web-01' })).toBe('web-01/web-01-disk1.raw');
    expect(expandTemplate('{vm}/{disk}', fields)).toBe(`${NO_VM_FOLDER}/web-01-disk1.raw`);
    expect(expandTemplate('{vm}/{date}/{disk}.{ext}', { ...fields, vm: 'db' })).toBe('db/2025-06-01/web-01-disk1.raw');
    expect(expandTemplate('{vm}/{disk}', { ...fields, vm: 'a:b/c' })).toBe('a_b_c/web-01-disk1.raw');
    expect(expandTemplate('{disk}', { ...fields, disk: '../etc' })).toBe('__etc.raw');
    expect(expandTemplate('../{disk}', fields)).toBe('_/web-01-disk1.raw');
    expect(expandTemplate('{vm}/{disk}', { ...fields, vm: '..' })).toBe('_/web-01-disk1.raw');
    expect(expandTemplate('/etc//{disk}', fields)).toBe('etc/web-01-disk1.raw');
    expect(expandTemplate('/', fields)).toBe('web-01-disk1.raw');
  });

  it('replaces unsafe characters and adds a missing extension', () => {
    expect(expandTemplate('a\\b:{disk}', fields)).toBe('a_b_web-01-disk1.raw');
    expect(expandTemplate('..{disk}', { ...fields, disk: '', id: 'x1' })).toBe('_x1.raw');
    expect(safeFileName('..hidden')).toBe('_hidden');
    expect(safeFileName('')).toBe('disk');
    expect(safeFileName('a\u0001b')).toBe('a_b');
  });

  it('names unknown placeholders', () => {
    expect(unknownPlaceholders('{name}-{disk}.{ext}')).toEqual(['name']);
    expect(unknownPlaceholders('{disk}.{ext}')).toEqual([]);
  });
});
