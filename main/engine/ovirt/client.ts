/**
 * OvirtClient: the engine REST API as DiskFerry uses it (protocol.md §2): version, storage domains,
 * disks, image transfers and their actions, and the waits around them. Electron-free; every port
 * (dispatcher, clock, timers, log) is injected.
 */
import { DiskFerryError } from '../errors.js';
import { realTimers } from '../timers.js';
import { EngineConnection, type ApiCall, type EngineConnectionOptions } from './engine-connection.js';
import type { SsoToken } from './sso.js';
import { parseCollection, parseDisk, parseEngineVersion, parseImageTransfer } from './schemas.js';
import { loadStorageDomains } from './storage-domains.js';
import { loadVmDisks, type VmDisks } from './vms.js';
import { VmBackupApi } from './vm-backups.js';
import {
  cancelTransferAndWait,
  finishTransfer,
  waitForTransferReady,
  type TransferOutcome,
  type TransferWaitApi,
  type WaitDeps,
} from './transfer-waits.js';
import { wait } from './timing.js';
import type { Disk, DiskFormat, EngineVersion, ImageTransfer, StorageDomain, TimeoutPolicy, TransferDirection } from './types.js';
import { supportsBackupApi, supportsCancel, supportsContentType, supportsDiskSnapshotList, supportsDiskTarget, supportsFormat, supportsInactivityTimeout, supportsTimeoutPolicy } from './versions.js';
import { explainUntrustedServer } from '../trust/peer-certificate.js';
import type { ProxyResolver } from '../net/proxy.js';

/** Construction options: the connection's, plus the poll cadence of the waits. */
export interface OvirtClientOptions extends EngineConnectionOptions {
  /** Between two GETs of a wait (default 1 s, as the reference clients). */
  readonly pollIntervalMs?: number;
}

/** A new floating disk (POST /disks). */
export interface DiskSpec {
  readonly name: string;
  readonly description?: string;
  /** Virtual size in bytes. */
  readonly provisionedSize: number;
  readonly format: DiskFormat;
  /** The engine's default is sparse. */
  readonly sparse: boolean;
  /** For sparse cow disks on block storage: the LV size, which must hold the data (qemu-img measure). */
  readonly initialSize?: number;
  /** `iso` for ISO images (4.2.1+); left out on older engines. */
  readonly contentType?: 'data' | 'iso';
  /** `incremental` makes cow+preallocated possible (4.3+). */
  readonly backup?: 'none' | 'incremental';
  readonly storageDomain: { readonly id: string } | { readonly name: string };
}

/** A new image transfer; exactly one of diskId, imageId (engine 4.1 form) or snapshotId. */
export interface TransferSpec {
  readonly diskId?: string;
  readonly imageId?: string;
  readonly snapshotId?: string;
  readonly direction: TransferDirection;
  /** `raw`: NBD backend, guest data (4.3+; left out on older engines). */
  readonly format?: DiskFormat;
  /** Seconds; 0 disables (4.2.3+). */
  readonly inactivityTimeout?: number;
  /** 4.4.5+. */
  readonly timeoutPolicy?: TimeoutPolicy;
  /** Download `diskId` through this backup (4.3+; the backup must be `ready`). */
  readonly backupId?: string;
  /** Only the snapshot volume's own data, unallocated elsewhere (4.4.3+, with format raw). */
  readonly shallow?: boolean;
}

const DEFAULT_DISK_TIMEOUT_MS = 5 * 60_000;
const DISK_GONE_TIMEOUT_MS = 2 * 60_000;

const seg = (id: string) => encodeURIComponent(id);

/** The engine REST client; see the file comment. */
export class OvirtClient implements TransferWaitApi {
  private readonly conn: EngineConnection;
  private versionPromise: Promise<EngineVersion> | null = null;
  private readonly waits: WaitDeps;
  private backupApi: VmBackupApi | null = null;

  constructor(private readonly options: OvirtClientOptions) {
    this.conn = new EngineConnection(options);
    this.waits = { timers: options.timers ?? realTimers, now: options.now ?? Date.now, log: options.log, pollIntervalMs: options.pollIntervalMs ?? 1000 };
  }

