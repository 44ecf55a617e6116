/**
 * `transfers:*`: turns confirmed plans into queued records, runs them with the engine code
 * (uploadImage / downloadDisk) through the queue, and answers snapshots for the window.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute } from 'node:path';
import type { AddDownloadsRequest, AddUploadsRequest, MoveTransferRequest, RevealResult, TransfersSnapshot, TransferView } from '../../../shared/ipc.js';
import type { TransferProgress } from '../../../shared/model.js';
import { DiskFerryError } from '../../engine/errors.js';
import { probeImage } from '../../engine/image/probe.js';
import type { TransferControl } from '../../engine/transfer/control.js';
import type { TransferTuning } from '../../engine/transfer/deps.js';
import { downloadDisk } from '../../engine/transfer/download-disk.js';
import { uploadImage } from '../../engine/transfer/upload-image.js';
import type { CatalogService } from '../catalog-service.js';
import type { EnginesService } from '../engines-service.js';
import type { DesktopPort } from '../ports.js';
import type { SettingsService } from '../settings-service.js';
import { expandTemplate, targetPath } from './naming.js';
import type { RunOutcome, TransferQueuePort } from './queue-port.js';
import { newRecord, transferView, type TransferRecord } from './record.js';
import { isActive, isFinished, isPending } from './states.js';

/** Ports and tunables of the service. */
export interface TransfersServiceOptions {
  readonly engines: EnginesService;
  readonly catalog: CatalogService;
  readonly settings: SettingsService;
  readonly desktop: DesktopPort;
  readonly now: () => number;
  readonly newId: () => string;
  /** Engine step timeout (tests use a short one). */
  readonly engineTimeoutMs?: number;
}

/** See the file comment. */
export class TransfersService {
  private seq = 0;
  private queue!: TransferQueuePort;

  constructor(private readonly o: TransfersServiceOptions) {}

  /** Connects the queue (built with `run` as its runner). */
  attach(queue: TransferQueuePort): void {
    this.queue = queue;
  }

  /** Queues confirmed uploads on the selected engine, after probing each file again. */
  async addUploads(request: AddUploadsRequest): Promise<TransferView[]> {
    const engineId = this.o.engines.selectedId();
    const profile = this.o.engines.profile(engineId);
    const domains = await this.o.catalog.domains(engineId, false);
    const records: TransferRecord[] = [];
    for (const item of request.items) {
      const sd = domains.find((d) => d.id === item.storageDomainId);
      if (!sd) throw new DiskFerryError('not-found', `The engine has no storage domain with id ${item.storageDomainId}. Refresh the storage domains.`, { retryable: false });
      if (sd.type !== 'data' || sd.status !== 'active')
        throw new DiskFerryError('bad-input', `${sd.name} does not take uploads (it is a ${sd.type} domain, ${sd.status}). Choose an active data domain.`, { retryable: false });
      const probe = await probeImage(item.path);
      records.push(
        newRecord({
          id: this.o.newId(),
          direction: 'upload',
          engineId,
          engineName: profile.name,
          name: probe.name,
          localPath: probe.path,
          diskId: null,
          diskName: item.diskName,
          storageDomainId: sd.id,
          storageDomainName: sd.name,
          localFormat: probe.format,
          diskFormat: probe.format === 'iso' ? 'raw' : (item.diskFormat ?? (probe.format === 'qcow2' ? 'cow' : 'raw')),
          preallocated: item.preallocated ?? false,
          start: request.start ?? 'now',
          now: this.o.now(),
          bytesTotal: probe.virtualSize,
          notes: sd.isBlock && probe.format !== 'qcow2' ? [`${sd.name} is block storage: raw disks there are preallocated.`] : [],
        }),
      );
    }
    const last = records.at(-1)?.storageDomainId;
    if (last) await this.o.settings.set({ lastStorageDomain: { ...this.o.settings.get().lastStorageDomain, [engineId]: last } });
    this.queue.add(records);
    return records.map((r) => transferView(this.queue.get(r.id)));
  }

