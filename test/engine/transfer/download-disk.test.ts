/**
 * How a failed download ends on the engine (reference/engine.md §3.3, §4.3): a download that ends in
 * `finished_failure` still unlocks its disk, so the error must not claim the disk may stay locked.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadDisk } from '../../../main/engine/transfer/download-disk.js';
import { seededDiskId, startHarness, TUNING, type Harness } from '../../integration/helpers.js';

const SEEDED = 'web-01-disk1';

describe('a download the engine cancels while starting it (engine 4.5)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('4.5');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('says the transfer was closed and the disk is not locked (finished_failure leaves the disk ok)', async () => {
    h.sim.faults.pausedSystemAtStart = true; // a download start failure is cancelled_system → finished_failure
    try {
      // The transfer reaches finished_failure before the client's finalize, which 4.5.3+ then ignores.
      const untilFinished = async ({ transferId }: { transferId: string | null }) => {
        for (let i = 0; i < 400 && (await h.client.transfer(transferId!))?.phase !== 'finished_failure'; i++) await new Promise((r) => setTimeout(r, 25));
      };
      const err = await downloadDisk(h.deps, { disk: SEEDED, output: { file: join(h.dir, 'cancelled.raw') } }, { tuning: TUNING, onCreated: untilFinished }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'transfer-failed' });
      expect((err as Error).message).toContain('was closed');
      expect((err as Error).message).not.toContain('may stay locked');
      expect(h.sim.engine.state.disks.get(seededDiskId(SEEDED))?.status).toBe('ok');
    } finally {
      h.resetFaults();
    }
  });
});
