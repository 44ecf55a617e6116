/**
 * `transfers:*`: turns confirmed plans into jobs of the engine's transfer queue (through the app's
 * queue port), and answers snapshots for the window.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import type {
  ActOnTransfersRequest,
  ActOnTransfersResult,
  AddDownloadsRequest,
  AddTransfersResult,
  AddUploadsRequest,
  MoveTransferRequest,
  ReportFile,
  ReportRequest,
  RetargetRequest,
  RevealResult,
  SavedReport,
  TransfersSnapshot,
  TransferView,
} from '../../../shared/ipc.js';
import { DiskFerryError } from '../../engine/errors.js';
import { probeImageOnce, type ImageProbe } from '../../engine/image/probe.js';
import type { StorageDomain } from '../../engine/ovirt/types.js';
import { checkOutputFolder, targetPath } from '../../engine/plan/download-rules.js';
import { checkUploadDomain } from '../../engine/plan/upload-rules.js';
import { uploadTarget, type UploadTarget } from '../../engine/plan/upload-target.js';
import { isActive, isPending, isTerminal } from '../../engine/queue/states.js';
import type { CatalogService } from '../catalog-service.js';
import type { EnginesService } from '../engines-service.js';
import type { DesktopPort, DialogPort } from '../ports.js';
import type { SettingsService } from '../settings-service.js';
import type { PlannedImages } from '../upload-planning.js';
import { vmNamesByDisk } from '../../engine/ovirt/vms.js';
import { expandTemplate } from './naming.js';
import { DEFAULT_NAME_TEMPLATE, safeFileName } from '../../../shared/file-names.js';
import { actOnTransfers, reportFile, saveReport } from './queue-actions.js';
import type { NewTransfer, TransferQueuePort } from './queue-port.js';
import type { TransferMeta } from './record.js';
import { fewAtATime } from '../../engine/few-at-a-time.js';

/** Ports and tunables of the service. */
export interface TransfersServiceOptions {
  readonly engines: EnginesService;
  readonly catalog: CatalogService;
  readonly settings: SettingsService;
  readonly desktop: DesktopPort;
  readonly dialogs: DialogPort;
  /** The probes of the files the user planned (reused when their uploads are confirmed). */
  readonly planned: PlannedImages;
  readonly now: () => number;
  readonly newId: () => string;
}

/** A row left out of a confirmed plan. */
type Skipped = AddTransfersResult['skipped'][number];

/** The storage domain of an id in the engine's list; not-found (with what to do) when there is none; checked to take uploads. */
function domainById(domains: readonly StorageDomain[], id: string): StorageDomain {
  const sd = domains.find((d) => d.id === id);
  if (!sd) throw new DiskFerryError('not-found', `The engine has no storage domain with id ${id}. Refresh the storage domains.`, { retryable: false, subject: { kind: 'domain', name: id } });
  checkUploadDomain(sd);
  return sd;
}

/** The display fields of an upload. */
function uploadMeta(engineName: string, probe: ImageProbe, target: UploadTarget, domainName: string, notes: readonly string[]): TransferMeta {
  return {
    direction: 'upload',
    engineName,
    name: probe.name,
    localPath: probe.path,
    diskName: target.diskName ?? probe.name,
    storageDomainName: domainName,
    localFormat: probe.format,
    diskFormat: target.diskFormat ?? null,
    bytesTotal: probe.virtualSize,
    notes: [...notes],
  };
}

/** A transfer made from row `index` of a confirmed plan. */
interface Planned {
  readonly index: number;
  readonly transfer: NewTransfer;
}

/** See the file comment. */
export class TransfersService {
  private seq = 0;
  private queue!: TransferQueuePort;

  constructor(private readonly o: TransfersServiceOptions) {}

  /** Connects the queue. */
  attach(queue: TransferQueuePort): void {
    this.queue = queue;
  }

