/**
 * THE IPC contract between the window (renderer) and the app core (Electron main, or the web host
 * over a WebSocket), as one table: invoke channel → request schema → response schema, and event
 * channel → payload schema. Everything else is derived from it — the channel lists, the request,
 * response and event types, preload's named API (preload/api.ts: `transfers:pause` is
 * `api.transfers.pause(request)`, `transfers:changed` is `api.transfers.onChanged(listener)`) and
 * the type of the core's handler map (main/app/dispatch.ts), which the compiler checks against it.
 *
 * Every invoke answers the Result envelope of shared/errors.ts (`{ ok: true, value }` or
 * `{ ok: false, error: { code, message, retryable } }`); it never rejects for an app error. Events
 * carry the core's state to the window, coalesced (a few a second; terminal transfer states at once):
 * whole snapshots for engines and settings; for transfers a whole snapshot first, then deltas.
 *
 * Payloads are plain readonly data (structured-clone and JSON safe: no classes, no Date — times are
 * epoch ms; absent is null, unknown sizes are null); no secret ever crosses (no password comes back,
 * no token, no ticket or ticket URL). Their schemas and types, with the meaning of each field, are in
 * shared/schemas/; the types are re-exported here.
 *
 * Changes after the first version:
 * - `transfers:changed` carries `TransfersChange` (a snapshot, then deltas) instead of a whole
 *   snapshot each time: with 1,000 jobs a snapshot was ~820 KB four times a second.
 * - `DiskView.vmNames`; `engines:testNew`; `Settings.verify` and `TransferView.checksum`;
 *   `UploadPlanItem.sameNameDisks`; `Settings.maxPerStorageDomain`;
 *   `transfers:planDownloads` (what the download folder's file system can hold);
 *   `transfers:listEngine` and `transfers:endEngine` (the engine's stuck transfers in the window);
 *   `ErrorInfo.diskLocked`.
 * - `transfers:act` (pause, resume, cancel, retry, remove, start now, move many at once) and
 *   `TransferActions.startNow`; `transfers:report` and `transfers:saveReport`.
 * - `transfers:addUploads` / `transfers:addDownloads` answer `AddTransfersResult` (queued and
 *   left-out rows) instead of the queued transfers alone: one clash no longer refuses a whole batch.
 * - `transfers:retarget` and `TransferActions.retarget`; `catalog:diskNameCounts`;
 *   `UploadPlanItem.spaceNeeded`, `StorageDomainView.room` and `criticalSpace`, `DiskView.runningVmNames`.
 * - VM backups: `vms:list`, `backups:plan`, `backups:add`, `TransferView.backup`; the backup history
 *   and restore jobs: `backups:list`, `backups:planRestore`, `backups:restore`, `TransferView.restore`;
 *   `Settings.backupFolder` (one folder per engine for both).
 */
import { z } from 'zod';
import type { Result } from './errors.js';
import {
  ActOnTransfersRequestSchema,
  ActOnTransfersResultSchema,
  AddDownloadsRequestSchema,
  AddEngineRequestSchema,
  AddTransfersResultSchema,
  AddUploadsRequestSchema,
  AddBackupsRequestSchema,
  AppInfoSchema,
  BackupPlanRequestSchema,
  BackupPlanSchema,
  BackupHistorySchema,
  BackupsListRequestSchema,
  PlanRestoreRequestSchema,
  RestorePlanViewSchema,
  RestoreRequestSchema,
  CaCertificateInfoSchema,
  DownloadPlanSchema,
  ChooseFolderRequestSchema,
  ChooseFolderResultSchema,
  DiskNameCountsRequestSchema,
  DiskNameCountsSchema,
  DiskQuerySchema,
  DiskViewSchema,
  EndEngineTransferRequestSchema,
  EndEngineTransferResultSchema,
  EngineIdRequestSchema,
  EngineTransfersRequestSchema,
  EngineTransfersSchema,
  EngineProfileViewSchema,
  EnginesStateSchema,
  EngineTestResultSchema,
  FetchCaRequestSchema,
  MoveTransferRequestSchema,
  NoPayloadSchema as none,
  OpenFilesRequestSchema,
  OpenFilesResultSchema,
  optionalRequest as optional,
  PlanDownloadsRequestSchema,
  PlanUploadsRequestSchema,
  ReportFileSchema,
  ReportRequestSchema,
  RetargetRequestSchema,
  RevealResultSchema,
  SavedReportSchema,
  SelectEngineRequestSchema,
  SettingsPatchSchema,
  SettingsSchema,
  StorageDomainsRequestSchema,
  StorageDomainViewSchema,
  TestEngineRequestSchema,
  TransferIdRequestSchema,
  TransfersChangeSchema,
  TransfersSnapshotSchema,
  TransferViewSchema,
  TrustEngineRequestSchema,
  UploadPlanSchema,
  VmListSchema,
  type Infer,
} from './schemas/index.js';

