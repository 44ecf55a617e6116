/**
 * The only place the store's state changes: a pure function of (state, action). Snapshots from main
 * replace what they cover; an older transfers snapshot than the one held is ignored.
 */
import type { ErrorInfo } from '../../shared/errors.js';
import type { AppInfo, DiskView, EnginesState, Settings, StorageDomainView, TransfersSnapshot, VmList } from '../../shared/ipc.js';
import type { Selection } from '../lib/selection.js';
import { NO_VMS, type AppState, type Notice, type Sheet } from './app-state.js';

/** What can happen to the store. */
export type Action =
  | { readonly type: 'ready'; readonly info: AppInfo }
  | { readonly type: 'fatal'; readonly error: ErrorInfo }
  | { readonly type: 'engines'; readonly engines: EnginesState }
  | { readonly type: 'settings'; readonly settings: Settings }
  | { readonly type: 'transfers'; readonly snapshot: TransfersSnapshot }
  | { readonly type: 'catalog/loading'; readonly engineId: string }
  | { readonly type: 'catalog/loaded'; readonly engineId: string; readonly domains: readonly StorageDomainView[]; readonly disks: readonly DiskView[] }
  | { readonly type: 'catalog/failed'; readonly engineId: string; readonly error: ErrorInfo }
  | { readonly type: 'vms/loaded'; readonly engineId: string; readonly list: VmList }
  | { readonly type: 'vms/failed'; readonly engineId: string; readonly error: ErrorInfo }
  | { readonly type: 'vms/select'; readonly ids: readonly string[] }
  | { readonly type: 'vms/toggle'; readonly id: string }
  | { readonly type: 'disks/select'; readonly ids: readonly string[] }
  | { readonly type: 'disks/toggle'; readonly id: string }
  | { readonly type: 'transfer/toggle'; readonly id: string }
  | { readonly type: 'transfers/select'; readonly selection: Selection }
  /**
   * Opens a sheet; with `replacing`, only over that sheet or none: a sheet opened after a wait (a
   * plan, a login) does not replace one the user opened meanwhile (typing in it).
   */
  | { readonly type: 'sheet/open'; readonly sheet: Sheet; readonly replacing?: Sheet | null }
  /**
   * Closes the open sheet; with `sheet`, only when that sheet is still the open one. An action that
   * ends after a wait (a save, a queued plan) closes the sheet it started from, not one opened since
   * by a drop or a shortcut (a settings save's late answer closed an upload plan just dropped).
   */
  | { readonly type: 'sheet/close'; readonly sheet?: Sheet | null }
  | { readonly type: 'notice/add'; readonly notice: Omit<Notice, 'id' | 'count'> }
  | { readonly type: 'notice/dismiss'; readonly id: number };

/** Whether two notices say the same: the same tone and words (for an error from main, its code and sentence). */
function sameNotice(a: Omit<Notice, 'id' | 'count'>, b: Omit<Notice, 'id' | 'count'>): boolean {
  if (a.tone !== b.tone || a.translate !== b.translate || a.text !== b.text) return false;
  return a.error === undefined || b.error === undefined ? a.error === b.error : a.error.code === b.error.code && a.error.message === b.error.message;
}

/** At most this many notices are kept; older ones drop off. */
const MAX_NOTICES = 4;