  /** `host:port` of the engine, safe to show. */
  get engineHost(): string {
    return this.conn.where;
  }

  /** The HTTP proxy resolver this client connects through, which the data plane of its transfers uses too. */
  get httpProxy(): ProxyResolver | undefined {
    return this.options.proxy;
  }

  /**
   * Logs in (SSO password grant). Later calls log in again by themselves after a 401. When the
   * engine's certificate is not trusted, the error names the trusted CA and what the server presents.
   */
  async login(signal?: AbortSignal): Promise<void> {
    try {
      await this.conn.login(signal);
    } catch (err) {
      if (err instanceof DiskFerryError && err.code === 'tls-untrusted' && !this.options.trust.insecure)
        throw await explainUntrustedServer(this.options.engineUrl, this.options.trust, err, this.options.proxy);
      throw err;
    }
  }

  /** Ends the engine session and closes idle connections (a later call logs in again); never throws. */
  logout(signal?: AbortSignal): Promise<void> {
    return this.conn.logout(signal);
  }

  /** Starts from a session kept from an earlier run: see EngineConnection.adopt. */
  adoptSession(token: SsoToken): void {
    this.conn.adopt(token);
  }

  /** The current session (token and expiry), to keep for a later run; null when logged out. */
  session(): SsoToken | null {
    return this.conn.session();
  }

  /** Ends the current session on the engine (SSO logout), throwing when the engine refuses; then closes the connections. */
  async revokeSession(signal?: AbortSignal): Promise<void> {
    try {
      await this.conn.revoke(signal);
    } finally {
      await this.conn.close();
    }
  }

  /** Closes the connections the client opened itself. */
  close(): Promise<void> {
    return this.conn.close();
  }

  /** The access token, for a log's secret list (`createLog({ secrets })`); empty when logged out. */
  secrets(): string[] {
    const t = this.conn.currentToken();
    return t ? [t] : [];
  }

  /** The engine version (`GET /api` → product_info.version), read once. */
  version(signal?: AbortSignal): Promise<EngineVersion> {
    if (!this.versionPromise) {
      const pending = this.api({ method: 'GET', path: '', what: 'Reading the engine version', signal }).then(parseEngineVersion);
      this.versionPromise = pending;
      // A failed read is not cached: the next caller asks again.
      pending.catch(() => {
        if (this.versionPromise === pending) this.versionPromise = null;
      });
    }
    return this.versionPromise;
  }

  /** All storage domains, with the real status read from their data centers. */
  storageDomains(signal?: AbortSignal): Promise<StorageDomain[]> {
    return loadStorageDomains((c) => this.api({ ...c, signal }), this.options.log);
  }

  /** One storage domain by id or name; `not-found` (listing the names) when there is none. */
  async storageDomain(idOrName: string, signal?: AbortSignal): Promise<StorageDomain> {
    const all = await this.storageDomains(signal);
    const hit = all.find((sd) => sd.id === idOrName) ?? all.find((sd) => sd.name === idOrName);
    if (hit) return hit;
    const names = all.map((sd) => sd.name).join(', ') || 'none';
    throw new DiskFerryError('not-found', `The engine has no storage domain '${idOrName}'. Known storage domains: ${names}.`, { retryable: false, subject: { kind: 'domain', name: idOrName } });
  }

  /** Disks, optionally filtered with the engine's search language (`name=fedora*`) and capped. */
  async disks(query: { search?: string; max?: number; signal?: AbortSignal } = {}): Promise<Disk[]> {
    const json = await this.api({ method: 'GET', path: '/disks', query: { search: query.search, max: query.max }, what: 'Listing the disks', signal: query.signal });
    return parseCollection(json, 'disk', 'the disk list', parseDisk, (err) => this.options.log.warn('skipping a disk the client cannot read', { error: err.message }));
  }