export type * from './schemas/index.js';
export type { ErrorInfo, Result } from './errors.js';
export type { DiskFormat, OutputFormat, StorageDomainStatus, TransferDirection, TransferProgress, TransferState } from './model.js';

const Null = z.null();

/** The contract. `none`: the channel takes no payload; `optional(…)`: the request may be left out. */
export const IPC = {
  invoke: {
    'engines:list': { request: none, response: EnginesStateSchema },
    'engines:add': { request: AddEngineRequestSchema, response: EngineProfileViewSchema },
    'engines:fetchCa': { request: FetchCaRequestSchema, response: CaCertificateInfoSchema },
    'engines:trust': { request: TrustEngineRequestSchema, response: EngineProfileViewSchema },
    'engines:test': { request: TestEngineRequestSchema, response: EngineTestResultSchema },
    /** Logs in with what `engines:add` would save, without saving anything. */
    'engines:testNew': { request: AddEngineRequestSchema, response: EngineTestResultSchema },
    'engines:remove': { request: EngineIdRequestSchema, response: EnginesStateSchema },
    'engines:select': { request: SelectEngineRequestSchema, response: EnginesStateSchema },
    /** Adds and selects the built-in simulator (only when `app:info` says `demoAvailable`). */
    'engines:demo': { request: none, response: EngineProfileViewSchema },
    'catalog:storageDomains': { request: optional(StorageDomainsRequestSchema), response: z.array(StorageDomainViewSchema) },
    'catalog:disks': { request: optional(DiskQuerySchema), response: z.array(DiskViewSchema) },
    /** How many disks the selected engine has with each name (a typed disk name's warning). */
    'catalog:diskNameCounts': { request: DiskNameCountsRequestSchema, response: DiskNameCountsSchema },
    'transfers:planUploads': { request: PlanUploadsRequestSchema, response: UploadPlanSchema },
    /** Rows that clash with the queue or an earlier row are left out and listed; the rest are queued. */
    'transfers:addUploads': { request: AddUploadsRequestSchema, response: AddTransfersResultSchema },
    'transfers:planDownloads': { request: PlanDownloadsRequestSchema, response: DownloadPlanSchema },
    'transfers:addDownloads': { request: AddDownloadsRequestSchema, response: AddTransfersResultSchema },
    'transfers:pause': { request: TransferIdRequestSchema, response: TransferViewSchema },
    'transfers:resume': { request: TransferIdRequestSchema, response: TransferViewSchema },
    /** Cancelling an upload deletes its disk on the engine (the window confirms first). */
    'transfers:cancel': { request: TransferIdRequestSchema, response: TransferViewSchema },
    'transfers:retry': { request: TransferIdRequestSchema, response: TransferViewSchema },
    /** Another storage domain, disk name or format for an upload, another file for a download; then it runs again. */
    'transfers:retarget': { request: RetargetRequestSchema, response: TransferViewSchema },
    /** Only finished transfers (completed, failed, cancelled) can be removed from the list. */
    'transfers:remove': { request: TransferIdRequestSchema, response: Null },
    'transfers:reveal': { request: TransferIdRequestSchema, response: RevealResultSchema },
    'transfers:move': { request: MoveTransferRequestSchema, response: Null },
    /** One action on many transfers (each where it applies; the others are answered with why not). */
    'transfers:act': { request: ActOnTransfersRequestSchema, response: ActOnTransfersResultSchema },
    /** The report of finished transfers as a file's text (the CLI's queue report). */
    'transfers:report': { request: ReportRequestSchema, response: ReportFileSchema },
    /** The same, written where the user chooses in a save dialog (hosts with `nativeDialogs`). */
    'transfers:saveReport': { request: ReportRequestSchema, response: SavedReportSchema },
    /** After it, every window's next `transfers:changed` is a whole snapshot. */
    'transfers:list': { request: none, response: TransfersSnapshotSchema },
    /** The selected engine's own image transfers, ours and other clients', as `diskferry transfers` lists them. */
    'transfers:listEngine': { request: optional(EngineTransfersRequestSchema), response: EngineTransfersSchema },
    /** Ends one of them (a download finalized, an upload cancelled: its disk deleted), then waits for its disk. */
    'transfers:endEngine': { request: EndEngineTransferRequestSchema, response: EndEngineTransferResultSchema },
    'settings:get': { request: none, response: SettingsSchema },
    /** Any subset of the settings; answers the whole new settings. */
    'settings:set': { request: SettingsPatchSchema, response: SettingsSchema },
    'dialogs:openFiles': { request: optional(OpenFilesRequestSchema), response: OpenFilesResultSchema },
    'dialogs:chooseFolder': { request: optional(ChooseFolderRequestSchema), response: ChooseFolderResultSchema },
    'app:info': { request: none, response: AppInfoSchema },
    // VM backups (docs/backup.md): the VMs beside the disks, "Back up…" planned and queued; the Backups… history, Restore… queued.
    /** The selected engine's VMs, their disks, and the last backup of each in the engine's backup folder (`Settings.backupFolder`). */
    'vms:list': { request: none, response: VmListSchema },
    /** What a backup of these VMs would do: per VM its disks, the kind of run and why, or why it cannot. */
    'backups:plan': { request: BackupPlanRequestSchema, response: BackupPlanSchema },
    /** One backup job per VM (refused: what the plan refuses); remembers the folder for the engine. */
    'backups:add': { request: AddBackupsRequestSchema, response: AddTransfersResultSchema },
    /** The backup history of a folder (absent: the one remembered for the selected engine; a folder given is remembered): runs per VM. */
    'backups:list': { request: optional(BackupsListRequestSchema), response: BackupHistorySchema },
    /** A finished run's disks probed for the Restore… sheet: default names, the room each takes per choice. */
    'backups:planRestore': { request: PlanRestoreRequestSchema, response: RestorePlanViewSchema },
    /** Restore jobs (uploads that carry their origin) queued on the selected engine, one per disk; clashes left out as for uploads. */
    'backups:restore': { request: RestoreRequestSchema, response: AddTransfersResultSchema },
  },
  events: {
    'transfers:changed': TransfersChangeSchema,
    'engines:changed': EnginesStateSchema,
    'settings:changed': SettingsSchema,
  },
};

