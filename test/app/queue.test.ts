import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../main/app/node-ports.js';
import { newRecord, transfersDocument } from '../../main/app/transfers/record.js';
import { expectFileEqualsSeed, seededDiskId } from '../integration/helpers.js';
import { startCore, until, type CoreHarness } from './helpers.js';

describe('app core queue: retries and recovery after a restart', () => {
  let h: CoreHarness;
  let engineId: string;
  beforeAll(async () => {
    const store = new MemoryStore();
    h = await startCore({ store });
    engineId = (await h.call('engines:demo', undefined)).id;
  });
  afterAll(async () => {
    await h.close();
  });

  const view = (id: string) => h.snapshot('transfers:changed').transfers.find((t) => t.id === id)!;

  it('retries a transfer after a retryable engine failure, then completes', async () => {
    const folder = join(h.dir, 'retry');
    await mkdir(folder);
    // Held outside a closed schedule window until the engine is down.
    const minute = new Date().getHours() * 60 + new Date().getMinutes();
    const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    await h.call('settings:set', { scheduleWindow: { start: hhmm(minute + 120), end: hhmm(minute + 180) } });
    const [t] = await h.call('transfers:addDownloads', { diskIds: [seededDiskId('web-01-disk1')], folder, format: 'raw', existing: 'overwrite', start: 'window' });
    expect(view(t!.id).state).toBe('waiting');
    h.sim.faults.engineUnavailable = true;
    await h.call('settings:set', { scheduleWindow: null });
    await until(() => view(t!.id).timeline.some((s) => s.state === 'retrying'), 30_000, 'a retry');
    expect(view(t!.id).error?.code).toBe('server-error');
    h.sim.faults.engineUnavailable = false;
    await until(() => ['completed', 'failed'].includes(view(t!.id).state), 30_000, 'the end');
    expect(view(t!.id).state, view(t!.id).error?.message).toBe('completed');
    expect(view(t!.id).attempts).toBeGreaterThanOrEqual(2);
  });

  it('after a restart, resumes an interrupted download and fails an interrupted upload with what to check', async () => {
    const folder = join(h.dir, 'recover');
    await mkdir(folder);
    const now = Date.now();
    const common = { engineId, engineName: 'Demo', storageDomainId: null, storageDomainName: null, start: 'now' as const, now, bytesTotal: null };
    const download = {
      ...newRecord({ ...common, id: 'd1', direction: 'download', name: 'web-01-disk1', localPath: join(folder, 'web.raw'), diskId: seededDiskId('web-01-disk1'), diskName: 'web-01-disk1', localFormat: 'raw', diskFormat: 'raw' }),
      state: 'transferring' as const,
      running: true,
    };
    const upload = {
      ...newRecord({ ...common, id: 'u1', direction: 'upload', name: 'x.raw', localPath: join(folder, 'x.raw'), diskId: null, diskName: 'x', localFormat: 'raw', diskFormat: 'raw' }),
      state: 'transferring' as const,
      running: true,
    };
    await h.restart(() => h.store.write('transfers', transfersDocument([download, upload])));
    await h.call('engines:demo', undefined);
    expect(view('u1').state).toBe('failed');
    expect(view('u1').error?.message).toMatch(/closed while this upload ran.*'x'/);
    await until(() => view('d1').state === 'completed', 30_000, 'the recovered download');
    await expectFileEqualsSeed('web-01-disk1', join(folder, 'web.raw'));
  });
});
