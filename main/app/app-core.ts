/**
 * The Electron-free app core: engine profiles and connections, the catalog, upload planning, the
 * transfer queue and the settings, behind the invoke handlers of the IPC contract. The Electron main
 * process and the web host both build one with their ports and carry its handlers and change
 * notices to the window.
 */
import type { AppInfo, EventChannel, TransferView } from '../../shared/ipc.js';
import type { CommandLineFiles } from '../engine/config-dir.js';
import { errorMessage } from '../engine/errors.js';
import type { RangedGetDispatcher } from '../engine/imageio/connection.js';
import { BackupsService } from './backups-service.js';
import { RestoreService } from './restore-service.js';
import type { TokenBucketPorts } from '../engine/queue/token-bucket.js';
import { CatalogService } from './catalog-service.js';
import { ChangeBus, type ChangeNotice } from './change-bus.js';
import { notificationLanguage, notificationTitle } from './notification-text.js';
import type { InvokeHandlers } from './dispatch.js';
import type { EventStates } from './event-pump.js';
import { EnginesService } from './engines-service.js';
import { EngineTransfersService } from './engine-transfers-service.js';
import type { AppPorts } from './ports.js';
import { SettingsService } from './settings-service.js';
import { EngineQueueAdapter } from './transfers/engine-queue-adapter.js';
import type { TransferQueuePort } from './transfers/queue-port.js';
import { TransfersService } from './transfers/transfers-service.js';
import { PlannedImages, planUploads } from './upload-planning.js';
import { planDownloads } from './download-planning.js';
import { sparseFilesFor } from '../engine/os/index.js';
import type { SparseFiles } from '../engine/os/sparse-files.js';

/** Tunables, mostly for tests. */
export interface AppCoreOptions {
  /** Engine poll cadence (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Engine step timeout (default 5 min). */
  readonly engineTimeoutMs?: number;
  /** First retry delay (default 10 s, doubling up to 5 min). */
  readonly retryBaseMs?: number;
  /** Which dispatcher carries downloads' ranged GETs (default `socket`); hosts read `DISKFERRY_RANGED_GETS`. */
  readonly rangedGets?: RangedGetDispatcher;
  /** The OS's sparse files for the download plan and the runs (tests feed one what another OS answers); this OS's by default. */
  readonly sparse?: SparseFiles;
  /** The command line's files (hosts pass `commandLineFiles()`): the engine transfers view names the owner of its commands' and queue jobs' transfers. */
  readonly commandLine?: CommandLineFiles;
  /** Clock and timers of the bandwidth limit (default the ports'): tests measure and pace the limit on an injected clock. */
  readonly bandwidthClock?: TokenBucketPorts;
}

/** See the file comment. */
export class AppCore {
  readonly handlers: InvokeHandlers;
  private readonly bus = new ChangeBus();
  private readonly settings: SettingsService;
  private readonly engines: EnginesService;
  private readonly catalog: CatalogService;
  private readonly transfers: TransfersService;
  private readonly engineTransfers: EngineTransfersService;
  private readonly backups: BackupsService;
  private readonly restores: RestoreService;
  /** Probes of planned files, shared by the plan and the confirmed uploads. */
  private readonly planned = new PlannedImages();
  private readonly queue: TransferQueuePort;
  private busy = false;
  /** The queue says bytes are moving. */
  private awake = false;
  private readonly sparse: SparseFiles;

