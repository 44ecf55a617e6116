/**
 * The app core's transfer queue: the engine's TransferQueue (main/engine/queue/, docs/queue.md)
 * behind the app's `TransferQueuePort`. The app's settings become the queue's settings (concurrency,
 * per-storage-domain limit, the daily window, the shared bandwidth limit, retries) and apply at once
 * when they change; jobs run with the real engine runner over the app's engine connections; the
 * queue's document and the app's display fields of each job are kept together in the `transfers`
 * document, so a restart (or kill -9) recovers what was running the way the CLI's queue does.
 * Views for the window are built from the job, its display fields and the run's last progress.
 */
import type { Settings, TransferView } from '../../../shared/ipc.js';
import type { TransferProgress } from '../../../shared/model.js';
import { DiskFerryError, errorMessage } from '../../engine/errors.js';
import type { Log } from '../../engine/log.js';
import { createEngineRunner } from '../../engine/queue/engine-runner.js';
import type { NewJob, QueueJob } from '../../engine/queue/job.js';
import type { Retarget } from '../../engine/queue/retarget.js';
import type { QueueEvent, QueueSettings } from '../../engine/queue/queue-types.js';
import { buildReport, type RunReport } from '../../engine/queue/report.js';
import { DEFAULT_RETRY_POLICY } from '../../engine/queue/retry-policy.js';
import type { JobRunner } from '../../engine/queue/runner.js';
import type { Calendar } from '../../engine/queue/schedule.js';
import { isActive, isPending, isTerminal } from '../../engine/queue/states.js';
import { parseQueueDocument, type QueueDocument, type QueueStore } from '../../engine/queue/store.js';
import { TransferQueue } from '../../engine/queue/transfer-queue.js';
import type { Timers } from '../../engine/timers.js';
import type { TokenBucketPorts } from '../../engine/queue/token-bucket.js';
import type { TransferDeps } from '../../engine/transfer/deps.js';
import type { DocumentStore } from '../ports.js';
import { isV1Document, migrateV1 } from './migrate.js';
import type { NewTransfer, TransferQueuePort } from './queue-port.js';
import { AppTransfersDocumentSchema, fallbackMeta, transferView, type TransferMeta } from './record.js';

/** Ports and tunables of the adapter. */
export interface EngineQueueAdapterOptions {
  readonly store: DocumentStore;
  /** The app's settings now (read at each decision and each run). */
  readonly settings: () => Settings;
  /** Logged-in transfer deps of an app engine profile. */
  readonly connect: (engineId: string) => Promise<TransferDeps>;
  readonly timers: Timers;
  readonly now: () => number;
  readonly log: Log;
  /** Engine step timeout (tests use a short one). */
  readonly engineTimeoutMs?: number;
  /** First retry delay (default the engine queue's, 10 s, doubling up to 5 min). */
  readonly retryBaseMs?: number;
  /** Local time for the window (default the host's time zone). */
  readonly calendar?: Calendar;
  /** Clock and timers of the bandwidth limit (default `now` and `timers`; tests drive it). */
  readonly bandwidthClock?: TokenBucketPorts;
  /** Called once each time a transfer reaches completed, failed or cancelled, with the storage domain its job used. */
  readonly onFinished?: (view: TransferView, storageDomainKey: string | null) => void;
  /** True while at least one transfer moves bytes. */
  readonly onAwake?: (awake: boolean) => void;
}

/** The engine queue's settings for the app's settings. */
export function queueSettingsOf(s: Settings, retryBaseMs?: number): QueueSettings {
  return {
    limits: { concurrency: s.maxConcurrent, perEngine: null, perStorageDomain: s.maxPerStorageDomain },
    windows: s.scheduleWindow ? [{ start: s.scheduleWindow.start, end: s.scheduleWindow.end }] : [],
    bandwidth: s.bandwidthLimit,
    windowBandwidth: null,
    retry: {
      ...DEFAULT_RETRY_POLICY,
      maxAttempts: s.maxRetries + 1,
      ...(retryBaseMs !== undefined ? { baseDelayMs: retryBaseMs, maxDelayMs: retryBaseMs * 16 } : {}),
    },
  };
}

