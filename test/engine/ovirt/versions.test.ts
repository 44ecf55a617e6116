import { describe, expect, it } from 'vitest';
import {
  deletesDiskOnUploadFailure,
  keepsFinishedRows,
  needsClientExtend,
  needsSignedTicket,
  parseVersionText,
  supportsContentType,
  supportsDiskTarget,
  supportsFormat,
  supportsInactivityTimeout,
  supportsTimeoutPolicy,
  versionAtLeast,
} from '../../../main/engine/ovirt/versions.js';

const v = (text: string) => {
  const parsed = parseVersionText(text);
  if (!parsed) throw new Error(`bad version ${text}`);
  return parsed;
};

describe('versionAtLeast', () => {
  it('compares major, minor and build in order', () => {
    expect(versionAtLeast(v('4.4.5'), 4, 4, 5)).toBe(true);
    expect(versionAtLeast(v('4.4.4'), 4, 4, 5)).toBe(false);
    expect(versionAtLeast(v('4.5.0'), 4, 4, 9)).toBe(true);
    expect(versionAtLeast(v('3.9.9'), 4, 0)).toBe(false);
    expect(versionAtLeast(v('5.0'), 4, 9, 9)).toBe(true);
  });
});

describe('parseVersionText', () => {
  it('fills missing parts with 0 and keeps the full text', () => {
    expect(parseVersionText('4.3')).toEqual({ major: 4, minor: 3, build: 0, revision: 0, full: '4.3' });
    expect(parseVersionText('4.5.7.1-1.el9')).toMatchObject({ major: 4, minor: 5, build: 7, revision: 1 });
  });
  it('returns null for text that is no version', () => {
    expect(parseVersionText('latest')).toBeNull();
  });
});

describe('engine generations (protocol.md §1, engine.md §6)', () => {
  it('uses the image target only before 4.2', () => {
    expect(supportsDiskTarget(v('4.1.9'))).toBe(false);
    expect(supportsDiskTarget(v('4.2.0'))).toBe(true);
  });
  it('sends the transfer format from 4.3', () => {
    expect(supportsFormat(v('4.2.8'))).toBe(false);
    expect(supportsFormat(v('4.3.0'))).toBe(true);
  });
  it('sends inactivity_timeout from 4.2.3 and timeout_policy from 4.4.5', () => {
    expect(supportsInactivityTimeout(v('4.2.2'))).toBe(false);
    expect(supportsInactivityTimeout(v('4.2.3'))).toBe(true);
    expect(supportsTimeoutPolicy(v('4.4.4'))).toBe(false);
    expect(supportsTimeoutPolicy(v('4.4.5'))).toBe(true);
  });
  it('sends content_type from 4.2.1', () => {
    expect(supportsContentType(v('4.2.0'))).toBe(false);
    expect(supportsContentType(v('4.2.1'))).toBe(true);
  });
  it('expects finished rows to stay from 4.4.7', () => {
    expect(keepsFinishedRows(v('4.4.6'))).toBe(false);
    expect(keepsFinishedRows(v('4.4.7'))).toBe(true);
    expect(keepsFinishedRows(v('4.3.11'))).toBe(false);
  });
  it('needs client extend and the signed ticket only before 4.2', () => {
    expect(needsClientExtend(v('4.1.9'))).toBe(true);
    expect(needsClientExtend(v('4.2.0'))).toBe(false);
    expect(needsSignedTicket(v('4.1.9'))).toBe(true);
    expect(needsSignedTicket(v('4.5.0'))).toBe(false);
  });
  it('knows that upload failures delete the disk from 4.2.4', () => {
    expect(deletesDiskOnUploadFailure(v('4.2.3'))).toBe(false);
    expect(deletesDiskOnUploadFailure(v('4.2.4'))).toBe(true);
  });
});
