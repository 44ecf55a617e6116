/**
 * The queue's actions on many transfers at once (`transfers:act`: a selection, "pause all",
 * "retry failed", "clear finished", "start now", move to the top or bottom) and its report as a
 * file (`transfers:report`, `transfers:saveReport`): the queue's own report, the one the CLI writes.
 */
import type { ActOnTransfersRequest, ActOnTransfersResult, ReportFile, ReportRequest, SavedReport } from '../../../shared/ipc.js';
import { asDiskFerryError, DiskFerryError } from '../../engine/errors.js';
import { writeFileAtomic } from '../../engine/fs/atomic.js';
import { reportCsv } from '../../engine/queue/report.js';
import type { DialogPort } from '../ports.js';
import type { TransferQueuePort } from './queue-port.js';

/**
 * Applies one action to each transfer, in the order given (`top` in reverse, so the transfers keep
 * their order at the top). A transfer it does not apply to is skipped with the queue's reason; the
 * others are still done.
 */
export async function actOnTransfers(queue: TransferQueuePort, { ids, action }: ActOnTransfersRequest): Promise<ActOnTransfersResult> {
  const done: string[] = [];
  const skipped: ActOnTransfersResult['skipped'][number][] = [];
  const unique = [...new Set(ids)];
  const order = action === 'top' ? [...unique].reverse() : unique;
  for (const id of order) {
    try {
      if (action === 'top' || action === 'bottom') queue.move(id, action);
      else if (action === 'remove') await queue.remove(id);
      else queue[action](id);
      done.push(id);
    } catch (err) {
      skipped.push({ id, error: asDiskFerryError(err).toInfo() });
    }
  }
  if (action === 'top') done.reverse();
  return { done, skipped };
}

/** The report of the finished transfers (all, or those named) as a file: its name, type and text. */
export function reportFile(queue: TransferQueuePort, request: ReportRequest, now: number): ReportFile {
  const report = queue.report(request.ids ?? null);
  if (report.rows.length === 0) throw new DiskFerryError('not-found', 'No finished transfer to report yet.', { retryable: false });
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return request.format === 'csv'
    ? { fileName: `diskferry-report-${stamp}.csv`, mimeType: 'text/csv', content: reportCsv(report) }
    : { fileName: `diskferry-report-${stamp}.json`, mimeType: 'application/json', content: `${JSON.stringify(report, null, 2)}\n` };
}

/** Writes the report where the user chooses in the host's save dialog; null when cancelled. */
export async function saveReport(queue: TransferQueuePort, dialogs: DialogPort, request: ReportRequest, now: number): Promise<SavedReport> {
  const file = reportFile(queue, request, now);
  const path = await dialogs.saveFile({
    title: 'Save the transfer report',
    defaultPath: file.fileName,
    filterName: request.format === 'csv' ? 'CSV' : 'JSON',
    extensions: [request.format],
  });
  if (path === null) return { path: null };
  try {
    await writeFileAtomic(path, file.content, { mode: 0o644 });
  } catch (err) {
    const e = asDiskFerryError(err);
    throw new DiskFerryError(e.code, `The report could not be saved as ${path}: ${e.message} Choose another folder.`, { retryable: false, cause: err });
  }
  return { path };
}