/** The persisted document of the queue, with the display fields beside it (see the file comment). */
class AppQueueStore implements QueueStore {
  meta = new Map<string, TransferMeta>();

  constructor(
    private readonly store: DocumentStore,
    private readonly log: Log,
    private readonly now: () => number,
  ) {}

  async read(): Promise<unknown> {
    const value = await this.store.read('transfers');
    if (value === undefined || value === null) return undefined;
    if (isV1Document(value)) {
      const migrated = migrateV1(value, this.now());
      if (!migrated) {
        this.log.warn('the transfers saved by an earlier DiskFerry cannot be read; they were dropped');
        return undefined;
      }
      this.meta = new Map(Object.entries(migrated.meta));
      this.log.info('moved the saved transfers to the new queue', { transfers: migrated.jobs.length });
      return { version: 1, jobs: migrated.jobs, reports: [] };
    }
    const doc = AppTransfersDocumentSchema.safeParse(value);
    if (!doc.success || parseQueueDocument(doc.data.queue) === null) {
      // The app starts rather than refuse to open; the damaged list is replaced at the next save.
      this.log.warn('the stored transfer queue is unreadable; starting with an empty one');
      return undefined;
    }
    this.meta = new Map(Object.entries(doc.data.meta));
    return doc.data.queue;
  }

  async write(doc: QueueDocument): Promise<void> {
    const meta: Record<string, TransferMeta> = {};
    for (const j of doc.jobs) {
      const m = this.meta.get(j.id);
      if (m) meta[j.id] = m;
    }
    await this.store.write('transfers', { version: 2, queue: doc, meta });
  }
}

/** See the file comment. */
export class EngineQueueAdapter implements TransferQueuePort {
  private queue: TransferQueue | null = null;
  private readonly qstore: AppQueueStore;
  /** The last progress each running job reported (rate, ETA, connections, proxy). */
  private readonly live = new Map<string, TransferProgress>();
  private readonly listeners = new Set<(urgent: boolean) => void>();
  /** A notice is due at the end of this tick (null: none); true when one of the changes was urgent. */
  private due: boolean | null = null;

  constructor(private readonly o: EngineQueueAdapterOptions) {
    this.qstore = new AppQueueStore(o.store, o.log, o.now);
  }

  async load(): Promise<void> {
    const runner: JobRunner = {
      run: async (job, ctx) => {
        try {
          return await this.engineRunner().run(job, {
            ...ctx,
            onProgress: (p) => {
              this.live.set(job.id, p);
              ctx.onProgress(p);
            },
          });
        } finally {
          this.live.delete(job.id);
        }
      },
      discard: (job) => this.engineRunner().discard(job),
    };
    const q = await TransferQueue.open(
      {
        store: this.qstore,
        runner,
        now: this.o.now,
        timers: this.o.timers,
        log: this.o.log,
        power: { setAwake: (awake) => this.o.onAwake?.(awake) },
        ...(this.o.calendar ? { calendar: this.o.calendar } : {}),
        ...(this.o.bandwidthClock ? { bandwidthClock: this.o.bandwidthClock } : {}),
        closeGraceMs: 15_000,
      },
      queueSettingsOf(this.o.settings(), this.o.retryBaseMs),
    );
    q.on((e) => this.onEvent(e));
    this.queue = q;
    q.start();
  }

  async add(transfers: readonly NewTransfer[]): Promise<void> {
    for (const t of transfers) this.qstore.meta.set(t.job.id, t.meta);
    try {
      await this.q().add(transfers.map((t) => t.job));
    } catch (err) {
      for (const t of transfers) this.qstore.meta.delete(t.job.id);
      throw err;
    }
  }

  duplicates(jobs: readonly NewJob[]): ReturnType<TransferQueuePort['duplicates']> {
    return this.q().duplicates(jobs);
  }

  async retarget(id: string, target: Retarget, meta: TransferMeta): Promise<void> {
    const before = this.qstore.meta.get(id);
    this.qstore.meta.set(id, meta);
    try {
      await this.q().retarget(id, target);
    } catch (err) {
      if (before) this.qstore.meta.set(id, before);
      else this.qstore.meta.delete(id);
      throw err;
    }
  }

