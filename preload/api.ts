/**
 * The named API the window uses (`window.diskferry`), built from the contract of shared/ipc.ts over
 * any transport: Electron's ipcRenderer (preload/index.ts) or the web host's WebSocket
 * (preload/web/client.ts). The renderer derives its type from `DiskFerryApi`, so it cannot drift.
 * No Node, no Electron here: this file is bundled into both.
 */
import type {
  AddDownloadsRequest,
  AddEngineRequest,
  AddUploadsRequest,
  AppInfo,
  CaCertificateInfo,
  ChooseFolderRequest,
  ChooseFolderResult,
  DiskQuery,
  DiskView,
  EngineProfileView,
  EnginesState,
  EngineTestResult,
  EventChannel,
  EventChannels,
  FetchCaRequest,
  IpcTransport,
  MoveTransferRequest,
  OpenFilesRequest,
  OpenFilesResult,
  RevealResult,
  SelectEngineRequest,
  Settings,
  SettingsPatch,
  StorageDomainsRequest,
  StorageDomainView,
  TestEngineRequest,
  TransfersChange,
  TransfersSnapshot,
  TransferView,
  UploadPlan,
} from '../shared/ipc.js';
import type { Result } from '../shared/errors.js';

/** A listener registration; call the returned function to unsubscribe. */
export type Subscribe<T> = (listener: (payload: T) => void) => () => void;

/** The API exposed to the window. Every call resolves with a Result; none rejects for app errors. */
export interface DiskFerryApi {
  readonly engines: {
    list(): Promise<Result<EnginesState>>;
    add(request: AddEngineRequest): Promise<Result<EngineProfileView>>;
    fetchCa(request: FetchCaRequest): Promise<Result<CaCertificateInfo>>;
    trust(id: string, fingerprint: string): Promise<Result<EngineProfileView>>;
    test(request: TestEngineRequest): Promise<Result<EngineTestResult>>;
    /** Logs in with what `add` would save, without saving anything. */
    testNew(request: AddEngineRequest): Promise<Result<EngineTestResult>>;
    remove(id: string): Promise<Result<EnginesState>>;
    select(request: SelectEngineRequest): Promise<Result<EnginesState>>;
    /** Adds and selects the built-in simulator (only when `app.info().demoAvailable`). */
    demo(): Promise<Result<EngineProfileView>>;
    onChanged: Subscribe<EnginesState>;
  };
  readonly catalog: {
    storageDomains(request?: StorageDomainsRequest): Promise<Result<readonly StorageDomainView[]>>;
    disks(query?: DiskQuery): Promise<Result<readonly DiskView[]>>;
  };
  readonly transfers: {
    planUploads(paths: readonly string[]): Promise<Result<UploadPlan>>;
    addUploads(request: AddUploadsRequest): Promise<Result<readonly TransferView[]>>;
    addDownloads(request: AddDownloadsRequest): Promise<Result<readonly TransferView[]>>;
    pause(id: string): Promise<Result<TransferView>>;
    resume(id: string): Promise<Result<TransferView>>;
    /** An upload's disk is deleted on the engine: confirm with the user first. */
    cancel(id: string): Promise<Result<TransferView>>;
    retry(id: string): Promise<Result<TransferView>>;
    remove(id: string): Promise<Result<null>>;
    reveal(id: string): Promise<Result<RevealResult>>;
    move(id: string, to: MoveTransferRequest['to']): Promise<Result<null>>;
    list(): Promise<Result<TransfersSnapshot>>;
    onChanged: Subscribe<TransfersChange>;
  };
  readonly settings: {
    get(): Promise<Result<Settings>>;
    set(patch: SettingsPatch): Promise<Result<Settings>>;
    onChanged: Subscribe<Settings>;
  };
  readonly dialogs: {
    openFiles(request?: OpenFilesRequest): Promise<Result<OpenFilesResult>>;
    chooseFolder(request?: ChooseFolderRequest): Promise<Result<ChooseFolderResult>>;
  };
  readonly app: {
    info(): Promise<Result<AppInfo>>;
  };
  readonly files: {
    /**
     * The local path of a dropped or picked File; null where the host cannot know it (the web host:
     * there the window asks for typed paths, see `AppInfo.nativeDialogs`).
     */
    pathForFile(file: File): string | null;
  };
}

/** Builds the API over a transport. `pathForFile` is host-specific (Electron's webUtils). */
export function createDiskFerryApi(transport: IpcTransport, pathForFile: (file: File) => string | null = () => null): DiskFerryApi {
  const invoke = transport.invoke.bind(transport);
  const on =
    <E extends EventChannel>(event: E): Subscribe<EventChannels[E]> =>
    (listener) =>
      transport.on(event, listener);
  const api: DiskFerryApi = {
    engines: {
      list: () => invoke('engines:list', undefined),
      add: (request) => invoke('engines:add', request),
      fetchCa: (request) => invoke('engines:fetchCa', request),
      trust: (id, fingerprint) => invoke('engines:trust', { id, fingerprint }),
      test: (request) => invoke('engines:test', request),
      testNew: (request) => invoke('engines:testNew', request),
      remove: (id) => invoke('engines:remove', { id }),
      select: (request) => invoke('engines:select', request),
      demo: () => invoke('engines:demo', undefined),
      onChanged: on('engines:changed'),
    },
    catalog: {
      storageDomains: (request = {}) => invoke('catalog:storageDomains', request),
      disks: (query = {}) => invoke('catalog:disks', query),
    },
    transfers: {
      planUploads: (paths) => invoke('transfers:planUploads', { paths }),
      addUploads: (request) => invoke('transfers:addUploads', request),
      addDownloads: (request) => invoke('transfers:addDownloads', request),
      pause: (id) => invoke('transfers:pause', { id }),
      resume: (id) => invoke('transfers:resume', { id }),
      cancel: (id) => invoke('transfers:cancel', { id }),
      retry: (id) => invoke('transfers:retry', { id }),
      remove: (id) => invoke('transfers:remove', { id }),
      reveal: (id) => invoke('transfers:reveal', { id }),
      move: (id, to) => invoke('transfers:move', { id, to }),
      list: () => invoke('transfers:list', undefined),
      onChanged: on('transfers:changed'),
    },
    settings: {
      get: () => invoke('settings:get', undefined),
      set: (patch) => invoke('settings:set', patch),
      onChanged: on('settings:changed'),
    },
    dialogs: {
      openFiles: (request = {}) => invoke('dialogs:openFiles', request),
      chooseFolder: (request = {}) => invoke('dialogs:chooseFolder', request),
    },
    app: {
      info: () => invoke('app:info', undefined),
    },
    files: { pathForFile },
  };
  return api;
}
