/**
 * The window's one store: what main last sent (engines, settings, transfers), the catalog of the
 * selected engine, and the little UI state several panes share (selected disks, the open sheet,
 * notices). Plain readonly data; changed only by the reducer.
 */
import type { ErrorInfo } from '../../shared/errors.js';
import type { AppInfo, DiskView, EnginesState, RestorePlanView, Settings, StorageDomainView, TransfersSnapshot, UploadPlan, UploadPlanItem, VmView } from '../../shared/ipc.js';
import { NO_SELECTION, type Selection } from '../lib/selection.js';

/** The modal sheet on top of the window, if any. */
export type Sheet =
  | { readonly kind: 'add-engine' }
  | { readonly kind: 'settings' }
  /** Typed paths, where the host cannot give dropped files' paths (the web host). */
  | { readonly kind: 'paths'; readonly names: readonly string[] }
  | { readonly kind: 'upload-plan'; readonly plan: UploadPlan }
  | { readonly kind: 'download-plan'; readonly diskIds: readonly string[] }
  /** Cancel these transfers? Says which run, and that the engine deletes a cancelled upload's disk. */
  | { readonly kind: 'confirm-cancel'; readonly transferIds: readonly string[] }
  /** "Change and retry…" of a transfer; an upload's file planned again (null: a download, or it could not be probed). */
  | { readonly kind: 'retarget'; readonly transferId: string; readonly item: UploadPlanItem | null }
  | { readonly kind: 'password'; readonly engineId: string }
  | { readonly kind: 'report' }
  /** The selected engine's own transfers; of one disk when opened from a row that failed on its lock (`jobId`). */
  | { readonly kind: 'engine-transfers'; readonly diskId: string | null; readonly diskName: string | null; readonly jobId: string | null }
  /** "Back up…" of these VMs (ids). */
  | { readonly kind: 'backup'; readonly vmIds: readonly string[] }
  /** The backup history of the remembered folder, of one VM when opened for it (`vmId` or `vmName`). */
  | { readonly kind: 'backups'; readonly vmId: string | null; readonly vmName: string | null }
  /** Restore… of a run (or of one disk of it, `plan.items`); Back returns to the history with its VM filter. */
  | { readonly kind: 'restore'; readonly plan: RestorePlanView; readonly back: { readonly vmId: string | null; readonly vmName: string | null } };

/** A short message at the bottom of the window: an action's error, or a note. */
export interface Notice {
  readonly id: number;
  readonly tone: 'error' | 'info';
  /** Text from main (already in words), or an i18n key when `translate`. */
  readonly text: string;
  readonly translate: boolean;
  /** The key's parameters, when `translate`. */
  readonly params?: Readonly<Record<string, string | number>>;
  /** The error from main this notice tells (shown in the window's language). */
  readonly error?: ErrorInfo;
  /** How many times the same notice came while it was shown (one notice, not a pile). */
  readonly count: number;
}

/** The catalog of the selected engine. */
export interface CatalogState {
  readonly engineId: string | null;
  readonly domains: readonly StorageDomainView[];
  readonly disks: readonly DiskView[];
  readonly loading: boolean;
  readonly error: ErrorInfo | null;
}

/** The VMs of the selected engine (the sidebar's "Virtual machines"), read with the catalog. */
export interface VmsState {
  readonly engineId: string | null;
  readonly vms: readonly VmView[];
  /** The folder the last backups were read from (the engine's backup folder). */
  readonly backupFolder: string | null;
  readonly error: ErrorInfo | null;
}

/** Everything the window renders from. */
export interface AppState {
  /** The first snapshots arrived. */
  readonly ready: boolean;
  /** The API could not be reached at start (shown instead of the window). */
  readonly fatal: ErrorInfo | null;
  readonly info: AppInfo | null;
  readonly engines: EnginesState;
  readonly settings: Settings | null;
  readonly transfers: TransfersSnapshot;
  readonly catalog: CatalogState;
  readonly selectedDiskIds: readonly string[];
  readonly vms: VmsState;
  readonly selectedVmIds: readonly string[];
  readonly expandedTransferIds: readonly string[];
  /** The selected transfers (of the queue or the history list) and where a Shift range starts. */
  readonly transferSelection: Selection;
  readonly sheet: Sheet | null;
  readonly notices: readonly Notice[];
}

/** No VMs read yet. */
export const NO_VMS: VmsState = { engineId: null, vms: [], backupFolder: null, error: null };

/** The store before anything arrived. */
export const INITIAL_STATE: AppState = {
  ready: false,
  fatal: null,
  info: null,
  engines: { profiles: [], selectedId: null },
  settings: null,
  transfers: { seq: -1, transfers: [], summary: { running: 0, pending: 0, completed: 0, failed: 0, rate: 0 } },
  catalog: { engineId: null, domains: [], disks: [], loading: false, error: null },
  selectedDiskIds: [],
  vms: NO_VMS,
  selectedVmIds: [],
  expandedTransferIds: [],
  transferSelection: NO_SELECTION,
  sheet: null,
  notices: [],
};
