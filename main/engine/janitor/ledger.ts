/**
 * The local record of the engine transfers this machine's plain commands (`diskferry upload`,
 * `download`) have open: one small file per run in a folder, written before the engine is asked for
 * the transfer and removed when the run has ended it. A file whose process is gone names what a kill
 * or a crash left on the engine, so the next run of any command (or `diskferry transfers clean`) can
 * end it instead of waiting for the engine's inactivity timeout. Holds ids only, never a secret.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { errorCode } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { ImageTransfer, TransferDirection } from '../ovirt/types.js';

/** Phases of a transfer the engine is ending or has ended. */
const OVER = /^(finished_|finalizing_|cancelled)/;

const EntrySchema = z.object({
  version: z.literal(1),
  /** The engine's `host:port` (OvirtClient.engineHost). */
  engine: z.string().min(1),
  direction: z.enum(['upload', 'download']),
  diskId: z.string().nullable(),
  /** Null until the engine answered: a kill during the POST leaves only the disk to find it by. */
  transferId: z.string().nullable(),
  pid: z.number().int(),
  host: z.string(),
  /** The command that opened it (`download`, `upload`). */
  command: z.string(),
  startedAt: z.number(),
  /** The run ended but could not end its transfer (the engine was away): nobody is behind it. */
  abandoned: z.boolean().default(false),
});

/** One recorded transfer of a plain command. */
export type LedgerEntry = z.infer<typeof EntrySchema> & { readonly key: string };

/** True while the process runs (a zombie does not count: it holds nothing any more). */
export async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
  // A killed process stays in the table as a zombie until its parent reaps it (in containers whose
  // init does not reap, for a long time).
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  const state = stat === null ? '' : stat.charAt(stat.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X';
}

/** See the file comment. */
export class TransferLedger {
  constructor(readonly dir: string) {}

  /** Every readable entry (unreadable files are skipped: a kill in the middle of a write leaves none, the write is atomic). */
  async list(): Promise<LedgerEntry[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
    const out: LedgerEntry[] = [];
    for (const name of names) {
      const parsed = EntrySchema.safeParse(await readFile(join(this.dir, name), 'utf8').then((t) => JSON.parse(t) as unknown, () => null));
      if (parsed.success) out.push({ ...parsed.data, key: name.slice(0, -'.json'.length) });
    }
    return out;
  }

  /** Writes (or rewrites) an entry. */
  async write(entry: LedgerEntry): Promise<void> {
    const { key, ...data } = entry;
    await writeFileAtomic(join(this.dir, `${key}.json`), JSON.stringify(data));
  }

  /** Removes an entry; a missing one is not an error. */
  async remove(key: string): Promise<void> {
    await rm(join(this.dir, `${key}.json`), { force: true });
  }

  /** True when nobody is behind the entry any more: abandoned, or its process on this machine is gone. */
  async orphaned(entry: LedgerEntry): Promise<boolean> {
    if (entry.abandoned) return true;
    return entry.host === hostname() && entry.pid !== process.pid && !(await processAlive(entry.pid));
  }

  /** The record of one run of this process: call its hooks from the transfer's options, then `end`. */
  record(engine: string, direction: TransferDirection, command: string): LedgerRecord {
    return new LedgerRecord(this, engine, direction, command);
  }
}

/** The entry of one run (see TransferLedger.record). */
export class LedgerRecord {
  private entry: LedgerEntry | null = null;
  private readonly key = `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly ledger: TransferLedger,
    private readonly engine: string,
    private readonly direction: TransferDirection,
    private readonly command: string,
  ) {}

  /** Before the engine is asked for the transfer (TransferOptions.beforeTransfer). */
  readonly beforeTransfer = (diskId: string): Promise<void> => this.save({ diskId, transferId: null });

  /** When the engine created the disk or the transfer (TransferOptions.onCreated). */
  readonly onCreated = (ids: { readonly diskId: string; readonly transferId: string | null }): Promise<void> =>
    this.save({ diskId: ids.diskId, transferId: ids.transferId ?? this.entry?.transferId ?? null });

  /**
   * After the run, whatever its outcome: the entry goes when its transfer is over or being ended by
   * the engine (the run's own clean-up did its work), and is kept as abandoned when the transfer is
   * still open or the engine cannot be asked, for the next command to end.
   */
  async finish(client: { transfer(id: string): Promise<ImageTransfer | null> }): Promise<void> {
    const entry = this.entry;
    if (!entry) return;
    this.entry = null;
    const t = entry.transferId === null ? null : await client.transfer(entry.transferId).catch(() => undefined);
    const closed = t === null || (t !== undefined && OVER.test(t.phase));
    if (closed) await this.ledger.remove(this.key);
    else await this.ledger.write({ ...entry, abandoned: true });
  }

  private async save(ids: { diskId: string; transferId: string | null }): Promise<void> {
    this.entry = {
      key: this.key,
      version: 1,
      engine: this.engine,
      direction: this.direction,
      command: this.command,
      pid: process.pid,
      host: hostname(),
      startedAt: this.entry?.startedAt ?? Date.now(),
      abandoned: false,
      ...ids,
    };
    await this.ledger.write(this.entry);
  }
}
