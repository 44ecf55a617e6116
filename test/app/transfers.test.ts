import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import { TransfersSnapshotSchema } from '../../shared/schemas/index.js';
import { expectDiskEqualsFile, expectFileEqualsSeed, makeQcow2WithBacking, makeSparseImage, MiB, seededDiskId, SMALL_RUNS, SMALL_SIZE } from '../integration/helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

describe('app core: transfers against the simulator', () => {
  let h: CoreHarness;
  let dataNfs: string;
  beforeAll(async () => {
    h = await startCore();
    await h.call('engines:demo', undefined);
    dataNfs = (await h.call('catalog:storageDomains', {})).find((d) => d.name === 'data-nfs')!.id;
  });
  afterAll(async () => {
    await h.close();
  });

  const transfer = (id: string): TransferView => {
    const t = h.snapshot('transfers:changed').transfers.find((x) => x.id === id);
    if (!t) throw new Error(`no transfer ${id}`);
    return t;
  };
  const settled = (id: string) => until(() => ['completed', 'failed', 'cancelled'].includes(transfer(id).state), 20_000, `transfer ${id} to end`);

  it('plans uploads: format and size per file, problems in words', async () => {
    const raw = join(h.dir, 'fedora.raw');
    const bad = join(h.dir, 'child.qcow2');
    const empty = join(h.dir, 'empty.img');
    await makeSparseImage(raw, SMALL_SIZE, SMALL_RUNS);
    await makeQcow2WithBacking(bad, 64 * MiB);
    await writeFile(empty, '');
    const plan = await h.call('transfers:planUploads', { paths: [raw, bad, empty, join(h.dir, 'missing.raw')] });
    expect(plan.items[0]).toMatchObject({ fileName: 'fedora.raw', format: 'raw', virtualSize: SMALL_SIZE, diskName: 'fedora', diskFormat: 'raw', problem: null });
    expect(plan.items[1]!.problem).toMatchObject({ code: 'unsupported-image' });
    expect(plan.items[1]!.problem!.message).toMatch(/backing file.*qemu-img convert/);
    expect(plan.items[2]!.problem?.message).toMatch(/empty/);
    expect(plan.items[3]!.problem?.code).toBe('bad-input');
    // oVirt allows two disks of one name: the plan says when the suggested name is taken.
    expect(plan.items[0]!.sameNameDisks).toBe(0);
    expect(plan.items[1]!.sameNameDisks).toBeNull();
    const clash = join(h.dir, 'web-01-disk1.raw');
    await makeSparseImage(clash, SMALL_SIZE, SMALL_RUNS);
    const again = await h.call('transfers:planUploads', { paths: [clash] });
    expect(again.items[0]).toMatchObject({ diskName: 'web-01-disk1', sameNameDisks: 1 });
  });

  it('uploads a planned file end to end; the disk holds its bytes; the domain is remembered', async () => {
    const raw = join(h.dir, 'fedora.raw');
    const { queued: [added] } = await h.call('transfers:addUploads', { items: [{ path: raw, storageDomainId: dataNfs, diskName: 'app-upload' }] });
    expect(added).toMatchObject({ direction: 'upload', diskName: 'app-upload', storageDomainName: 'data-nfs', cancelDeletesDisk: true });
    await settled(added!.id);
    const done = transfer(added!.id);
    expect(done.state, done.error?.message).toBe('completed');
    expect(done.progress.bytesDone).toBe(SMALL_SIZE);
    expect(done.checksum).toMatchObject({ algorithm: 'blake2b', verified: true, local: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(done.checksum!.server).toBe(done.checksum!.local);
    expect(done.timeline.map((t) => t.state)).toEqual(expect.arrayContaining(['queued', 'preparing', 'transferring', 'finalizing', 'completed']));
    await expectDiskEqualsFile(h.sim, done.diskId!, raw);
    const plan = await h.call('transfers:planUploads', { paths: [raw] });
    expect(plan.storageDomainId).toBe(dataNfs);
    expect(h.notifications.some((n) => n.title === 'Upload finished')).toBe(true);
    // The taskbar showed the running upload's progress, and nothing once it ended.
    expect(h.progress.some((p) => p !== null && p > 0 && p <= 1)).toBe(true);
    expect(h.progress.at(-1)).toBeNull();
  });

  it('downloads disks into a folder by template, renaming around an existing file', async () => {
    const folder = join(h.dir, 'downloads');
    await mkdir(folder);
    await writeFile(join(folder, 'web-01-web-01-disk1.raw'), 'old');
    const { queued: added } = await h.call('transfers:addDownloads', {
      diskIds: [seededDiskId('web-01-disk1'), seededDiskId('db01-disk0')],
      folder,
      format: 'raw',
      nameTemplate: '{vm}-{disk}.{ext}',
      existing: 'rename',
    });
    // {vm}: web-01-disk1 is attached to VM web-01; db01-disk0 floats, so {vm} and its dash drop out.
    expect(added.map((t) => t.localPath)).toEqual([join(folder, 'web-01-web-01-disk1 (2).raw'), join(folder, 'db01-disk0.raw')]);
    for (const t of added) await settled(t.id);
    for (const t of added) expect(transfer(t.id).state, transfer(t.id).error?.message).toBe('completed');
    await expectFileEqualsSeed('web-01-disk1', join(folder, 'web-01-web-01-disk1 (2).raw'));
    // Verified by default: the blkhash matched the data server's.
    for (const t of added) expect(transfer(t.id).checksum).toMatchObject({ algorithm: 'blake2b', verified: expect.anything() });
    const skipped = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('db01-disk0')], folder, format: 'raw', existing: 'skip' });
    expect(skipped.queued).toEqual([]);
    expect(skipped.skipped).toEqual([{ index: 0, name: 'db01-disk0', reason: 'exists', message: expect.stringContaining('db01-disk0.raw exists') }]);
  });

  it('makes one folder per VM for {vm}/{disk} when the downloads start, and no-vm for a floating disk', async () => {
    const folder = join(h.dir, 'per-vm');
    await mkdir(folder);
    const { queued: added } = await h.call('transfers:addDownloads', {
      diskIds: [seededDiskId('web-01-disk1'), seededDiskId('db01-disk0')],
      folder,
      format: 'raw',
      nameTemplate: '{vm}/{disk}',
      existing: 'rename',
    });
    expect(added.map((t) => t.localPath)).toEqual([join(folder, 'web-01', 'web-01-disk1.raw'), join(folder, 'no-vm', 'db01-disk0.raw')]);
    for (const t of added) await settled(t.id);
    for (const t of added) expect(transfer(t.id).state, transfer(t.id).error?.message).toBe('completed');
    await expectFileEqualsSeed('web-01-disk1', join(folder, 'web-01', 'web-01-disk1.raw'));
    await expectFileEqualsSeed('db01-disk0', join(folder, 'no-vm', 'db01-disk0.raw'));
    // A template cannot leave the folder: ".." and a leading "/" are replaced or dropped.
    const {
      queued: [outside],
    } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('db01-disk0')], folder, format: 'raw', nameTemplate: '/../../{disk}', existing: 'rename' });
    expect(outside!.localPath).toBe(join(folder, '_', '_', 'db01-disk0.raw'));
    await settled(outside!.id);
    expect(transfer(outside!.id).state, transfer(outside!.id).error?.message).toBe('completed');
  });

  it('downloads as qcow2 when asked, and refuses relative folders with words', async () => {
    const folder = join(h.dir, 'qcow2-out');
    await mkdir(folder);
    // With verification turned off in the settings, nothing is compared and the view says so.
    // Notifications follow the window's language.
    await h.call('settings:set', { verify: false, language: 'ja' });
    const { queued: [t] } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('db01-disk0')], folder, format: 'qcow2', existing: 'rename' });
    expect(t).toMatchObject({ localFormat: 'qcow2', diskFormat: 'cow', localPath: join(folder, 'db01-disk0.qcow2') });
    await settled(t!.id);
    expect(transfer(t!.id).state, transfer(t!.id).error?.message).toBe('completed');
    const head = Buffer.alloc(4);
    const fh = await open(join(folder, 'db01-disk0.qcow2'), 'r');
    await fh.read(head, 0, 4, 0);
    await fh.close();
    expect(head.toString('latin1')).toBe('QFI\xfb');
    expect(transfer(t!.id).checksum).toMatchObject({ local: null, server: null, verified: null, note: expect.stringMatching(/turned off/) });
    expect(h.notifications.some((n) => n.title === 'ダウンロードが完了しました' && n.body === 'db01-disk0')).toBe(true);
    await h.call('settings:set', { verify: true, language: 'system' });
    const r2 = await h.invoke('transfers:addDownloads', { diskIds: [seededDiskId('db01-disk0')], folder: 'relative/dir', format: 'raw', existing: 'rename' });
    expect(!r2.ok && r2.error.message).toMatch(/full folder path/);
  });

  it('pauses and resumes a running upload, which then completes', async () => {
    h.sim.faults.latencyMs = 30;
    const path = join(h.dir, 'slow.raw');
    await makeSparseImage(path, 64 * MiB, [{ start: 0, length: 32 * MiB }]);
    const { queued: [t] } = await h.call('transfers:addUploads', { items: [{ path, storageDomainId: dataNfs, diskName: 'paused-upload' }] });
    await until(() => transfer(t!.id).state === 'transferring', 15_000, 'transferring');
    await h.call('transfers:pause', { id: t!.id });
    await until(() => transfer(t!.id).state === 'paused', 15_000, 'paused');
    expect(transfer(t!.id).actions).toMatchObject({ resume: true, pause: false, cancel: true });
    h.sim.faults.latencyMs = 0;
    await h.call('transfers:resume', { id: t!.id });
    await settled(t!.id);
    expect(transfer(t!.id).state, transfer(t!.id).error?.message).toBe('completed');
  });

  it('cancels a running upload: the engine deletes the disk and the error says so', async () => {
    h.sim.faults.latencyMs = 50;
    const path = join(h.dir, 'cancel.raw');
    await makeSparseImage(path, 64 * MiB, [{ start: 0, length: 32 * MiB }]);
    const { queued: [t] } = await h.call('transfers:addUploads', { items: [{ path, storageDomainId: dataNfs, diskName: 'cancelled-upload' }] });
    await until(() => transfer(t!.id).state === 'transferring', 15_000, 'transferring');
    await h.call('transfers:cancel', { id: t!.id });
    await settled(t!.id);
    h.sim.faults.latencyMs = 0;
    const v = transfer(t!.id);
    expect(v.state).toBe('cancelled');
    expect(v.error?.message).toMatch(/deleted the disk 'cancelled-upload'/);
    expect(v.actions).toMatchObject({ retry: true, remove: true, cancel: false });
    expect([...h.sim.engine.state.disks.values()].some((d) => d.name === 'cancelled-upload')).toBe(false);
    await h.call('transfers:remove', { id: t!.id });
    expect(h.snapshot('transfers:changed').transfers.some((x) => x.id === t!.id)).toBe(false);
  });

  it('runs at most maxConcurrent at once, in queue order, and reorders pending jobs', async () => {
    await h.call('settings:set', { maxConcurrent: 1 });
    h.sim.faults.latencyMs = 20;
    const folder = join(h.dir, 'serial');
    await mkdir(folder);
    const { queued: added } = await h.call('transfers:addDownloads', {
      diskIds: [seededDiskId('web-01-disk1'), seededDiskId('db01-disk0'), seededDiskId('empty-10g')],
      folder,
      format: 'raw',
      existing: 'overwrite',
    });
    await h.call('transfers:move', { id: added[2]!.id, to: 'top' });
    const starts: string[] = [];
    await until(() => {
      const snap = h.snapshot('transfers:changed');
      const running = snap.transfers.filter((t) => added.some((a) => a.id === t.id) && ['preparing', 'initializing', 'transferring', 'finalizing'].includes(t.state));
      expect(running.length).toBeLessThanOrEqual(1);
      for (const r of running) if (!starts.includes(r.id)) starts.push(r.id);
      return added.every((a) => ['completed', 'failed'].includes(transfer(a.id).state));
    }, 30_000);
    for (const a of added) expect(transfer(a.id).state, transfer(a.id).error?.message).toBe('completed');
    h.sim.faults.latencyMs = 0;
    await h.call('settings:set', { maxConcurrent: 2 });
    // The first job started as it was added; the moved one went next.
    expect(starts).toEqual([added[0]!.id, added[2]!.id, added[1]!.id]);
  });

  it('answers snapshots that match the schema, with a summary', () => {
    const snap = h.snapshot('transfers:changed');
    expect(TransfersSnapshotSchema.safeParse(snap).success).toBe(true);
    expect(snap.summary.completed).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(snap)).not.toContain(h.sim.password);
  });

  it('keeps the history over a restart', async () => {
    const before = h.snapshot('transfers:changed').transfers.length;
    await h.restart();
    await h.call('engines:demo', undefined);
    expect(h.snapshot('transfers:changed').transfers.length).toBe(before);
  });
});