  /**
   * Queues confirmed uploads on the selected engine. Each file's probe from the plan is reused while
   * the file is unchanged; the engine's rules decide the defaults and check the storage domain. A row
   * that repeats a queued transfer or an earlier row is left out and said; the rest are queued.
   */
  async addUploads(request: AddUploadsRequest): Promise<AddTransfersResult> {
    const engineId = this.o.engines.selectedId();
    const domains = await this.o.catalog.domains(engineId, false);
    const verify = this.o.settings.get().verify;
    const transfers: NewTransfer[] = [];
    for (const item of request.items) {
      const sd = domainById(domains, item.storageDomainId);
      const probe = await probeImageOnce(item.path, this.o.planned.get(item.path));
      const { target, notes } = uploadTarget(probe, sd, { storageDomain: sd.id, diskName: item.diskName, diskFormat: item.diskFormat, preallocated: item.preallocated, verify });
      transfers.push({
        job: { id: this.o.newId(), kind: 'upload', engine: engineId, label: target.diskName, storageDomainKey: sd.id, start: request.start ?? 'now', upload: target },
        meta: uploadMeta(this.o.engines.profile(engineId).name, probe, target, sd.name, notes),
      });
    }
    const result = await this.queueNew(transfers.map((transfer, index) => ({ index, transfer })), []);
    const last = transfers.filter((t) => result.queued.some((q) => q.id === t.job.id)).at(-1)?.job;
    if (last?.kind === 'upload') await this.rememberDomain(engineId, last.upload.storageDomain);
    return result;
  }

  /**
   * Queues transfers another service planned by the same rules (restores: `backups:restore`), with the
   * same clash check; the storage domain becomes the remembered one.
   */
  async addPlanned(transfers: readonly NewTransfer[], engineId: string, domainId: string): Promise<AddTransfersResult> {
    const result = await this.queueNew(transfers.map((transfer, index) => ({ index, transfer })), []);
    if (result.queued.length > 0) await this.rememberDomain(engineId, domainId);
    return result;
  }

  /** Queues downloads of disks of the selected engine into a folder, named by the template (clashes left out, as for uploads). */
  async addDownloads(request: AddDownloadsRequest): Promise<AddTransfersResult> {
    if (!isAbsolute(request.folder)) throw new DiskFerryError('bad-input', `Choose a full folder path (${request.folder} is relative).`, { retryable: false });
    await checkOutputFolder(request.folder);
    const engineId = this.o.engines.selectedId();
    const profile = this.o.engines.profile(engineId);
    const client = await this.o.engines.connect(engineId);
    const template = request.nameTemplate ?? DEFAULT_NAME_TEMPLATE;
    const [disks, vmNames] = await Promise.all([
      // A few at a time: a thousand selected disks are not a thousand requests at once.
      fewAtATime(request.diskIds, 4, (id) => client.disk(id)),
      // `{vm}` needs the VMs; a user who may not list them gets the names without it.
      template.includes('{vm}') ? client.vms().then(vmNamesByDisk, () => null) : null,
    ]);
    const verify = this.o.settings.get().verify;
    const taken = new Set<string>();
    const transfers: NewTransfer[] = [];
    const rows: number[] = [];
    const exists: Skipped[] = [];
    for (const [i, disk] of disks.entries()) {
      if (!disk) throw new DiskFerryError('not-found', `The engine has no disk ${request.diskIds[i]!} any more. Refresh the disk list.`, { retryable: false, subject: { kind: 'disk', name: request.diskIds[i]! } });
      const fileName = expandTemplate(template, { disk: disk.name, id: disk.id, vm: vmNames?.get(disk.id)?.[0] ?? null, ext: request.format, now: this.o.now() });
      const target = await targetPath(request.folder, fileName, request.existing, taken);
      if (!target) {
        exists.push({ index: i, name: disk.name, reason: 'exists', message: `${fileName} exists in ${request.folder}; it was skipped, as asked.` });
        continue;
      }
      taken.add(target.path);
      transfers.push({
        job: {
          id: this.o.newId(),
          kind: 'download',
          engine: engineId,
          label: disk.name,
          storageDomainKey: disk.storageDomainIds[0] ?? null,
          start: request.start ?? 'now',
          download: {
            disk: disk.id,
            diskName: disk.name,
            // The chosen folder: the folders a template makes below it are made when the download starts.
            outputDir: request.folder,
            file: target.path,
            size: disk.provisionedSize,
            format: request.format,
            overwrite: target.overwrite,
            verify,
          },
        },
        meta: {
          direction: 'download',
          engineName: profile.name,
          name: disk.name,
          localPath: target.path,
          diskName: disk.name,
          storageDomainName: null,
          localFormat: request.format,
          diskFormat: disk.format,
          bytesTotal: disk.provisionedSize,
          notes: [],
        },
      });
      rows.push(i);
    }
    return this.queueNew(transfers.map((transfer, i) => ({ index: rows[i]!, transfer })), exists);
  }