  /** Every VM with the ids of its disks (for the disks' VM names). */
  async vms(query: { max?: number; signal?: AbortSignal } = {}): Promise<VmDisks[]> {
    const version = await this.version(query.signal);
    return loadVmDisks((c) => this.api({ ...c, signal: query.signal }), version, this.options.log, query.max);
  }

  /** VM backups, checkpoints and snapshots (vm-backups.ts). */
  get backups(): VmBackupApi {
    this.backupApi ??= new VmBackupApi((c) => this.api(c), (signal) => this.version(signal), this.waits);
    return this.backupApi;
  }

  /** One disk; null when the engine does not know it. */
  async disk(id: string, signal?: AbortSignal): Promise<Disk | null> {
    const json = await this.api({ method: 'GET', path: `/disks/${seg(id)}`, what: `Reading disk ${id}`, signal, allow404: true });
    return json === null ? null : parseDisk(json);
  }

  /** Creates a floating disk; it starts `locked` (see waitForDiskOk). Engine validation faults surface as they are. */
  async createDisk(spec: DiskSpec, signal?: AbortSignal): Promise<Disk> {
    if (spec.name.trim() === '') throw new DiskFerryError('bad-input', 'The disk needs a name.');
    if (!Number.isSafeInteger(spec.provisionedSize) || spec.provisionedSize <= 0)
      throw new DiskFerryError('bad-input', `The disk size must be a positive number of bytes (got ${spec.provisionedSize}).`);
    if (spec.initialSize !== undefined && (!Number.isSafeInteger(spec.initialSize) || spec.initialSize <= 0))
      throw new DiskFerryError('bad-input', `The initial disk size must be a positive number of bytes (got ${spec.initialSize}).`);
    const v = await this.version(signal);
    const body: Record<string, unknown> = {
      name: spec.name,
      format: spec.format,
      sparse: spec.sparse,
      provisioned_size: spec.provisionedSize,
      storage_domains: { storage_domain: ['id' in spec.storageDomain ? { id: spec.storageDomain.id } : { name: spec.storageDomain.name }] },
    };
    if (spec.description !== undefined) body['description'] = spec.description;
    if (spec.initialSize !== undefined) body['initial_size'] = spec.initialSize;
    // Older engines do not know these attributes; leaving them out is what their own clients did.
    if (spec.contentType !== undefined && supportsContentType(v)) body['content_type'] = spec.contentType;
    if (spec.backup !== undefined && supportsFormat(v)) body['backup'] = spec.backup;
    const json = await this.api({ method: 'POST', path: '/disks', body, what: `Creating the disk '${spec.name}'`, signal });
    return parseDisk(json);
  }

  /**
   * Attaches a disk to a VM (POST /vms/{vm}/diskattachments, virtio-scsi, not bootable, active: hot
   * plugged into a running VM), as a restore's last step.
   */
  async attachDisk(vmId: string, diskId: string, signal?: AbortSignal): Promise<void> {
    const body = { disk: { id: diskId }, interface: 'virtio_scsi', bootable: false, active: true };
    await this.api({ method: 'POST', path: `/vms/${seg(vmId)}/diskattachments`, body, what: `Attaching disk ${diskId} to VM ${vmId}`, signal });
  }

