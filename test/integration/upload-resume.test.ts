/**
 * Uploads resume by range: an upload stopped in the middle keeps a journal of what the server
 * flushed, and the next run sends only the rest, through the transfer it left or a new transfer on
 * the same disk when that one is gone. Counted on the simulated imageio: the bytes it received after
 * the resume are exactly the data the journal did not hold. The checksum still covers the whole image.
 */
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { TransferControl } from '../../main/engine/transfer/control.js';
import type { TransferDeps } from '../../main/engine/transfer/deps.js';
import { uploadImage, type UploadSpec } from '../../main/engine/transfer/upload-image.js';
import { UploadJournal } from '../../main/engine/transfer/upload-journal.js';
import { expectDiskEqualsFile, makeSparseImage, MiB, startHarness, TUNING, transferPhasesOf, until, type DataRun, type Harness } from './helpers.js';

// Two data runs around a hole; the run stops inside the first, with part of it flushed. Sizes are
// small on purpose: a request and a flush per MiB resume the same way as larger ones, with half the writes.
const SIZE = 24 * MiB;
const RUNS: readonly DataRun[] = [
  { start: 0, length: 8 * MiB },
  { start: 12 * MiB, length: 8 * MiB },
];

/** Runs an upload at 16 MiB/s and detaches it (as a process that stops would) once `after` bytes crossed the network. */
async function interruptedUpload(deps: TransferDeps, spec: UploadSpec, after: number): Promise<{ diskId: string; transferId: string }> {
  const control = new TransferControl();
  let ids: { diskId: string; transferId: string | null } = { diskId: '', transferId: null };
  const err = await uploadImage(deps, spec, {
    control,
    tuning: { ...TUNING, workers: 1, flushEvery: MiB },
    throttle: (bytes) => new Promise((r) => setTimeout(r, (bytes / (16 * MiB)) * 1000)),
    onCreated: (x) => void (ids = x),
    onProgress: (p) => {
      if (p.bytesOnWire >= after) control.detach();
    },
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DiskFerryError);
  expect((err as DiskFerryError).code).toBe('cancelled');
  return { diskId: ids.diskId, transferId: ids.transferId! };
}

/**
 * Resolves once the servers are done with what the interrupted run sent: its connections closed (a
 * closed connection starts no request) and no request of its ticket still writing. Only then does
 * the image's write counter tell what the next run sends; a PUT the run had sent whole before it
 * stopped may otherwise land after the counter was read, on a busy machine.
 */
async function serversDoneWith(h: Harness, transferId: string): Promise<void> {
  const ticketId = h.sim.engine.state.transfers.get(transferId)!.ticketId;
  const tickets = () => [h.sim.daemon.tickets.get(ticketId), h.sim.proxy.tickets.get(ticketId)].filter((t) => t !== undefined);
  await until(() => tickets().every((t) => t.connections === 0 && !t.active), 20_000, 'the interrupted run\'s requests to end on the servers');
}

describe.each(['4.1', '4.3', '4.5'] as const)('engine %s: an interrupted upload resumes by range', (version) => {
  let h: Harness;
  let deps: TransferDeps;
  // 4.1 sends the file's bytes as they are (FILE backend): every byte of the file is data on the wire.
  const wireData = (r: { dataBytes: number }) => (version === '4.1' ? SIZE : r.dataBytes);
  beforeAll(async () => {
    h = await startHarness(version);
    deps = { ...h.deps, uploadJournals: join(h.dir, 'journals') };
  });
  afterAll(() => h?.close());

  it('re-attached to its transfer, sends only what the server had not flushed; the checksum covers the whole image', { timeout: 60_000 }, async () => {
    const file = join(h.dir, 'resume-a.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const spec: UploadSpec = { path: file, storageDomain: 'data-nfs', diskName: 'resume-a' };
    const { diskId, transferId } = await interruptedUpload(deps, spec, 6 * MiB);
    await serversDoneWith(h, transferId);
    expect(transferPhasesOf(h.sim, diskId)).toEqual(['transferring']);
    const journal = (await UploadJournal.load(deps.uploadJournals!, file, diskId))!;
    // The data runs' bytes the journal holds (the runs hold a few zero blocks, planned as zero ranges).
    const journaled = journal.coveredBytes(RUNS.map((r) => ({ ...r, zero: false })));
    expect(journaled).toBeGreaterThanOrEqual(4 * MiB);
    expect(journaled).toBeLessThan(12 * MiB);

    const image = h.sim.images.get(diskId)!;
    const before = image.bytesWritten;
    const r = await uploadImage(deps, spec, { tuning: TUNING, reattach: { diskId, transferId } });
    expect(r.diskId).toBe(diskId);
    const kept = r.resumedBytes;
    expect(kept).toBeLessThanOrEqual(journaled);
    expect(kept).toBeGreaterThan(journaled - MiB);
    // What the server received after the resume: the data the journal did not hold, nothing more.
    expect(image.bytesWritten - before).toBe(wireData(r) - kept);
    expect(r.bytesOnWire).toBe(wireData(r) - kept);
    expect(r.verified).toBe(version === '4.5' ? true : null); // imageio before 2.0 computes no checksum
    await expectDiskEqualsFile(h.sim, diskId, file);
    // Engines before 4.4.7 drop a finished transfer's row at once.
    expect(transferPhasesOf(h.sim, diskId)).toEqual(version === '4.5' ? ['finished_success'] : []);
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');
    expect(await readdir(deps.uploadJournals!)).toEqual([]);
  });

  it('continues with a new transfer on the same disk when the old one is gone (finalized early by another client)', { timeout: 60_000 }, async () => {
    const file = join(h.dir, 'resume-b.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const spec: UploadSpec = { path: file, storageDomain: 'data-nfs', diskName: 'resume-b' };
    const { diskId, transferId } = await interruptedUpload(deps, spec, 6 * MiB);
    await serversDoneWith(h, transferId);
    // Another client ends the stuck transfer with finalize: the disk is ok, holding part of the data.
    await h.client.finishTransfer(transferId, { diskId, direction: 'upload', signal: AbortSignal.timeout(20_000), timeoutMs: 20_000 });
    expect(h.sim.engine.state.disks.get(diskId)!.status).toBe('ok');
    const journaled = (await UploadJournal.load(deps.uploadJournals!, file, diskId))!.coveredBytes(RUNS.map((r) => ({ ...r, zero: false })));
    expect(journaled).toBeGreaterThanOrEqual(4 * MiB);

    const image = h.sim.images.get(diskId)!;
    const before = image.bytesWritten;
    const r = await uploadImage(deps, spec, { tuning: TUNING, reattach: { diskId, transferId } });
    expect(r.diskId).toBe(diskId);
    const kept = r.resumedBytes;
    expect(kept).toBeLessThanOrEqual(journaled);
    expect(kept).toBeGreaterThan(journaled - MiB);
    expect(image.bytesWritten - before).toBe(wireData(r) - kept);
    expect(r.verified).toBe(version === '4.5' ? true : null); // imageio before 2.0 computes no checksum
    await expectDiskEqualsFile(h.sim, diskId, file);
    expect([...h.sim.engine.state.disks.values()].filter((d) => d.name === 'resume-b')).toHaveLength(1);
  });

  it('does not trust a journal written for another state of the file: the whole image goes again, zeros too', { timeout: 60_000 }, async () => {
    const file = join(h.dir, 'resume-c.raw');
    await makeSparseImage(file, SIZE, RUNS);
    const spec: UploadSpec = { path: file, storageDomain: 'data-nfs', diskName: 'resume-c' };
    const { diskId, transferId } = await interruptedUpload(deps, spec, 6 * MiB);
    await serversDoneWith(h, transferId);
    // The same bytes, another modification time: the journal's stamp no longer matches.
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const image = h.sim.images.get(diskId)!;
    const before = image.bytesWritten;
    const r = await uploadImage(deps, spec, { tuning: TUNING, reattach: { diskId, transferId } });
    expect(r.resumedBytes).toBe(0);
    expect(image.bytesWritten - before).toBe(wireData(r));
    await expectDiskEqualsFile(h.sim, diskId, file);
    await until(() => h.logLines.some((l) => l.includes('sending the whole image again')), 1000, 'the log says why');
  });
});
