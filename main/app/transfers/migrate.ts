/**
 * Reads the `transfers` document the app wrote before it used the engine queue (version 1: a list
 * of the app's own records) and turns it into engine queue jobs and display fields, so the history
 * and the pending transfers survive the upgrade. Pending transfers keep their place and state; a
 * download that was running continues from its journal (same target file); an upload that was
 * running fails with what to check, because that queue never saved the disk it was creating.
 */
import { dirname } from 'node:path';
import { z } from 'zod';
import { ErrorInfoSchema, TransferProgressSchema, TransferStateSchema } from '../../../shared/schemas/index.js';
import { createJob, type QueueJob } from '../../engine/queue/job.js';
import { isActive, isTerminal } from '../../engine/queue/states.js';
import type { TransferMeta } from './record.js';

const V1RecordSchema = z.object({
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
  running: z.boolean(),
  // Saved before the data and the holes were counted apart (those two may be missing), and a rate could be negative.
  progress: TransferProgressSchema.extend({ dataDone: z.number().nonnegative().optional(), dataTotal: z.number().nonnegative().nullable().optional(), rate: z.number().nullable() }),
  error: ErrorInfoSchema.nullable(),
  attempts: z.number().int().nonnegative(),
  start: z.enum(['now', 'window']),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  timeline: z.array(z.object({ state: TransferStateSchema, at: z.number() })),
  notes: z.array(z.string()),
});
type V1Record = z.infer<typeof V1RecordSchema>;

const V1DocumentSchema = z.object({ version: z.literal(1), transfers: z.array(V1RecordSchema) });

/** True when `value` is a version 1 document (whether or not it parses). */
export function isV1Document(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'version' in value && value.version === 1 && 'transfers' in value;
}

/** What a migration yields: jobs in queue order and their display fields; null when unreadable. */
export interface Migrated {
  readonly jobs: QueueJob[];
  readonly meta: Record<string, TransferMeta>;
}

/** Converts a version 1 document; null when it does not parse. */
export function migrateV1(value: unknown, now: number): Migrated | null {
  const parsed = V1DocumentSchema.safeParse(value);
  if (!parsed.success) return null;
  const jobs: QueueJob[] = [];
  const meta: Record<string, TransferMeta> = {};
  for (const r of parsed.data.transfers) {
    if ((r.direction === 'upload' && !r.storageDomainId) || (r.direction === 'download' && !r.diskId)) continue;
    jobs.push(jobOf(r, now));
    meta[r.id] = {
      direction: r.direction,
      engineName: r.engineName,
      name: r.name,
      localPath: r.localPath,
      diskName: r.diskName,
      storageDomainName: r.storageDomainName,
      localFormat: r.localFormat,
      diskFormat: r.diskFormat,
      bytesTotal: r.progress.bytesTotal,
      notes: r.notes,
    };
  }
  return { jobs, meta };
}

function jobOf(r: V1Record, now: number): QueueJob {
  const base =
    r.direction === 'upload'
      ? createJob(
          {
            id: r.id,
            kind: 'upload',
            engine: r.engineId,
            label: r.name,
            storageDomainKey: r.storageDomainId,
            start: r.start,
            upload: { path: r.localPath, storageDomain: r.storageDomainId!, diskName: r.diskName, ...(r.diskFormat ? { diskFormat: r.diskFormat } : {}), preallocated: r.preallocated },
          },
          r.id,
          r.createdAt,
        )
      : createJob(
          {
            id: r.id,
            kind: 'download',
            engine: r.engineId,
            label: r.name,
            start: r.start,
            download: {
              disk: r.diskId!,
              diskName: r.diskName,
              outputDir: dirname(r.localPath),
              file: r.localPath,
              overwrite: r.overwrite,
              format: r.localFormat === 'qcow2' ? 'qcow2' : 'raw',
              size: r.progress.bytesTotal,
            },
          },
          r.id,
          r.createdAt,
        );
  const interrupted = r.running || isActive(r.state);
  let state = r.state;
  let error = r.error;
  let finishedAt = r.finishedAt;
  const notes: string[] = [];
  if (interrupted && r.direction === 'upload') {
    state = 'failed';
    finishedAt = now;
    error = {
      code: 'cancelled',
      message: `DiskFerry was closed while this upload ran. The disk '${r.diskName}' may be left locked on the engine: check it in the Administration Portal, then retry.`,
      retryable: false,
    };
  } else if (interrupted || state === 'retrying') {
    state = 'queued';
    if (interrupted) notes.push('DiskFerry was closed while this download ran; it continues from what it had.');
  }
  const timeline = state === r.state ? r.timeline : [...r.timeline, { state, at: now }];
  return {
    ...base,
    state,
    timeline: timeline.slice(-50),
    attempts: isTerminal(state) ? r.attempts : 0,
    diskId: r.diskId,
    progress: { bytesDone: r.progress.bytesDone, bytesTotal: r.progress.bytesTotal, bytesOnWire: r.progress.bytesOnWire, rate: null },
    error,
    notes,
    startedAt: r.startedAt,
    finishedAt: isTerminal(state) ? (finishedAt ?? now) : null,
    // Transfers that ended before the upgrade were reported then; the next report covers only new ones.
    reportedAt: isTerminal(state) ? now : null,
  };
}
