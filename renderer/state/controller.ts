/**
 * The window's actions: each calls the core through the API and feeds the store. Events from the
 * core (engines, settings, transfers) are the store's main input; answers to calls only fill gaps
 * (the catalog, plans) or become notices when they fail. No state of its own besides subscriptions.
 */
import type { ErrorInfo, Result } from '../../shared/errors.js';
import type {
  AddBackupsRequest,
  AddDownloadsRequest,
  BackupPlan,
  BackupPlanRequest,
  DownloadPlan,
  AddEngineRequest,
  AddTransfersResult,
  AddUploadsRequest,
  BackupHistory,
  CaCertificateInfo,
  EndEngineTransferRequest,
  EndEngineTransferResult,
  EngineTestResult,
  EngineTransfers,
  EngineTransfersRequest,
  MoveTransferRequest,
  ProxySetting,
  ReportFormat,
  TransferAction,
  RestoreRequest,
  RetargetRequest,
  SettingsPatch,
  TransferView,
} from '../../shared/ipc.js';
import type { DiskFerryApi } from '../lib/api.js';
import { downloadText } from '../lib/save-text.js';
import type { Selection } from '../lib/selection.js';
import type { Sheet } from './app-state.js';
import { keepCatalogFresh, type FreshnessEnv } from './catalog-freshness.js';
import type { Store } from './store.js';
import { applyTransfersChange } from './transfers-change.js';

/** The controller's interface (what the panes may ask for). */
export type Controller = ReturnType<typeof createController>;

/** How many disks the catalog asks for. */
const DISK_LIMIT = 2000;

/** Uploads queued per call: a thousand-file plan goes in a few calls, which keeps each answer bounded. */
const ADD_BATCH = 250;

/** Transfers per `transfers:act` call (the contract's bound). */
const ACT_BATCH = 1000;

