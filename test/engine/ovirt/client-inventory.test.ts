import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../main/simulator/simulator.js';
import { simClient, type TestClient } from './sim-helpers.js';

const GiB = 1024 ** 3;
let sim: Simulator;
let t: TestClient;
beforeAll(async () => {
  sim = await startSimulator({ engineVersion: '4.5', fast: true });
  t = simClient(sim);
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('storage domains', () => {
  it('shows the real status from the data center, not the empty top-level one', async () => {
    const domains = await t.client.storageDomains();
    const byName = new Map(domains.map((d) => [d.name, d]));
    expect(byName.get('data-nfs')?.status).toBe('active');
    expect(byName.get('data-maint')?.status).toBe('maintenance');
    expect(byName.get('data-spare')).toMatchObject({ status: 'unattached', dataCenterId: null });
    expect(t.seen.some((r) => /\/api\/datacenters\/[^/]+\/storagedomains$/.test(r.path))).toBe(true);
  });

  it('marks iSCSI as block storage and reads the sizes as numbers', async () => {
    const sd = await t.client.storageDomain('data-iscsi');
    expect(sd).toMatchObject({ type: 'data', storageType: 'iscsi', isBlock: true, available: 900 * GiB });
    expect((await t.client.storageDomain('data-nfs')).isBlock).toBe(false);
  });

  it('finds a domain by id as well as by name', async () => {
    const byName = await t.client.storageDomain('iso-old');
    expect((await t.client.storageDomain(byName.id)).name).toBe('iso-old');
  });

  it('reports an unknown domain as not-found and lists the known names', async () => {
    const err = await t.client.storageDomain('no-such-domain').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'not-found' });
    expect((err as Error).message).toContain('data-nfs');
  });
});

describe('disks', () => {
  it('lists the seeded disks with string scalars parsed', async () => {
    const disks = await t.client.disks();
    const fedora = disks.find((d) => d.name === 'fedora-40-root');
    expect(fedora).toMatchObject({ provisionedSize: 2 * GiB, format: 'raw', sparse: true, status: 'ok' });
    expect(fedora?.storageDomainIds).toHaveLength(1);
  });

  it('passes the search and max to the engine', async () => {
    const found = await t.client.disks({ search: 'name=fedora*' });
    expect(found.map((d) => d.name)).toEqual(['fedora-40-root']);
    expect(await t.client.disks({ max: 2 })).toHaveLength(2);
    expect(await t.client.disks({ search: 'name=nothing-like-this' })).toEqual([]);
  });

  it('returns null for an unknown disk id', async () => {
    expect(await t.client.disk('6d1f1f59-0000-4000-8000-000000000000')).toBeNull();
  });

  it('creates a disk, waits until it is ok, deletes it and sees it gone', async () => {
    const created = await t.client.createDisk({ name: 'inv-a', description: 'test', provisionedSize: GiB, format: 'cow', sparse: true, storageDomain: { name: 'data-nfs' } });
    expect(created.status).toBe('locked');
    const body = JSON.parse(t.seen.filter((r) => r.method === 'POST' && r.path === '/ovirt-engine/api/disks').at(-1)?.body ?? '{}');
    expect(body).toMatchObject({ name: 'inv-a', format: 'cow', sparse: true, provisioned_size: GiB, storage_domains: { storage_domain: [{ name: 'data-nfs' }] } });
    const ok = await t.client.waitForDiskOk(created.id, { timeoutMs: 10_000 });
    expect(ok.status).toBe('ok');
    await t.client.deleteDisk(created.id);
    expect(await t.client.waitForDiskGone(created.id, { timeoutMs: 10_000 })).toBe(true);
    await t.client.deleteDisk(created.id); // unknown now: not an error
  });

  it("surfaces the engine's validation message (cow preallocated without backup)", async () => {
    const err = await t.client
      .createDisk({ name: 'inv-b', provisionedSize: GiB, format: 'cow', sparse: false, storageDomain: { name: 'data-nfs' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'engine-fault', status: 400 });
    expect((err as Error).message).toMatch(/Disk configuration \(COW Preallocated backup-None\) is incompatible with the storage domain type/);
  });

  it('reports a full storage domain as a space problem with the engine text, not as a lock to wait for', async () => {
    const err = await t.client
      .createDisk({ name: 'inv-c', provisionedSize: 100 * GiB, format: 'raw', sparse: false, storageDomain: { name: 'data-full' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'domain-full', status: 409 });
    expect((err as Error).message).toContain('Low disk space on Storage Domain data-full');
    expect((err as Error).message).toMatch(/too little free space: choose another one/);
    expect((err as Error).message).not.toMatch(/locked/);
  });

  it('refuses a size that is not a positive integer before asking the engine', async () => {
    const before = t.seen.length;
    await expect(t.client.createDisk({ name: 'x', provisionedSize: 1.5, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } })).rejects.toMatchObject({
      code: 'bad-input',
    });
    expect(t.seen.length).toBe(before);
  });

  it('fails the wait when the engine removes the disk', async () => {
    const created = await t.client.createDisk({ name: 'inv-d', provisionedSize: GiB, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
    await t.client.waitForDiskOk(created.id, { timeoutMs: 10_000 });
    await t.client.deleteDisk(created.id);
    const err = await t.client.waitForDiskOk(created.id, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'engine-fault' });
    expect((err as Error).message).toMatch(/removed disk/);
  });

  it('reports a disk that stays as not gone at the deadline', async () => {
    const fedora = (await t.client.disks({ search: 'name=fedora-40-root' }))[0]!;
    expect(await t.client.waitForDiskGone(fedora.id, { timeoutMs: 0 })).toBe(false);
  });
});
