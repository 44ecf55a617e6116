/**
 * The window's VM backups (`vms:list`, `backups:plan`, `backups:add`; docs/backup.md): the engine's
 * VMs with their disks and the last backup in the engine's backup folder, the plan of a backup (the
 * kind of each VM's run and why, from backup-plan.ts, and what cannot work), and the backup jobs it
 * queues — one job per VM, run by the queue's backup runner like the CLI's `queue add backup`.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { AddBackupsRequest, AddTransfersResult, BackupPlan, BackupPlanItem, BackupPlanRequest, BackupRefusal, VmList, VmView } from '../../shared/ipc.js';
import { backupKind, backupPath, type BackupPath } from '../engine/backup/backup-plan.js';
import { lastRun, listRuns, listVmFolders, vmFolderName } from '../engine/backup/set.js';
import { pickVm, withDisks, type VmWithDisks } from '../engine/backup/vm-lookup.js';
import { asDiskFerryError, DiskFerryError } from '../engine/errors.js';
import type { Disk } from '../engine/ovirt/types.js';
import { checkOutputFolder } from '../engine/plan/download-rules.js';
import type { NewJob } from '../engine/queue/job.js';
import type { CatalogService } from './catalog-service.js';
import type { EnginesService } from './engines-service.js';
import type { SettingsService } from './settings-service.js';
import type { NewTransfer, TransferQueuePort } from './transfers/queue-port.js';
import type { TransfersService } from './transfers/transfers-service.js';

/** What the service works with. */
export interface BackupsServiceOptions {
  readonly engines: EnginesService;
  /** The engine's VM list, shared with the disk list's refresh. */
  readonly catalog: CatalogService;
  readonly settings: SettingsService;
  readonly transfers: TransfersService;
  readonly queue: () => TransferQueuePort;
  readonly newId: () => string;
}

/** Disks asked for at once when the VM list needs their names and sizes. */
const MAX_DISKS = 5000;

/** A planned VM the queue can take: the plan's row and the VM found on the engine. */
interface Accepted {
  readonly item: BackupPlanItem;
  readonly vm: VmWithDisks;
}

/** See the file comment. */
export class BackupsService {
  constructor(private readonly o: BackupsServiceOptions) {}

  /** The selected engine's VMs, their disks, and the last backup of each in the engine's backup folder. */
  async vms(): Promise<VmList> {
    const engineId = this.o.engines.selectedId();
    const client = await this.o.engines.connect(engineId);
    const [vms, disks] = await Promise.all([this.o.catalog.vms(engineId), client.disks({ max: MAX_DISKS })]);
    const byId = new Map(disks.map((d) => [d.id, d]));
    const folder = this.o.settings.get().backupFolder[engineId] ?? null;
    // One read of the folder for all VMs; a folder that is gone (an unmounted drive) has no backups to show.
    const folders = folder === null ? [] : await listVmFolders(folder).catch(() => []);
    const out: VmView[] = [];
    for (const vm of vms) {
      const own = folders.find((f) => f.name === vmFolderName(vm)) ?? folders.find((f) => f.name.endsWith(`-${vm.id.slice(0, 8)}`) && f.runs.some((r) => r.manifest?.vm.id === vm.id));
      const last = own ? lastRun(own.runs) : null;
      const vmDisks: Disk[] = [];
      for (const id of vm.diskIds) {
        const d = byId.get(id) ?? (await client.disk(id));
        if (d) vmDisks.push(d);
      }
      // Every attached disk is listed; those a backup cannot hold (LUNs, managed block) say so.
      out.push({
        id: vm.id,
        name: vm.name,
        status: vm.status,
        disks: vmDisks.map((d) => ({ id: d.id, name: d.name, provisionedSize: d.provisionedSize, backupable: d.storageType === null || d.storageType === 'image' })),
        lastBackup: last ? { run: last.name, kind: last.manifest.kind, finishedAt: Date.parse(last.manifest.finishedAt) } : null,
      });
    }
    return { vms: out, backupFolder: folder };
  }

  /** What a backup of these VMs into this folder would do, VM by VM; nothing is changed. */
  async plan(request: BackupPlanRequest): Promise<BackupPlan> {
    return (await this.planned(request)).plan;
  }

  /**
   * Queues one backup job per VM, after planning again (the engine or the folder may have changed
   * since the sheet showed the plan). A VM the plan refuses refuses the request, in its words: the
   * sheet starts only what its plan accepted. A VM already queued meanwhile is left out and said.
   */
  async add(request: AddBackupsRequest): Promise<AddTransfersResult> {
    const { plan, accepted, folder, engineId } = await this.planned(request);
    const refused = plan.items.find((i) => i.refusal !== null && i.refusal !== 'in-queue');
    if (refused?.error) throw new DiskFerryError(refused.error.code, refused.error.message, { retryable: false, ...(refused.error.subject ? { subject: refused.error.subject } : {}) });
    const engineName = this.o.engines.profile(engineId).name;
    const verify = this.o.settings.get().verify;
    const planned = accepted.map(({ item, vm }): { index: number; transfer: NewTransfer } => ({
      index: plan.items.indexOf(item),
      transfer: {
        job: { id: this.o.newId(), ...backupJob(engineId, vm, folder, request, plan.snapshot, verify) },
        meta: {
          direction: 'download',
          engineName,
          name: vm.name,
          localPath: join(folder, vmFolderName(vm)),
          diskName: vm.name,
          storageDomainName: null,
          localFormat: 'qcow2',
          diskFormat: null,
          bytesTotal: item.disks.reduce((s, d) => s + (d.size ?? 0), 0),
          notes: [],
          backup: { kind: item.kind!, disks: item.disks.map((d) => ({ id: d.id, name: d.name, size: d.size ?? 0 })) },
        },
      },
    }));
    const queuedBefore = plan.items.flatMap((i, index) => (i.refusal === 'in-queue' ? [{ index, name: i.vmName, reason: 'in-queue' as const, message: i.error?.message ?? '' }] : []));
    const result = await this.o.transfers.queueNew(planned, queuedBefore);
    await this.o.settings.set({ backupFolder: { ...this.o.settings.get().backupFolder, [engineId]: folder } });
    return result;
  }