/** Builds the controller over an API and a store. */
export function createController(api: DiskFerryApi, store: Store, freshness: FreshnessEnv) {
  const { dispatch } = store;
  const unsubscribes: (() => void)[] = [];

  /** The sheet open now, for an action that closes it when it ends (`sheet/close` with it). */
  const openSheet = () => store.getState().sheet;
  const notifyError = (error: ErrorInfo) => dispatch({ type: 'notice/add', notice: { tone: 'error', text: error.message, translate: false, error } });
  /** Runs a call whose failure only needs telling. */
  const run = async <T>(call: Promise<Result<T>>): Promise<T | null> => {
    const r = await call;
    if (r.ok) return r.value;
    notifyError(r.error);
    return null;
  };

  /** Reads the storage domains and disks; `quiet` (a background refresh) shows no busy state and skips a read already running. */
  let quietLoad: Promise<void> | null = null;
  const loadCatalog = async (refresh = false, quiet = false): Promise<void> => {
    const engineId = store.getState().engines.selectedId;
    if (!engineId) return;
    if (quiet) {
      if (quietLoad || store.getState().catalog.loading) return;
      quietLoad = loadCatalogNow(engineId, refresh).finally(() => (quietLoad = null));
      return quietLoad;
    }
    dispatch({ type: 'catalog/loading', engineId });
    await loadCatalogNow(engineId, refresh);
  };
  const loadCatalogNow = async (engineId: string, refresh: boolean): Promise<void> => {
    // The VMs come beside the disks, refreshed with them, without holding them up (the backup folder
    // may be slow to read); a user who may not list VMs still gets the disks.
    void loadVms(engineId);
    const [domains, disks] = await Promise.all([api.catalog.storageDomains({ refresh }), api.catalog.disks({ max: DISK_LIMIT })]);
    if (!domains.ok) dispatch({ type: 'catalog/failed', engineId, error: domains.error });
    else if (!disks.ok) dispatch({ type: 'catalog/failed', engineId, error: disks.error });
    else dispatch({ type: 'catalog/loaded', engineId, domains: domains.value, disks: disks.value });
  };

  const loadVms = async (engineId: string): Promise<void> => {
    const r = await api.vms.list();
    dispatch(r.ok ? { type: 'vms/loaded', engineId, list: r.value } : { type: 'vms/failed', engineId, error: r.error });
  };

  /**
   * Loads the catalog when the selected engine is connected and its catalog is not loaded yet. What
   * transfers change on the engine, and what others change there, `keepCatalogFresh` reads again.
   */
  const followConnection = () => {
    const s = store.getState();
    const selected = s.engines.profiles.find((p) => p.id === s.engines.selectedId);
    if (selected?.status !== 'connected' || s.catalog.loading) return;
    if (s.catalog.engineId !== selected.id) void loadCatalog();
  };

  /** Re-reads the whole list after a missed event; the core then sends whole snapshots again. */
  let resyncing = false;
  const resyncTransfers = async (): Promise<void> => {
    if (resyncing) return;
    resyncing = true;
    try {
      const r = await api.transfers.list();
      if (r.ok) dispatch({ type: 'transfers', snapshot: r.value });
    } finally {
      resyncing = false;
    }
  };

  /** One action on many transfers, a thousand a call; what was not done is told in one notice. */
  const act = async (action: TransferAction, ids: readonly string[]): Promise<void> => {
    const skipped: ErrorInfo[] = [];
    for (let i = 0; i < ids.length; i += ACT_BATCH) {
      const r = await run(api.transfers.act({ ids: ids.slice(i, i + ACT_BATCH), action }));
      if (!r) return;
      skipped.push(...r.skipped.map((x) => x.error));
    }
    const first = skipped[0];
    if (skipped.length === 1 && first) notifyError(first);
    else if (first) dispatch({ type: 'notice/add', notice: { tone: 'error', text: 'queue.skipped', translate: true, params: { count: skipped.length }, error: first } });
  };

  const planUploads = async (paths: readonly string[]): Promise<void> => {
    if (paths.length === 0) return;
    const before = openSheet();
    const plan = await run(api.transfers.planUploads({ paths }));
    if (!plan) return;
    const sheet: Sheet = { kind: 'upload-plan', plan };
    dispatch({ type: 'sheet/open', sheet, replacing: before });
    // Another sheet was opened while the files were planned: it stays, and the drop is said to wait.
    if (store.getState().sheet !== sheet) dispatch({ type: 'notice/add', notice: { tone: 'info', text: 'drop.notOverSheet', translate: true } });
  };

  return {
    /** Subscribes to the core's events, then reads every snapshot once. */
    async start(): Promise<void> {
      unsubscribes.push(
        api.engines.onChanged((engines) => dispatch({ type: 'engines', engines })),
        api.settings.onChanged((settings) => dispatch({ type: 'settings', settings })),
        api.transfers.onChanged((change) => {
          const held = store.getState().transfers;
          const next = applyTransfersChange(held, change);
          if (next === 'resync') void resyncTransfers();
          else if (next !== held) dispatch({ type: 'transfers', snapshot: next });
        }),
        store.subscribe(followConnection),
        keepCatalogFresh(store, () => loadCatalog(true, true), freshness),
      );
      const [info, engines, settings, transfers] = await Promise.all([api.app.info(), api.engines.list(), api.settings.get(), api.transfers.list()]);
      for (const r of [info, engines, settings, transfers]) {
        if (!r.ok) {
          dispatch({ type: 'fatal', error: r.error });
          return;
        }
      }
      if (engines.ok) dispatch({ type: 'engines', engines: engines.value });
      if (settings.ok) dispatch({ type: 'settings', settings: settings.value });
      if (transfers.ok) dispatch({ type: 'transfers', snapshot: transfers.value });
      if (info.ok) dispatch({ type: 'ready', info: info.value });
      followConnection();
    },
    stop(): void {
      for (const u of unsubscribes.splice(0)) u();
    },

    loadCatalog,
    async selectEngine(id: string): Promise<void> {
      const profile = store.getState().engines.profiles.find((p) => p.id === id);
      if (profile && !profile.passwordSaved && profile.status !== 'connected') {
        dispatch({ type: 'sheet/open', sheet: { kind: 'password', engineId: id } });
        return;
      }
      const r = await run(api.engines.select({ id }));
      if (r) dispatch({ type: 'engines', engines: r });
    },
    /** Selects with a typed password; the sheet shows the failure. */
    async unlockEngine(id: string, password: string, savePassword: boolean): Promise<Result<null>> {
      const sheet = openSheet();
      const r = await api.engines.select({ id, password, savePassword });
      if (!r.ok) return r;
      dispatch({ type: 'engines', engines: r.value });
      const profile = r.value.profiles.find((p) => p.id === id);
      if (profile?.status === 'failed' && profile.error) return { ok: false, error: profile.error };
      dispatch({ type: 'sheet/close', sheet });
      return { ok: true, value: null };
    },
    fetchCa(engineUrl: string, proxy: ProxySetting): Promise<Result<CaCertificateInfo>> {
      return api.engines.fetchCa({ engineUrl, proxy });
    },
    /** Adds a profile (the core checks the login first); the sheet shows the failure. */
    async addEngine(request: AddEngineRequest): Promise<Result<null>> {
      const sheet = openSheet();
      const r = await api.engines.add(request);
      if (!r.ok) return r;
      dispatch({ type: 'sheet/close', sheet });
      const engines = await api.engines.list();
      if (engines.ok) dispatch({ type: 'engines', engines: engines.value });
      return { ok: true, value: null };
    },
    testNewEngine(request: AddEngineRequest): Promise<Result<EngineTestResult>> {
      return api.engines.testNew(request);
    },
    testEngine(id: string): Promise<Result<EngineTestResult>> {
      return api.engines.test({ id });
    },
    async removeEngine(id: string): Promise<void> {
      const r = await run(api.engines.remove({ id }));
      if (r) dispatch({ type: 'engines', engines: r });
    },
    async tryDemo(): Promise<void> {
      if ((await run(api.engines.demo())) === null) return;
      const engines = await api.engines.list();
      if (engines.ok) dispatch({ type: 'engines', engines: engines.value });
    },

    /** "Add files…": the native dialog where there is one, else the typed-paths sheet. */
    async addFiles(): Promise<void> {
      if (!store.getState().info?.nativeDialogs) {
        dispatch({ type: 'sheet/open', sheet: { kind: 'paths', names: [] } });
        return;
      }
      const picked = await run(api.dialogs.openFiles({}));
      if (picked) await planUploads(picked.paths);
    },
    /** Files dropped on the window: plan those with paths; ask for the paths of the others. */
    async dropped(paths: readonly string[], unlocated: readonly string[]): Promise<void> {
      if (paths.length > 0) await planUploads(paths);
      else if (unlocated.length > 0) dispatch({ type: 'sheet/open', sheet: { kind: 'paths', names: unlocated } });
    },
    planUploads,
    /**
     * Queues the confirmed plan, in batches so each answer (and snapshot burst) stays small. The
     * sheet closes when every row was queued; otherwise it stays and shows which were left out.
     */
    async startUploads(request: AddUploadsRequest): Promise<Result<AddTransfersResult>> {
      const sheet = openSheet();
      const queued: TransferView[] = [];
      const skipped: AddTransfersResult['skipped'][number][] = [];
      for (let i = 0; i < request.items.length; i += ADD_BATCH) {
        const r = await api.transfers.addUploads({ ...request, items: request.items.slice(i, i + ADD_BATCH) });
        if (!r.ok) return i === 0 ? r : { ok: false, error: { ...r.error, message: `${r.error.message} (${i} of ${request.items.length} were queued.)` } };
        queued.push(...r.value.queued);
        skipped.push(...r.value.skipped.map((s) => ({ ...s, index: s.index + i })));
      }
      if (skipped.length === 0) dispatch({ type: 'sheet/close', sheet });
      return { ok: true, value: { queued, skipped } };
    },
    openDownloadPlan(diskIds: readonly string[]): void {
      if (diskIds.length > 0) dispatch({ type: 'sheet/open', sheet: { kind: 'download-plan', diskIds } });
    },
    async planDownloadFolder(folder: string): Promise<DownloadPlan | null> {
      // Only a hint in the sheet: a folder that cannot be asked about shows nothing, not an error.
      const r = await api.transfers.planDownloads({ folder });
      return r.ok ? r.value : null;
    },
    async startDownloads(request: AddDownloadsRequest): Promise<Result<AddTransfersResult>> {
      const sheet = openSheet();
      const r = await api.transfers.addDownloads(request);
      if (!r.ok) return r;
      if (r.value.skipped.length === 0) dispatch({ type: 'sheet/close', sheet });
      dispatch({ type: 'disks/select', ids: [] });
      return r;
    },
    /** "Back up…" of these VMs. */
    openBackup(vmIds: readonly string[]): void {
      if (vmIds.length > 0) dispatch({ type: 'sheet/open', sheet: { kind: 'backup', vmIds } });
    },
    /** "Back up VM instead" from a download plan: the VMs a disk runs in, by name (the VM list read first when needed). */
    async openBackupOf(vmNames: readonly string[]): Promise<void> {
      const s = store.getState();
      if (s.vms.engineId !== s.engines.selectedId && s.engines.selectedId) await loadVms(s.engines.selectedId);
      const ids = store.getState().vms.vms.filter((v) => vmNames.includes(v.name)).map((v) => v.id);
      if (ids.length > 0) dispatch({ type: 'sheet/open', sheet: { kind: 'backup', vmIds: ids }, replacing: s.sheet });
    },
    planBackups(request: BackupPlanRequest): Promise<Result<BackupPlan>> {
      return api.backups.plan(request);
    },
    /** Queues the backups; the sheet closes when every VM was queued, and the VM list is read again (its folder). */
    async startBackups(request: AddBackupsRequest): Promise<Result<AddTransfersResult>> {
      const sheet = openSheet();
      const r = await api.backups.add(request);
      if (!r.ok) return r;
      if (r.value.skipped.length === 0) dispatch({ type: 'sheet/close', sheet });
      dispatch({ type: 'vms/select', ids: [] });
      const engineId = store.getState().engines.selectedId;
      if (engineId) void loadVms(engineId);
      return r;
    },
    toggleVm: (id: string) => dispatch({ type: 'vms/toggle', id }),
    selectVms: (ids: readonly string[]) => dispatch({ type: 'vms/select', ids }),
    /** Disks of the selected engine per typed name (null when it cannot be asked). */
    async countDiskNames(names: readonly string[]): Promise<ReadonlyMap<string, number> | null> {
      const r = await api.catalog.diskNameCounts({ names: [...names] });
      return r.ok ? new Map(r.value.map((c) => [c.name, c.count])) : null;
    },
    /** "Change and retry…": an upload's sheet gets its file planned again (the room it takes, the name's count). */
    async openRetarget(t: Pick<TransferView, 'id' | 'direction' | 'localPath'>): Promise<void> {
      if (t.direction === 'download') return void dispatch({ type: 'sheet/open', sheet: { kind: 'retarget', transferId: t.id, item: null } });
      const before = openSheet();
      const plan = await api.transfers.planUploads({ paths: [t.localPath] });
      dispatch({ type: 'sheet/open', sheet: { kind: 'retarget', transferId: t.id, item: plan.ok ? (plan.value.items[0] ?? null) : null }, replacing: before });
    },
    /** Sends a transfer elsewhere; the sheet closes when the core took it and shows a refusal. */
    async retarget(request: RetargetRequest): Promise<ErrorInfo | null> {
      const sheet = openSheet();
      const r = await api.transfers.retarget(request);
      if (!r.ok) return r.error;
      dispatch({ type: 'sheet/close', sheet });
      return null;
    },
    async chooseFolder(defaultPath: string | null): Promise<string | null> {
      const r = await run(api.dialogs.chooseFolder(defaultPath ? { defaultPath } : {}));
      return r?.path ?? null;
    },

    pause: (id: string) => void run(api.transfers.pause({ id })),
    resume: (id: string) => void run(api.transfers.resume({ id })),
    retry: (id: string) => void run(api.transfers.retry({ id })),
    remove: (id: string) => void run(api.transfers.remove({ id })),
    move: (id: string, to: MoveTransferRequest['to']) => void run(api.transfers.move({ id, to })),
    async reveal(id: string): Promise<void> {
      const r = await run(api.transfers.reveal({ id }));
      if (r && !r.shown) dispatch({ type: 'notice/add', notice: { tone: 'info', text: r.path, translate: false } });
    },
    /** A row's cancel button: at once, after a warning when the engine will delete the upload's disk. */
    requestCancel(t: Pick<TransferView, 'id' | 'cancelDeletesDisk'>): void {
      if (t.cancelDeletesDisk) dispatch({ type: 'sheet/open', sheet: { kind: 'confirm-cancel', transferIds: [t.id] } });
      else void run(api.transfers.cancel({ id: t.id }));
    },
    /**
     * Delete, the menu's and the toolbar's cancel: always asked first, in one sheet for all of them
     * (a key is pressed by mistake more easily than a button, and a cancelled upload's disk is gone).
     */
    confirmCancel(ids: readonly string[]): void {
      if (ids.length > 0) dispatch({ type: 'sheet/open', sheet: { kind: 'confirm-cancel', transferIds: ids } });
    },
    async cancel(ids: readonly string[]): Promise<void> {
      dispatch({ type: 'sheet/close' });
      await act('cancel', ids);
    },
    act,
    selectTransfers: (selection: Selection) => dispatch({ type: 'transfers/select', selection }),
    /** Saves the report of the finished transfers (all, or those named): the save dialog where there is one, else a download. */
    async saveReport(format: ReportFormat, ids?: readonly string[]): Promise<void> {
      const request = { format, ...(ids && ids.length > 0 ? { ids: [...ids].slice(0, ACT_BATCH) } : {}) };
      if (store.getState().info?.nativeDialogs) {
        const saved = await run(api.transfers.saveReport(request));
        if (saved?.path) dispatch({ type: 'notice/add', notice: { tone: 'info', text: 'report.saved', translate: true, params: { path: saved.path } } });
        return;
      }
      const file = await run(api.transfers.report(request));
      if (file) downloadText(file.fileName, file.mimeType, file.content);
    },

    /** The "Transfers on this engine" sheet: all of the selected engine's, or those of a failed transfer's disk (selecting its engine first). */
    async openEngineTransfers(from: Pick<TransferView, 'id' | 'engineId' | 'diskId' | 'diskName'> | null): Promise<void> {
      const before = openSheet();
      if (from && store.getState().engines.selectedId !== from.engineId) {
        const r = await run(api.engines.select({ id: from.engineId }));
        if (!r) return;
        dispatch({ type: 'engines', engines: r });
        // Another engine was chosen while this one logged in: its transfers are not this job's.
        if (store.getState().engines.selectedId !== from.engineId) return;
      }
      dispatch({ type: 'sheet/open', sheet: from ? { kind: 'engine-transfers', diskId: from.diskId, diskName: from.diskName, jobId: from.id } : { kind: 'engine-transfers', diskId: null, diskName: null, jobId: null }, replacing: before });
    },
    listEngineTransfers(request: EngineTransfersRequest): Promise<Result<EngineTransfers>> {
      return api.transfers.listEngine(request);
    },
    /** Ends one of the engine's transfers (the sheet asked first); the disk list is read again after it. */
    async endEngineTransfer(request: EndEngineTransferRequest): Promise<Result<EndEngineTransferResult>> {
      const r = await api.transfers.endEngine(request);
      void loadCatalog(true, true);
      return r;
    },

    /** The Backups… sheet, of every VM or of one (a VM list opens it for one). */
    openBackups(filter: { readonly vmId?: string | null; readonly vmName?: string | null } = {}): void {
      dispatch({ type: 'sheet/open', sheet: { kind: 'backups', vmId: filter.vmId ?? null, vmName: filter.vmName ?? null } });
    },
    /** The history of a backup folder (absent: the one remembered for the selected engine). */
    listBackups(folder?: string): Promise<Result<BackupHistory>> {
      return api.backups.list(folder === undefined ? {} : { folder });
    },
    /** Restore… of a run or one disk of it: the disks planned by main, then the sheet; a refusal becomes a notice. */
    async openRestore(runDir: string, diskIds: readonly string[] | null, back: { readonly vmId: string | null; readonly vmName: string | null }): Promise<void> {
      const before = openSheet();
      const plan = await run(api.backups.planRestore({ run: runDir, ...(diskIds ? { diskIds: [...diskIds] } : {}) }));
      if (plan) dispatch({ type: 'sheet/open', sheet: { kind: 'restore', plan, back }, replacing: before });
    },
    /** Queues the restore; the sheet closes when everything was queued, and stays to say what was left out. */
    async restore(request: RestoreRequest): Promise<Result<AddTransfersResult>> {
      const sheet = openSheet();
      const r = await api.backups.restore(request);
      if (r.ok && r.value.skipped.length === 0) dispatch({ type: 'sheet/close', sheet });
      return r;
    },

    /** Saves settings; a refusal becomes a notice and the answer null. */
    async setSettings(patch: SettingsPatch): Promise<boolean> {
      const r = await run(api.settings.set(patch));
      if (r) dispatch({ type: 'settings', settings: r });
      return r !== null;
    },

    openSheet: (sheet: Sheet) => dispatch({ type: 'sheet/open', sheet }),
    /** Closes the open sheet, or with `sheet` only that one (a sheet's own close: another may have taken its place meanwhile). */
    closeSheet: (sheet?: Sheet) => dispatch({ type: 'sheet/close', ...(sheet ? { sheet } : {}) }),
    toggleDisk: (id: string) => dispatch({ type: 'disks/toggle', id }),
    selectDisks: (ids: readonly string[]) => dispatch({ type: 'disks/select', ids }),
    toggleTransfer: (id: string) => dispatch({ type: 'transfer/toggle', id }),
    dismissNotice: (id: number) => dispatch({ type: 'notice/dismiss', id }),
    /** A note in words (an i18n key). */
    note: (key: string) => dispatch({ type: 'notice/add', notice: { tone: 'info', text: key, translate: true } }),
  };
}
