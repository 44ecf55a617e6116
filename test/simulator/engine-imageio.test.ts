/**
 * The engine with the real imageio daemon and proxy and the seeded data center: the data plane
 * behind the URLs the engine hands out, end to end.
 */
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDisk, phaseTrail, phaseTrailOf, startHarness, startTransfer, type Harness } from './engine-harness.js';
import { seedDiskBytes, seedDiskRuns, seedId, verifySignedTicket } from '../../main/simulator/engine/server.js';

type Json = Record<string, unknown>;
const MiB = 1024 * 1024;

let agent: Agent;

async function data(method: string, url: string, o: { headers?: Record<string, string>; body?: Buffer | string } = {}) {
  const res = await request(url, { method: method as 'GET', headers: o.headers ?? {}, body: o.body ?? null, dispatcher: agent });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

describe('4.5 with the real imageio servers and the seed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5', seed: true, realImageio: true });
    agent = new Agent({ connect: { ca: h.pki.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await h.close();
  });

  test('the seeded disks are listed with deterministic ids', async () => {
    const disks = (await h.api('GET', '/disks')).json()['disk'] as Json[];
    expect(disks.map((d) => d['name'])).toEqual(['fedora-40-root', 'db01-disk0', 'web-01-disk1', 'empty-10g', 'vm-running-disk']);
    expect(disks[0]!['id']).toBe(seedId('disk:fedora-40-root'));
    expect(disks.every((d) => d['status'] === 'ok')).toBe(true);
  });

  test('seedDiskBytes recomputes what the seed wrote: runs of 1–8 MiB between zero gaps', async () => {
    for (const name of ['fedora-40-root', 'db01-disk0', 'web-01-disk1', 'vm-running-disk']) {
      const image = h.images.get(seedId(`disk:${name}`))!;
      const runs = seedDiskRuns(name);
      expect(image.data.toArray()).toEqual(runs.map((r) => ({ start: r.start, end: r.start + r.length })));
      for (const r of runs.slice(0, 3)) expect(r.length).toBeLessThanOrEqual(8 * MiB);
      const last = runs.at(-1)!;
      const at = last.start + last.length - 100_000;
      expect((await image.read(at, 200_000)).equals(seedDiskBytes(name, at, 200_000))).toBe(true);
    }
    const fedora = seedDiskRuns('fedora-40-root');
    expect(fedora.reduce((n, r) => n + r.length, 0)).toBe(192 * MiB);
    expect(fedora.at(-1)!.start).toBeGreaterThan(1024 * MiB); // spread over the 2 GiB
    expect(h.images.get(seedId('disk:empty-10g'))!.data.count).toBe(0);
  });

  test('a raw download of fedora-40-root: extents and bytes match the seed', async () => {
    const diskId = seedId('disk:fedora-40-root');
    const t = await startTransfer(h, { disk: { id: diskId }, direction: 'download', format: 'raw' });
    const url = String(t['transfer_url']);
    const extents = JSON.parse((await data('GET', `${url}/extents?context=zero`)).body.toString()) as Array<{ start: number; length: number; zero: boolean }>;
    expect(extents.filter((e) => !e.zero).map((e) => ({ start: e.start, length: e.length }))).toEqual(seedDiskRuns('fedora-40-root'));
    const run = seedDiskRuns('fedora-40-root')[1]!;
    const from = run.start - 4096;
    const got = await data('GET', url, { headers: { range: `bytes=${from}-${from + MiB - 1}` } });
    expect(got.status).toBe(206);
    expect(got.body.equals(seedDiskBytes('fedora-40-root', from, MiB))).toBe(true);
    await h.api('POST', `/imagetransfers/${String(t['id'])}/finalize`, {});
    expect((await phaseTrail(h, String(t['id']))).at(-1)).toBe('finished_success');
    expect(h.engine.state.disks.get(diskId)?.status).toBe('ok');
  });

  test('the disk of a running VM cannot be downloaded', async () => {
    const res = await h.api('POST', '/imagetransfers', { disk: { id: seedId('disk:vm-running-disk') }, direction: 'download' });
    expect(res.status).toBe(409);
    expect(String(res.json()['detail'])).toContain('non-Down VMs: app-01');
  });

  test('an NBD upload through proxy_url: PUT, flush, finalize → the disk holds the data', async () => {
    const diskId = await createDisk(h, { provisioned_size: 8 * MiB });
    const t = await startTransfer(h, { disk: { id: diskId }, format: 'raw' });
    const payload = Buffer.alloc(MiB, 0x5a);
    const put = await data('PUT', `${String(t['proxy_url'])}?flush=n`, { headers: { 'content-range': `bytes ${2 * MiB}-${3 * MiB - 1}/*` }, body: payload });
    expect(put.status).toBe(200);
    const flush = await data('PATCH', String(t['proxy_url']), { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'flush' }) });
    expect(flush.status).toBe(200);
    await h.api('POST', `/imagetransfers/${String(t['id'])}/finalize`, {});
    expect((await phaseTrail(h, String(t['id']))).at(-1)).toBe('finished_success');
    expect((await h.images.get(diskId)!.read(2 * MiB, MiB)).equals(payload)).toBe(true);
    // The ticket is gone from both servers: the URLs now answer 403.
    expect((await data('GET', String(t['transfer_url']), { headers: { range: 'bytes=0-0' } })).status).toBe(403);
  });

  test('a qcow2 image PUT through the FILE backend into a raw disk fails verification and deletes the disk', async () => {
    const diskId = await createDisk(h, { provisioned_size: 4 * MiB });
    const t = await startTransfer(h, { disk: { id: diskId } });
    const qcow2 = Buffer.alloc(64 * 1024);
    qcow2.write('QFI\xfb', 0, 'latin1');
    qcow2.writeUInt32BE(3, 4);
    expect((await data('PUT', String(t['transfer_url']), { body: qcow2 })).status).toBe(200);
    const finalize = () => h.api('POST', `/imagetransfers/${String(t['id'])}/finalize`, {});
    expect(await phaseTrailOf(h, String(t['id']), finalize)).toEqual(['finalizing_success', 'finalizing_failure', 'finished_failure']);
    expect((await h.api('GET', `/disks/${diskId}`)).status).toBe(404);
  });

  test('transferUrlUnreachable: transfer_url refuses connections, proxy_url serves the data', async () => {
    h.faults.transferUrlUnreachable = true;
    let t: Json;
    try {
      t = await startTransfer(h, { disk: { id: seedId('disk:db01-disk0') }, direction: 'download', format: 'raw' });
    } finally {
      h.faults.transferUrlUnreachable = false;
    }
    await expect(data('OPTIONS', String(t['transfer_url']))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const opts = await data('OPTIONS', String(t['proxy_url']));
    expect(opts.status).toBe(200);
    const first = seedDiskRuns('db01-disk0')[0]!;
    const got = await data('GET', String(t['proxy_url']), { headers: { range: `bytes=${first.start}-${first.start + 65535}` } });
    expect(got.body.equals(seedDiskBytes('db01-disk0', first.start, 65536))).toBe(true);
    await h.api('POST', `/imagetransfers/${String(t['id'])}/finalize`, {});
    await phaseTrail(h, String(t['id']));
  });
});

