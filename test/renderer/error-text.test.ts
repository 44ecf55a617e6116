/** An error from main in the window's language: our sentence translated by its code, the engine's own words kept as the engine's. */
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import type { ErrorInfo } from '../../shared/errors.js';
import { en } from '../../renderer/i18n/en.js';
import { ja } from '../../renderer/i18n/ja.js';
import { errorReason } from '../../renderer/lib/error-text.js';
import { httpError } from '../../main/engine/ovirt/engine-errors.js';

async function translator(lng: 'en' | 'ja') {
  const i = i18next.createInstance();
  await i.init({ lng, resources: { en: { translation: en }, ja: { translation: ja } }, interpolation: { escapeValue: false } });
  return i.t.bind(i) as (key: string, params?: Record<string, unknown>) => string;
}

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
});
