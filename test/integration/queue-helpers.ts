/**
 * Setup for the queue's integration tests: disks with known data put straight into the simulator
 * (download sources), a TransferQueue on the simulator with the real engine runner, and waits.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { silentLog } from '../../main/engine/log.js';
import { createEngineRunner } from '../../main/engine/queue/engine-runner.js';
import type { QueueEvent, QueuePorts, QueueSettings } from '../../main/engine/queue/queue-types.js';
import { createJob, type NewJob, type QueueJob } from '../../main/engine/queue/job.js';
import { MemoryQueueStore, type QueueStore } from '../../main/engine/queue/store.js';
import { TransferQueue } from '../../main/engine/queue/transfer-queue.js';
import { realTimers } from '../../main/engine/timers.js';
import type { Simulator } from '../../main/simulator/simulator.js';
import { seedId } from '../../main/simulator/engine/seed.js';
import { MiB, TUNING, type DataRun, type Harness } from './helpers.js';

/** Puts a disk with random data in `runs` into the simulator (status ok, on `domain`); returns its id. */
export async function addSimDisk(sim: Simulator, name: string, size: number, runs: readonly DataRun[], domain = 'data-nfs'): Promise<string> {
  const state = sim.engine.state;
  const sd = [...state.storageDomains.values()].find((s) => s.name === domain)!;
  const id = seedId(`queue-test-disk:${name}:${Math.random()}`);
  const image = await sim.images.create(id, size);
  for (const r of runs) for (let off = 0; off < r.length; off += 4 * MiB) await image.write(r.start + off, randomBytes(Math.min(4 * MiB, r.length - off)));
  state.disks.set(id, {
    id,
    imageId: seedId(`queue-test-image:${id}`),
    name,
    description: '',
    format: 'raw',
    sparse: true,
    provisionedSize: size,
    initialSize: null,
    contentType: 'data',
    backup: 'none',
    status: 'ok',
    storageDomainId: sd.id,
    createdAt: Date.now(),
    removing: false,
  });
  return id;
}

/** A queue on the harness's engine with the real runner, real timers and a memory store (unless given). */
export async function openSimQueue(
  h: Harness,
  settings: Partial<QueueSettings> = {},
  ports: Partial<QueuePorts> = {},
  store: QueueStore = new MemoryQueueStore(),
): Promise<{ q: TransferQueue; events: QueueEvent[] }> {
  const events: QueueEvent[] = [];
  const q = await TransferQueue.open(
    {
      store,
      runner: createEngineRunner({ connect: () => Promise.resolve(h.deps), tuning: { ...TUNING, workers: 2 } }),
      now: Date.now,
      timers: realTimers,
      log: silentLog,
      ...ports,
    },
    { retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1000 }, ...settings },
  );
  q.on((e) => events.push(e));
  return { q, events };
}

let crashedJobs = 0;

/** A stored queue holding one job as a crash left it (transferring, one attempt, then `patch`). */
export function crashedQueue(spec: NewJob, patch: Partial<QueueJob>): { store: MemoryQueueStore; id: string } {
  const id = `00000000-0000-4000-8000-${String(++crashedJobs).padStart(12, '0')}`;
  const job = { ...createJob(spec, id, Date.now()), state: 'transferring', attempts: 1, startedAt: Date.now(), ...patch } as QueueJob;
  return { store: new MemoryQueueStore({ version: 1, jobs: [job], reports: [] }), id };
}

/** Opens a queue over `store` (as a restart after a crash would), runs it until idle and closes it: the job as it ended. */
export async function runToEnd(h: Harness, store: MemoryQueueStore, id: string): Promise<QueueJob> {
  const { q } = await openSimQueue(h, {}, {}, store);
  q.start();
  await q.whenIdle();
  await q.close();
  return q.get(id);
}

/** The most jobs that were running at once, from the state events. */
export function maxRunning(events: readonly QueueEvent[]): number {
  const running = new Set<string>();
  let max = 0;
  for (const e of events) {
    if (e.type !== 'state') continue;
    if (e.from === 'queued' && e.job.state === 'preparing') running.add(e.job.id);
    if (['completed', 'failed', 'cancelled', 'retrying', 'waiting', 'queued'].includes(e.job.state)) running.delete(e.job.id);
    max = Math.max(max, running.size);
  }
  return max;
}

/** Path of a downloaded disk in a folder (the engine's file naming). */
export function downloadPath(dir: string, diskName: string): string {
  return join(dir, `${diskName}.raw`);
}
