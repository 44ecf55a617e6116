/**
 * The run report of a batch: one row per job that ended since the last report (source, target,
 * bytes, duration, average rate, digest, outcome and reason), as JSON and as CSV.
 */
import { z } from 'zod';
import type { QueueJob } from './job.js';

/** One job in a report. */
const ReportRowSchema = z.object({
  jobId: z.string(),
  /** `restore`: an upload job that restores a backup's disk. */
  kind: z.enum(['upload', 'download', 'backup', 'restore']),
  engine: z.string(),
  /** The local file of an upload, the disk (name and id) of a download. */
  source: z.string(),
  /** The disk (storage domain / name and id) of an upload, the local file of a download. */
  target: z.string(),
  /** Virtual size of the image, when known. */
  size: z.number().nullable(),
  /** Data bytes of the image (completed jobs) or done so far (others). */
  bytes: z.number(),
  /** Bytes that crossed the network in the last run. */
  bytesOnWire: z.number(),
  /** Time spent in runs, over all attempts (not waiting for slots, the window or backoff). */
  durationMs: z.number(),
  /** bytes per second over durationMs; null when nothing ran. */
  averageRate: z.number().nullable(),
  digest: z.string().nullable(),
  /** The digest's algorithm (imageio's blkhash: `blake2b`); null without a digest (and in reports saved before it was kept). */
  digestAlgorithm: z.string().nullable().default(null),
  /** true: the digest matched the server's checksum; false/null: not compared. */
  verified: z.boolean().nullable().default(null),
  outcome: z.enum(['completed', 'failed', 'cancelled']),
  /** Why it failed or was cancelled. */
  reason: z.string().nullable(),
  /** The error code behind the reason. */
  code: z.string().nullable(),
  attempts: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
});
/** One job in a report. */
export type ReportRow = z.infer<typeof ReportRowSchema>;

/** A batch's report. */
export const RunReportSchema = z.object({
  id: z.string(),
  createdAt: z.number(),
  /** When the first job of the batch started (null when none ran). */
  startedAt: z.number().nullable(),
  rows: z.array(ReportRowSchema),
  totals: z.object({ jobs: z.number(), completed: z.number(), failed: z.number(), cancelled: z.number(), bytes: z.number(), durationMs: z.number() }),
});
/** A batch's report. */
export type RunReport = z.infer<typeof RunReportSchema>;

/** Where reports go besides the queue's history (files next to the downloads, for the CLI). */
export interface ReportSink {
  write(report: RunReport, jobs: readonly QueueJob[]): Promise<void>;
}

/** The report row of a finished job. */
function reportRow(job: QueueJob): ReportRow {
  const r = job.result;
  const outcome = job.state === 'completed' ? 'completed' : job.state === 'cancelled' ? 'cancelled' : 'failed';
  const bytes = r ? r.dataBytes : job.progress.bytesDone;
  let source: string;
  let target: string;
  if (job.kind === 'upload') {
    const from = job.restore?.backupDisk && job.restore.vm ? `disk ${job.restore.backupDisk.alias} of VM ${job.restore.vm.name}, backup ${job.restore.runStartedAt ?? ''}: ` : '';
    source = `${from}${job.upload.path}`;
    const name = r?.diskName ?? job.upload.diskName ?? job.label;
    const id = r?.diskId ?? job.diskId;
    target = `${job.upload.storageDomain}/${name}${id ? ` (${id})` : ''}`;
  } else if (job.kind === 'backup') {
    source = `VM ${job.backup.vmName} (${job.backup.vmId})`;
    target = r?.path ?? job.backup.outputDir;
  } else {
    const name = r?.diskName ?? job.download.diskName ?? job.label;
    const id = r?.diskId ?? job.diskId;
    source = `${name}${id && id !== name ? ` (${id})` : ''}`;
    target = r?.path ?? job.download.outputDir;
  }
  return {
    jobId: job.id,
    kind: job.kind === 'upload' && job.restore ? 'restore' : job.kind,
    engine: job.engine,
    source,
    target,
    size: r ? r.virtualSize : job.progress.bytesTotal,
    bytes,
    bytesOnWire: r ? r.bytesOnWire : job.progress.bytesOnWire,
    durationMs: Math.round(job.activeMs),
    averageRate: job.activeMs > 0 ? Math.round(bytes / (job.activeMs / 1000)) : null,
    digest: r?.digest ?? null,
    digestAlgorithm: r?.digest ? (r.checksum?.algorithm ?? null) : null,
    verified: r?.checksum?.verified ?? null,
    outcome,
    reason: outcome === 'completed' ? null : (job.error?.message ?? (outcome === 'cancelled' ? 'Cancelled.' : 'Failed.')),
    code: outcome === 'completed' ? null : (job.error?.code ?? null),
    attempts: job.attempts,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}

/** A report of the given finished jobs. */
export function buildReport(id: string, jobs: readonly QueueJob[], now: number): RunReport {
  const rows = jobs.map(reportRow);
  const started = jobs.map((j) => j.startedAt).filter((t): t is number => t !== null);
  return {
    id,
    createdAt: now,
    startedAt: started.length > 0 ? Math.min(...started) : null,
    rows,
    totals: {
      jobs: rows.length,
      completed: rows.filter((r) => r.outcome === 'completed').length,
      failed: rows.filter((r) => r.outcome === 'failed').length,
      cancelled: rows.filter((r) => r.outcome === 'cancelled').length,
      bytes: rows.reduce((s, r) => s + r.bytes, 0),
      durationMs: rows.reduce((s, r) => s + r.durationMs, 0),
    },
  };
}

const CSV_COLUMNS = [
  'jobId',
  'kind',
  'engine',
  'source',
  'target',
  'size',
  'bytes',
  'bytesOnWire',
  'durationMs',
  'averageRate',
  'digest',
  'digestAlgorithm',
  'verified',
  'outcome',
  'reason',
  'code',
  'attempts',
  'startedAt',
  'finishedAt',
] as const satisfies readonly (keyof ReportRow)[];

/** RFC 4180 CSV of the rows of one report or of several (times as ISO 8601 UTC), under one header line. */
export function reportCsv(reports: RunReport | readonly RunReport[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  const rows = (Array.isArray(reports) ? (reports as readonly RunReport[]) : [reports as RunReport]).flatMap((r) => r.rows);
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvField(c === 'startedAt' || c === 'finishedAt' ? isoTime(row[c]) : row[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  // Quote what needs it; a leading =, +, - or @ would run as a formula in a spreadsheet.
  const guarded = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(guarded) || guarded !== text ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}
