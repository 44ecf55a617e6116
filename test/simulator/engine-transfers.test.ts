import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDisk, phaseTrail, startHarness, startTransfer, type Harness } from './engine-harness.js';
import { verifySignedTicket } from '../../main/simulator/engine/server.js';

type Json = Record<string, unknown>;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const ticketIdOf = (t: Json) => String(t['proxy_url']).split('/').pop()!;

describe('4.5 transfers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.5' });
  });
  afterAll(async () => h.close());

  test('an upload with format raw: 201, already transferring, both URLs, image.id = disk id, strings', async () => {
    const diskId = await createDisk(h);
    const res = await h.api('POST', '/imagetransfers', { disk: { id: diskId }, direction: 'upload', format: 'raw' });
    expect(res.status).toBe(201);
    const t = res.json();
    expect(res.headers['location']).toMatch(new RegExp(`/ovirt-engine/api/imagetransfers/${String(t['id'])}$`));
    expect(t['phase']).toBe('transferring');
    expect(t['direction']).toBe('upload');
    expect(t['format']).toBe('raw');
    expect(t['image']).toEqual({ id: diskId });
    expect(t['disk']).toBeUndefined();
    expect(t['active']).toBe('false');
    expect(t['transferred']).toBe('0');
    expect(t['inactivity_timeout']).toBe('60');
    expect(t['timeout_policy']).toBe('legacy');
    expect(t['shallow']).toBe('false');
    expect(t['signed_ticket']).toBeUndefined();
    const ticketId = ticketIdOf(t);
    expect(ticketId).not.toBe(t['id']);
    expect(t['proxy_url']).toBe(h.proxy.imageUrl(ticketId));
    expect(t['transfer_url']).toBe(h.daemon.imageUrl(ticketId));
    expect((t['host'] as Json)['href']).toMatch(/^\/ovirt-engine\/api\/hosts\//);
    expect(((t['actions'] as Json)['link'] as Json[]).map((l) => l['rel']).sort()).toEqual(['cancel', 'extend', 'finalize', 'pause', 'resume']);
    expect(h.engine.state.disks.get(diskId)?.status).toBe('locked');
  });

  test('the daemon ticket and the proxy ticket (same id, url = the daemon image url)', async () => {
    const diskId = await createDisk(h, { provisioned_size: 2 * GiB, sparse: true });
    const t = await startTransfer(h, { disk: { id: diskId }, format: 'raw', inactivity_timeout: '120' });
    const id = ticketIdOf(t);
    const info = h.daemon.tickets.get(id)!.info();
    expect(info).toMatchObject({ uuid: id, size: 2 * GiB, ops: ['write'], timeout: 300, url: `nbd:sim:${diskId}`, inactivity_timeout: 120, transfer_id: t['id'], sparse: true });
    const proxy = h.proxy.tickets.get(id)!.info();
    expect(proxy).toMatchObject({ uuid: id, size: 2 * GiB, ops: ['write'], url: h.daemon.imageUrl(id) });
  });

  test('without format: FILE backend, format echoes the disk format', async () => {
    const diskId = await createDisk(h, { format: 'cow' });
    const t = await startTransfer(h, { disk: { id: diskId } });
    expect(t['format']).toBe('cow');
    expect(h.daemon.tickets.get(ticketIdOf(t))!.url).toBe(`file:sim:${diskId}`);
  });

  test.each([
    ['NBD, any disk: virtual size', { format: 'cow' }, 'data-nfs', { format: 'raw' }, GiB],
    ['FILE upload, raw disk: virtual size', { format: 'raw' }, 'data-nfs', {}, GiB],
    ['FILE upload, cow on file storage: virtual × 1.1 + 1 MiB', { format: 'cow' }, 'data-nfs', {}, Math.floor(GiB * 1.1) + MiB],
    ['FILE upload, cow on block storage: the LV (initial) size', { format: 'cow', initial_size: 200 * MiB }, 'data-iscsi', {}, 200 * MiB],
    ['FILE download, raw disk: virtual size', { format: 'raw' }, 'data-nfs', { direction: 'download' }, GiB],
  ])('ticket size: %s', async (_name, diskOver, sd, transferOver, size) => {
    const diskId = await createDisk(h, diskOver, sd);
    const t = await startTransfer(h, { disk: { id: diskId }, ...transferOver });
    expect(h.daemon.tickets.get(ticketIdOf(t))!.size).toBe(size);
  });

  test('a download ticket is read-only and the disk is locked while it runs', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { disk: { id: diskId }, direction: 'download', format: 'raw' });
    expect(h.daemon.tickets.get(ticketIdOf(t))!.ops).toEqual(['read']);
    expect((await h.api('GET', `/disks/${diskId}`)).json()['status']).toBe('locked');
  });

  test('a second transfer of the same disk: 409 being transferred', async () => {
    const diskId = await createDisk(h, { name: 'twice' });
    await startTransfer(h, { disk: { id: diskId }, direction: 'download' });
    const res = await h.api('POST', '/imagetransfers', { disk: { id: diskId }, direction: 'download' });
    expect(res.status).toBe(409);
    expect(res.json()).toEqual({ reason: 'Operation Failed', detail: '[Cannot transfer Virtual Disk. Disk twice is being transferred.]' });
  });

  test('a locked, an illegal, an unknown disk and a disk on a domain in maintenance are refused', async () => {
    const add = await h.api('POST', '/disks', { name: 'fresh', provisioned_size: GiB, format: 'raw', storage_domains: { storage_domain: [{ name: 'data-nfs' }] } });
    // A new disk is locked only until its creation finishes, which a busy machine may reach before
    // the next request: held locked here (a copy the creation timer does not touch), so the refusal
    // does not depend on timing.
    const freshId = String(add.json()['id']);
    h.engine.state.disks.set(freshId, { ...h.engine.state.disks.get(freshId)!, status: 'locked' });
    const locked = await h.api('POST', '/imagetransfers', { disk: { id: add.json()['id'] } });
    expect(locked.status).toBe(409);
    expect(String(locked.json()['detail'])).toContain('The following disks are locked: fresh');

    const illegalId = await createDisk(h);
    h.engine.state.disks.get(illegalId)!.status = 'illegal';
    expect((await h.api('POST', '/imagetransfers', { disk: { id: illegalId } })).status).toBe(500);

    expect((await h.api('POST', '/imagetransfers', { disk: { id: 'nope' } })).status).toBe(400);

    const maintId = await createDisk(h);
    const sd = [...h.engine.state.storageDomains.values()].find((s) => s.name === 'data-maint')!;
    h.engine.state.disks.get(maintId)!.storageDomainId = sd.id;
    const maint = await h.api('POST', '/imagetransfers', { disk: { id: maintId } });
    expect(maint.status).toBe(409);
    expect(maint.json()['detail']).toBe("[Cannot transfer Virtual Disk. The relevant Storage Domain's status is Maintenance.]");
  });

  test('a disk plugged into a running VM: 409; through its snapshot id it is allowed', async () => {
    const diskId = await createDisk(h, { name: 'plugged' });
    h.engine.state.vms.set('vm1', { id: 'vm1', name: 'app-99', status: 'up', diskIds: [diskId] });
    const res = await h.api('POST', '/imagetransfers', { disk: { id: diskId }, direction: 'download' });
    expect(res.status).toBe(409);
    expect(res.json()['detail']).toBe('[Cannot transfer Virtual Disk. Disk plugged is plugged to one or more non-Down VMs: app-99.]');
    const imageId = h.engine.state.disks.get(diskId)!.imageId;
    const t = await startTransfer(h, { snapshot: { id: imageId }, direction: 'download' });
    expect(t['image']).toEqual({ id: diskId });
  });

  test('the deprecated image target still works; no target is a 400', async () => {
    const diskId = await createDisk(h);
    expect((await startTransfer(h, { image: { id: diskId } }))['image']).toEqual({ id: diskId });
    const upload = await h.api('POST', '/imagetransfers', {});
    expect(upload.status).toBe(400);
    expect(upload.json()['reason']).toBe('Incomplete parameters');
    expect((await h.api('POST', '/imagetransfers', { direction: 'download' })).status).toBe(400);
  });

  test('actions answer 200 {"status":"complete"} even for an unknown id', async () => {
    for (const action of ['extend', 'pause', 'resume', 'finalize', 'cancel']) {
      const res = await h.api('POST', `/imagetransfers/00000000-0000-0000-0000-000000000000/${action}`, {});
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ status: 'complete' });
    }
  });

  test('pause of a download: 400; resume when not paused: 409', async () => {
    const down = await startTransfer(h, { disk: { id: await createDisk(h) }, direction: 'download' });
    const pause = await h.api('POST', `/imagetransfers/${String(down['id'])}/pause`, {});
    expect(pause.status).toBe(400);
    const up = await startTransfer(h, { disk: { id: await createDisk(h) } });
    const resume = await h.api('POST', `/imagetransfers/${String(up['id'])}/resume`, {});
    expect(resume.status).toBe(409);
    expect(resume.json()['detail']).toBe("[Cannot resume image transfer as it's not in a paused state.]");
  });

  test('transferUrlUnreachable: transfer_url points at a closed port; proxy_url is the proxy', async () => {
    h.faults.transferUrlUnreachable = true;
    try {
      const t = await startTransfer(h, { disk: { id: await createDisk(h) }, format: 'raw' });
      const url = new URL(String(t['transfer_url']));
      expect(url.pathname).toBe(`/images/${ticketIdOf(t)}`);
      expect(Number(url.port)).not.toBe(h.daemon.port);
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const s = connect(Number(url.port), '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' }));
        });
        s.on('error', resolve);
      });
      expect(err.code).toBe('ECONNREFUSED');
      expect(t['proxy_url']).toBe(h.proxy.imageUrl(ticketIdOf(t)));
    } finally {
      h.faults.transferUrlUnreachable = false;
    }
  });

  test('pausedSystemAtStart: an upload starts paused_system without tickets until resume', async () => {
    h.faults.pausedSystemAtStart = true;
    let t: Json;
    try {
      t = await startTransfer(h, { disk: { id: await createDisk(h) }, format: 'raw' });
    } finally {
      h.faults.pausedSystemAtStart = false;
    }
    expect(t['phase']).toBe('paused_system');
    expect(t['proxy_url']).toBeUndefined();
    expect(t['transfer_url']).toBeUndefined();
    expect((await h.api('POST', `/imagetransfers/${String(t['id'])}/resume`, {})).status).toBe(200);
    const trail = await new Promise<Json>((resolve) => {
      const tick = async () => {
        const now = (await h.api('GET', `/imagetransfers/${String(t['id'])}`)).json();
        if (now['phase'] === 'transferring') resolve(now);
        else setTimeout(() => void tick(), 5);
      };
      void tick();
    });
    expect(trail['proxy_url']).toBeTypeOf('string');
    expect(h.daemon.tickets.get(ticketIdOf(trail))).toBeDefined();
  });

  test('pausedSystemAtStart: a download is cancelled by the system and the disk stays', async () => {
    const diskId = await createDisk(h);
    h.faults.pausedSystemAtStart = true;
    let t: Json;
    try {
      t = await startTransfer(h, { disk: { id: diskId }, direction: 'download' });
    } finally {
      h.faults.pausedSystemAtStart = false;
    }
    expect(await phaseTrail(h, String(t['id']))).toEqual(['cancelled_system', 'finalizing_failure', 'finished_failure']);
    expect(h.engine.state.disks.get(diskId)?.status).toBe('ok');
  });
});