  /** Queues downloads of disks of the selected engine into a folder, named by the template. */
  async addDownloads(request: AddDownloadsRequest): Promise<TransferView[]> {
    if (!isAbsolute(request.folder)) throw new DiskFerryError('bad-input', `Choose a full folder path (${request.folder} is relative).`, { retryable: false });
    const folderStat = await stat(request.folder).catch(() => null);
    if (!folderStat?.isDirectory()) throw new DiskFerryError('bad-input', `The folder ${request.folder} does not exist. Create it or choose another.`, { retryable: false });
    const engineId = this.o.engines.selectedId();
    const profile = this.o.engines.profile(engineId);
    const client = await this.o.engines.connect(engineId);
    const disks = await Promise.all(request.diskIds.map((id) => client.disk(id)));
    const template = request.nameTemplate ?? '{disk}.{ext}';
    const taken = new Set<string>();
    const records: TransferRecord[] = [];
    for (const [i, disk] of disks.entries()) {
      if (!disk) throw new DiskFerryError('not-found', `The engine has no disk ${request.diskIds[i]!} any more. Refresh the disk list.`, { retryable: false });
      const fileName = expandTemplate(template, { disk: disk.name, id: disk.id, vm: null, ext: request.format, now: this.o.now() });
      const target = await targetPath(request.folder, fileName, request.existing, taken);
      if (!target) continue;
      taken.add(target.path);
      records.push(
        newRecord({
          id: this.o.newId(),
          direction: 'download',
          engineId,
          engineName: profile.name,
          name: disk.name,
          localPath: target.path,
          diskId: disk.id,
          diskName: disk.name,
          storageDomainId: null,
          storageDomainName: null,
          localFormat: request.format,
          diskFormat: disk.format,
          overwrite: target.overwrite,
          start: request.start ?? 'now',
          now: this.o.now(),
          bytesTotal: disk.provisionedSize,
        }),
      );
    }
    this.queue.add(records);
    return records.map((r) => transferView(this.queue.get(r.id)));
  }

  pause(id: string): TransferView {
    this.queue.pause(id);
    return transferView(this.queue.get(id));
  }

  resume(id: string): TransferView {
    this.queue.resume(id);
    return transferView(this.queue.get(id));
  }

  cancel(id: string): TransferView {
    this.queue.cancel(id);
    return transferView(this.queue.get(id));
  }

  retry(id: string): TransferView {
    this.queue.retry(id);
    return transferView(this.queue.get(id));
  }

  remove(id: string): null {
    this.queue.remove(id);
    return null;
  }

  move(id: string, to: MoveTransferRequest['to']): null {
    this.queue.move(id, to);
    return null;
  }

  /** Shows the local file (or its folder, or the `.part` file) in the file manager where the host can. */
  async reveal(id: string): Promise<RevealResult> {
    const r = this.queue.get(id);
    const candidates = [r.localPath, `${r.localPath}.part`, dirname(r.localPath)];
    for (const path of candidates) {
      if (await stat(path).then(() => true, () => false)) return { path, shown: await this.o.desktop.reveal(path) };
    }
    throw new DiskFerryError('not-found', `${basename(r.localPath)} is no longer there, nor its folder.`, { retryable: false });
  }

  /** The whole list for the window: pending and running in queue order, then finished, newest first. */
  snapshot(): TransfersSnapshot {
    const all = this.queue.list();
    const open = all.filter((r) => !isFinished(r.state));
    const done = all.filter((r) => isFinished(r.state)).sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    const running = all.filter((r) => isActive(r.state));
    return {
      seq: ++this.seq,
      transfers: [...open, ...done].map(transferView),
      summary: {
        running: running.length,
        pending: all.filter((r) => isPending(r.state) || r.state === 'paused').length,
        completed: all.filter((r) => r.state === 'completed').length,
        failed: all.filter((r) => r.state === 'failed').length,
        rate: running.reduce((sum, r) => sum + (r.progress.rate ?? 0), 0),
      },
    };
  }

  /** True while transfers run or wait (quit confirmation, profile removal). */
  hasWork(engineId?: string): boolean {
    return this.queue.list().some((r) => !isFinished(r.state) && (engineId === undefined || r.engineId === engineId));
  }

  /** The queue's runner: one attempt of one transfer with the engine code. */
  readonly run = async (r: TransferRecord, control: TransferControl, onProgress: (p: TransferProgress) => void): Promise<RunOutcome> => {
    const deps = await this.o.engines.transferDeps(r.engineId);
    const s = this.o.settings.get();
    const tuning: TransferTuning = {
      workers: s.connectionsPerTransfer,
      inactivityTimeout: s.inactivityTimeout,
      preferProxy: s.preferProxy,
      ...(this.o.engineTimeoutMs !== undefined ? { engineTimeoutMs: this.o.engineTimeoutMs } : {}),
    };
    if (r.direction === 'upload') {
      const result = await uploadImage(
        deps,
        { path: r.localPath, storageDomain: r.storageDomainId!, diskName: r.diskName, ...(r.diskFormat ? { diskFormat: r.diskFormat } : {}), preallocated: r.preallocated },
        { control, tuning, onProgress },
      );
      return { diskId: result.diskId };
    }
    const result = await downloadDisk(
      deps,
      { disk: r.diskId!, output: { file: r.localPath }, overwrite: r.overwrite, resume: true, format: r.localFormat === 'qcow2' ? 'qcow2' : 'raw' },
      { control, tuning, onProgress },
    );
    return { diskId: result.diskId, localPath: result.path };
  };
}
