import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { asDiskFerryError, asError, DiskFerryError, errorCode, errorMessage } from '../../main/engine/errors.js';

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

describe('asError and asDiskFerryError', () => {
  it('keep an Error as it is and wrap anything else, keeping it as the cause', () => {
    const err = new TypeError('bad');
    expect(asError(err)).toBe(err);
    const wrapped = asError({ reason: 'odd' });
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toBe('[object Object]');
    expect(wrapped.cause).toEqual({ reason: 'odd' });
  });

  it('map file system codes to what the user can do, and anything else to internal', async () => {
    const enoent: unknown = await stat('/nonexistent/diskferry').catch((e: unknown) => e);
    const io = asDiskFerryError(enoent);
    expect([io.code, io.retryable]).toEqual(['io', false]);
    expect(io.message).toMatch(/^File system error: ENOENT: no such file or directory/);
    expect(io.cause).toBe(enoent);
    expect(asDiskFerryError(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })).code).toBe('disk-full');
    expect(asDiskFerryError(Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES' })).message).toBe(
      "Permission denied: EACCES: permission denied, open '/x'. Check the file and folder permissions.",
    );
    expect(asDiskFerryError({ code: 'EPERM' }).message).toBe('Permission denied: EPERM. Check the file and folder permissions.');
    const internal = asDiskFerryError('boom');
    expect([internal.code, internal.message]).toEqual(['internal', 'Unexpected error: boom']);
    const same = new DiskFerryError('timeout', 'Too slow.');
    expect(asDiskFerryError(same)).toBe(same);
  });
});
