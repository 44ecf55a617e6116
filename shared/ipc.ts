/**
 * THE IPC contract between the window (renderer) and the app core (Electron main, or the web host
 * over a WebSocket). Every invoke channel maps one request payload to one response, and every call
 * returns the Result envelope of shared/errors.ts: `{ ok: true, value }` or
 * `{ ok: false, error: { code, message, retryable } }` — an invoke never rejects for an app error.
 * Event channels carry the core's state to the window, coalesced (a few a second; terminal transfer
 * states at once): whole snapshots for engines and settings; for transfers, a whole snapshot first
 * and then only what changed (`TransfersChange`).
 *
 * Rules for everything here: plain readonly data (structured-clone and JSON safe: no classes, no
 * Date — times are epoch ms, no undefined values in responses — absent is null); unknown sizes are
 * null; no secret ever crosses (no password comes back, no token, no ticket or ticket URL).
 * Runtime schemas for every payload are in shared/schemas/ (`INVOKE_SCHEMAS`, `EVENT_SCHEMAS`).
 *
 * The window uses the named API of preload/api.ts (`DiskFerryApi`, on `window.diskferry`), never
 * channel names. In Electron, preload/index.ts puts it there; in a browser, the web host
 * (`npm run web`, test/web-host/) serves `dist/renderer/` and injects test/web-host/client.ts before
 * the page's own scripts, which puts the same object there over a WebSocket — the renderer code is
 * the same in both. `AppInfo.host` / `nativeDialogs` tell the window which stand-ins apply.
 *
 * Changes after the first version are listed here:
 * - `transfers:changed` carries `TransfersChange` (a snapshot, then deltas) instead of a whole
 *   snapshot each time: with 1,000 jobs a snapshot was ~820 KB four times a second.
 * - `DiskView.vmNames`: the VMs a disk is attached to (the catalog's VM column and `{vm}`).
 * - `engines:testNew`: logs in with an `AddEngineRequest` without saving anything.
 * - `Settings.verify` and `TransferView.checksum`: the checksum comparison with the data server.
 * - `UploadPlanItem.sameNameDisks`: disks of the same name already on the engine.
 * - `Settings.maxPerStorageDomain` (the queue's per-storage-domain limit).
 */
import type { ErrorInfo, Result } from './errors.js';
import type { DiskFormat, OutputFormat, TransferDirection, TransferProgress, TransferState } from './model.js';
import type { StorageDomainStatus } from './model.js';

export type { ErrorInfo, Result } from './errors.js';
export type { DiskFormat, OutputFormat, TransferDirection, TransferProgress, TransferState } from './model.js';

// ---------------------------------------------------------------------------------------------
// Engines and connections

/** How a profile's connection stands right now. `needs-password`: no saved password; select it with one. */
export type ConnectionStatus = 'disconnected' | 'connecting' | 'connected' | 'needs-password' | 'failed';

/** One engine profile as the window sees it: never its password (only whether one is saved). */
export interface EngineProfileView {
  readonly id: string;
  /** Display name, e.g. "prod-engine". */
  readonly name: string;
  /** `https://host/ovirt-engine`. */
  readonly engineUrl: string;
  /** `user@profile`. */
  readonly username: string;
  /** SHA-256 of the pinned engine CA (`AA:BB:…`); null when the profile trusts the system CAs only. */
  readonly caFingerprint: string | null;
  readonly caSubject: string | null;
  /** Also trust the operating system's CAs (third-party certificate on the engine's Apache). */
  readonly systemTrust: boolean;
  /** A password is saved, encrypted by the OS keychain (safeStorage). */
  readonly passwordSaved: boolean;
  /** The built-in simulator added by `engines:demo`. */
  readonly demo: boolean;
  readonly status: ConnectionStatus;
  /** `product_info` full version once connected, e.g. "4.5.7-1.el9"; null before. */
  readonly engineVersion: string | null;
  /** Why the last connection failed (status `failed`), else null. */
  readonly error: ErrorInfo | null;
}

/** All engine profiles and which one the window works with. Also the `engines:changed` payload. */
export interface EnginesState {
  readonly profiles: readonly EngineProfileView[];
  /** The selected profile: catalog calls and new transfers use it. */
  readonly selectedId: string | null;
}

