import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DiskFerryError, errorCode, errorMessage } from '../../main/engine/errors.js';

describe('errorMessage and errorCode', () => {
  it('read what a real fs error carries', async () => {
    const err: unknown = await stat('/nonexistent/diskferry').catch((e: unknown) => e);
    expect(errorCode(err)).toBe('ENOENT');
    expect(errorMessage(err)).toMatch(/^ENOENT: no such file or directory/);
  });

  it("read a DiskFerryError's code and message", () => {
    const err = new DiskFerryError('disk-full', 'The local disk is full.');
    expect(errorCode(err)).toBe('disk-full');
    expect(errorMessage(err)).toBe('The local disk is full.');
  });

  it('take anything thrown: no code unless a string one, the value as text', () => {
    expect(errorCode(undefined)).toBeUndefined();
    expect(errorCode('ENOENT')).toBeUndefined();
    expect(errorCode({ code: 42 })).toBeUndefined();
    expect(errorCode(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toBe('UND_ERR_SOCKET');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(null)).toBe('null');
  });
});
