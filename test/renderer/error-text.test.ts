/** An error from main in the window's language: our sentence translated by its code, the engine's own words kept as the engine's. */
import { describe, expect, it } from 'vitest';
import type { ErrorInfo } from '../../shared/errors.js';
import { en } from '../../renderer/i18n/en.js';
import { ja } from '../../renderer/i18n/ja.js';
import { errorReason } from '../../renderer/lib/error-text.js';
import { httpError } from '../../main/engine/ovirt/engine-errors.js';
import { createI18n } from '../../renderer/i18n/setup.js';
import { ERROR_CODES, ERROR_SUBJECT_KINDS } from '../../shared/errors.js';
import { ensureFreeSpace } from '../../main/engine/fs/free-space.js';
import { checkUploadDomain } from '../../main/engine/plan/upload-rules.js';
import { DiskFerryError } from '../../main/engine/errors.js';
import { ErrorInfoSchema } from '../../shared/schemas/common.js';

async function translator(lng: 'en' | 'ja') {
  const i = await createI18n(lng, ['en-US']);
  return i.t.bind(i) as (key: string, params?: Record<string, unknown>) => string;
}

/** The placeholders of a sentence ("{{size, bytes}}" → "size"), sorted. */
const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)(?:, \w+)?\}\}/g)].map((m) => m[1]).sort();

describe('errorReason', () => {
  const fault = Buffer.from(JSON.stringify({ reason: 'Operation Failed', detail: '[Cannot add Virtual Disk: Low disk space on Storage Domain data-full.]' }));
  const info: ErrorInfo = httpError(409, fault, { what: 'Creating the disk', where: 'engine:443', secrets: [] }).toInfo();

  it('carries the engine’s own words apart from our sentence', () => {
    expect(info.code).toBe('domain-full');
    expect(info.engineText).toMatch(/Low disk space on Storage Domain data-full/);
    expect(info.message).toMatch(/^Creating the disk failed: the engine answered HTTP 409/);
  });

  it('shows our English sentence as it is in English', async () => {
    expect(errorReason(info, await translator('en'), 'en')).toBe(info.message);
  });

  it('in Japanese, translates our explanation by its code and shows the engine’s words as the engine’s', async () => {
    const text = errorReason(info, await translator('ja'), 'ja');
    expect(text).toContain(ja.error['domain-full']);
    expect(text).toContain('エンジンの応答（原文）');
    expect(text).toContain('Low disk space on Storage Domain data-full');
    expect(text).not.toContain('Creating the disk failed');
  });

  it('has a Japanese explanation for every error code', async () => {
    const { ERROR_CODES } = await import('../../shared/errors.js');
    for (const code of ERROR_CODES) expect(ja.error[code], code).toMatch(/\S/);
    const t = await translator('ja');
    expect(errorReason({ code: 'network', message: 'The engine could not be reached.', retryable: true }, t, 'ja')).toBe(ja.error.network);
  });

  it('has, for every error code, a sentence about its subject with the same placeholders in both languages', () => {
    for (const code of ERROR_CODES) {
      expect(placeholders(en.errorAbout[code]), code).toEqual(['subject']);
      expect(placeholders(ja.errorAbout[code]), code).toEqual(placeholders(en.errorAbout[code]));
    }
    for (const kind of ERROR_SUBJECT_KINDS) {
      expect(placeholders(en.subject[kind]), kind).toEqual(['name']);
      expect(placeholders(ja.subject[kind]), kind).toEqual(['name']);
    }
    expect(placeholders(ja.error.needed)).toEqual(placeholders(en.error.needed));
  });

  it('names in Japanese the domain, the folder and the size the English sentence names', async () => {
    const t = await translator('ja');
    const inactive = (() => {
      try {
        checkUploadDomain({ name: 'data-iscsi', type: 'data', status: 'maintenance' } as Parameters<typeof checkUploadDomain>[0]);
      } catch (err) {
        return err as DiskFerryError;
      }
      throw new Error('the domain was accepted');
    })();
    expect(inactive.message).toContain('data-iscsi');
    const inactiveText = errorReason(ErrorInfoSchema.parse(inactive.toInfo()), t, 'ja');
    expect(inactiveText).toContain('ストレージドメイン「data-iscsi」');

    const full = await ensureFreeSpace('/srv/images', 5 * 1024 ** 3, 'Downloading disk web-01-disk1', async () => 1024 ** 3).catch((e: unknown) => e as DiskFerryError);
    expect(full).toBeInstanceOf(DiskFerryError);
    // The info crosses the bridge through its schema: the subject and the size survive it.
    const info = ErrorInfoSchema.parse((full as DiskFerryError).toInfo());
    expect(info).toMatchObject({ code: 'disk-full', subject: { kind: 'folder', name: '/srv/images' }, needed: 5 * 1024 ** 3 });
    const text = errorReason(info, t, 'ja');
    expect(text).toContain('フォルダー「/srv/images」');
    expect(text).toContain('5 GiB');
    expect(errorReason(info, await translator('en'), 'en')).toBe(info.message);
  });
});