/** The engine CA as fetched for the user to compare (trust on first use). The PEM stays in main. */
export interface CaCertificateInfo {
  readonly engineUrl: string;
  /** SHA-256, `AA:BB:…`: pass it back to `engines:add` / `engines:trust` to accept this certificate. */
  readonly fingerprint: string;
  readonly subject: string;
  /** End of validity, epoch ms. */
  readonly notAfter: number;
}

/** How a new profile trusts the engine. */
export type EngineTrustChoice =
  /** The CA that `engines:fetchCa` returned with this fingerprint (fetched within the last 10 minutes). */
  | { readonly kind: 'fingerprint'; readonly fingerprint: string }
  /** A PEM CA file the user imported (its text, read by the window from a dropped/chosen file). */
  | { readonly kind: 'pem'; readonly pem: string }
  /** Only the operating system's CAs (an engine with a publicly signed certificate). */
  | { readonly kind: 'system' };

/** `engines:add`: checks the login (like `diskferry login`), then saves the profile and selects it. */
export interface AddEngineRequest {
  /** Display name; default: the engine's host name. */
  readonly name?: string;
  /** Any form the CLI accepts: `engine.example.com`, `https://engine.example.com/ovirt-engine[/api]`. */
  readonly engineUrl: string;
  readonly username: string;
  readonly password: string;
  /** Keep the password, encrypted with the OS keychain; otherwise it is asked at each start. */
  readonly savePassword: boolean;
  readonly trust: EngineTrustChoice;
  /** Also trust the OS CAs besides the pinned one. Default false. */
  readonly systemTrust?: boolean;
}

/** `engines:fetchCa`: downloads the engine CA of a new URL, or of a saved profile (to re-trust it). */
export type FetchCaRequest = { readonly engineUrl: string } | { readonly id: string };

/** `engines:trust`: pins the CA last fetched with this fingerprint for an existing profile. */
export interface TrustEngineRequest {
  readonly id: string;
  readonly fingerprint: string;
}

/** `engines:test`: logs in and reads the version, without changing the selection. */
export interface TestEngineRequest {
  readonly id: string;
  /** Needed when the profile has no saved password. Not kept. */
  readonly password?: string;
}

/** `engines:test` and `engines:testNew` answer. */
export interface EngineTestResult {
  readonly engineVersion: string;
  /** Milliseconds the login and version read took. */
  readonly elapsedMs: number;
}

/**
 * `engines:select`: selects a profile and connects. A failed login is not an error Result: the
 * answer's profile has status `failed` (with `error`) or `needs-password` (select again with one).
 */
export interface SelectEngineRequest {
  readonly id: string;
  /** For a profile without a saved password. */
  readonly password?: string;
  /** With `password`: save it (encrypted). Default false. */
  readonly savePassword?: boolean;
}

/** A request naming one engine profile. */
export interface EngineIdRequest {
  readonly id: string;
}

// ---------------------------------------------------------------------------------------------
// Catalog (of the selected engine)

export type { StorageDomainStatus } from './model.js';

/** A storage domain of the selected engine. */
export interface StorageDomainView {
  readonly id: string;
  readonly name: string;
  /** `data`, `iso`, `export`, … */
  readonly type: string;
  /** `nfs`, `iscsi`, `fcp`, … */
  readonly storageType: string | null;
  readonly isBlock: boolean;
  readonly status: StorageDomainStatus;
  /** Free bytes; null when the engine did not say. */
  readonly available: number | null;
  readonly used: number | null;
  /** An active data domain: the only kind that takes uploads. */
  readonly acceptsUploads: boolean;
}

/** `catalog:disks` filter. */
export interface DiskQuery {
  /** A bare word searches by name (`web*`); `name=…`, `status=ok`, … pass through to the engine. */
  readonly search?: string;
  /** At most this many (default 500). */
  readonly max?: number;
}