type Invoke = typeof IPC.invoke;
type Events = typeof IPC.events;

export type InvokeChannel = keyof Invoke;
export type EventChannel = keyof Events;
/** The request as the core's handler gets it, parsed by its schema. */
export type ParsedRequest<C extends InvokeChannel> = Infer<Invoke[C]['request']>;
/** The request as a caller sends it: `undefined` where the channel takes none or it may be left out. */
export type InvokeRequest<C extends InvokeChannel> = undefined extends z.input<Invoke[C]['request']> ? ParsedRequest<C> | undefined : ParsedRequest<C>;
/** The value of a successful answer. */
export type InvokeResponse<C extends InvokeChannel> = Infer<Invoke[C]['response']>;
/** Event channel → payload. */
export type EventChannels = { readonly [E in EventChannel]: Infer<Events[E]> };

/** The keys of an object literal, typed as such (the table has no other keys). */
const keysOf = <T extends object>(table: T) => Object.keys(table).filter((key): key is Extract<keyof T, string> => Object.hasOwn(table, key));

/** Every invoke channel name. */
export const INVOKE_CHANNELS: readonly InvokeChannel[] = keysOf(IPC.invoke);
/** Every event channel name. */
export const EVENT_CHANNELS: readonly EventChannel[] = keysOf(IPC.events);

/**
 * The transport both hosts provide to the API builder: Electron's ipcRenderer in preload, a
 * WebSocket in the web host. `invoke` resolves with the Result (it never rejects for app errors).
 */
export interface IpcTransport {
  invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<Result<InvokeResponse<C>>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void;
}
