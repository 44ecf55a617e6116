/**
 * The window's view of an engine's own transfers (`transfers:listEngine`, `transfers:endEngine`)
 * through the app core's handlers against the simulator on 4.1, 4.3 and 4.5: another client's stuck
 * upload (paused_system) and open download (it may be in use), a stuck transfer of ours (a failed
 * queue job that could not end its transfer), and a running job of ours. A download of a disk such a
 * transfer holds fails marked `diskLocked`; after the transfer was ended, the failed job is retried
 * and completes. What needs the user's word (another client's transfer, an upload's disk) is refused
 * without it, by main and not only by the window.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineTransferView, TransferView } from '../../shared/ipc.js';
import { silentLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { leaveForeignTransfers, type ForeignTransfers } from '../../main/simulator/foreign-transfers.js';
import { expectFileEqualsDisk, MiB, VERSIONS } from '../integration/helpers.js';
import { addSimDisk } from '../integration/queue-helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

const ENDED = ['completed', 'failed', 'cancelled'];

/** `HH:MM` local time, `minutes` from now. */
function hhmm(minutes: number): string {
  const d = new Date(Date.now() + minutes * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

describe.each(VERSIONS)('the engine transfers in the window, engine %s', (version) => {
  let h: CoreHarness;
  let dir: string;
  let foreign: ForeignTransfers;
  /** A disk held by a transfer of a failed job of ours. */
  let ourDisk: string;
  let ourTransfer: string;
  let ourJob: string;

  const phaseOf = (id: string) => h.sim.engine.state.transfers.get(id)?.phase ?? 'gone';
  const diskStatus = (id: string) => h.sim.engine.state.disks.get(id)?.status ?? 'gone';
  const view = (id: string): TransferView => {
    const t = h.snapshot('transfers:changed').transfers.find((x) => x.id === id);
    if (!t) throw new Error(`no transfer ${id}`);
    return t;
  };
  const settled = (id: string) => until(() => ENDED.includes(view(id).state), 60_000, `transfer ${id} to end`);
  const list = async (diskId?: string) => (await h.call('transfers:listEngine', diskId === undefined ? undefined : { diskId })).transfers;
  const row = (rows: readonly EngineTransferView[], id: string) => {
    const r = rows.find((x) => x.id === id);
    if (!r) throw new Error(`transfer ${id} not listed`);
    return r;
  };
  const download = async (diskId: string, name: string) => {
    const folder = join(dir, name);
    await mkdir(folder, { recursive: true });
    const {
      queued: [t],
    } = await h.call('transfers:addDownloads', { diskIds: [diskId], folder, format: 'raw', existing: 'overwrite' });
    return t!;
  };

  /** A download transfer of a disk opened through the engine's REST API (as a run, or another client, makes it), with no inactivity timeout. */
  const openDownload = async (diskId: string): Promise<string> => {
    const client = new OvirtClient({ engineUrl: h.sim.engineUrl, username: h.sim.username, password: () => h.sim.password, trust: { caPem: [h.sim.caPem] }, log: silentLog, pollIntervalMs: 20 });
    try {
      await client.login();
      const id = (await client.createTransfer({ diskId, direction: 'download', format: 'raw', inactivityTimeout: 0 })).id;
      await client.waitForTransferReady(id, { timeoutMs: 20_000 });
      return id;
    } finally {
      await client.logout().catch(() => {});
      await client.close();
    }
  };

  beforeAll(async () => {
    h = await startCore({ simulator: { engineVersion: version } });
    dir = h.dir;
    await h.call('engines:demo', undefined);
    await h.call('settings:set', { maxRetries: 0 });
    foreign = await leaveForeignTransfers(h.sim);
    ourDisk = await addSimDisk(h.sim, `ours-${version}`, 8 * MiB, [{ start: MiB, length: 2 * MiB }]);

    // A download job of ours that failed while the engine could not be told to end its transfer: the
    // job is failed and its transfer still open. Made as the app's saved queue says after such a run
    // (the job queued for later, then its record changed while no core ran), with the transfer made
    // by the engine's REST API as the run had made it.
    await h.call('settings:set', { scheduleWindow: { start: hhmm(120), end: hhmm(180) } });
    await mkdir(join(dir, 'earlier'), { recursive: true });
    const waiting = await h.call('transfers:addDownloads', { diskIds: [ourDisk], folder: join(dir, 'earlier'), format: 'raw', existing: 'overwrite', start: 'window' });
    ourJob = waiting.queued[0]!.id;
    await h.restart(async () => {
      ourTransfer = await openDownload(ourDisk);
      const doc = h.store.documents.get('transfers') as { queue: { jobs: Array<Record<string, unknown>> } };
      const job = doc.queue.jobs.find((j) => j['id'] === ourJob)!;
      Object.assign(job, {
        state: 'failed',
        attempts: 1,
        diskId: ourDisk,
        transferId: ourTransfer,
        finishedAt: Date.now(),
        error: { code: 'network', message: 'The engine stopped answering; the transfer on the engine could not be closed.', retryable: true },
      });
    });
    await h.call('settings:set', { scheduleWindow: null });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('lists every open transfer: ours marked with its job, another client’s stuck upload and its download that may be in use', async () => {
    const rows = await list();
    expect(row(rows, ourTransfer)).toMatchObject({
      direction: 'download',
      diskId: ourDisk,
      diskName: `ours-${version}`,
      owner: { kind: 'queue', live: false, jobId: ourJob },
      condition: 'stuck',
      reason: 'owner-gone',
      ending: 'finalize',
      endable: 'stuck',
    });
    expect(row(rows, foreign.stuckUpload.transferId)).toMatchObject({ phase: 'paused_system', owner: null, condition: 'stuck', reason: 'paused-by-engine', ending: 'cancel', endable: 'stuck' });
    const other = row(rows, foreign.openDownload.transferId);
    expect(other).toMatchObject({ owner: null, endable: 'another-client', ending: 'finalize', condition: version === '4.1' ? 'unknown' : 'moving', diskName: 'left-by-another-client-download' });
    expect(other.hostName).toBeTruthy();
    // Stuck ones first.
    expect(rows.findIndex((r) => r.condition !== 'stuck')).toBeGreaterThan(rows.findLastIndex((r) => r.condition === 'stuck'));
    // One disk's: only its transfer.
    expect((await list(ourDisk)).map((r) => r.id)).toEqual([ourTransfer]);
    expect(await list('no-such-disk')).toEqual([]);
  });

  it('fails a download of a locked disk marked diskLocked, with the disk to look at', async () => {
    const mine = await download(ourDisk, 'mine');
    const theirs = await download(foreign.openDownload.diskId, 'theirs');
    await Promise.all([settled(mine.id), settled(theirs.id)]);
    for (const t of [view(mine.id), view(theirs.id)]) {
      expect(t.state).toBe('failed');
      expect(t.error).toMatchObject({ code: 'conflict', diskLocked: true });
      expect(t.error!.message).toMatch(/locked.*see the transfers on this disk/i);
    }
    expect(view(mine.id).diskId).toBe(ourDisk);
    expect(view(theirs.id).diskId).toBe(foreign.openDownload.diskId);
  });

  it('refuses what needs the user’s word without it, and what is gone', async () => {
    const foreignDownload = await h.invoke('transfers:endEngine', { id: foreign.openDownload.transferId });
    expect(!foreignDownload.ok && foreignDownload.error).toMatchObject({ code: 'conflict' });
    expect(!foreignDownload.ok && foreignDownload.error.message).toMatch(/belongs to another client and may be in use/);
    const upload = await h.invoke('transfers:endEngine', { id: foreign.stuckUpload.transferId });
    expect(!upload.ok && upload.error.message).toMatch(/makes the engine delete its disk 'left-by-another-client-upload'/);
    const unknown = await h.invoke('transfers:endEngine', { id: '00000000-0000-4000-8000-000000000000' });
    expect(!unknown.ok && unknown.error.code).toBe('not-found');
    expect(diskStatus(foreign.openDownload.diskId)).toBe('locked');
    expect(diskStatus(foreign.stuckUpload.diskId)).toBe('locked');
    expect(phaseOf(foreign.stuckUpload.transferId)).toBe('paused_system');
  });

  it('ends our stuck download (the disk is ok again), and the job that found it locked then completes', async () => {
    const end = await h.call('transfers:endEngine', { id: ourTransfer });
    expect(end).toMatchObject({ id: ourTransfer, action: 'finalized', disk: 'ok', diskName: `ours-${version}` });
    expect(diskStatus(ourDisk)).toBe('ok');
    expect(['finished_success', 'gone']).toContain(phaseOf(ourTransfer));
    expect((await list()).some((r) => r.id === ourTransfer)).toBe(false);
    const failed = h.snapshot('transfers:changed').transfers.find((t) => t.diskId === ourDisk && t.error?.diskLocked)!;
    await h.call('transfers:retry', { id: failed.id });
    await until(() => view(failed.id).state === 'completed', 60_000, 'the retried download to complete');
    await expectFileEqualsDisk(h.sim, ourDisk, view(failed.id).localPath);
  });

  it('ends another client’s download only when the user confirmed whose it is; the job then completes', async () => {
    const end = await h.call('transfers:endEngine', { id: foreign.openDownload.transferId, anotherClient: true });
    expect(end).toMatchObject({ action: 'finalized', disk: 'ok' });
    expect(diskStatus(foreign.openDownload.diskId)).toBe('ok');
    const failed = h.snapshot('transfers:changed').transfers.find((t) => t.diskId === foreign.openDownload.diskId && t.state === 'failed')!;
    await h.call('transfers:retry', { id: failed.id });
    await until(() => view(failed.id).state === 'completed', 60_000, 'the retried download to complete');
  });

  it('cancels a stuck upload when the user accepted that its disk goes: the disk is removed', async () => {
    const end = await h.call('transfers:endEngine', { id: foreign.stuckUpload.transferId, deleteDisk: true });
    expect(end).toMatchObject({ action: 'cancelled', disk: 'removed' });
    expect(diskStatus(foreign.stuckUpload.diskId)).toBe('gone');
    expect(await list()).toEqual([]);
  });

  it("does not end, when it retries by itself, another client's transfer that made it fail on the lock", async () => {
    const disk = await addSimDisk(h.sim, `held-${version}`, 4 * MiB, [{ start: 0, length: MiB }]);
    const theirs = await openDownload(disk);
    await h.call('settings:set', { maxRetries: 2 });
    try {
      const t = await download(disk, 'held');
      await settled(t.id);
      expect(view(t.id)).toMatchObject({ state: 'failed', attempts: 3, error: { code: 'conflict', diskLocked: true } });
    } finally {
      await h.call('settings:set', { maxRetries: 0 });
    }
    expect(phaseOf(theirs)).toBe('transferring');
    expect(diskStatus(disk)).toBe('locked');
    expect(row(await list(disk), theirs)).toMatchObject({ owner: null, endable: 'another-client' });
  });

  it('never ends the transfer a running job of ours goes on with', async () => {
    const disk = await addSimDisk(h.sim, `running-${version}`, 16 * MiB, [{ start: 0, length: 8 * MiB }]);
    h.sim.faults.bandwidthBytesPerSecond = 512 * 1024;
    try {
      const t = await download(disk, 'running');
      await until(() => view(t.id).state === 'transferring', 30_000, 'the download to move');
      const [mine] = await list(disk);
      expect(mine).toMatchObject({ owner: { kind: 'queue', live: true, jobId: t.id }, condition: 'held', endable: 'no' });
      const refused = await h.invoke('transfers:endEngine', { id: mine!.id, anotherClient: true, deleteDisk: true });
      expect(!refused.ok && refused.error.message).toMatch(/belongs to queue job .* which goes on with it\. Pause or cancel that job in the queue instead/);
      expect(view(t.id).state).toBe('transferring');
      await h.call('transfers:cancel', { id: t.id });
      await settled(t.id);
    } finally {
      h.sim.faults.bandwidthBytesPerSecond = null;
    }
    // No password, token or ticket crossed to the window.
    const wire = h.wire.join('\n');
    expect(wire).not.toContain(h.sim.password);
    expect(wire).not.toMatch(/\/images\/[0-9a-f-]{36}/);
  });
});
