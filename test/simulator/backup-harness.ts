/**
 * Helpers for the backup and snapshot tests: a VM with qcow2 and raw disks on an engine with the
 * real imageio servers, backup polling, and reads through a transfer's data URL.
 */
import { Agent, request } from 'undici';
import { createDisk, startTransfer, waitFor, type Harness } from './engine-harness.js';

type Json = Record<string, unknown>;
export const MiB = 1024 * 1024;

/** A VM named `name` with a 64 MiB qcow2 disk and a 16 MiB raw disk, both with some data. */
export async function backupVm(h: Harness, name: string, status: 'up' | 'down' = 'up'): Promise<{ vmId: string; cow: string; raw: string }> {
  const cow = await createDisk(h, { name: `${name}-cow`, format: 'cow', provisioned_size: 64 * MiB });
  const raw = await createDisk(h, { name: `${name}-raw`, format: 'raw', provisioned_size: 16 * MiB });
  await h.images.get(cow)!.write(0, Buffer.alloc(MiB, 1));
  await h.images.get(raw)!.write(2 * MiB, Buffer.alloc(MiB, 2));
  const vm = h.engine.vms.create({ name, status, disks: [cow, raw] });
  return { vmId: vm.id, cow, raw };
}

/** Polls the backup until `phase` (or fails with the phases seen). */
export async function backupPhase(h: Harness, vmId: string, backupId: string, phase: string, ms = 3000): Promise<Json> {
  const seen: string[] = [];
  return waitFor(
    async () => {
      const res = await h.api('GET', `/vms/${vmId}/backups/${backupId}`);
      if (res.status !== 200) throw new Error(`backup GET: ${res.status}`);
      const b = res.json();
      if (seen[seen.length - 1] !== b['phase']) seen.push(String(b['phase']));
      return b['phase'] === phase ? b : undefined;
    },
    ms,
    `backup ${phase} (seen ${seen.join(' → ')})`,
  );
}

/** Starts a backup; expects 201. */
export async function startBackup(h: Harness, vmId: string, body: Json, query = ''): Promise<Json> {
  const res = await h.api('POST', `/vms/${vmId}/backups${query}`, body);
  if (res.status !== 201) throw new Error(`backup start: ${res.status} ${res.text}`);
  return res.json();
}

/** GET on a data URL with the harness CA; `path` is appended to the image URL. */
export async function imageio(h: Harness, url: string, path = '', headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  const agent = new Agent({ connect: { ca: h.pki.caPem } });
  try {
    const res = await request(url + path, { method: 'GET', headers, dispatcher: agent });
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
  } finally {
    await agent.close();
  }
}

/** A download transfer through a backup; returns the transfer JSON (transferring, with URLs). */
export async function backupTransfer(h: Harness, backupId: string, diskId: string): Promise<Json> {
  return startTransfer(h, { disk: { id: diskId }, backup: { id: backupId }, direction: 'download', format: 'raw' });
}

/** Finalizes a transfer and waits until its phase is finished. */
export async function endTransfer(h: Harness, t: Json): Promise<void> {
  await h.api('POST', `/imagetransfers/${String(t['id'])}/finalize`, {});
  await waitFor(() => (String(h.engine.state.transfers.get(String(t['id']))?.phase ?? 'gone').startsWith('finished') ? true : undefined), 3000, 'transfer end');
}