  /** Polls until the disk is `ok`; a disk that vanishes (404) or turns `illegal` means the engine failed to create it. */
  async waitForDiskOk(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Disk> {
    const signal = options.signal ?? new AbortController().signal;
    const timeoutMs = options.timeoutMs ?? DEFAULT_DISK_TIMEOUT_MS;
    const deadline = this.waits.now() + timeoutMs;
    for (;;) {
      const d = await this.disk(id, signal);
      if (!d)
        throw new DiskFerryError('engine-fault', `The engine removed disk ${id}: creating its volume failed. Check the engine's events and the storage domain, then try again.`, {
          retryable: false,
        });
      if (d.status === 'ok') return d;
      if (d.status === 'illegal')
        throw new DiskFerryError('engine-fault', `The engine marked disk '${d.name}' (${id}) illegal: creating it failed. Remove it and try again.`, { retryable: false });
      if (this.waits.now() >= deadline)
        throw new DiskFerryError('timeout', `Disk '${d.name}' (${id}) is still ${d.status ?? 'not ready'} after ${Math.round(timeoutMs / 1000)} s. Check the storage domain, then try again.`);
      await wait(this.waits.timers, this.waits.pollIntervalMs, signal, 'Waiting for the disk');
    }
  }

  /** Removes a disk (asynchronous on the engine: it turns `locked`, then disappears). An unknown disk is not an error. */
  async deleteDisk(id: string, signal?: AbortSignal): Promise<void> {
    await this.api({ method: 'DELETE', path: `/disks/${seg(id)}`, what: `Removing disk ${id}`, signal, allow404: true });
  }

  /** Polls until the disk is gone (after deleteDisk, or a failed or cancelled upload): true when gone, false when still there at the deadline. */
  async waitForDiskGone(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    const signal = options.signal ?? new AbortController().signal;
    const timeoutMs = options.timeoutMs ?? DISK_GONE_TIMEOUT_MS;
    const deadline = this.waits.now() + timeoutMs;
    for (;;) {
      const d = await this.disk(id, signal);
      if (!d) return true;
      if (this.waits.now() >= deadline) {
        this.options.log.warn('disk still present at the deadline', { diskId: id, status: d.status });
        return false;
      }
      await wait(this.waits.timers, this.waits.pollIntervalMs, signal, 'Waiting for the disk removal');
    }
  }

  /**
   * Starts an image transfer, in the form this engine understands (reference/engine.md §6): `image`
   * below 4.2, `disk` from 4.2; `format` only from 4.3, `inactivity_timeout` from 4.2.3,
   * `timeout_policy` from 4.4.5. The answer may already be `transferring` (see waitUntilTransferring).
   */
  async createTransfer(spec: TransferSpec, signal?: AbortSignal): Promise<ImageTransfer> {
    const targets = [spec.diskId, spec.imageId, spec.snapshotId].filter((t) => t !== undefined);
    if (targets.length !== 1) throw new DiskFerryError('bad-input', 'A transfer needs exactly one target: a disk, an image or a disk snapshot.');
    const v = await this.version(signal);
    const body: Record<string, unknown> = { direction: spec.direction };
    if (spec.snapshotId !== undefined) {
      if (!supportsDiskTarget(v)) throw new DiskFerryError('bad-input', `Engine ${v.full} cannot transfer disk snapshots; that needs oVirt 4.2 or later.`);
      body['snapshot'] = { id: spec.snapshotId };
    } else if (spec.diskId !== undefined) {
      body[supportsDiskTarget(v) ? 'disk' : 'image'] = { id: spec.diskId };
    } else {
      body['image'] = { id: spec.imageId };
    }
    if (spec.format !== undefined && supportsFormat(v)) body['format'] = spec.format;
    if (spec.inactivityTimeout !== undefined && supportsInactivityTimeout(v)) body['inactivity_timeout'] = spec.inactivityTimeout;
    if (spec.timeoutPolicy !== undefined && supportsTimeoutPolicy(v)) body['timeout_policy'] = spec.timeoutPolicy;
    if (spec.backupId !== undefined) {
      if (spec.diskId === undefined || !supportsBackupApi(v)) throw new DiskFerryError('bad-input', `A backup is downloaded disk by disk, on oVirt 4.3 or later (this engine: ${v.full}).`);
      body['backup'] = { id: spec.backupId };
    }
    if (spec.shallow !== undefined) {
      if (!supportsDiskSnapshotList(v)) throw new DiskFerryError('bad-input', `Engine ${v.full} cannot download a single snapshot layer; that needs oVirt 4.4.3 or later.`);
      body['shallow'] = spec.shallow;
    }
    const target = spec.diskId ?? spec.imageId ?? `snapshot ${spec.snapshotId ?? ''}`;
    const json = await this.api({ method: 'POST', path: '/imagetransfers', body, what: `Starting the ${spec.direction} of disk ${target}`, signal });
    return parseImageTransfer(json, spec.diskId ?? spec.imageId ?? null);
  }

  /** Every image transfer the engine lists (finished rows too, while it keeps them). */
  async transfers(signal?: AbortSignal): Promise<ImageTransfer[]> {
    const json = await this.api({ method: 'GET', path: '/imagetransfers', what: 'Listing the image transfers', signal });
    return parseCollection(json, 'image_transfer', 'the transfer list', (item) => parseImageTransfer(item), (err) => this.options.log.warn('skipping a transfer the client cannot read', { error: err.message }));
  }

  /** One image transfer; null when the engine does not know it (any more). */
  async transfer(id: string, signal?: AbortSignal): Promise<ImageTransfer | null> {
    const json = await this.api({ method: 'GET', path: `/imagetransfers/${seg(id)}`, what: `Reading transfer ${id}`, signal, allow404: true });
    return json === null ? null : parseImageTransfer(json);
  }

  /** A host's name (`GET /hosts/{id}`), to show where a transfer runs; null when the engine does not know it. */
  async hostName(id: string, signal?: AbortSignal): Promise<string | null> {
    const json = await this.api({ method: 'GET', path: `/hosts/${seg(id)}`, what: `Reading host ${id}`, signal, allow404: true });
    const name = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['name'] : null;
    return typeof name === 'string' ? name : null;
  }

  /** `extend`: keeps 4.1-era sessions alive (newer engines watch imageio activity instead). */
  extendTransfer(id: string, signal?: AbortSignal): Promise<void> {
    return this.action(id, 'extend', 'Extending', signal);
  }

  /** `pause` (uploads only; the engine refuses it for downloads). */
  pauseTransfer(id: string, signal?: AbortSignal): Promise<void> {
    return this.action(id, 'pause', 'Pausing', signal);
  }

  /** `resume` (only from `paused_*`). */
  resumeTransfer(id: string, signal?: AbortSignal): Promise<void> {
    return this.action(id, 'resume', 'Resuming', signal);
  }

  /** `finalize`; the 200 proves nothing, see finalizeAndConfirm. */
  finalizeTransfer(id: string, signal?: AbortSignal): Promise<void> {
    return this.action(id, 'finalize', 'Finalizing', signal);
  }

  /**
   * `cancel`. For an upload the engine then deletes the disk, even one that existed before (4.2.4+).
   * Engines before 4.2.3 have no `cancel` action: there `finalize` ends the transfer instead, and the
   * caller removes an upload's disk itself (deletesDiskOnUploadFailure is false there too).
   */
  async cancelTransfer(id: string, signal?: AbortSignal): Promise<void> {
    if (supportsCancel(await this.version(signal))) return this.action(id, 'cancel', 'Cancelling', signal);
    this.options.log.info('this engine has no cancel action; ending the transfer with finalize', { transfer: id });
    return this.action(id, 'finalize', 'Ending', signal);
  }

  /** Polls until `transferring` with a URL, resuming a `paused_system` start a bounded number of times. */
  waitForTransferReady(start: ImageTransfer | string, options: { timeoutMs?: number; maxResumes?: number; signal?: AbortSignal } = {}): Promise<ImageTransfer> {
    return waitForTransferReady(this, this.waits, start, options);
  }

  /** Finalizes and confirms the outcome from the phase or, when the row is gone, from the disk. */
  finishTransfer(id: string, options: { diskId: string; direction: TransferDirection; timeoutMs?: number; signal?: AbortSignal }): Promise<TransferOutcome> {
    return finishTransfer(this, this.waits, id, options);
  }

  /** Cancels and waits until the engine has ended the transfer (an upload's disk is then deleted). */
  cancelTransferAndWait(id: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ readonly phase: 'finished_failure' | 'finished_success' | 'gone' }> {
    return cancelTransferAndWait(this, this.waits, id, options);
  }

  private async action(id: string, name: string, verb: string, signal: AbortSignal | undefined): Promise<void> {
    await this.api({ method: 'POST', path: `/imagetransfers/${seg(id)}/${name}`, body: {}, what: `${verb} transfer ${id}`, signal });
  }

  private api(c: ApiCall): Promise<unknown> {
    return this.conn.call(c);
  }
}
