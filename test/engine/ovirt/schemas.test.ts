import { describe, expect, it } from 'vitest';
import type { DiskFerryError } from '../../../main/engine/errors.js';
import {
  parseCollection,
  parseDisk,
  parseEngineVersion,
  parseFault,
  parseImageTransfer,
  parseSsoError,
  parseStorageDomain,
  parseToken,
} from '../../../main/engine/ovirt/schemas.js';

const GiB = 1024 ** 3;

describe('parseEngineVersion', () => {
  it('reads the string numbers of product_info.version', () => {
    const json = { product_info: { name: 'oVirt Engine', version: { build: '7', full_version: '4.5.7-1.el9', major: '4', minor: '5', revision: '0' } } };
    expect(parseEngineVersion(json)).toEqual({ major: 4, minor: 5, build: 7, revision: 0, full: '4.5.7-1.el9' });
  });
  it('builds the full text when full_version is missing', () => {
    expect(parseEngineVersion({ product_info: { version: { major: 4, minor: 1 } } }).full).toBe('4.1.0.0');
  });
  it('throws a protocol error for a body without a version', () => {
    expect(() => parseEngineVersion({ special_objects: {} })).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
});

describe('parseDisk', () => {
  const disk = {
    id: 'd1',
    href: '/ovirt-engine/api/disks/d1',
    alias: 'fedora',
    name: 'fedora',
    actual_size: '1239158784',
    provisioned_size: String(10 * GiB),
    total_size: '1239158784',
    format: 'cow',
    sparse: 'true',
    status: 'ok',
    content_type: 'data',
    storage_type: 'image',
    backup: 'incremental',
    qcow_version: 'qcow2_v3',
    storage_domains: { storage_domain: [{ href: '/x', id: 'sd1' }] },
  };
  it('turns string integers and booleans into numbers and booleans', () => {
    expect(parseDisk(disk)).toMatchObject({ id: 'd1', name: 'fedora', provisionedSize: 10 * GiB, actualSize: 1239158784, sparse: true, format: 'cow', storageDomainIds: ['sd1'] });
  });
  it('gives null for sizes the engine did not report, never -1', () => {
    const d = parseDisk({ id: 'd2', format: 'raw', status: 'locked' });
    expect(d).toMatchObject({ provisionedSize: null, actualSize: null, totalSize: null, contentType: null, storageDomainIds: [], status: 'locked' });
  });
  it('falls back to the alias for the name', () => {
    expect(parseDisk({ id: 'd3', alias: 'only-alias', format: 'raw' }).name).toBe('only-alias');
  });
  it('accepts "FALSE", "0" and JSON booleans', () => {
    expect(parseDisk({ ...disk, sparse: 'FALSE' }).sparse).toBe(false);
    expect(parseDisk({ ...disk, sparse: '0' }).sparse).toBe(false);
    expect(parseDisk({ ...disk, sparse: false }).sparse).toBe(false);
  });
  it('refuses a size beyond 2^53 instead of rounding it', () => {
    expect(() => parseDisk({ ...disk, provisioned_size: '9223372036854775807' })).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
  it('maps an unknown status to null', () => {
    expect(parseDisk({ ...disk, status: 'weird' }).status).toBeNull();
  });
});

describe('parseStorageDomain', () => {
  it('reads block storage, sizes and the data center link; an attached domain has no status at the top level', () => {
    const sd = parseStorageDomain({
      id: 's1',
      name: 'data-iscsi',
      type: 'data',
      storage: { type: 'iscsi' },
      available: String(100 * GiB),
      used: String(2 * GiB),
      committed: '0',
      data_centers: { data_center: [{ id: 'dc1' }] },
    });
    expect(sd).toMatchObject({ isBlock: true, storageType: 'iscsi', available: 100 * GiB, used: 2 * GiB, committed: 0, dataCenterId: 'dc1', reportedStatus: null });
  });
  it('keeps an unknown status as unknown', () => {
    expect(parseStorageDomain({ id: 's2', name: 'n', type: 'data', status: 'exploding' }).reportedStatus).toBe('unknown');
  });
});

describe('parseImageTransfer', () => {
  it('takes the disk id from image.id and keeps the URLs', () => {
    const t = parseImageTransfer({
      id: 't1',
      phase: 'transferring',
      direction: 'download',
      format: 'raw',
      active: 'false',
      transferred: '0',
      inactivity_timeout: '60',
      timeout_policy: 'legacy',
      proxy_url: 'https://engine:54323/images/abc',
      transfer_url: 'https://host:54322/images/abc',
      image: { id: 'disk-1' },
    });
    expect(t).toMatchObject({ diskId: 'disk-1', direction: 'download', active: false, transferred: 0, inactivityTimeout: 60, transferUrl: 'https://host:54322/images/abc' });
  });
  it('keeps an unknown phase verbatim and defaults the direction to upload', () => {
    const t = parseImageTransfer({ id: 't2', phase: 'quantum_tunnelling' }, 'asked-disk');
    expect(t).toMatchObject({ phase: 'quantum_tunnelling', direction: 'upload', diskId: 'asked-disk', transferUrl: null, transferred: null });
  });
});

describe('parseCollection', () => {
  it('treats {} as an empty list', () => {
    expect(parseCollection({}, 'disk', 'the disk list', parseDisk, () => {})).toEqual([]);
  });
  it('skips items that do not parse and reports them', () => {
    const skipped: DiskFerryError[] = [];
    const list = parseCollection({ disk: [{ id: 'a', format: 'raw' }, { id: 'b' }] }, 'disk', 'the disk list', parseDisk, (e) => skipped.push(e));
    expect(list.map((d) => d.id)).toEqual(['a']);
    expect(skipped).toHaveLength(1);
  });
  it('refuses a body that is not an object', () => {
    expect(() => parseCollection([1, 2], 'disk', 'the disk list', parseDisk, () => {})).toThrow(expect.objectContaining({ code: 'protocol' }));
  });
});

describe('SSO answers', () => {
  it('keeps exp = 2^63-1 exact as a bigint', () => {
    const t = parseToken({ access_token: 'tok', token_type: 'bearer', scope: 'ovirt-app-api', exp: '9223372036854775807' });
    expect(t.expiresAt).toBe(9223372036854775807n);
  });
  it('reads the API-scope error shape {error_code, error}', () => {
    expect(parseSsoError({ error_code: 'access_denied', error: "Cannot authenticate user 'admin@internal': bad." })).toEqual({
      code: 'access_denied',
      message: "Cannot authenticate user 'admin@internal': bad.",
    });
  });
  it('reads the other shape {error, error_description}', () => {
    expect(parseSsoError({ error: 'invalid_request', error_description: "Missing parameter: 'Accept Header'" })).toEqual({
      code: 'invalid_request',
      message: "Missing parameter: 'Accept Header'",
    });
  });
  it('does not echo the token of a broken answer', () => {
    try {
      parseToken({ access_token: 42, secret: 'sekret-token-value' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('sekret');
    }
  });
});

describe('parseFault', () => {
  it('reads reason and detail, and rejects other bodies', () => {
    expect(parseFault({ reason: 'Operation Failed', detail: '[Cannot add Virtual Disk.]' })).toEqual({ reason: 'Operation Failed', detail: '[Cannot add Virtual Disk.]' });
    expect(parseFault({ status: 'complete' })).toBeNull();
    expect(parseFault(undefined)).toBeNull();
  });
});