  /**
   * Sends a failed, cancelled or waiting transfer elsewhere, checked by the rules a new one is: an
   * upload to another storage domain, disk name or format (the domain becomes the remembered one),
   * a download to another file.
   */
  async retarget(request: RetargetRequest): Promise<TransferView> {
    const job = this.queue.job(request.id);
    const view = this.queue.get(request.id);
    const t = request.target;
    if (t.kind !== job.kind) throw new DiskFerryError('bad-input', `${view.name} is ${job.kind === 'upload' ? 'an upload' : 'a download'}; it can only be changed as one.`, { retryable: false });
    if (t.kind === 'upload' && job.kind === 'upload') {
      const domains = await this.o.catalog.domains(job.engine, true);
      const sd = domainById(domains, t.storageDomainId);
      const probe = await probeImageOnce(job.upload.path, this.o.planned.get(job.upload.path) ?? job.upload.image);
      const { target, notes } = uploadTarget(probe, sd, { storageDomain: sd.id, diskName: t.diskName, diskFormat: t.diskFormat, preallocated: t.preallocated ?? job.upload.preallocated, verify: job.upload.verify });
      const meta = uploadMeta(view.engineName, probe, target, sd.name, notes);
      // A restore keeps its name (the backed-up disk's), and stays a restore: the job keeps its origin.
      await this.queue.retarget(job.id, { kind: 'upload', upload: target, storageDomainKey: sd.id }, job.restore ? { ...meta, name: view.name } : meta);
      await this.rememberDomain(job.engine, sd.id);
    } else if (t.kind === 'download' && job.kind === 'download') {
      if (!isAbsolute(t.folder)) throw new DiskFerryError('bad-input', `Choose a full folder path (${t.folder} is relative).`, { retryable: false });
      if (safeFileName(t.fileName) !== t.fileName)
        throw new DiskFerryError('bad-input', `${t.fileName} cannot be a file name: leave out / \\ : * ? " < > | and control characters, and do not start it with a dot.`, { retryable: false });
      await checkOutputFolder(t.folder);
      const target = await targetPath(t.folder, t.fileName, 'skip', new Set());
      if (!target) throw new DiskFerryError('bad-input', `${t.fileName} exists in ${t.folder}. Choose another name or folder.`, { retryable: false });
      await this.queue.retarget(job.id, { kind: 'download', download: { ...job.download, outputDir: t.folder, file: target.path, overwrite: false } }, { ...this.metaOf(view), localPath: target.path });
    }
    return this.queue.get(request.id);
  }

  /** After an upload failed for want of space on the remembered storage domain, it is no longer suggested. */
  async forgetFullDomain(view: TransferView, storageDomainKey: string | null): Promise<void> {
    if (view.direction !== 'upload' || view.error?.code !== 'domain-full' || storageDomainKey === null) return;
    const remembered = this.o.settings.get().lastStorageDomain;
    if (remembered[view.engineId] !== storageDomainKey) return;
    const rest = Object.fromEntries(Object.entries(remembered).filter(([engine]) => engine !== view.engineId));
    await this.o.settings.set({ lastStorageDomain: rest });
  }

  private async rememberDomain(engineId: string, domainId: string): Promise<void> {
    await this.o.settings.set({ lastStorageDomain: { ...this.o.settings.get().lastStorageDomain, [engineId]: domainId } });
  }

  /** The display fields of a transfer as its view shows them. */
  private metaOf(v: TransferView): TransferMeta {
    return {
      direction: v.direction,
      engineName: v.engineName,
      name: v.name,
      localPath: v.localPath,
      diskName: v.diskName,
      storageDomainName: v.storageDomainName,
      localFormat: v.localFormat,
      diskFormat: v.diskFormat,
      bytesTotal: v.progress.bytesTotal,
      notes: [],
    };
  }

  /** Queues the transfers that repeat nothing; the others (and `skipped`) are listed with the reason (also for backups-service.ts). */
  async queueNew(planned: readonly Planned[], skipped: readonly Skipped[]): Promise<AddTransfersResult> {
    const repeats = this.queue.duplicates(planned.map((p) => p.transfer.job));
    const fresh: NewTransfer[] = [];
    const left: Skipped[] = [...skipped];
    for (const [i, { index, transfer }] of planned.entries()) {
      const r = repeats[i];
      const name = transfer.meta.direction === 'upload' ? transfer.meta.name : transfer.meta.diskName;
      if (!r) fresh.push(transfer);
      else if (r.reason === 'in-queue') left.push({ index, name, reason: 'in-queue', message: `${name} is already in the queue (${this.queue.get(r.jobId).state}) with the same target; it was left out.` });
      else left.push({ index, name, reason: 'in-plan', message: `${name} repeats an earlier row of this plan (the same target); it was left out.` });
    }
    if (fresh.length > 0) await this.queue.add(fresh);
    return { queued: fresh.map((t) => this.queue.get(t.job.id)), skipped: left.sort((a, b) => a.index - b.index) };
  }