  job(id: string): QueueJob {
    return this.q().get(id);
  }

  pause(id: string): void {
    this.q().pause(id);
  }

  resume(id: string): void {
    this.q().resume(id);
  }

  cancel(id: string): void {
    this.q().cancel(id);
  }

  retry(id: string): void {
    this.q().retry(id);
  }

  async remove(id: string): Promise<void> {
    const job = this.q().get(id);
    if (!isTerminal(job.state)) throw new DiskFerryError('conflict', `${this.metaOf(job).name} is not finished. Cancel it first.`, { retryable: false });
    await this.q().remove(id);
  }

  move(id: string, to: 'top' | 'up' | 'down' | 'bottom'): void {
    const job = this.q().get(id);
    if (!(isPending(job.state) || job.state === 'paused'))
      throw new DiskFerryError('conflict', `${this.metaOf(job).name} is ${job.state} and cannot be moved now.`, { retryable: false });
    this.q().move(id, to);
  }

  startNow(id: string): void {
    this.q().startNow(id);
  }

  report(ids: readonly string[] | null): RunReport {
    const wanted = ids === null ? null : new Set(ids);
    const jobs = this.q()
      .list()
      .filter((j) => isTerminal(j.state) && (wanted === null || wanted.has(j.id)));
    const now = this.o.now();
    return buildReport(`report-${now}`, jobs, now);
  }

  get(id: string): TransferView {
    return this.view(this.q().get(id));
  }

  list(): readonly TransferView[] {
    return this.q()
      .list()
      .map((j) => this.view(j));
  }

  jobs(): readonly QueueJob[] {
    return this.queue?.list() ?? [];
  }

  running(): readonly TransferView[] {
    return this.q()
      .list()
      .filter((j) => isActive(j.state))
      .map((j) => this.view(j));
  }

  bandwidthNow(): number | null {
    return this.queue?.bandwidthNow() ?? null;
  }

  subscribe(listener: (urgent: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  settingsChanged(): void {
    this.q().updateSettings(queueSettingsOf(this.o.settings(), this.o.retryBaseMs));
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }

  private q(): TransferQueue {
    if (!this.queue) throw new DiskFerryError('conflict', 'The transfer queue is still loading. Try again in a moment.', { retryable: true });
    return this.queue;
  }

  /** The engine runner with the app's transfer settings of the moment. */
  private engineRunner(): JobRunner {
    const s = this.o.settings();
    return createEngineRunner({
      connect: this.o.connect,
      tuning: {
        workers: s.connectionsPerTransfer,
        inactivityTimeout: s.inactivityTimeout,
        preferProxy: s.preferProxy,
        ...(this.o.engineTimeoutMs !== undefined ? { engineTimeoutMs: this.o.engineTimeoutMs } : {}),
      },
    });
  }

  private metaOf(job: QueueJob): TransferMeta {
    return this.qstore.meta.get(job.id) ?? fallbackMeta(job);
  }

  private view(job: QueueJob): TransferView {
    return transferView(job, this.metaOf(job), this.live.get(job.id) ?? null);
  }

  private onEvent(e: QueueEvent): void {
    if (e.type === 'window' || e.type === 'idle') return;
    if (e.type === 'state' && isTerminal(e.job.state) && !isTerminal(e.from)) {
      try {
        this.o.onFinished?.(this.view(e.job), e.job.storageDomainKey);
      } catch (err) {
        this.o.log.warn('a transfer-finished listener failed', { error: errorMessage(err) });
      }
    }
    this.notify(e.type !== 'progress');
  }

  /** One notice per tick: adding 1,000 jobs is one change for the window, not 1,000. */
  private notify(urgent: boolean): void {
    if (this.due !== null) {
      this.due ||= urgent;
      return;
    }
    this.due = urgent;
    queueMicrotask(() => {
      const u = this.due ?? false;
      this.due = null;
      for (const l of [...this.listeners]) l(u);
    });
  }
}