  private async planned(request: BackupPlanRequest): Promise<{ plan: BackupPlan; accepted: Accepted[]; folder: string; engineId: string }> {
    const engineId = this.o.engines.selectedId();
    const client = await this.o.engines.connect(engineId);
    const version = await client.version();
    const folder = isAbsolute(request.folder) ? resolve(request.folder) : request.folder;
    const vmIds = [...new Set(request.vmIds)];
    // The VMs and all disks in two requests, however many VMs are planned (the plan is asked again as the choices change).
    const [all, listed] = await Promise.all([client.vms(), client.disks({ max: MAX_DISKS })]);
    const byId = new Map(listed.map((d) => [d.id, d]));
    const diskOf = async (id: string) => byId.get(id) ?? (await client.disk(id));
    let path: BackupPath | null = null;
    let common: { refusal: BackupRefusal; error: DiskFerryError } | null = null;
    try {
      path = backupPath(version, request.snapshot);
      if (!isAbsolute(request.folder)) throw new DiskFerryError('bad-input', `Choose a full folder path (${request.folder} is relative).`, { retryable: false, subject: { kind: 'folder', name: request.folder } });
    } catch (err) {
      common = { refusal: path === null ? 'no-backup-api' : 'folder', error: asDiskFerryError(err) };
    }
    if (common === null) {
      await checkOutputFolder(folder).catch((err: unknown) => {
        common = { refusal: 'folder', error: asDiskFerryError(err) };
      });
    }
    const items: BackupPlanItem[] = [];
    const accepted: Accepted[] = [];
    for (const id of vmIds) {
      const known = all.find((v) => v.id === id);
      const blank = { vmId: id, vmName: known?.name ?? id, status: known?.status ?? null, disks: [], skipped: [], kind: null, reason: null, parentRun: null };
      let vm: VmWithDisks;
      try {
        vm = await withDisks(pickVm(all, id), diskOf);
      } catch (err) {
        items.push({ ...blank, refusal: 'not-found', error: asDiskFerryError(err).toInfo() });
        continue;
      }
      const base = { ...blank, vmName: vm.name, status: vm.status, disks: vm.disks.map((d) => ({ id: d.id, name: d.name, size: d.provisionedSize })), skipped: [...vm.skipped] };
      const refuse = (refusal: BackupRefusal, error: DiskFerryError) => items.push({ ...base, refusal, error: error.toInfo() });
      if (common !== null) refuse(common.refusal, common.error);
      else if (vm.disks.length === 0) refuse('no-disks', new DiskFerryError('bad-input', `VM '${vm.name}' has no disks a backup can hold.`, { retryable: false, subject: { kind: 'vm', name: vm.name } }));
      else {
        const vmDir = join(folder, vmFolderName(vm));
        try {
          const plan = backupKind(await listRuns(vmDir), request.mode, path!, vm, vmDir);
          const item: BackupPlanItem = { ...base, kind: plan.kind, reason: plan.reason, parentRun: plan.parent?.name ?? null, refusal: null, error: null };
          items.push(item);
          accepted.push({ item, vm });
        } catch (err) {
          refuse('no-base', asDiskFerryError(err));
        }
      }
    }
    // A VM with an unfinished backup into this folder in the queue (the queue's own rule of repeated work).
    const repeats = this.o.queue().duplicates(accepted.map(({ vm }) => backupJob(engineId, vm, folder, { mode: request.mode, keep: null, start: 'now' }, path?.snapshot ?? false, true)));
    const fresh = accepted.filter((a, i) => {
      const r = repeats[i];
      if (r?.reason !== 'in-queue') return true;
      const message = `A backup of VM '${a.vm.name}' into ${folder} is already in the queue (${this.o.queue().get(r.jobId).state}); it was left out.`;
      items[items.indexOf(a.item)] = { ...a.item, kind: null, reason: null, refusal: 'in-queue', error: new DiskFerryError('conflict', message, { retryable: false, subject: { kind: 'vm', name: a.vm.name } }).toInfo() };
      return false;
    });
    return { plan: { engineVersion: version.full, snapshot: path?.snapshot ?? request.snapshot, snapshotForced: path?.forced ?? false, items }, accepted: fresh, folder, engineId };
  }
}

/** The queue's backup job of a VM. */
function backupJob(engine: string, vm: VmWithDisks, folder: string, request: Pick<AddBackupsRequest, 'mode' | 'keep' | 'start'>, snapshot: boolean, verify: boolean): NewJob {
  return {
    kind: 'backup',
    engine,
    label: vm.name,
    start: request.start,
    backup: { vmId: vm.id, vmName: vm.name, outputDir: folder, mode: request.mode, verify, ...(snapshot ? { snapshot: true } : {}), ...(request.keep !== null ? { keep: request.keep } : {}) },
  };
}
