/** The app core's record of one transfer (persisted), and its view for the window. */
import { z } from 'zod';
import type { StartMode, TransferActions, TransferView } from '../../../shared/ipc.js';
import type { TransferProgress, TransferState } from '../../../shared/model.js';
import { ErrorInfoSchema, TransferProgressSchema, TransferStateSchema } from '../../../shared/schemas/index.js';
import { isActive, isFinished, isPending } from './states.js';

const TransferRecordSchema = z.object({
  id: z.string(),
  direction: z.enum(['upload', 'download']),
  engineId: z.string(),
  engineName: z.string(),
  name: z.string(),
  localPath: z.string(),
  diskId: z.string().nullable(),
  diskName: z.string(),
  storageDomainId: z.string().nullable(),
  storageDomainName: z.string().nullable(),
  localFormat: z.enum(['raw', 'qcow2', 'iso']).nullable(),
  diskFormat: z.enum(['raw', 'cow']).nullable(),
  preallocated: z.boolean(),
  overwrite: z.boolean(),
  state: TransferStateSchema,
  /** A run (engine session) existed when this was saved. */
  running: z.boolean(),
  progress: TransferProgressSchema,
  error: ErrorInfoSchema.nullable(),
  attempts: z.number().int().nonnegative(),
  start: z.enum(['now', 'window']),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  timeline: z.array(z.object({ state: TransferStateSchema, at: z.number() })),
  notes: z.array(z.string()),
});

/** One transfer as the core keeps it. */
export type TransferRecord = z.infer<typeof TransferRecordSchema>;

const TransfersDocumentSchema = z.object({ version: z.literal(1), transfers: z.array(TransferRecordSchema) });

/** Parses the stored queue; null when it is unreadable. */
export function parseTransfersDocument(value: unknown): TransferRecord[] | null {
  if (value === undefined || value === null) return [];
  const parsed = TransfersDocumentSchema.safeParse(value);
  return parsed.success ? parsed.data.transfers : null;
}

/** The document to persist. */
export function transfersDocument(records: readonly TransferRecord[]): unknown {
  return { version: 1, transfers: records };
}

/** A progress snapshot before anything ran. */
export function initialProgress(state: TransferState, bytesTotal: number | null): TransferProgress {
  return { state, bytesDone: 0, bytesTotal, bytesOnWire: 0, rate: null, etaSeconds: null, elapsedMs: 0, connections: 0, viaProxy: null };
}

/** A new record with the common defaults. */
export function newRecord(
  fields: Pick<TransferRecord, 'id' | 'direction' | 'engineId' | 'engineName' | 'name' | 'localPath' | 'diskId' | 'diskName' | 'storageDomainId' | 'storageDomainName' | 'localFormat' | 'diskFormat'> & {
    preallocated?: boolean;
    overwrite?: boolean;
    start: StartMode;
    now: number;
    bytesTotal: number | null;
    notes?: string[];
  },
): TransferRecord {
  const { now, bytesTotal, start, preallocated, overwrite, notes, ...rest } = fields;
  return {
    ...rest,
    preallocated: preallocated ?? false,
    overwrite: overwrite ?? false,
    state: 'queued',
    running: false,
    progress: initialProgress('queued', bytesTotal),
    error: null,
    attempts: 0,
    start,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    timeline: [{ state: 'queued', at: now }],
    notes: notes ?? [],
  };
}

/** Which actions apply now. */
export function transferActions(r: TransferRecord): TransferActions {
  return {
    pause: (isActive(r.state) && r.state !== 'finalizing' && r.state !== 'verifying') || isPending(r.state),
    resume: r.state === 'paused',
    cancel: !isFinished(r.state),
    retry: r.state === 'failed' || r.state === 'cancelled',
    remove: isFinished(r.state),
    reveal: r.direction === 'upload' || r.state === 'completed' || r.progress.bytesDone > 0 || r.running,
    move: isPending(r.state) || (r.state === 'paused' && !r.running),
  };
}

/** The window's view of a record. */
export function transferView(r: TransferRecord): TransferView {
  return {
    id: r.id,
    direction: r.direction,
    state: r.state,
    engineId: r.engineId,
    engineName: r.engineName,
    name: r.name,
    localPath: r.localPath,
    diskId: r.diskId,
    diskName: r.diskName,
    storageDomainName: r.storageDomainName,
    localFormat: r.localFormat,
    diskFormat: r.diskFormat,
    progress: { ...r.progress, state: r.state },
    error: r.error,
    attempts: r.attempts,
    start: r.start,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    timeline: r.timeline,
    notes: r.notes,
    cancelDeletesDisk: r.direction === 'upload' && !isFinished(r.state),
    actions: transferActions(r),
  };
}
