/** How `diskferry queue` shows jobs and events: one line per event, or one JSON object a line. */
import { formatBytes, formatDuration, formatRate } from '../../../shared/format.js';
import { holeBytes } from '../../../shared/model.js';
import type { QueueJob } from '../../engine/queue/job.js';
import type { QueueEvent } from '../../engine/queue/queue-types.js';
import type { RunReport } from '../../engine/queue/report.js';
import { table } from '../table.js';
import { isTerminal } from '../../engine/queue/states.js';

/** The short id shown to users (any unique prefix is accepted back). */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** A job's kind in words: a restore is an upload job that restores a backup. */
export function jobKind(job: QueueJob): string {
  return job.kind === 'upload' && job.restore ? 'restore' : job.kind;
}

/** Where a job goes, in words. */
export function jobTarget(job: QueueJob): string {
  if (job.kind === 'backup') return `VM ${job.backup.vmName} → ${job.backup.outputDir} (backup, ${job.backup.mode})`;
  if (job.kind === 'upload' && job.restore) return `${job.upload.path} → ${job.upload.storageDomain} (restore${job.restore.attachVm ? `, attach to ${job.restore.attachVm.name}` : ''})`;
  return job.kind === 'upload' ? `${job.upload.path} → ${job.upload.storageDomain}` : `${job.download.diskName ?? job.download.disk} → ${job.download.file ?? job.download.outputDir}${job.download.format === 'qcow2' ? ' (qcow2)' : ''}`;
}

function percent(job: QueueJob): string {
  const { bytesDone, bytesTotal } = job.progress;
  return bytesTotal ? `${Math.floor((bytesDone / bytesTotal) * 100)}%` : '';
}

/** A job as one JSON-able object (snake_case like the rest of the CLI's JSON). */
export function jobJson(job: QueueJob): Record<string, unknown> {
  return {
    job: job.id,
    kind: job.kind,
    name: job.label,
    engine: job.engine,
    state: job.state,
    priority: job.priority,
    attempts: job.attempts,
    transferred: job.progress.bytesDone,
    size: job.progress.bytesTotal,
    // Absent in jobs saved by earlier versions.
    data_done: job.progress.dataDone ?? null,
    data_total: job.progress.dataTotal ?? null,
    holes: holeBytes(job.progress),
    on_wire: job.progress.bytesOnWire,
    rate: job.progress.rate === null ? null : Math.round(job.progress.rate),
    disk_id: job.diskId,
    ...(job.kind === 'upload'
      ? { file: job.upload.path, storage_domain: job.upload.storageDomain, ...(job.restore ? { restore: restoreJson(job.restore) } : {}) }
      : job.kind === 'download'
        ? { disk: job.download.disk, output: job.download.outputDir }
        : { vm: job.backup.vmId, vm_name: job.backup.vmName, output: job.backup.outputDir, mode: job.backup.mode }),
    ...(job.result ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.nextAttemptAt !== null ? { next_attempt_at: new Date(job.nextAttemptAt).toISOString() } : {}),
  };
}

/** A restore job's origin in the CLI's JSON. */
function restoreJson(r: NonNullable<(QueueJob & { kind: 'upload' })['restore']>): Record<string, unknown> {
  return {
    run: r.run,
    run_kind: r.runKind,
    run_started_at: r.runStartedAt,
    vm_id: r.vm?.id ?? null,
    vm_name: r.vm?.name ?? null,
    backup_disk_id: r.backupDisk?.id ?? null,
    backup_disk_alias: r.backupDisk?.alias ?? null,
    attach: r.attachVm ? { vm_id: r.attachVm.id, vm_name: r.attachVm.name } : null,
  };
}

/** The `queue list` table. */
export function jobsTable(jobs: readonly QueueJob[]): string {
  return table(
    ['ID', 'STATE', 'KIND', 'NAME', 'DONE', 'TRIES', 'WHERE', 'NOTE'],
    jobs.map((j) => [shortId(j.id), j.state, jobKind(j), j.label, percent(j), String(j.attempts), jobTarget(j), j.error?.message.slice(0, 80) ?? '']),
  );
}