  private constructor(
    private readonly ports: AppPorts,
    options: AppCoreOptions,
  ) {
    this.sparse = options.sparse ?? sparseFilesFor();
    this.settings = new SettingsService(ports.store, this.bus, ports.log);
    this.engines = new EnginesService(ports, this.bus, (id) => this.transfers.hasWork(id), {
      ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
      ...(options.rangedGets !== undefined ? { rangedGets: options.rangedGets } : {}),
      sparse: this.sparse,
    });
    this.catalog = new CatalogService(this.engines, ports.now);
    this.transfers = new TransfersService({
      engines: this.engines,
      catalog: this.catalog,
      settings: this.settings,
      desktop: ports.desktop,
      dialogs: ports.dialogs,
      planned: this.planned,
      now: ports.now,
      newId: ports.newId,
    });
    this.queue = new EngineQueueAdapter({
      store: ports.store,
      settings: () => this.settings.get(),
      connect: (engineId) => this.engines.transferDeps(engineId),
      timers: ports.timers,
      now: ports.now,
      log: ports.log,
      onFinished: (r, domain) => {
        this.finished(r);
        // A domain an upload just failed on for want of space is not suggested again.
        this.transfers.forgetFullDomain(r, domain).catch((err: unknown) => ports.log.warn('forgetting a full storage domain failed', { error: errorMessage(err) }));
      },
      onAwake: (awake) => {
        this.awake = awake;
        this.updateDesktop();
      },
      ...(options.engineTimeoutMs !== undefined ? { engineTimeoutMs: options.engineTimeoutMs } : {}),
      ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
      ...(options.bandwidthClock ? { bandwidthClock: options.bandwidthClock } : {}),
    });
    this.transfers.attach(this.queue);
    this.restores = new RestoreService({ engines: this.engines, catalog: this.catalog, settings: this.settings, transfers: this.transfers, planned: this.planned, newId: ports.newId });
    this.engineTransfers = new EngineTransfersService({
      engines: this.engines,
      jobs: () => this.queue.jobs(),
      now: ports.now,
      ...(options.engineTimeoutMs !== undefined ? { timeoutMs: options.engineTimeoutMs } : {}),
      ...(options.commandLine !== undefined ? { commandLine: options.commandLine } : {}),
    });
    this.backups = new BackupsService({ engines: this.engines, catalog: this.catalog, settings: this.settings, transfers: this.transfers, queue: () => this.queue, newId: ports.newId });
    this.queue.subscribe((urgent) => {
      this.bus.changed('transfers:changed', urgent);
      this.updateDesktop();
    });
    this.handlers = this.buildHandlers();
  }

  /** Builds the core and loads settings, profiles and the queue. */
  static async create(ports: AppPorts, options: AppCoreOptions = {}): Promise<AppCore> {
    const core = new AppCore(ports, options);
    await core.settings.load();
    await core.engines.load();
    await core.queue.load();
    return core;
  }

  /** Subscribes to change notices (feed them to an EventPump). */
  subscribe(listener: (notice: ChangeNotice) => void): () => void {
    return this.bus.subscribe(listener);
  }

  /** The current state of an event channel (the hosts' EventPump turns it into the payload). */
  snapshot<E extends EventChannel>(channel: E): EventStates[E] {
    const payloads: { [K in EventChannel]: () => EventStates[K] } = {
      'transfers:changed': () => this.transfers.snapshot(),
      'engines:changed': () => this.engines.state(),
      'settings:changed': () => this.settings.get(),
    };
    return payloads[channel]();
  }

  /** True while transfers run or wait (the quit confirmation asks then). */
  hasUnfinishedTransfers(): boolean {
    return this.transfers.hasWork();
  }

  /** The settings now (hosts read confirmQuit, preventSleep). */
  currentSettings(): ReturnType<SettingsService['get']> {
    return this.settings.get();
  }

  /** Stops the queue (saving it) and logs out of every engine. */
  async close(): Promise<void> {
    await this.queue.close();
    await this.engines.close();
    this.ports.desktop.setBusy(false);
    this.ports.desktop.setProgress(null);
  }

  private appInfo(): AppInfo {
    const h = this.ports.host;
    return { name: h.name, version: h.version, host: h.host, platform: h.platform, demoAvailable: this.engines.demoAvailable, nativeDialogs: h.nativeDialogs, canReveal: h.canReveal };
  }

