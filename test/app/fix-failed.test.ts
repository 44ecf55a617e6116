/**
 * What failed is fixable from where it failed, through the app core's handlers against the simulator:
 * a job is sent to another storage domain, name or format (or another file) and runs again; the
 * plan knows the room a disk takes on each domain; a full domain is not suggested again; one clash
 * leaves the rest of a batch queued; a disk of a running VM fails at once instead of being retried.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransferView } from '../../shared/ipc.js';
import { expectDiskEqualsFile, expectFileEqualsSeed, makeSparseImage, MiB, seededDiskId, SMALL_RUNS, SMALL_SIZE } from '../integration/helpers.js';
import { addSimDisk } from '../integration/queue-helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

const GiB = 1024 ** 3;

describe('app core: fixing what failed', () => {
  let h: CoreHarness;
  let domainId: (name: string) => string;
  let engineId: string;
  beforeAll(async () => {
    // One run per job unless the error is retryable: a retry would show as attempts > 1.
    h = await startCore();
    engineId = (await h.call('engines:demo', undefined)).id;
    const domains = await h.call('catalog:storageDomains', {});
    domainId = (name) => domains.find((d) => d.name === name)!.id;
  });
  afterAll(async () => {
    await h.close();
  });

  const view = (id: string): TransferView => {
    const t = h.snapshot('transfers:changed').transfers.find((x) => x.id === id);
    if (!t) throw new Error(`no transfer ${id}`);
    return t;
  };
  const settled = (id: string) => until(() => ['completed', 'failed', 'cancelled'].includes(view(id).state), 30_000, `transfer ${id} to end`);
  const remembered = () => h.core.currentSettings().lastStorageDomain[engineId];

  it('shows each domain’s room (none below its critical threshold) and each file’s need per choice', async () => {
    const domains = await h.call('catalog:storageDomains', {});
    expect(domains.find((d) => d.name === 'data-full')).toMatchObject({ available: 3 * GiB, criticalSpace: 5 * GiB, room: 0 });
    expect(domains.find((d) => d.name === 'data-nfs')).toMatchObject({ available: 1536 * GiB, room: 1536 * GiB });
    const file = join(h.dir, 'needs.raw');
    await makeSparseImage(file, SMALL_SIZE, SMALL_RUNS);
    const data = SMALL_RUNS.reduce((s, r) => s + r.length, 0);
    const plan = await h.call('transfers:planUploads', { paths: [file] });
    const need = (diskFormat: 'raw' | 'cow', preallocated: boolean, isBlock: boolean) =>
      plan.items[0]!.spaceNeeded.find((n) => n.diskFormat === diskFormat && n.preallocated === preallocated && n.isBlock === isBlock)?.bytes;
    expect(plan.items[0]!.spaceNeeded).toHaveLength(8);
    expect(need('raw', true, false)).toBe(SMALL_SIZE);
    // Thin raw: its data (the file system's allocated blocks; never less than the data).
    expect(need('raw', false, false)).toBeGreaterThanOrEqual(data);
    expect(need('raw', false, false)).toBeLessThan(SMALL_SIZE);
    // Raw on block storage is always preallocated.
    expect(need('raw', false, true)).toBe(SMALL_SIZE);
    expect(need('cow', false, false)).toBeGreaterThan(need('raw', false, false)!);
  });

  it('fails an upload to a full domain at once, forgets that domain, and runs it elsewhere after Change and retry', async () => {
    const file = join(h.dir, 'moved.raw');
    await makeSparseImage(file, SMALL_SIZE, SMALL_RUNS);
    const {
      queued: [t],
    } = await h.call('transfers:addUploads', { items: [{ path: file, storageDomainId: domainId('data-full'), diskName: 'moved', preallocated: true }] });
    await settled(t!.id);
    expect(view(t!.id)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'domain-full', retryable: false } });
    expect(view(t!.id).error!.message).toMatch(/data-full has 3\.0 GiB free, below its critical space threshold/);
    expect(view(t!.id).actions.retarget).toBe(true);
    // Remembered when queued, forgotten when it failed there for space.
    await until(() => remembered() === undefined, 5000, 'data-full to be forgotten');
    expect((await h.call('transfers:planUploads', { paths: [file] })).storageDomainId).toBeNull();

    const changed = await h.call('transfers:retarget', { id: t!.id, target: { kind: 'upload', storageDomainId: domainId('data-nfs'), diskName: 'moved-here', diskFormat: 'cow' } });
    expect(changed).toMatchObject({ id: t!.id, storageDomainName: 'data-nfs', diskName: 'moved-here', diskFormat: 'cow', error: null });
    expect(['queued', 'preparing', 'initializing', 'transferring', 'verifying', 'finalizing', 'completed']).toContain(changed.state);
    await settled(t!.id);
    const done = view(t!.id);
    expect(done.state, done.error?.message).toBe('completed');
    expect(done.actions.retarget).toBe(false);
    const disk = [...h.sim.engine.state.disks.values()].find((d) => d.id === done.diskId)!;
    expect(disk).toMatchObject({ name: 'moved-here', format: 'cow', storageDomainId: domainId('data-nfs') });
    await expectDiskEqualsFile(h.sim, disk.id, file);
    expect(remembered()).toBe(domainId('data-nfs'));
    expect((await h.call('transfers:planUploads', { paths: [file] })).storageDomainId).toBe(domainId('data-nfs'));
  });

  it('refuses a change with words: a finished job, the other kind, a domain that takes no uploads, an unknown one', async () => {
    const file = join(h.dir, 'refused.raw');
    await makeSparseImage(file, SMALL_SIZE, SMALL_RUNS);
    const {
      queued: [t],
    } = await h.call('transfers:addUploads', { items: [{ path: file, storageDomainId: domainId('data-nfs'), diskName: 'refused' }] });
    await settled(t!.id);
    expect(view(t!.id).state).toBe('completed');
    const again = await h.invoke('transfers:retarget', { id: t!.id, target: { kind: 'upload', storageDomainId: domainId('data-nfs'), diskName: 'other' } });
    expect(again.ok ? null : again.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/completed and cannot be changed now/) });
    const kind = await h.invoke('transfers:retarget', { id: t!.id, target: { kind: 'download', folder: h.dir, fileName: 'x.raw' } });
    expect(kind.ok ? null : kind.error).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/is an upload/) });
    const maint = await h.invoke('transfers:retarget', { id: t!.id, target: { kind: 'upload', storageDomainId: domainId('data-maint'), diskName: 'other' } });
    expect(maint.ok ? null : maint.error).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/data-maint is not active \(its status: maintenance\)/) });
    const unknown = await h.invoke('transfers:retarget', { id: t!.id, target: { kind: 'upload', storageDomainId: 'no-such-domain', diskName: 'other' } });
    expect(unknown.ok ? null : unknown.error).toMatchObject({ code: 'not-found' });
  });

  it('fails a download of a running VM’s disk at once, says which VM in the disk list, and runs it to another file once the VM is down', async () => {
    const disks = await h.call('catalog:disks', {});
    expect(disks.find((d) => d.name === 'vm-running-disk')).toMatchObject({ vmNames: ['app-01'], runningVmNames: ['app-01'] });
    expect(disks.find((d) => d.name === 'web-01-disk1')).toMatchObject({ vmNames: ['web-01'], runningVmNames: [] });
    const dir = join(h.dir, 'vm-up');
    await mkdir(dir);
    const {
      queued: [t],
    } = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('vm-running-disk')], folder: dir, format: 'raw', existing: 'overwrite' });
    await settled(t!.id);
    // Not retried as if it were a lock: one attempt, failed for good, with the way out.
    expect(view(t!.id)).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'vm-running', retryable: false } });
    expect(view(t!.id).error!.message).toMatch(/non-Down VMs: app-01.*Shut the VM down/);

    const vm = [...h.sim.engine.state.vms.values()].find((v) => v.name === 'app-01')!;
    vm.status = 'down';
    const elsewhere = join(h.dir, 'vm-down');
    await mkdir(elsewhere);
    const relative = await h.invoke('transfers:retarget', { id: t!.id, target: { kind: 'download', folder: 'relative', fileName: 'x.raw' } });
    expect(relative.ok ? null : relative.error?.code).toBe('bad-input');
    const slash = await h.invoke('transfers:retarget', { id: t!.id, target: { kind: 'download', folder: elsewhere, fileName: '../escape.raw' } });
    expect(slash.ok ? null : slash.error?.message).toMatch(/cannot be a file name/);
    const changed = await h.call('transfers:retarget', { id: t!.id, target: { kind: 'download', folder: elsewhere, fileName: 'app-01-root.raw' } });
    expect(changed.localPath).toBe(join(elsewhere, 'app-01-root.raw'));
    await settled(t!.id);
    expect(view(t!.id).state, view(t!.id).error?.message).toBe('completed');
    await expectFileEqualsSeed('vm-running-disk', join(elsewhere, 'app-01-root.raw'));
    vm.status = 'up';
    await rm(dir, { recursive: true });
  });

  it('queues the rest of a batch of 12 when one disk is already in the queue, and says which was left out', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await addSimDisk(h.sim, `batch-${String(i).padStart(2, '0')}`, 2 * MiB, [{ start: 0, length: MiB }]));
    const dir = join(h.dir, 'batch');
    await mkdir(dir);
    // One of them waits in the queue for a window that is closed.
    const now = new Date();
    const at = (m: number) => {
      const d = new Date(now.getTime() + m * 60_000);
      return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    };
    await h.call('settings:set', { scheduleWindow: { start: at(120), end: at(180) } });
    const {
      queued: [waiting],
    } = await h.call('transfers:addDownloads', { diskIds: [ids[4]!], folder: dir, format: 'raw', existing: 'overwrite', start: 'window' });
    expect(view(waiting!.id).state).toBe('waiting');
    const batch = await h.call('transfers:addDownloads', { diskIds: ids, folder: dir, format: 'raw', existing: 'overwrite' });
    expect(batch.queued).toHaveLength(11);
    expect(batch.skipped).toEqual([{ index: 4, name: 'batch-04', reason: 'in-queue', message: expect.stringMatching(/batch-04 is already in the queue \(waiting\)/) }]);
    for (const t of batch.queued) await settled(t.id);
    for (const t of batch.queued) expect(view(t.id).state, view(t.id).error?.message).toBe('completed');
    await h.call('settings:set', { scheduleWindow: null });
    await settled(waiting!.id);
  });

  it('leaves out an upload row that repeats an earlier one or a queued upload, and queues the others', async () => {
    await h.call('settings:set', { scheduleWindow: { start: '00:00', end: '00:01' } });
    const a = join(h.dir, 'rep-a.raw');
    const b = join(h.dir, 'rep-b.raw');
    await makeSparseImage(a, SMALL_SIZE, SMALL_RUNS);
    await makeSparseImage(b, SMALL_SIZE, SMALL_RUNS);
    const nfs = domainId('data-nfs');
    const first = await h.call('transfers:addUploads', { items: [{ path: a, storageDomainId: nfs, diskName: 'rep-a' }], start: 'window' });
    expect(first.queued).toHaveLength(1);
    const second = await h.call('transfers:addUploads', {
      items: [
        { path: a, storageDomainId: nfs, diskName: 'rep-a' },
        { path: b, storageDomainId: nfs, diskName: 'rep-b' },
        { path: b, storageDomainId: nfs, diskName: 'rep-b' },
        { path: a, storageDomainId: nfs, diskName: 'rep-a-2' },
      ],
      start: 'window',
    });
    expect(second.queued.map((t) => t.diskName)).toEqual(['rep-b', 'rep-a-2']);
    expect(second.skipped.map((s) => [s.index, s.reason])).toEqual([
      [0, 'in-queue'],
      [2, 'in-plan'],
    ]);
    // A waiting job can be changed too, and keeps waiting; it may not take the target of another job.
    const clash = await h.invoke('transfers:retarget', { id: second.queued[1]!.id, target: { kind: 'upload', storageDomainId: nfs, diskName: 'rep-a' } });
    expect(clash.ok ? null : clash.error).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/already in the queue with that target/) });
    const renamed = await h.call('transfers:retarget', { id: second.queued[1]!.id, target: { kind: 'upload', storageDomainId: nfs, diskName: 'rep-a-3' } });
    expect(renamed).toMatchObject({ state: 'waiting', diskName: 'rep-a-3' });
    for (const t of [...first.queued, ...second.queued]) await h.call('transfers:cancel', { id: t.id });
    await h.call('settings:set', { scheduleWindow: null });
  });

  it('counts the disks the engine has with typed names', async () => {
    expect(await h.call('catalog:diskNameCounts', { names: ['web-01-disk1', 'no-such-disk-name'] })).toEqual([
      { name: 'web-01-disk1', count: 1 },
      { name: 'no-such-disk-name', count: 0 },
    ]);
  });
});
