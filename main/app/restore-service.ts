/**
 * `backups:list`, `backups:planRestore`, `backups:restore`: the backup history of a folder for the
 * window (read by the engine's backup readers, main/engine/backup/history.ts; the window never reads
 * the disk), the plan of a restore (each disk's file probed with its chain: the room its disk takes
 * per choice, its default name) and restores queued as restore jobs — upload jobs that carry their
 * origin (backup/restore-job.ts) — through the same queue, rules and clash check as uploads. The
 * folder is remembered per engine (`backupFolder`, the one "Back up…" writes to: backups-service.ts).
 */
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { AddTransfersResult, BackupHistory, BackupRunView, BackupsListRequest, PlanRestoreRequest, RestorePlanView, RestoreRequest } from '../../shared/ipc.js';
import { readHistory, type HistoryRun } from '../engine/backup/history.js';
import { readManifest, type BackupManifest } from '../engine/backup/manifest.js';
import { planRestore, restoredDiskName, restoreOrigin } from '../engine/backup/restore.js';
import { DiskFerryError, errorCode } from '../engine/errors.js';
import { dataBytesAtMost } from '../engine/image/data-size.js';
import type { OvirtClient } from '../engine/ovirt/client.js';
import { probeImage } from '../engine/image/probe.js';
import { checkUploadDomain } from '../engine/plan/upload-rules.js';
import { uploadTarget } from '../engine/plan/upload-target.js';
import type { CatalogService } from './catalog-service.js';
import type { EnginesService } from './engines-service.js';
import type { SettingsService } from './settings-service.js';
import type { NewTransfer } from './transfers/queue-port.js';
import type { TransfersService } from './transfers/transfers-service.js';
import { planItemFromProbe, type PlannedImages } from './upload-planning.js';

/** What the service works with. */
export interface RestoreServiceOptions {
  readonly engines: EnginesService;
  readonly catalog: CatalogService;
  readonly settings: SettingsService;
  readonly transfers: TransfersService;
  readonly planned: PlannedImages;
  readonly newId: () => string;
}

function refuse(message: string, subject?: { kind: 'folder' | 'file'; name: string }): DiskFerryError {
  return new DiskFerryError('bad-input', message, { retryable: false, ...(subject ? { subject } : {}) });
}

/** The window's view of a run (the manifest stays in main). */
function runView(r: HistoryRun): BackupRunView {
  const { manifest: _manifest, ...view } = r;
  return { ...view, disks: r.disks.map((d) => ({ ...d })), notes: [...r.notes], restorable: r.state === 'finished' };
}

/** See the file comment. */
export class RestoreService {
  /** Folder reads asked for; only the latest one's folder is remembered (a slow earlier read ending last does not win). */
  private folderAsks = 0;

  constructor(private readonly o: RestoreServiceOptions) {}

  /** The runs per VM of the folder asked for, or of the one remembered for the selected engine. */
  async list(request: BackupsListRequest): Promise<BackupHistory> {
    const ask = request.folder === undefined ? null : ++this.folderAsks;
    const engineId = this.o.engines.state().selectedId;
    const remembered = engineId === null ? undefined : this.o.settings.get().backupFolder[engineId];
    const folder = request.folder ?? remembered ?? null;
    if (folder === null) return { folder: null, vms: [] };
    if (!isAbsolute(folder)) throw refuse(`Choose a full folder path (${folder} is relative).`, { kind: 'folder', name: folder });
    const st = await stat(folder).catch((err: unknown) => {
      throw new DiskFerryError('not-found', errorCode(err) === 'ENOENT' ? `The backup folder ${folder} does not exist. Choose the folder your backups are in.` : `The backup folder ${folder} cannot be read. Choose another.`, {
        retryable: false,
        subject: { kind: 'folder', name: folder },
      });
    });
    if (!st.isDirectory()) throw refuse(`${folder} is a file, not a folder. Choose the folder your backups are in.`, { kind: 'folder', name: folder });
    const vms = await readHistory(folder);
    if (engineId !== null && ask === this.folderAsks && remembered !== folder) await this.o.settings.set({ backupFolder: { ...this.o.settings.get().backupFolder, [engineId]: folder } });
    return { folder, vms: vms.map((v) => ({ folder: v.folder, path: v.path, vmId: v.vmId, vmName: v.vmName, runs: v.runs.map(runView) })) };
  }

  /** Each chosen disk of a finished run probed with its chain: the plan rows the Restore… sheet shows. */
  async planRestore(request: PlanRestoreRequest): Promise<RestorePlanView> {
    const engineId = this.o.engines.selectedId();
    const manifest = await finishedManifest(request.run);
    const disks = request.diskIds ? request.diskIds.map((id) => diskOf(manifest, id, request.run)) : manifest.disks;
    const items: RestorePlanView['items'][number][] = [];
    for (const d of disks) {
      const probe = await probeImage(join(request.run, d.file));
      this.o.planned.remember(probe);
      items.push({ ...planItemFromProbe(probe, await dataBytesAtMost(probe)), diskName: restoredDiskName(d.alias, request.run), backupDiskId: d.id, alias: d.alias });
    }
    const client = await this.o.engines.connect(engineId);
    const vmPresent = (await client.vms().catch(() => [])).some((v) => v.id === manifest.vm.id);
    const started = Date.parse(manifest.startedAt);
    return {
      run: request.run,
      runName: basename(request.run),
      startedAt: Number.isNaN(started) ? null : started,
      items,
      storageDomainId: this.o.settings.get().lastStorageDomain[engineId] ?? null,
      vm: { id: manifest.vm.id, name: manifest.vm.name },
      vmPresent,
    };
  }

