import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from './engine-harness.js';
import type { EngineVersion } from '../../main/simulator/engine/server.js';

type Json = Record<string, unknown>;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ version: '4.5' });
});
afterAll(async () => h.close());

async function domains(path = '/storagedomains'): Promise<Json[]> {
  return ((await h.api('GET', path)).json()['storage_domain'] as Json[] | undefined) ?? [];
}

describe('product_info', () => {
  test.each([
    ['4.1', { major: '4', minor: '1', build: '9', revision: '1', full_version: '4.1.9.1-1.el7' }],
    ['4.3', { major: '4', minor: '3', build: '11', revision: '4', full_version: '4.3.11.4-1.el7' }],
    ['4.5', { major: '4', minor: '5', build: '7', revision: '0', full_version: '4.5.7-1.el9' }],
  ] as Array<[EngineVersion, Json]>)('%s reports its version as strings', async (version, expected) => {
    const e = version === '4.5' ? h : await startHarness({ version });
    try {
      const info = (await e.api('GET', '')).json()['product_info'] as Json;
      expect(info['name']).toBe('oVirt Engine');
      expect(info['vendor']).toBe('ovirt.org');
      expect(info['version']).toEqual(expected);
    } finally {
      if (e !== h) await e.close();
    }
  });

  test('/api/v4/... is the same API', async () => {
    expect((await h.api('GET', '/v4')).json()['product_info']).toBeDefined();
    expect((await h.api('GET', '/v4/storagedomains')).json()['storage_domain']).toBeDefined();
  });
});

describe('storage domains', () => {
  test('the seeded domains with type, storage type and sizes as strings', async () => {
    const all = await domains();
    expect(all.map((d) => d['name'])).toEqual(['data-nfs', 'data-iscsi', 'data-maint', 'data-full', 'iso-old', 'data-spare']);
    const nfs = all[0]!;
    expect(nfs['type']).toBe('data');
    expect((nfs['storage'] as Json)['type']).toBe('nfs');
    expect(nfs['available']).toBe(String(1536 * 1024 ** 3));
    expect(nfs['master']).toBe('true');
    expect(nfs['critical_space_action_blocker']).toBe('5');
    expect(nfs['href']).toBe(`/ovirt-engine/api/storagedomains/${String(nfs['id'])}`);
    expect(((all[1]!['storage'] as Json)['type'])).toBe('iscsi');
    expect(all[3]!['available']).toBe(String(3 * 1024 ** 3));
    expect(all[4]!['type']).toBe('iso');
  });

  test('at the top level only an unattached domain shows a status', async () => {
    const all = await domains();
    expect(all.filter((d) => 'status' in d).map((d) => [d['name'], d['status']])).toEqual([['data-spare', 'unattached']]);
  });

  test('the data center lists the attached domains with their real status', async () => {
    const dcs = (await h.api('GET', '/datacenters')).json()['data_center'] as Json[];
    expect(dcs).toHaveLength(1);
    const dc = dcs[0]!;
    expect(dc['name']).toBe('Default');
    expect(dc['status']).toBe('up');
    const attached = await domains(`/datacenters/${String(dc['id'])}/storagedomains`);
    expect(Object.fromEntries(attached.map((d) => [d['name'], d['status']]))).toEqual({
      'data-nfs': 'active',
      'data-iscsi': 'active',
      'data-maint': 'maintenance',
      'data-full': 'active',
      'iso-old': 'active',
    });
    const maint = attached.find((d) => d['name'] === 'data-maint')!;
    const one = (await h.api('GET', `/datacenters/${String(dc['id'])}/storagedomains/${String(maint['id'])}`)).json();
    expect(one['status']).toBe('maintenance');
    expect((one['data_center'] as Json)['id']).toBe(dc['id']);
  });

  test('search by name, exact and with a wildcard; max', async () => {
    expect((await domains('/storagedomains?search=name%3Ddata-iscsi')).map((d) => d['name'])).toEqual(['data-iscsi']);
    expect((await domains('/storagedomains?search=name%3Ddata-*')).length).toBe(5);
    expect((await domains('/storagedomains?search=name%3DDATA-NFS')).length).toBe(0);
    expect((await domains('/storagedomains?search=name%3DDATA-NFS&case_sensitive=false')).length).toBe(1);
    expect((await domains('/storagedomains?max=2')).length).toBe(2);
  });

  test('datacenters?search=storage.name=... finds the data center of a domain', async () => {
    expect((await h.api('GET', '/datacenters?search=storage.name%3Ddata-nfs')).json()['data_center']).toHaveLength(1);
    expect((await h.api('GET', '/datacenters?search=storage.name%3Ddata-spare')).json()).toEqual({});
  });

  test('an empty collection is {}', async () => {
    const sd = (await domains()).find((d) => d['name'] === 'data-maint')!;
    const res = await h.api('GET', `/storagedomains/${String(sd['id'])}/disks`);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
    expect((await h.api('GET', '/imagetransfers')).json()).toEqual({});
  });

  test('unknown ids get 404 with an empty body; unknown paths 404; wrong methods 405', async () => {
    for (const path of ['/storagedomains/nope', '/disks/nope', '/imagetransfers/nope', '/datacenters/nope', '/hosts/nope', '/nothing']) {
      const res = await h.api('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).toBe('');
    }
    expect((await h.api('DELETE', '/storagedomains')).status).toBe(405);
  });

  test('a bad search is a 400 fault', async () => {
    const res = await h.api('GET', '/disks?search=bogus%3D1');
    expect(res.status).toBe(400);
    expect(res.json()['reason']).toBe('Operation Failed');
  });

  test('the host of the data center', async () => {
    const hosts = (await h.api('GET', '/hosts')).json()['host'] as Json[];
    expect(hosts).toHaveLength(1);
    expect(hosts[0]!['status']).toBe('up');
    expect((await h.api('GET', `/hosts/${String(hosts[0]!['id'])}`)).json()['name']).toBe('host-01');
  });
});