  private buildHandlers(): InvokeHandlers {
    const { engines, catalog, transfers, settings } = this;
    return {
      'engines:list': () => engines.state(),
      'engines:add': (r) => engines.add(r),
      'engines:fetchCa': (r) => engines.fetchCa(r),
      'engines:trust': (r) => engines.trust(r),
      'engines:test': (r) => engines.test(r),
      'engines:testNew': (r) => engines.testNew(r),
      'engines:remove': (r) => engines.remove(r.id),
      'engines:select': (r) => engines.select(r),
      'engines:demo': () => engines.demo(),
      'catalog:storageDomains': (r) => catalog.storageDomains(r),
      'catalog:disks': (r) => catalog.disks(r),
      'catalog:diskNameCounts': async (r) => {
        const counts = await this.countDisksByName(r.names);
        return r.names.map((name) => ({ name, count: counts?.get(name) ?? 0 }));
      },
      'transfers:planUploads': (r) => planUploads(r.paths, this.suggestedDomain(), this.planned, (names) => this.countDisksByName(names)),
      'transfers:addUploads': (r) => transfers.addUploads(r),
      'transfers:planDownloads': (r) => planDownloads(r.folder, this.sparse),
      'transfers:addDownloads': (r) => transfers.addDownloads(r),
      'transfers:pause': (r) => transfers.pause(r.id),
      'transfers:resume': (r) => transfers.resume(r.id),
      'transfers:cancel': (r) => transfers.cancel(r.id),
      'transfers:retry': (r) => transfers.retry(r.id),
      'transfers:retarget': (r) => transfers.retarget(r),
      'transfers:remove': (r) => transfers.remove(r.id),
      'transfers:reveal': (r) => transfers.reveal(r.id),
      'transfers:move': (r) => transfers.move(r.id, r.to),
      'transfers:act': (r) => transfers.act(r),
      'transfers:report': (r) => transfers.report(r),
      'transfers:saveReport': (r) => transfers.saveReport(r),
      'transfers:list': () => {
        // The window lost track (or just started): every window's next event is a whole snapshot.
        this.bus.changed('transfers:changed', true, true);
        return transfers.snapshot();
      },
      'transfers:listEngine': (r) => this.engineTransfers.list(r),
      'transfers:endEngine': (r) => this.engineTransfers.end(r),
      'settings:get': () => settings.get(),
      'settings:set': async (patch) => {
        const next = await settings.set(patch);
        this.queue.settingsChanged();
        this.updateDesktop();
        return next;
      },
      'dialogs:openFiles': async (r) => ({ paths: await this.ports.dialogs.openFiles(r) }),
      'dialogs:chooseFolder': async (r) => ({ path: await this.ports.dialogs.chooseFolder(r) }),
      'app:info': () => this.appInfo(),
      'vms:list': () => this.backups.vms(),
      'backups:plan': (r) => this.backups.plan(r),
      'backups:add': (r) => this.backups.add(r),
      'backups:list': (r) => this.restores.list(r ?? {}),
      'backups:planRestore': (r) => this.restores.planRestore(r),
      'backups:restore': (r) => this.restores.restore(r),
    };
  }

  /** Disks of the selected engine per name (exact match), or null without a connected engine. */
  private async countDisksByName(names: readonly string[]): Promise<ReadonlyMap<string, number> | null> {
    const selected = this.engines.state().selectedId;
    if (selected === null) return null;
    const client = await this.engines.connect(selected);
    const counts = new Map<string, number>();
    // Names with search metacharacters cannot be matched exactly; they are left unchecked (0).
    const searchable = names.filter((n) => /^[^*"'\\]+$/.test(n));
    for (let i = 0; i < searchable.length; i += 4) {
      await Promise.all(
        searchable.slice(i, i + 4).map(async (name) => {
          const disks = await client.disks({ search: `name="${name}"`, max: 100 });
          counts.set(name, disks.filter((d) => d.name === name).length);
        }),
      );
    }
    return counts;
  }

  /** The storage domain last used on the selected engine. */
  private suggestedDomain(): string | null {
    const selected = this.engines.state().selectedId;
    return selected === null ? null : (this.settings.get().lastStorageDomain[selected] ?? null);
  }

  private finished(r: TransferView): void {
    const s = this.settings.get();
    if (!s.notifications) return;
    const title = notificationTitle(r.direction, r.state, notificationLanguage(s.language, this.ports.host.locale));
    if (title !== null) this.ports.desktop.notify(title, r.state === 'failed' && r.error ? `${r.name}: ${r.error.message}` : r.name);
  }

  private updateDesktop(): void {
    // Every change comes here: only the running transfers' views are built, not the whole list.
    const running = this.transfers.running().filter((t) => t.progress.bytesTotal !== null);
    const busy = this.awake && this.settings.get().preventSleep;
    if (busy !== this.busy) {
      this.busy = busy;
      this.ports.desktop.setBusy(busy);
    }
    const total = running.reduce((s, t) => s + (t.progress.bytesTotal ?? 0), 0);
    this.ports.desktop.setProgress(total > 0 ? running.reduce((s, t) => s + t.progress.bytesDone, 0) / total : null);
  }
}