describe('4.3 transfers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.3' });
  });
  afterAll(async () => h.close());

  test('disk target, format and transfer_url; no timeout_policy, shallow or ticket inactivity_timeout', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { disk: { id: diskId }, format: 'raw', timeout_policy: 'cancel' });
    expect(t['format']).toBe('raw');
    expect(t['transfer_url']).toBe(h.daemon.imageUrl(ticketIdOf(t)));
    expect(t['timeout_policy']).toBeUndefined();
    expect(t['shallow']).toBeUndefined();
    expect(t['inactivity_timeout']).toBe('60');
    expect(h.daemon.tickets.get(ticketIdOf(t))!.info()['inactivity_timeout']).toBe(60); // imageio's own default
    expect(h.engine.state.transfers.get(String(t['id']))!.timeoutPolicy).toBe('legacy');
  });
});

describe('4.1 transfers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ version: '4.1' });
  });
  afterAll(async () => h.close());

  test('only the image target is known: disk and snapshot targets are a 400', async () => {
    const diskId = await createDisk(h);
    expect((await h.api('POST', '/imagetransfers', { disk: { id: diskId } })).status).toBe(400);
    expect((await h.api('POST', '/imagetransfers', { snapshot: { id: diskId } })).status).toBe(400);
  });

  test('image target: FILE backend, proxy_url and a signed_ticket; no format, transfer_url or stats', async () => {
    const diskId = await createDisk(h);
    const t = await startTransfer(h, { image: { id: diskId }, format: 'raw' });
    expect(t['phase']).toBe('transferring');
    const ticketId = ticketIdOf(t);
    expect(h.daemon.tickets.get(ticketId)!.url).toBe(`file:sim:${diskId}`);
    expect(t['transfer_url']).toBeUndefined();
    expect(t['format']).toBeUndefined();
    expect(t['active']).toBeUndefined();
    expect(t['transferred']).toBeUndefined();
    expect(t['inactivity_timeout']).toBeUndefined();
    const signed = String(t['signed_ticket']);
    const now = h.clock.now; // signed with the engine clock
    expect(verifySignedTicket(h.pki.server.cert, signed, ticketId, now)).toBe(true);
    expect(verifySignedTicket(h.pki.server.cert, signed, 'another-ticket', now)).toBe(false);
    expect(verifySignedTicket(h.pki.server.cert, signed, ticketId, now + 3 * 3600_000)).toBe(false);
    expect(verifySignedTicket(h.pki.caPem, signed, ticketId, now)).toBe(false);
  });

  test('pause of a download and resume from transferring are allowed before 4.3', async () => {
    const down = await startTransfer(h, { image: { id: await createDisk(h) }, direction: 'download' });
    expect((await h.api('POST', `/imagetransfers/${String(down['id'])}/pause`, {})).status).toBe(200);
    expect(h.engine.state.transfers.get(String(down['id']))!.phase).toBe('paused_user');
    const up = await startTransfer(h, { image: { id: await createDisk(h) } });
    expect((await h.api('POST', `/imagetransfers/${String(up['id'])}/resume`, {})).status).toBe(200);
    expect(h.engine.state.transfers.get(String(up['id']))!.phase).toBe('resuming');
  });
});
