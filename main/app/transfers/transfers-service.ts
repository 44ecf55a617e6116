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
  AddUploadsRequest,
  MoveTransferRequest,
  ReportFile,
  ReportRequest,
  RevealResult,
  SavedReport,
  TransfersSnapshot,
  TransferView,
} from '../../../shared/ipc.js';
import { DiskFerryError } from '../../engine/errors.js';
import { probeImageOnce } from '../../engine/image/probe.js';
import { checkOutputFolder, targetPath } from '../../engine/plan/download-rules.js';
import { checkUploadDomain } from '../../engine/plan/upload-rules.js';
import { uploadTarget } from '../../engine/plan/upload-target.js';
import { isActive, isPending, isTerminal } from '../../engine/queue/states.js';
import type { CatalogService } from '../catalog-service.js';
import type { EnginesService } from '../engines-service.js';
import type { DesktopPort, DialogPort } from '../ports.js';
import type { SettingsService } from '../settings-service.js';
import type { PlannedImages } from '../upload-planning.js';
import { vmNamesByDisk } from '../../engine/ovirt/vms.js';
import { expandTemplate } from './naming.js';
import { DEFAULT_NAME_TEMPLATE } from '../../../shared/file-names.js';
import { actOnTransfers, reportFile, saveReport } from './queue-actions.js';
import type { NewTransfer, TransferQueuePort } from './queue-port.js';

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
   * the file is unchanged; the engine's rules decide the defaults and check the storage domain.
   */
  async addUploads(request: AddUploadsRequest): Promise<TransferView[]> {
    const engineId = this.o.engines.selectedId();
    const profile = this.o.engines.profile(engineId);
    const domains = await this.o.catalog.domains(engineId, false);
    const verify = this.o.settings.get().verify;
    const transfers: NewTransfer[] = [];
    for (const item of request.items) {
      const sd = domains.find((d) => d.id === item.storageDomainId);
      if (!sd) throw new DiskFerryError('not-found', `The engine has no storage domain with id ${item.storageDomainId}. Refresh the storage domains.`, { retryable: false, subject: { kind: 'domain', name: item.storageDomainId } });
      checkUploadDomain(sd);
      const probe = await probeImageOnce(item.path, this.o.planned.get(item.path));
      const { target, notes } = uploadTarget(probe, sd, { storageDomain: sd.id, diskName: item.diskName, diskFormat: item.diskFormat, preallocated: item.preallocated, verify });
      transfers.push({
        job: { id: this.o.newId(), kind: 'upload', engine: engineId, label: target.diskName, storageDomainKey: sd.id, start: request.start ?? 'now', upload: target },
        meta: {
          direction: 'upload',
          engineName: profile.name,
          name: probe.name,
          localPath: probe.path,
          diskName: target.diskName,
          storageDomainName: sd.name,
          localFormat: probe.format,
          diskFormat: target.diskFormat,
          bytesTotal: probe.virtualSize,
          notes: [...notes],
        },
      });
    }
    const last = transfers.at(-1)?.job;
    if (last?.kind === 'upload') await this.o.settings.set({ lastStorageDomain: { ...this.o.settings.get().lastStorageDomain, [engineId]: last.upload.storageDomain } });
    await this.queue.add(transfers);
    return transfers.map((t) => this.queue.get(t.job.id));
  }

  /** Queues downloads of disks of the selected engine into a folder, named by the template. */
  async addDownloads(request: AddDownloadsRequest): Promise<TransferView[]> {
    if (!isAbsolute(request.folder)) throw new DiskFerryError('bad-input', `Choose a full folder path (${request.folder} is relative).`, { retryable: false });
    await checkOutputFolder(request.folder);
    const engineId = this.o.engines.selectedId();
    const profile = this.o.engines.profile(engineId);
    const client = await this.o.engines.connect(engineId);
    const template = request.nameTemplate ?? DEFAULT_NAME_TEMPLATE;
    const [disks, vmNames] = await Promise.all([
      Promise.all(request.diskIds.map((id) => client.disk(id))),
      // `{vm}` needs the VMs; a user who may not list them gets the names without it.
      template.includes('{vm}') ? client.vms().then(vmNamesByDisk, () => null) : null,
    ]);
    const verify = this.o.settings.get().verify;
    const taken = new Set<string>();
    const transfers: NewTransfer[] = [];
    for (const [i, disk] of disks.entries()) {
      if (!disk) throw new DiskFerryError('not-found', `The engine has no disk ${request.diskIds[i]!} any more. Refresh the disk list.`, { retryable: false, subject: { kind: 'disk', name: request.diskIds[i]! } });
      const fileName = expandTemplate(template, { disk: disk.name, id: disk.id, vm: vmNames?.get(disk.id)?.[0] ?? null, ext: request.format, now: this.o.now() });
      const target = await targetPath(request.folder, fileName, request.existing, taken);
      if (!target) continue;
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
    }
    await this.queue.add(transfers);
    return transfers.map((t) => this.queue.get(t.job.id));
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
    return {
      seq: ++this.seq,
      transfers: [...open, ...done],
      summary: {
        running: running.length,
        pending: all.filter((r) => isPending(r.state) || r.state === 'paused').length,
        completed: all.filter((r) => r.state === 'completed').length,
        failed: all.filter((r) => r.state === 'failed').length,
        rate: running.reduce((sum, r) => sum + (r.progress.rate ?? 0), 0),
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
