import { describe, expect, it } from 'vitest';
import { notificationLanguage, notificationTitle } from '../../main/app/notification-text.js';

describe('notification texts', () => {
  it('follow the language setting, or the OS locale when it follows the system', () => {
    expect(notificationLanguage('ja', 'en-US')).toBe('ja');
    expect(notificationLanguage('en', 'ja-JP')).toBe('en');
    expect(notificationLanguage('system', 'ja-JP')).toBe('ja');
    expect(notificationLanguage('system', 'de-DE')).toBe('en');
    expect(notificationLanguage('system', undefined)).toBe('en');
  });

  it('have a title for each ending and none for other states', () => {
    expect(notificationTitle('upload', 'completed', 'en')).toBe('Upload finished');
    expect(notificationTitle('download', 'failed', 'ja')).toBe('ダウンロードに失敗しました');
    expect(notificationTitle('upload', 'cancelled', 'ja')).toBe('アップロードを取り消しました');
    expect(notificationTitle('download', 'transferring', 'en')).toBeNull();
  });
});
