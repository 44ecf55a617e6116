/**
 * What a snapshot backup must undo, written down before it is done: one small file per run in a
 * folder (the CLI's `<config>/pending-snapshots/`), written before the snapshot is asked for and
 * removed once the snapshot is gone. A record whose process died names a snapshot a kill or a crash
 * left on the VM; the next snapshot backup and `diskferry transfers clean` remove it. A record made
 * before the engine answered has no snapshot id yet: its description, unique per run, finds it.
 * Holds ids and names only, never a secret.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { processAlive } from '../janitor/ledger.js';
import type { OvirtClient } from '../ovirt/client.js';

const PendingSchema = z.object({
  version: z.literal(1),
  /** The engine's `host:port` (OvirtClient.engineHost). */
  engine: z.string().min(1),
  vmId: z.string().min(1),
  vmName: z.string(),
  /** The snapshot's description: unique per run, so a snapshot whose id was never recorded is found by it. */
  description: z.string().min(1),
  snapshotId: z.string().nullable(),
  /** The run folder it was made for. */
  runDir: z.string(),
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.number(),
});

/** One snapshot a run must remove. */
export type PendingSnapshot = z.infer<typeof PendingSchema> & { readonly key: string };

/** The folder of pending snapshot records. */
export class PendingSnapshots {
  constructor(readonly dir: string) {}

  /** A new record's key and content, for a run of this process. */
  create(fields: Pick<PendingSnapshot, 'engine' | 'vmId' | 'vmName' | 'description' | 'runDir'>): PendingSnapshot {
    return { key: `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`, version: 1, snapshotId: null, pid: process.pid, host: hostname(), startedAt: Date.now(), ...fields };
  }

  async list(): Promise<PendingSnapshot[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
    const out: PendingSnapshot[] = [];
    for (const name of names) {
      const parsed = PendingSchema.safeParse(await readFile(join(this.dir, name), 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
      if (parsed.success) out.push({ ...parsed.data, key: name.slice(0, -'.json'.length) });
    }
    return out;
  }

  async write(record: PendingSnapshot): Promise<void> {
    const { key, ...data } = record;
    await writeFileAtomic(join(this.dir, `${key}.json`), JSON.stringify(data));
  }

  async remove(key: string): Promise<void> {
    await rm(join(this.dir, `${key}.json`), { force: true });
  }

  /** True when the run behind a record is gone (its process on this machine ended). */
  async orphaned(record: PendingSnapshot): Promise<boolean> {
    return record.host === hostname() && record.pid !== process.pid && !(await processAlive(record.pid));
  }
}

/**
 * Removes a run's snapshot (found by id, else by its description) and waits until the engine has
 * merged it away; true when it is gone. A snapshot the engine does not know any more is gone.
 */
export async function removeRunSnapshot(client: OvirtClient, record: Pick<PendingSnapshot, 'vmId' | 'snapshotId' | 'description'>, o: { timeoutMs: number; signal?: AbortSignal }): Promise<boolean> {
  const api = client.backups;
  const vm = await api.vm(record.vmId, o.signal);
  if (vm === null) return true; // the VM and its snapshots are gone
  const ids = record.snapshotId !== null ? [record.snapshotId] : (await api.snapshots(record.vmId, o.signal)).filter((s) => s.type !== 'active' && s.description === record.description).map((s) => s.id);
  for (const id of ids) {
    await api.deleteSnapshot(record.vmId, id, o.signal);
    if (!(await api.waitForSnapshotGone(record.vmId, id, { timeoutMs: o.timeoutMs, ...(o.signal ? { signal: o.signal } : {}) }))) return false;
  }
  return true;
}

/**
 * Removes the snapshots that dead runs on this machine left on this engine, and their records;
 * returns a line per snapshot for the user. One that cannot be removed now keeps its record for the
 * next time, and the line says why.
 */
export async function sweepPendingSnapshots(client: OvirtClient, pending: PendingSnapshots, o: { timeoutMs: number; signal?: AbortSignal }): Promise<string[]> {
  const notes: string[] = [];
  for (const r of await pending.list()) {
    if (r.engine !== client.engineHost || !(await pending.orphaned(r))) continue;
    const what = `the snapshot '${r.description}' of VM ${r.vmName} that an interrupted backup (process ${r.pid}) left`;
    try {
      if (await removeRunSnapshot(client, r, o)) {
        await pending.remove(r.key);
        notes.push(`removed ${what}`);
      } else notes.push(`could not remove ${what} yet: the engine is still merging it; it is tried again next time`);
    } catch (err) {
      notes.push(`could not remove ${what} yet (${errorMessage(err)}); it is tried again next time`);
    }
  }
  return notes;
}
