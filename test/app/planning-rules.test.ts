/**
 * The app asks the engine's rules: a confirmed upload reuses its plan's probe while the file is
 * unchanged, the storage domain and the output folder are checked by the engine's functions.
 */
import { open, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSparseImage, MiB } from '../integration/helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

describe('app core: planning asks the engine rules', () => {
  let h: CoreHarness;
  let domainId: (name: string) => string;
  beforeAll(async () => {
    h = await startCore();
    await h.call('engines:demo', undefined);
    const domains = await h.call('catalog:storageDomains', {});
    domainId = (name) => domains.find((d) => d.name === name)!.id;
  });
  const settled = (id: string) =>
    until(() => ['completed', 'failed', 'cancelled'].includes(h.snapshot('transfers:changed').transfers.find((t) => t.id === id)?.state ?? ''), 20_000, `transfer ${id} to end`);
  afterAll(async () => {
    await h.close();
  });

  it('queues a planned file on the probe of its plan while it is unchanged, and probes it again once it changes', async () => {
    const file = join(h.dir, 'planned.raw');
    await makeSparseImage(file, 4 * MiB, [{ start: 0, length: MiB }]);
    const second = Math.floor(Date.now() / 1000) - 60;
    await utimes(file, second, second);
    const plan = await h.call('transfers:planUploads', { paths: [file] });
    expect(plan.items[0]).toMatchObject({ format: 'raw', diskName: 'planned', diskFormat: 'raw' });
    // Same size and modification time, but a fresh probe would now see an ISO image.
    const fh = await open(file, 'r+');
    await fh.write(Buffer.from([0x01, 0x43, 0x44, 0x30, 0x30, 0x31, 0x01, 0x00]), 0, 8, 0x8000);
    await fh.close();
    await utimes(file, second, second);
    expect((await stat(file)).mtimeMs).toBe(second * 1000);
    const { queued: [queued] } = await h.call('transfers:addUploads', { items: [{ path: file, storageDomainId: domainId('data-nfs'), diskName: 'planned' }] });
    expect(queued).toMatchObject({ localFormat: 'raw', diskFormat: 'raw' });
    await settled(queued!.id);
    await utimes(file, new Date(), new Date());
    const changed = await h.invoke('transfers:addUploads', { items: [{ path: file, storageDomainId: domainId('data-nfs'), diskName: 'planned-2' }] });
    expect(!changed.ok && changed.error).toMatchObject({ code: 'image-changed' });
  });

  it('refuses a domain that takes no uploads with the engine rule, and notes block storage', async () => {
    const file = join(h.dir, 'block.raw');
    await makeSparseImage(file, 4 * MiB, [{ start: 0, length: MiB }]);
    await h.call('transfers:planUploads', { paths: [file] });
    const maint = await h.invoke('transfers:addUploads', { items: [{ path: file, storageDomainId: domainId('data-maint'), diskName: 'block' }] });
    expect(!maint.ok && maint.error.message).toMatch(/^data-maint is not active \(its status: maintenance\)\. Activate it, or choose another storage domain\.$/);
    const { queued: [onBlock] } = await h.call('transfers:addUploads', { items: [{ path: file, storageDomainId: domainId('data-iscsi'), diskName: 'block' }] });
    expect(onBlock!.notes).toContain('data-iscsi is block storage, where raw disks are always preallocated.');
    await settled(onBlock!.id);
  });

  it('refuses a download folder that does not exist before queuing anything', async () => {
    const missing = join(h.dir, 'no-such-folder');
    const r = await h.invoke('transfers:addDownloads', { diskIds: ['00000000-0000-4000-a000-000000000001'], folder: missing, format: 'raw', existing: 'rename' });
    expect(!r.ok && r.error).toMatchObject({ code: 'bad-input', message: `${missing} is not an existing folder. Create it, or choose another.` });
  });
});