  pause(id: string): TransferView {
    this.queue.pause(id);
    return this.queue.get(id);
  }

  resume(id: string): TransferView {
    this.queue.resume(id);
    return this.queue.get(id);
  }

  cancel(id: string): TransferView {
    this.queue.cancel(id);
    return this.queue.get(id);
  }

  retry(id: string): TransferView {
    this.queue.retry(id);
    return this.queue.get(id);
  }

  async remove(id: string): Promise<null> {
    await this.queue.remove(id);
    return null;
  }

  move(id: string, to: MoveTransferRequest['to']): null {
    this.queue.move(id, to);
    return null;
  }

  /** One action on many transfers: `queue-actions.ts`. */
  act(request: ActOnTransfersRequest): Promise<ActOnTransfersResult> {
    return actOnTransfers(this.queue, request);
  }

  /** The report of finished transfers as a file's text. */
  report(request: ReportRequest): ReportFile {
    return reportFile(this.queue, request, this.o.now());
  }

  /** The report, written where the user chooses. */
  saveReport(request: ReportRequest): Promise<SavedReport> {
    return saveReport(this.queue, this.o.dialogs, request, this.o.now());
  }

  /** Shows the local file (or its folder, or the `.part` file) in the file manager where the host can. */
  async reveal(id: string): Promise<RevealResult> {
    const r = this.queue.get(id);
    const candidates = [r.localPath, `${r.localPath}.part`, dirname(r.localPath)];
    for (const path of candidates) {
      if (await stat(path).then(() => true, () => false)) return { path, shown: await this.o.desktop.reveal(path) };
    }
    throw new DiskFerryError('not-found', `${basename(r.localPath)} is no longer there, nor its folder.`, { retryable: false, subject: { kind: 'file', name: basename(r.localPath) } });
  }

  /** The whole list for the window: pending and running in queue order, then finished, newest first. */
  snapshot(): TransfersSnapshot {
    const all = this.queue.list();
    const open = all.filter((r) => !isTerminal(r.state));
    const done = all.filter((r) => isTerminal(r.state)).sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    const running = all.filter((r) => isActive(r.state));
    const shown = withinLimit(open, this.queue.bandwidthNow());
    return {
      seq: ++this.seq,
      transfers: [...shown, ...done],
      summary: {
        running: running.length,
        pending: all.filter((r) => isPending(r.state) || r.state === 'paused').length,
        completed: all.filter((r) => r.state === 'completed').length,
        failed: all.filter((r) => r.state === 'failed').length,
        rate: shown.reduce((sum, r) => sum + (isActive(r.state) ? (r.progress.rate ?? 0) : 0), 0),
      },
    };
  }

  /** The transfers that run now (for the taskbar progress, on every change). */
  running(): readonly TransferView[] {
    return this.queue.running();
  }

  /** True while transfers run or wait (quit confirmation, profile removal). */
  hasWork(engineId?: string): boolean {
    return this.queue.list().some((r) => !isTerminal(r.state) && (engineId === undefined || r.engineId === engineId));
  }
}

/**
 * The rows' rates, scaled down together when their sum exceeds the bandwidth limit that all of them
 * share. Each row's meter averages its own steps; in the seconds after a transfer resumes beside
 * others, the two meters see different halves of the turns the limit gives them and their sum read
 * up to 1.3x the limit, while the bytes on the wire never exceeded it (one token bucket paces them
 * all). The limit is then the better measure of the total, and the rows keep their proportions
 * (docs/architecture.md, "What the window shows"). Time left follows the scaled rate.
 */
export function withinLimit(rows: readonly TransferView[], limit: number | null): readonly TransferView[] {
  if (limit === null) return rows;
  const sum = rows.reduce((n, r) => n + (isActive(r.state) ? (r.progress.rate ?? 0) : 0), 0);
  if (sum <= limit) return rows;
  const factor = limit / sum;
  return rows.map((r) => {
    const { rate, etaSeconds } = r.progress;
    if (!isActive(r.state) || rate === null) return r;
    return { ...r, progress: { ...r.progress, rate: rate * factor, etaSeconds: etaSeconds === null ? null : etaSeconds / factor } };
  });
}