  /**
   * Queues one restore job per disk on the selected engine. Planned whole first — the manifest, the
   * files and their chains, the domain (checked to take uploads), the VM to attach to — so a mistake
   * queues nothing; each disk then goes by the upload rules with the name and format chosen.
   */
  async restore(request: RestoreRequest): Promise<AddTransfersResult> {
    const engineId = this.o.engines.selectedId();
    const manifest = await finishedManifest(request.run);
    const domains = await this.o.catalog.domains(engineId, false);
    const sd = domains.find((d) => d.id === request.storageDomainId);
    if (!sd) throw new DiskFerryError('not-found', `The engine has no storage domain with id ${request.storageDomainId}. Refresh the storage domains.`, { retryable: false, subject: { kind: 'domain', name: request.storageDomainId } });
    checkUploadDomain(sd);
    const deps = await this.o.engines.transferDeps(engineId);
    const attachVm = request.attach.kind === 'none' ? undefined : await this.attachTarget(deps.client, manifest, request.attach);
    const verify = this.o.settings.get().verify;
    const plan = await planRestore(deps, { source: request.run, storageDomain: sd.id, disks: request.items.map((i) => i.backupDiskId), ...(attachVm !== undefined ? { attachVm } : {}), verify });
    const engineName = this.o.engines.profile(engineId).name;
    const transfers: NewTransfer[] = plan.items.map((item, i) => {
      const chosen = request.items[i]!;
      const { target, notes } = uploadTarget(item.probe, sd, { storageDomain: sd.id, diskName: chosen.diskName, diskFormat: chosen.diskFormat, verify });
      return {
        job: { id: this.o.newId(), kind: 'upload', engine: engineId, label: target.diskName, storageDomainKey: sd.id, start: request.start ?? 'now', upload: target, restore: restoreOrigin(plan, item) },
        meta: {
          direction: 'upload',
          engineName,
          name: item.backupDisk?.alias ?? item.probe.name,
          localPath: item.file,
          diskName: target.diskName,
          storageDomainName: sd.name,
          localFormat: item.probe.format,
          diskFormat: target.diskFormat,
          bytesTotal: item.probe.virtualSize,
          notes: [...notes],
        },
      };
    });
    return this.o.transfers.addPlanned(transfers, engineId, sd.id);
  }

  /** The id of the VM to attach to: the backup's, or one named; one that is not on the engine is refused in the window's words. */
  private async attachTarget(client: OvirtClient, manifest: BackupManifest, attach: { kind: 'source' } | { kind: 'vm'; name: string }): Promise<string> {
    const vms = await client.vms();
    if (attach.kind === 'source') {
      if (vms.some((v) => v.id === manifest.vm.id)) return manifest.vm.id;
      throw new DiskFerryError('not-found', `VM ${manifest.vm.name}, which this backup is of, is no longer on this engine, so nothing was restored. Attach the disk to another VM, or to none.`, {
        retryable: false,
        subject: { kind: 'vm', name: manifest.vm.name },
      });
    }
    const named = vms.filter((v) => v.name === attach.name);
    if (named.length === 1) return named[0]!.id;
    throw new DiskFerryError(
      named.length === 0 ? 'not-found' : 'bad-input',
      named.length === 0 ? `No VM '${attach.name}' on this engine, so nothing was restored. Check the name, or attach to another VM.` : `${named.length} VMs are named '${attach.name}', so nothing was restored. Rename one in the Administration Portal, or attach to another VM.`,
      { retryable: false, subject: { kind: 'vm', name: attach.name } },
    );
  }
}

/** The manifest of a finished run; an unfinished or foreign folder is refused in words. */
async function finishedManifest(run: string): Promise<BackupManifest> {
  if (!isAbsolute(run)) throw refuse(`Choose a full folder path (${run} is relative).`, { kind: 'folder', name: run });
  const manifest = await readManifest(run).catch((err: unknown) => {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return null;
    throw err;
  });
  if (manifest === null) throw refuse(`${basename(run)} has no manifest: it is an unfinished backup run, and nothing in it can be restored. Restore a finished run of the same VM.`, { kind: 'folder', name: basename(run) });
  return manifest;
}

function diskOf(manifest: BackupManifest, id: string, run: string): BackupManifest['disks'][number] {
  const d = manifest.disks.find((x) => x.id === id);
  if (!d) throw refuse(`The backup run ${basename(run)} has no disk ${id}. Its disks: ${manifest.disks.map((x) => x.alias).join(', ')}.`);
  return d;
}
