/**
 * Transfers that meet trouble and still succeed, against every engine generation: a session that
 * starts in paused_system, an unreachable transfer_url (the proxy takes over), an SSO token that
 * expires mid-transfer, a data connection dropped mid-body, and a 500 answer to a PUT.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import type { TransferOptions } from '../../main/engine/transfer/deps.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import {
  expectDiskEqualsFile,
  expectFileEqualsDisk,
  KiB,
  makeSparseImage,
  SMALL_RUNS,
  SMALL_SIZE,
  startHarness,
  TUNING,
  VERSIONS,
  type Harness,
} from './helpers.js';

describe.each(VERSIONS)('faults on engine %s', (version) => {
  let h: Harness;
  let src: string;
  beforeAll(async () => {
    h = await startHarness(version);
    src = join(h.dir, 'source.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
  });
  afterEach(() => h.resetFaults());
  afterAll(async () => {
    await h?.close();
  });

  const upload = (name: string, onProgress?: TransferOptions['onProgress']) =>
    uploadImage(h.deps, { path: src, storageDomain: 'data-nfs', diskName: `${name}-${version}` }, { tuning: TUNING, ...(onProgress ? { onProgress } : {}) });

  it('resumes a transfer the engine starts in paused_system', async () => {
    h.sim.faults.pausedSystemAtStart = true;
    const result = await upload('paused-system');

    expect(h.logLines.some((l) => l.includes('paused by the engine while starting; resuming'))).toBe(true);
    expect(h.sim.engine.state.disks.get(result.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, result.diskId, src);
  });

  it('falls back to the proxy when transfer_url is unreachable (upload and download)', async () => {
    h.sim.faults.transferUrlUnreachable = true;
    const up = await upload('via-proxy');
    const file = join(h.dir, 'via-proxy.raw');
    const down = await downloadDisk(h.deps, { disk: up.diskId, output: { file } }, { tuning: TUNING });

    expect(up.viaProxy).toBe(true);
    expect(down.viaProxy).toBe(true);
    await expectDiskEqualsFile(h.sim, up.diskId, src);
    await expectFileEqualsDisk(h.sim, up.diskId, file);
  });

  it('logs in again when the SSO token expires mid-transfer', async () => {
    const loginsBefore = h.logLines.filter((l) => l.includes('logged in to the engine')).length;
    let expired = false;
    const result = await upload('token-expiry', (p) => {
      if (p.state === 'transferring' && !expired) {
        expired = true;
        h.sim.faults.expireTokens = true;
      }
    });

    expect(expired).toBe(true);
    expect(h.logLines.some((l) => l.includes('engine session expired; logging in again'))).toBe(true);
    expect(h.logLines.filter((l) => l.includes('logged in to the engine')).length).toBe(loginsBefore + 1);
    expect(h.logLines.join('\n')).not.toContain(h.sim.password);
    expect(h.sim.engine.state.disks.get(result.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, result.diskId, src);
  });

  it('survives a data connection dropped in the middle of a PUT body', async () => {
    h.sim.faults.dropAfterBytes = 300 * KiB;
    const result = await upload('dropped-put');

    expect(h.sim.faults.dropAfterBytes).toBeNull(); // the fault fired
    expect(h.sim.engine.state.disks.get(result.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, result.diskId, src);
  });

  it('survives a data connection dropped in the middle of a GET body', async () => {
    const up = await upload('dropped-get');
    h.sim.faults.dropAfterBytes = 300 * KiB;
    const file = join(h.dir, 'dropped-get.raw');
    await downloadDisk(h.deps, { disk: up.diskId, output: { file } }, { tuning: TUNING });

    expect(h.sim.faults.dropAfterBytes).toBeNull();
    await expectFileEqualsDisk(h.sim, up.diskId, file);
  });

  it('asks the engine and goes on when imageio refuses an expired ticket (upload and download)', async () => {
    h.sim.faults.expireTicket = true;
    const up = await upload('expired-ticket');
    expect(h.sim.faults.expireTicket).toBe(false); // the fault fired
    h.sim.faults.expireTicket = true;
    const file = join(h.dir, 'expired-ticket.raw');
    await downloadDisk(h.deps, { disk: up.diskId, output: { file } }, { tuning: TUNING });

    expect(h.sim.faults.expireTicket).toBe(false);
    expect(h.logLines.some((l) => l.includes('imageio refused the ticket; asking the engine'))).toBe(true);
    await expectDiskEqualsFile(h.sim, up.diskId, src);
    await expectFileEqualsDisk(h.sim, up.diskId, file);
  });

  it('resends what was not flushed after a 500 on a PUT', async () => {
    // The 4.1 FILE upload of this image is one PUT; the NBD uploads send one PUT per data run.
    h.sim.faults.failNthPut = version === '4.1' ? 1 : 3;
    const result = await upload('failed-put');

    expect(h.sim.faults.failNthPut).toBeNull();
    expect(h.sim.engine.state.disks.get(result.diskId)?.status).toBe('ok');
    await expectDiskEqualsFile(h.sim, result.diskId, src);
  });
});
