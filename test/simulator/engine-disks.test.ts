import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, waitFor, type Harness } from './engine-harness.js';

type Json = Record<string, unknown>;
const GiB = 1024 ** 3;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ version: '4.5' });
});
afterAll(async () => h.close());

let n = 0;
function disk(over: Json = {}, sd: Json = { name: 'data-nfs' }): Json {
  n++;
  return { name: `t-${n}`, provisioned_size: GiB, format: 'raw', storage_domains: { storage_domain: [sd] }, ...over };
}

async function addOk(body: Json): Promise<Json> {
  const res = await h.api('POST', '/disks', body);
  expect(res.status, res.text).toBe(202);
  return res.json();
}

async function waitStatus(id: string, status: string): Promise<Json> {
  return waitFor(async () => {
    const d = (await h.api('GET', `/disks/${id}`)).json();
    return d['status'] === status ? d : undefined;
  }, 3000, `disk ${status}`);
}

describe('POST /disks validation', () => {
  test('missing mandatory fields: 400 Incomplete parameters naming them', async () => {
    const none = await h.api('POST', '/disks', { name: 'x' });
    expect(none.status).toBe(400);
    expect(none.json()).toEqual({ reason: 'Incomplete parameters', detail: 'Disk [provisionedSize, format, storageDomains.storageDomain] required for add' });
    const { format: _f, ...noFormat } = disk();
    expect((await h.api('POST', '/disks', noFormat)).json()['detail']).toBe('Disk [format] required for add');
  });

  test('an unknown storage domain name is a 404 with a fault; an unknown id a 400', async () => {
    const byName = await h.api('POST', '/disks', disk({}, { name: 'no-such-sd' }));
    expect(byName.status).toBe(404);
    expect(byName.json()['reason']).toBe('Resource not found');
    const byId = await h.api('POST', '/disks', disk({}, { id: '00000000-0000-0000-0000-000000000000' }));
    expect(byId.status).toBe(400);
    expect(String(byId.json()['detail'])).toMatch(/^\[.*\]$/);
  });

  test.each([
    ['cow preallocated without backup', { format: 'cow', sparse: false }, 'data-nfs', 'COW Preallocated backup-None'],
    ['raw with incremental backup', { format: 'raw', backup: 'incremental' }, 'data-nfs', 'RAW Sparse backup-Incremental'],
    ['raw sparse on block storage', { format: 'raw', sparse: true }, 'data-iscsi', 'RAW Sparse backup-None'],
  ])('%s → 400 DISK_CONFIGURATION_NOT_SUPPORTED', async (_name, over, sd, cfg) => {
    const res = await h.api('POST', '/disks', disk(over, { name: sd }));
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      reason: 'Operation Failed',
      detail: `[Cannot add Virtual Disk. Disk configuration (${cfg}) is incompatible with the storage domain type.]`,
    });
  });

  test.each([
    ['cow preallocated with incremental backup', { format: 'cow', sparse: false, backup: 'incremental' }, 'data-nfs'],
    ['raw preallocated on block', { format: 'raw', sparse: false }, 'data-iscsi'],
    ['cow sparse on block', { format: 'cow', sparse: true, initial_size: 64 * 1024 ** 2 }, 'data-iscsi'],
  ])('%s is accepted', async (_name, over, sd) => {
    await addOk(disk(over, { name: sd }));
  });

  test('the domain must be active: 409 STATUS_ILLEGAL2 for maintenance and unattached', async () => {
    const maint = await h.api('POST', '/disks', disk({}, { name: 'data-maint' }));
    expect(maint.status).toBe(409);
    expect(maint.json()['detail']).toBe("[Cannot add Virtual Disk. The relevant Storage Domain's status is Maintenance.]");
    expect((await h.api('POST', '/disks', disk({}, { name: 'data-spare' }))).status).toBe(409);
  });

  test('an ISO domain takes no disks', async () => {
    expect((await h.api('POST', '/disks', disk({}, { name: 'iso-old' }))).status).toBe(400);
  });

  test('space: below the critical blocker, or a preallocated disk too big, gives 409 low disk space', async () => {
    const full = await h.api('POST', '/disks', disk({}, { name: 'data-full' }));
    expect(full.status).toBe(409);
    expect(full.json()['detail']).toBe('[Cannot add Virtual Disk. Low disk space on Storage Domain data-full.]');
    const big = await h.api('POST', '/disks', disk({ provisioned_size: 2000 * GiB, sparse: false }));
    expect(big.status).toBe(409);
  });

  test('bad enum values are 400', async () => {
    expect((await h.api('POST', '/disks', disk({ format: 'qcow2' }))).status).toBe(400);
    expect((await h.api('POST', '/disks', disk({ sparse: 'maybe' }))).status).toBe(400);
  });

  test('an id that already exists is refused', async () => {
    const d = await addOk(disk());
    expect((await h.api('POST', '/disks', disk({ id: d['id'] }))).status).toBe(409);
  });
});

