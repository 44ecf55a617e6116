/**
 * What a backup run has open on the engine, saved in the VM folder before each step
 * (`.in-progress.json`): the backup (by id, or by its description before the engine answered), the
 * transfers of its disks and the run folder. It is the VM folder's lock while its process lives, and
 * after a crash or a kill -9 it tells the next run (or the queue's recovery) what to end: the
 * transfers are finalized, the backup is finalized (which on 4.5 removes its snapshot), the
 * unfinished run folder is removed. Nothing of a dead run stays open on the engine.
 */
import { readJsonFile } from '../fs/json-file.js';
import { readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DiskFerryError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { processAlive } from '../janitor/ledger.js';
import type { Log } from '../log.js';
import type { OvirtClient } from '../ovirt/client.js';
import { sleep, type Timers } from '../timers.js';
import { MANIFEST_NAME } from './manifest.js';

const RECORD = '.in-progress.json';

const recordSchema = z.object({
  format: z.literal('diskferry-backup-run/1'),
  vmId: z.string(),
  vmName: z.string(),
  /** The backup's description: finds it when a kill came before the engine's answer was saved. */
  description: z.string(),
  backupId: z.string().nullable(),
  /** The run folder's name, once made. */
  runName: z.string().nullable(),
  transferIds: z.array(z.string()),
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
});
type Record = z.infer<typeof recordSchema>;

/** VM folders with a run in this process (a queue may run several backups at once). */
const activeHere = new Set<string>();

/** How the engine is reached to end what a run left open. */
export interface EngineEnd {
  readonly client: OvirtClient;
  readonly log: Log;
  readonly timers: Timers;
}

/** A run's record in its VM folder; every change is saved at once (atomically). */
export class InProgress {
  private constructor(
    private readonly vmDir: string,
    private record: Record,
  ) {}

  /** Takes the VM folder for a new run; a live run of another process (or of this one) refuses it. */
  static async begin(vmDir: string, vm: { readonly id: string; readonly name: string }, description: string, startedAt: Date): Promise<InProgress> {
    const other = await readRecord(vmDir);
    if (activeHere.has(vmDir) || (other && (await isLive(other))))
      throw new DiskFerryError('conflict', `A backup of VM '${vm.name}' into ${vmDir} is already running${other ? ` (process ${other.pid})` : ''}. Wait until it has ended.`, { retryable: true });
    if (other) throw new DiskFerryError('internal', 'The earlier run of this VM folder was not ended first.', { retryable: false });
    activeHere.add(vmDir);
    const p = new InProgress(vmDir, {
      format: 'diskferry-backup-run/1',
      vmId: vm.id,
      vmName: vm.name,
      description,
      backupId: null,
      runName: null,
      transferIds: [],
      pid: process.pid,
      host: hostname(),
      startedAt: startedAt.toISOString(),
    });
    await p.save().catch((err: unknown) => {
      activeHere.delete(vmDir);
      throw err;
    });
    return p;
  }

  async setBackup(backupId: string): Promise<void> {
    this.record = { ...this.record, backupId };
    await this.save();
  }

  async setRun(runName: string): Promise<void> {
    this.record = { ...this.record, runName };
    await this.save();
  }

  async addTransfer(id: string): Promise<void> {
    this.record = { ...this.record, transferIds: [...this.record.transferIds, id] };
    await this.save();
  }

  /** The run ended (its backup finalized): the record goes and the folder is free. */
  async end(): Promise<void> {
    await rm(join(this.vmDir, RECORD), { force: true });
    activeHere.delete(this.vmDir);
  }

  /** Leaves the record for the next run (the backup could not be finalized now) and frees the folder in this process. */
  release(): void {
    activeHere.delete(this.vmDir);
  }

  private save(): Promise<void> {
    return writeFileAtomic(join(this.vmDir, RECORD), `${JSON.stringify(this.record, null, 2)}\n`, { mode: 0o644 });
  }
}

async function readRecord(vmDir: string): Promise<Record | null> {
  const file = join(vmDir, RECORD);
  return readJsonFile(file, recordSchema, () => new DiskFerryError('bad-input', `${file} is not a DiskFerry run record; move it away if you know no backup of this VM is running.`, { retryable: false }));
}

async function isLive(r: Record): Promise<boolean> {
  if (r.host !== hostname()) return true; // another machine's run: never ours to end
  if (r.pid === process.pid) return false; // this process, not in activeHere: an earlier attempt that could not end
  return processAlive(r.pid);
}

/**
 * Ends what an earlier run of this VM folder left open (a crash, a kill -9, an engine away when it
 * stopped): its transfers and its backup on the engine, its unfinished run folder. Returns what was
 * done, for the user; null when there was nothing. A run still alive is left alone (conflict).
 */
export async function endLeftovers(engine: EngineEnd, vmDir: string): Promise<string | null> {
  const r = await readRecord(vmDir);
  if (!r) return null;
  if (activeHere.has(vmDir) || (await isLive(r)))
    throw new DiskFerryError('conflict', `A backup of VM '${r.vmName}' into ${vmDir} is already running (process ${r.pid}). Wait until it has ended.`, { retryable: true });
  const { client, log } = engine;
  const signal = AbortSignal.timeout(10 * 60_000);
  for (const id of r.transferIds) {
    await client.finalizeTransfer(id, signal).catch((err: unknown) => log.warn('finalizing a left-over backup transfer failed', { transferId: id, error: errorMessage(err) }));
  }
  const backups = await client.backups.backups(r.vmId, signal);
  const open = backups.filter((b) => (r.backupId !== null ? b.id === r.backupId : b.description === r.description) && b.phase !== 'succeeded' && b.phase !== 'failed');
  for (const b of open) await finalizeBackup(engine, r.vmId, b.id, signal);
  if (r.runName !== null) {
    const runDir = join(vmDir, r.runName);
    const finished = await readFile(join(runDir, MANIFEST_NAME)).then(() => true, () => false);
    if (!finished) await rm(runDir, { recursive: true, force: true });
  }
  await rm(join(vmDir, RECORD), { force: true });
  const what = open.length > 0 ? `backup ${open.map((b) => b.id).join(', ')} was finalized` : 'the engine had already ended its backup';
  return `An earlier backup run of VM '${r.vmName}' (started ${r.startedAt}) stopped before it ended: ${what}${r.runName !== null ? ` and its unfinished folder ${r.runName} removed` : ''}.`;
}

/**
 * Finalizes a backup and waits until it has ended. The engine refuses (409) while a transfer of the
 * backup is still ending, so that is asked again for a while.
 */
export async function finalizeBackup(engine: EngineEnd, vmId: string, backupId: string, signal: AbortSignal): Promise<'succeeded' | 'failed' | 'gone'> {
  const { client, timers } = engine;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.backups.finalizeBackup(vmId, backupId, signal);
      break;
    } catch (err) {
      if (!(err instanceof DiskFerryError && err.status === 409) || attempt >= 60) throw err;
      await sleep(timers, 1000, signal);
    }
  }
  return client.backups.waitForBackupEnd(vmId, backupId, { signal });
}