/** A disk of the selected engine. */
export interface DiskView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  /** Virtual size: the byte count of a raw download. */
  readonly provisionedSize: number | null;
  readonly actualSize: number | null;
  readonly format: DiskFormat;
  readonly sparse: boolean;
  readonly status: 'ok' | 'locked' | 'illegal' | null;
  /** `data`, `iso`, …; null on old engines. */
  readonly contentType: string | null;
  readonly storageDomainIds: readonly string[];
  /** Names of `storageDomainIds` where known. */
  readonly storageDomainNames: readonly string[];
  /** Names of the VMs the disk is attached to (sorted; [] for a floating disk); null when unknown. */
  readonly vmNames: readonly string[] | null;
  /** An image disk that is `ok`: can be downloaded now. */
  readonly downloadable: boolean;
}

/** A request to the catalog. */
export interface StorageDomainsRequest {
  /** Read again from the engine instead of the cached list (a few seconds old at most). */
  readonly refresh?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Transfers

/** Local file formats DiskFerry recognises. */
export type LocalImageFormat = 'raw' | 'qcow2' | 'iso';

/** `transfers:planUploads`: local paths (from a drop or the open dialog). */
export interface PlanUploadsRequest {
  readonly paths: readonly string[];
}

/** One probed file of an upload plan. */
export interface UploadPlanItem {
  readonly path: string;
  readonly fileName: string;
  /** Detected format; null when the file could not be probed (see problem). */
  readonly format: LocalImageFormat | null;
  /** Guest size = the new disk's provisioned size; null when unknown. */
  readonly virtualSize: number | null;
  readonly fileSize: number | null;
  /** Suggested disk name (the file name without its extension). */
  readonly diskName: string;
  /** Suggested disk format: cow for qcow2, raw otherwise (always raw for ISO). */
  readonly diskFormat: DiskFormat;
  /** Why this file cannot be uploaded, in words with the fix; null when it can. */
  readonly problem: ErrorInfo | null;
  /**
   * Disks the selected engine already has with the suggested name (oVirt allows duplicates, which
   * are hard to tell apart later); null when not checked (no engine connected, a very large plan).
   */
  readonly sameNameDisks: number | null;
}

/** `transfers:planUploads` answer: the sheet the user confirms. */
export interface UploadPlan {
  readonly items: readonly UploadPlanItem[];
  /** Suggested target: the storage domain last used on this engine (check it against the list). */
  readonly storageDomainId: string | null;
}

/** One confirmed upload. */
export interface UploadJobRequest {
  readonly path: string;
  readonly storageDomainId: string;
  readonly diskName: string;
  /** Default: the plan's suggestion. */
  readonly diskFormat?: DiskFormat;
  /** Allocate the whole disk now (implied for raw on block storage and ISO). Default false. */
  readonly preallocated?: boolean;
}

/** When queued transfers may start. */
export type StartMode = 'now' | 'window';

/** `transfers:addUploads`: the confirmed plan; the jobs go to the queue of the selected engine. */
export interface AddUploadsRequest {
  readonly items: readonly UploadJobRequest[];
  /** Default `now`. */
  readonly start?: StartMode;
}

/**
 * What to do when the download's target file already exists: `rename` to "name (2).raw", `overwrite`,
 * or `skip` (the disk is not queued; the answer lists only queued transfers). A `.part` file of an
 * interrupted download is always resumed under its name.
 */
export type ExistingFilePolicy = 'rename' | 'overwrite' | 'skip';

/**
 * `transfers:addDownloads`. `nameTemplate` placeholders: `{disk}` disk name, `{id}` disk id,
 * `{ext}` raw|qcow2, `{vm}` VM name (empty when the engine does not say; separators around it
 * collapse), `{date}` YYYY-MM-DD. Unsafe characters are replaced.
 */
export interface AddDownloadsRequest {
  readonly diskIds: readonly string[];
  /** An absolute folder path. */
  readonly folder: string;
  /** `qcow2` writes a sparse qcow2 v3 file. */
  readonly format: OutputFormat;
  /** Default `{disk}.{ext}`. */
  readonly nameTemplate?: string;
  readonly existing: ExistingFilePolicy;
  /** Default `now`. */
  readonly start?: StartMode;
}

/** A request naming one transfer. */
export interface TransferIdRequest {
  readonly id: string;
}

/** `transfers:move`: reorder the queue. */
export interface MoveTransferRequest {
  readonly id: string;
  readonly to: 'top' | 'up' | 'down' | 'bottom';
}

/** Which actions apply to a transfer now (computed in main, so the window need not know the rules). */
export interface TransferActions {
  readonly pause: boolean;
  readonly resume: boolean;
  readonly cancel: boolean;
  readonly retry: boolean;
  readonly remove: boolean;
  /** A local file or folder exists to show. */
  readonly reveal: boolean;
  readonly move: boolean;
}

/** One transfer in the queue or history. */
export interface TransferView {
  readonly id: string;
  readonly direction: TransferDirection;
  readonly state: TransferState;
  readonly engineId: string;
  readonly engineName: string;
  /** Display name: the file name (upload) or the disk name (download). */
  readonly name: string;
  /** Upload: the source file. Download: the target file (it is written as `<path>.part` until done). */
  readonly localPath: string;
  /** Upload: known once the disk exists. Download: always. */
  readonly diskId: string | null;
  readonly diskName: string;
  /** Upload: the target domain. Download: null. */
  readonly storageDomainName: string | null;
  /** Upload: the file's format. Download: the output format. */
  readonly localFormat: LocalImageFormat | null;
  readonly diskFormat: DiskFormat | null;
  readonly progress: TransferProgress;
  /** The last error (state failed, or retrying after it); null otherwise. */
  readonly error: ErrorInfo | null;
  /** Runs started, counting retries. */
  readonly attempts: number;
  readonly start: StartMode;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** States entered, in order, with epoch ms (the details view's phase timeline). */
  readonly timeline: readonly { readonly state: TransferState; readonly at: number }[];
  /** Informational notes in words (e.g. "data-iscsi is block storage: the disk is preallocated."). */
  readonly notes: readonly string[];
  /** Cancelling (or a failure of) this upload deletes the disk on the engine: confirm first. */
  readonly cancelDeletesDisk: boolean;
  /** How the data was checked, once completed; null before (and for transfers that predate it). */
  readonly checksum: TransferChecksum | null;
  readonly actions: TransferActions;
}

/**
 * The blkhash of the guest data (computed while it moved) against the data server's `/checksum`. A
 * mismatch fails the transfer (its `error` says so); here it either matched or was not compared.
 */
export interface TransferChecksum {
  /** `blake2b` (imageio's default, 256-bit digests), … */
  readonly algorithm: string;
  readonly blockSize: number;
  /** Hex digests; null when not computed (verification off) or not asked (server without it). */
  readonly local: string | null;
  readonly server: string | null;
  /** true: they match; null: not compared (`note` says why). */
  readonly verified: boolean | null;
  /** One line: verified, or why not. */
  readonly note: string;
}

/** Totals for the status bar. */
export interface TransfersSummary {
  readonly running: number;
  /** queued + waiting + retrying + paused. */
  readonly pending: number;
  readonly completed: number;
  readonly failed: number;
  /** Sum of the running transfers' rates, bytes per second. */
  readonly rate: number;
}

/** The whole queue and history: `transfers:list` answer and `transfers:changed` payload. */
export interface TransfersSnapshot {
  /** Increases with every snapshot; a window ignores one older than what it has. */
  readonly seq: number;
  /** Queue order (running and pending first, in order), then finished ones, newest first. */
  readonly transfers: readonly TransferView[];
  readonly summary: TransfersSummary;
}

/**
 * `transfers:changed` payload. The first event a window gets after it connected or called
 * `transfers:list` is a whole snapshot; the following ones are deltas against the previous event.
 * A window applies a delta only when `baseSeq` is the `seq` it holds, and otherwise calls
 * `transfers:list` (after which a whole snapshot follows).
 */
export type TransfersChange = ({ readonly kind: 'snapshot' } & TransfersSnapshot) | TransfersDelta;

/** What changed since the previous `transfers:changed` event to this window. */
export interface TransfersDelta {
  readonly kind: 'delta';
  /** The `seq` of the snapshot this delta applies to. */
  readonly baseSeq: number;
  readonly seq: number;
  /** Transfers that are new or differ from the previous event. */
  readonly changed: readonly TransferView[];
  /** Every transfer's id in display order; an id missing here was removed. */
  readonly order: readonly string[];
  readonly summary: TransfersSummary;
}

/** `transfers:reveal` answer. */
export interface RevealResult {
  readonly path: string;
  /** The OS file manager showed it (Electron); false in the web host, which only returns the path. */
  readonly shown: boolean;
}

// ---------------------------------------------------------------------------------------------
// Settings

/** A daily time window, local time `HH:MM`; end before start spans midnight. */
export interface ScheduleWindow {
  readonly start: string;
  readonly end: string;
}

/** User settings. `settings:set` takes any subset and answers the whole new settings. */
export interface Settings {
  /** Transfers that run at once (1–8). */
  readonly maxConcurrent: number;
  /** Transfers that run at once on one storage domain (1–8); null = only `maxConcurrent`. */
  readonly maxPerStorageDomain: number | null;
  /** Data connections per transfer (1–8, capped by the server). */
  readonly connectionsPerTransfer: number;
  /** Total bandwidth limit of all transfers together, bytes per second; null = none. */
  readonly bandwidthLimit: number | null;
  /** Transfers started with `start: 'window'` wait for it (running ones are held at its end); null = no window. */
  readonly scheduleWindow: ScheduleWindow | null;
  /** Retries after a retryable failure (0–10). */
  readonly maxRetries: number;
  /** Go through the engine's imageio proxy first. */
  readonly preferProxy: boolean;
  /** Compare a checksum of the data with the data server's before finalize (blkhash; needs imageio 2). */
  readonly verify: boolean;
  /** Engine inactivity timeout for our transfers, seconds (0 disables). */
  readonly inactivityTimeout: number;
  readonly downloadFolder: string | null;
  readonly downloadNameTemplate: string;
  readonly downloadFormat: OutputFormat;
  readonly existingFilePolicy: ExistingFilePolicy;
  /** Remembered upload target per engine profile id. */
  readonly lastStorageDomain: Readonly<Record<string, string>>;
  readonly theme: 'system' | 'light' | 'dark';
  readonly language: 'system' | 'en' | 'ja';
  /** Desktop notification when a transfer ends. */
  readonly notifications: boolean;
  /** Keep the computer awake while transfers run. */
  readonly preventSleep: boolean;
  /** Ask before quitting while transfers run. */
  readonly confirmQuit: boolean;
}

/** `settings:set` payload. */
export type SettingsPatch = Partial<Settings>;

// ---------------------------------------------------------------------------------------------
// Dialogs and app

/** `dialogs:openFiles`. */
export interface OpenFilesRequest {
  readonly title?: string;
}

/** `dialogs:openFiles` answer; `paths` is empty when the user cancelled. */
export interface OpenFilesResult {
  readonly paths: readonly string[];
}

/** `dialogs:chooseFolder`. */
export interface ChooseFolderRequest {
  readonly title?: string;
  readonly defaultPath?: string;
}

/** `dialogs:chooseFolder` answer; null when the user cancelled. */
export interface ChooseFolderResult {
  readonly path: string | null;
}

/** Where the window runs. */
export type HostKind = 'electron' | 'web';

/** `app:info` answer. */
export interface AppInfo {
  readonly name: string;
  readonly version: string;
  readonly host: HostKind;
  /** `linux`, `darwin`, `win32`. */
  readonly platform: string;
  /** `engines:demo` works (running from a checkout, with the simulator). */
  readonly demoAvailable: boolean;
  /**
   * Native dialogs exist. In the web host they do not: `dialogs:*` answer "cancelled" and the window
   * asks for typed paths instead; dropped files have no path either.
   */
  readonly nativeDialogs: boolean;
  /** `transfers:reveal` opens the file manager (else it only returns the path). */
  readonly canReveal: boolean;
}

// ---------------------------------------------------------------------------------------------
// Channel maps

/** Invoke channels: request payload → response value (wrapped in Result). `void`: send nothing. */
export interface InvokeChannels {
  'engines:list': { request: void; response: EnginesState };
  'engines:add': { request: AddEngineRequest; response: EngineProfileView };
  'engines:fetchCa': { request: FetchCaRequest; response: CaCertificateInfo };
  'engines:trust': { request: TrustEngineRequest; response: EngineProfileView };
  'engines:test': { request: TestEngineRequest; response: EngineTestResult };
  'engines:testNew': { request: AddEngineRequest; response: EngineTestResult };
  'engines:remove': { request: EngineIdRequest; response: EnginesState };
  'engines:select': { request: SelectEngineRequest; response: EnginesState };
  'engines:demo': { request: void; response: EngineProfileView };
  'catalog:storageDomains': { request: StorageDomainsRequest; response: readonly StorageDomainView[] };
  'catalog:disks': { request: DiskQuery; response: readonly DiskView[] };
  'transfers:planUploads': { request: PlanUploadsRequest; response: UploadPlan };
  'transfers:addUploads': { request: AddUploadsRequest; response: readonly TransferView[] };
  'transfers:addDownloads': { request: AddDownloadsRequest; response: readonly TransferView[] };
  'transfers:pause': { request: TransferIdRequest; response: TransferView };
  'transfers:resume': { request: TransferIdRequest; response: TransferView };
  /** Cancelling an upload deletes its disk on the engine (the window confirms first). */
  'transfers:cancel': { request: TransferIdRequest; response: TransferView };
  'transfers:retry': { request: TransferIdRequest; response: TransferView };
  /** Only finished transfers (completed, failed, cancelled) can be removed from the list. */
  'transfers:remove': { request: TransferIdRequest; response: null };
  'transfers:reveal': { request: TransferIdRequest; response: RevealResult };
  'transfers:move': { request: MoveTransferRequest; response: null };
  'transfers:list': { request: void; response: TransfersSnapshot };
  'settings:get': { request: void; response: Settings };
  'settings:set': { request: SettingsPatch; response: Settings };
  'dialogs:openFiles': { request: OpenFilesRequest; response: OpenFilesResult };
  'dialogs:chooseFolder': { request: ChooseFolderRequest; response: ChooseFolderResult };
  'app:info': { request: void; response: AppInfo };
}

/** Event channels: core → window. */
export interface EventChannels {
  'transfers:changed': TransfersChange;
  'engines:changed': EnginesState;
  'settings:changed': Settings;
}

/** What the core holds per event channel; the hosts turn it into the payload (main/app/event-pump.ts). */
export interface EventStates {
  'transfers:changed': TransfersSnapshot;
  'engines:changed': EnginesState;
  'settings:changed': Settings;
}

export type InvokeChannel = keyof InvokeChannels;
export type EventChannel = keyof EventChannels;
export type InvokeRequest<C extends InvokeChannel> = InvokeChannels[C]['request'];
export type InvokeResponse<C extends InvokeChannel> = InvokeChannels[C]['response'];

/** Every invoke channel name (for the handler registry and its completeness test). */
export const INVOKE_CHANNELS = [
  'engines:list',
  'engines:add',
  'engines:fetchCa',
  'engines:trust',
  'engines:test',
  'engines:testNew',
  'engines:remove',
  'engines:select',
  'engines:demo',
  'catalog:storageDomains',
  'catalog:disks',
  'transfers:planUploads',
  'transfers:addUploads',
  'transfers:addDownloads',
  'transfers:pause',
  'transfers:resume',
  'transfers:cancel',
  'transfers:retry',
  'transfers:remove',
  'transfers:reveal',
  'transfers:move',
  'transfers:list',
  'settings:get',
  'settings:set',
  'dialogs:openFiles',
  'dialogs:chooseFolder',
  'app:info',
] as const satisfies readonly InvokeChannel[];

/** Every event channel name. */
export const EVENT_CHANNELS = ['transfers:changed', 'engines:changed', 'settings:changed'] as const satisfies readonly EventChannel[];

/**
 * The transport both hosts provide to the API builder: Electron's ipcRenderer in preload, a
 * WebSocket in the web host. `invoke` resolves with the Result (it never rejects for app errors).
 */
export interface IpcTransport {
  invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<Result<InvokeResponse<C>>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void;
}
