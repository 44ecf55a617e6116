/**
 * The local record of plain commands' transfers (ledger.ts): written before the engine is asked,
 * kept as abandoned when the run could not end its transfer, removed when it did; a dead process's
 * entry is orphaned, a live one's is not.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransferLedger } from '../../../main/engine/janitor/ledger.js';
import type { ImageTransfer } from '../../../main/engine/ovirt/types.js';

/** The engine as the record's end sees it: one transfer in a phase, or gone, or unreachable. */
const engine = (phase: string | null | 'unreachable') => ({
  transfer: (): Promise<ImageTransfer | null> =>
    phase === 'unreachable' ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve(phase === null ? null : ({ id: 't1', phase } as ImageTransfer)),
});

describe('TransferLedger', () => {
  let dir: string;
  let ledger: TransferLedger;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-ledger-'));
    ledger = new TransferLedger(join(dir, 'transfers'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records the disk before the transfer exists, then its id, and forgets it once the run ended it', async () => {
    const rec = ledger.record('engine:443', 'download', 'download');
    await rec.beforeTransfer('d1');
    expect(await ledger.list()).toMatchObject([{ engine: 'engine:443', direction: 'download', diskId: 'd1', transferId: null, pid: process.pid, host: hostname(), abandoned: false }]);
    await rec.onCreated({ diskId: 'd1', transferId: 't1' });
    expect(await ledger.list()).toMatchObject([{ diskId: 'd1', transferId: 't1' }]);
    // A live process's entry is not orphaned.
    expect(await ledger.orphaned((await ledger.list())[0]!)).toBe(false);
    await rec.finish(engine('finished_success'));
    expect(await ledger.list()).toEqual([]);
  });

  it('keeps the entry, as abandoned, while the transfer is still open or the engine cannot be asked', async () => {
    for (const phase of ['transferring', 'unreachable'] as const) {
      const rec = ledger.record('engine:443', 'upload', 'upload');
      await rec.onCreated({ diskId: 'd1', transferId: null });
      await rec.onCreated({ diskId: 'd1', transferId: 't1' });
      await rec.finish(engine(phase));
      const [entry] = await ledger.list();
      expect(entry).toMatchObject({ transferId: 't1', abandoned: true });
      expect(await ledger.orphaned(entry!)).toBe(true);
      await ledger.remove(entry!.key);
    }
    // Ended by the run (gone, or the engine is ending it): forgotten.
    for (const phase of [null, 'finalizing_success', 'cancelled_user']) {
      const rec = ledger.record('engine:443', 'upload', 'upload');
      await rec.onCreated({ diskId: 'd1', transferId: 't1' });
      await rec.finish(engine(phase));
      expect(await ledger.list()).toEqual([]);
    }
  });

  it('calls the entry of a process that died orphaned', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await ledger.write({ key: 'k', version: 1, engine: 'e', direction: 'download', diskId: 'd', transferId: 't', pid: dead, host: hostname(), command: 'download', startedAt: 0, abandoned: false });
    const [entry] = await ledger.list();
    expect(await ledger.orphaned(entry!)).toBe(true);
    // Another machine's entry (a shared config folder) is not ours to judge by pid.
    expect(await ledger.orphaned({ ...entry!, host: 'some-other-host' })).toBe(false);
  });
});