describe('disk lifecycle', () => {
  test('202, Location, locked, then ok; the volume exists with the virtual size', async () => {
    const res = await h.api('POST', '/disks', disk({ name: 'life-1', provisioned_size: String(3 * GiB), sparse: 'TRUE' }));
    expect(res.status).toBe(202);
    const d = res.json();
    expect(res.headers['location']).toMatch(new RegExp(`/ovirt-engine/api/disks/${String(d['id'])}$`));
    expect(d['status']).toBe('locked');
    expect(d['provisioned_size']).toBe(String(3 * GiB));
    expect(d['sparse']).toBe('true');
    expect(d['format']).toBe('raw');
    expect(d['content_type']).toBe('data');
    expect(d['backup']).toBe('none');
    expect(((d['storage_domains'] as Json)['storage_domain'] as Json[])[0]!['id']).toBeTypeOf('string');
    expect(h.images.get(String(d['id']))?.size).toBe(3 * GiB);
    await waitStatus(String(d['id']), 'ok');
  });

  test('Expect: 201-created gives 201', async () => {
    // undici refuses to send Expect, so this one goes through node:https.
    const token = await h.token();
    const body = JSON.stringify(disk());
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: h.engine.port,
          method: 'POST',
          path: '/ovirt-engine/api/disks',
          ca: h.pki.caPem,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json', expect: '201-created', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(201);
  });

  test('sparse defaults to true; booleans accept 0/1; ISO content type', async () => {
    expect((await addOk(disk()))['sparse']).toBe('true');
    expect((await addOk(disk({ sparse: 0 })))['sparse']).toBe('false');
    expect((await addOk(disk({ content_type: 'iso' })))['content_type']).toBe('iso');
  });

  test('sparse cow on block storage reports its initial size as actual size', async () => {
    const d = await addOk(disk({ format: 'cow', initial_size: 128 * 1024 ** 2 }, { name: 'data-iscsi' }));
    expect(d['actual_size']).toBe(String(128 * 1024 ** 2));
    expect(h.engine.state.disks.get(String(d['id']))?.initialSize).toBe(128 * 1024 ** 2);
  });

  test('search: name=, name=prefix*, status=, storage=; max', async () => {
    const a = await addOk(disk({ name: 'srch-alpha' }));
    await addOk(disk({ name: 'srch-beta', sparse: false }, { name: 'data-iscsi' }));
    await addOk(disk({ name: 'srch-gamma', format: 'cow' }, { name: 'data-iscsi' }));
    const names = async (q: string) => (((await h.api('GET', `/disks?search=${encodeURIComponent(q)}`)).json()['disk'] as Json[] | undefined) ?? []).map((d) => d['name']);
    expect(await names('name=srch-alpha')).toEqual(['srch-alpha']);
    expect(await names('name=srch-*')).toEqual(['srch-alpha', 'srch-beta', 'srch-gamma']);
    expect(await names('name=srch-* and storage=data-iscsi and format=cow')).toEqual(['srch-gamma']);
    await waitStatus(String(a['id']), 'ok');
    expect(await names('name=srch-alpha and status=ok')).toEqual(['srch-alpha']);
    expect(await names('name=nothing-like-this')).toEqual([]);
    expect(((await h.api('GET', '/disks?max=1')).json()['disk'] as Json[]).length).toBe(1);
  });

  test('DELETE: 409 while locked; then locked and gone; the volume is removed', async () => {
    const d = await addOk(disk());
    const id = String(d['id']);
    const early = await h.api('DELETE', `/disks/${id}`);
    expect(early.status).toBe(409);
    expect(String(early.json()['detail'])).toContain('The following disks are locked');
    await waitStatus(id, 'ok');
    const del = await h.api('DELETE', `/disks/${id}`);
    expect(del.status).toBe(200);
    expect((await h.api('GET', `/disks/${id}`)).json()['status']).toBe('locked');
    await waitFor(async () => ((await h.api('GET', `/disks/${id}`)).status === 404 ? true : undefined));
    expect(h.images.get(id)).toBeUndefined();
    expect((await h.api('DELETE', `/disks/${id}`)).status).toBe(404);
  });

  test('DELETE of a disk being transferred: 409 "is being transferred"', async () => {
    const d = await addOk(disk({ name: 'xfer-del' }));
    await waitStatus(String(d['id']), 'ok');
    expect((await h.api('POST', '/imagetransfers', { disk: { id: d['id'] } })).status).toBe(201);
    const res = await h.api('DELETE', `/disks/${String(d['id'])}`);
    expect(res.status).toBe(409);
    expect(res.json()['detail']).toBe('[Cannot remove Virtual Disk. Disk xfer-del is being transferred.]');
  });
});

describe('4.1 disks', () => {
  test('no content_type, backup or total_size in the output; backup is ignored on input', async () => {
    const old = await startHarness({ version: '4.1' });
    try {
      const res = await old.api('POST', '/disks', { name: 'old', provisioned_size: GiB, format: 'raw', storage_domains: { storage_domain: [{ name: 'data-nfs' }] } });
      expect(res.status).toBe(202);
      const d = res.json();
      expect(d['content_type']).toBeUndefined();
      expect(d['backup']).toBeUndefined();
      expect(d['total_size']).toBeUndefined();
      expect(d['provisioned_size']).toBe(String(GiB));
    } finally {
      await old.close();
    }
  });
});