/** The next state. */
export function reduce(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'ready':
      return { ...state, ready: true, info: action.info };
    case 'fatal':
      return { ...state, fatal: action.error };
    case 'engines': {
      const changed = action.engines.selectedId !== state.engines.selectedId;
      return changed
        ? { ...state, engines: action.engines, catalog: { engineId: null, domains: [], disks: [], loading: false, error: null }, selectedDiskIds: [], vms: NO_VMS, selectedVmIds: [] }
        : { ...state, engines: action.engines };
    }
    case 'settings':
      return { ...state, settings: action.settings };
    case 'transfers': {
      if (action.snapshot.seq < state.transfers.seq) return state;
      const ids = new Set(action.snapshot.transfers.map((t) => t.id));
      const expanded = state.expandedTransferIds.filter((id) => ids.has(id));
      const sel = state.transferSelection;
      const selected = sel.ids.filter((id) => ids.has(id));
      return {
        ...state,
        transfers: action.snapshot,
        expandedTransferIds: expanded.length === state.expandedTransferIds.length ? state.expandedTransferIds : expanded,
        // A transfer removed from the list leaves the selection (the same object while none did).
        transferSelection: selected.length === sel.ids.length ? sel : { ids: selected, anchor: sel.anchor !== null && ids.has(sel.anchor) ? sel.anchor : null },
      };
    }
    case 'catalog/loading':
      if (action.engineId !== state.engines.selectedId) return state;
      return { ...state, catalog: { ...state.catalog, engineId: action.engineId, loading: true, error: null } };
    case 'catalog/loaded': {
      if (action.engineId !== state.engines.selectedId) return state;
      const known = new Set(action.disks.map((d) => d.id));
      return {
        ...state,
        catalog: { engineId: action.engineId, domains: action.domains, disks: action.disks, loading: false, error: null },
        selectedDiskIds: state.selectedDiskIds.filter((id) => known.has(id)),
      };
    }
    case 'catalog/failed':
      if (action.engineId !== state.engines.selectedId) return state;
      return { ...state, catalog: { ...state.catalog, engineId: action.engineId, loading: false, error: action.error } };
    case 'vms/loaded': {
      if (action.engineId !== state.engines.selectedId) return state;
      const known = new Set(action.list.vms.map((v) => v.id));
      return { ...state, vms: { engineId: action.engineId, vms: action.list.vms, backupFolder: action.list.backupFolder, error: null }, selectedVmIds: state.selectedVmIds.filter((id) => known.has(id)) };
    }
    case 'vms/failed':
      if (action.engineId !== state.engines.selectedId) return state;
      return { ...state, vms: { ...state.vms, engineId: action.engineId, error: action.error } };
    case 'vms/select':
      return { ...state, selectedVmIds: [...new Set(action.ids)] };
    case 'vms/toggle':
      return { ...state, selectedVmIds: state.selectedVmIds.includes(action.id) ? state.selectedVmIds.filter((id) => id !== action.id) : [...state.selectedVmIds, action.id] };
    case 'disks/select':
      return { ...state, selectedDiskIds: [...new Set(action.ids)] };
    case 'disks/toggle':
      return {
        ...state,
        selectedDiskIds: state.selectedDiskIds.includes(action.id) ? state.selectedDiskIds.filter((id) => id !== action.id) : [...state.selectedDiskIds, action.id],
      };
    case 'transfer/toggle':
      return {
        ...state,
        expandedTransferIds: state.expandedTransferIds.includes(action.id)
          ? state.expandedTransferIds.filter((id) => id !== action.id)
          : [...state.expandedTransferIds, action.id],
      };
    case 'transfers/select':
      return { ...state, transferSelection: action.selection };
    case 'sheet/open':
      return action.replacing !== undefined && state.sheet !== null && state.sheet !== action.replacing ? state : { ...state, sheet: action.sheet };
    case 'sheet/close':
      return action.sheet !== undefined && action.sheet !== state.sheet ? state : { ...state, sheet: null };
    case 'notice/add': {
      const id = Math.max(0, ...state.notices.map((n) => n.id)) + 1;
      // The same notice again (a retried action failing the same way) counts up on the one shown,
      // which moves to the end as the newest, instead of piling up copies.
      const same = state.notices.find((n) => sameNotice(n, action.notice));
      const rest = same ? state.notices.filter((n) => n !== same) : state.notices;
      const notice: Notice = { ...action.notice, id: same?.id ?? id, count: (same?.count ?? 0) + 1 };
      return { ...state, notices: [...rest, notice].slice(-MAX_NOTICES) };
    }
    case 'notice/dismiss':
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
  }
}