/** Prints queue events to the CLI's streams. */
export class QueueEventPrinter {
  private readonly lastTenth = new Map<string, number>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly json: boolean,
    private readonly quiet: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Prints one event (text progress only at each tenth, to keep logs readable). */
  print(e: QueueEvent): void {
    if (this.json) return this.line(JSON.stringify(this.eventJson(e)));
    switch (e.type) {
      case 'added':
        return this.line(`+ ${shortId(e.job.id)} ${e.job.kind} ${jobTarget(e.job)}`);
      case 'state':
        // --quiet: how each job ended (and why it is tried again), not every step on the way.
        if (this.quiet && !isTerminal(e.job.state) && e.job.state !== 'retrying') return;
        return this.line(`${shortId(e.job.id)} ${e.job.label}: ${this.stateText(e.job)}`);
      case 'progress': {
        // Before the size is known there is nothing to say (it printed " of —, —").
        if (!e.job.progress.bytesTotal) return;
        const tenth = Math.floor((e.job.progress.bytesDone / e.job.progress.bytesTotal) * 10);
        if (this.quiet || tenth === this.lastTenth.get(e.job.id)) return;
        this.lastTenth.set(e.job.id, tenth);
        return this.line(`${shortId(e.job.id)} ${e.job.label}: ${percent(e.job)} of ${formatBytes(e.job.progress.bytesTotal)}, ${formatRate(e.job.progress.rate)}`);
      }
      case 'updated':
      case 'reordered':
        return;
      case 'removed':
        return this.line(`- ${shortId(e.jobId)} removed`);
      case 'window':
        return this.line(`schedule window ${e.open ? 'open' : 'closed'}${e.nextChangeAt !== null ? `; ${e.open ? 'closes' : 'opens'} at ${new Date(e.nextChangeAt).toLocaleString()}` : ''}`);
      case 'idle':
        return this.line(e.report ? reportSummary(e.report) : 'Nothing to do.');
    }
  }

  private stateText(job: QueueJob): string {
    if (job.state === 'failed') return `failed: ${job.error?.message ?? 'unknown error'}`;
    if (job.state === 'retrying') {
      const wait = job.nextAttemptAt === null ? null : Math.max(0, (job.nextAttemptAt - this.now()) / 1000);
      return `retrying in ${formatDuration(wait)} (attempt ${job.attempts} failed: ${job.error?.message ?? 'unknown error'})`;
    }
    if (job.state === 'waiting') return 'waiting for the schedule window';
    if (job.state === 'completed' && job.result) {
      const r = job.result;
      const secs = job.activeMs / 1000;
      return `completed: ${formatBytes(r.virtualSize)} (${formatBytes(r.dataBytes)} of data${r.resumedBytes ? `, ${formatBytes(r.resumedBytes)} kept from before` : ''}) in ${formatDuration(secs)}, ${formatRate(secs > 0 ? r.dataBytes / secs : null)}${r.path ? ` → ${r.path}` : ` → disk ${r.diskId}`}`;
    }
    return job.state;
  }

  private eventJson(e: QueueEvent): Record<string, unknown> {
    switch (e.type) {
      case 'added':
      case 'progress':
      case 'updated':
        return { event: e.type, ...jobJson(e.job) };
      case 'state':
        return { event: 'state', from: e.from, ...jobJson(e.job) };
      case 'removed':
        return { event: 'removed', job: e.jobId };
      case 'reordered':
        return { event: 'reordered', order: e.order };
      case 'window':
        return { event: 'window', open: e.open, next_change_at: e.nextChangeAt === null ? null : new Date(e.nextChangeAt).toISOString() };
      case 'idle':
        return { event: 'report', report: e.report };
    }
  }

  private line(text: string): void {
    this.out.write(text + '\n');
  }
}

/** One line about a batch. */
export function reportSummary(report: RunReport): string {
  const t = report.totals;
  return `Done: ${t.completed} completed, ${t.failed} failed, ${t.cancelled} cancelled; ${formatBytes(t.bytes)} in ${formatDuration(t.durationMs / 1000)} of transfer time.`;
}

/** The `queue report` table. */
export function reportTable(report: RunReport): string {
  return table(
    ['JOB', 'OUTCOME', 'SOURCE', 'TARGET', 'BYTES', 'TIME', 'RATE', 'DIGEST', 'REASON'],
    report.rows.map((r) => [
      shortId(r.jobId),
      r.outcome,
      r.source,
      r.target,
      formatBytes(r.bytes),
      formatDuration(r.durationMs / 1000),
      formatRate(r.averageRate),
      r.digest ?? '',
      r.reason ?? '',
    ]),
  );
}