describe('4.1 with a legacy proxy that wants the signed ticket', () => {
  let h: Harness;
  beforeAll(async () => {
    const legacy = { checksum: false, maxConnections: false };
    h = await startHarness({
      version: '4.1',
      realImageio: true,
      daemonPersonality: { ...legacy, legacyOptions: 405, signedTicket: null },
      // The legacy proxy checks the signature against the engine certificate (on the engine's clock here).
      proxyPersonality: { ...legacy, legacyOptions: 204, signedTicket: (auth, id) => verifySignedTicket(h.pki.server.cert, auth, id, h.clock.now) },
    });
    agent = new Agent({ connect: { ca: h.pki.caPem } });
  });
  afterAll(async () => {
    await agent.close();
    await h.close();
  });

  test('PUT to proxy_url needs Authorization: <signed_ticket>', async () => {
    const diskId = await createDisk(h, { provisioned_size: 2 * MiB });
    const t = await startTransfer(h, { image: { id: diskId } });
    expect(t['transfer_url']).toBeUndefined();
    const body = Buffer.alloc(MiB, 1);
    const range = { 'content-range': `bytes 0-${MiB - 1}/${2 * MiB}` };
    expect((await data('PUT', String(t['proxy_url']), { headers: range, body })).status).toBe(401);
    const ok = await data('PUT', String(t['proxy_url']), { headers: { ...range, authorization: String(t['signed_ticket']) }, body });
    expect(ok.status).toBe(200);
    await h.api('POST', `/imagetransfers/${String(t['id'])}/finalize`, {});
    expect((await phaseTrail(h, String(t['id']))).at(-1)).toBe('gone');
    expect((await h.api('GET', `/disks/${diskId}`)).json()['status']).toBe('ok');
  });
});
