/**
 * Persistence of the queue through a store port: the CLI keeps a JSON file in its config folder
 * (written atomically, so kill -9 leaves the old or the new queue, never a torn one); the app
 * adapts electron-store to the same two calls.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic.js';
import { QueueJobSchema } from './job.js';
import { RunReportSchema } from './report.js';
import { errorCode } from '../errors.js';

/** The persisted queue: jobs in queue order and the recent run reports (newest last). */
const QueueDocumentSchema = z.object({
  version: z.literal(1),
  jobs: z.array(QueueJobSchema),
  reports: z.array(RunReportSchema).default([]),
});
/** The persisted queue. */
export type QueueDocument = z.infer<typeof QueueDocumentSchema>;

/** How many run reports the history keeps. */
export const REPORT_HISTORY = 50;

/** The store port: reads and replaces one JSON-able document. A missing document reads as undefined. */
export interface QueueStore {
  read(): Promise<unknown>;
  /** Must be durable when it resolves (the queue awaits it before telling the engine to go on). */
  write(doc: QueueDocument): Promise<void>;
}

/** Parses a stored queue: an absent one is empty, an unreadable one is null. */
export function parseQueueDocument(value: unknown): QueueDocument | null {
  if (value === undefined || value === null) return { version: 1, jobs: [], reports: [] };
  const parsed = QueueDocumentSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** The queue in a JSON file, replaced atomically on each write. */
export class JsonFileQueueStore implements QueueStore {
  constructor(readonly path: string) {}

  async read(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // The queue parses and reports it; a torn file cannot happen with atomic writes, but a hand edit can.
      return { unreadable: true };
    }
  }

  async write(doc: QueueDocument): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify(doc, null, 1) + '\n');
  }
}

/** A store in memory (tests, and hosts that keep nothing). */
export class MemoryQueueStore implements QueueStore {
  private value: unknown;
  /** How many writes happened. */
  writes = 0;

  constructor(initial?: unknown) {
    this.value = initial === undefined ? undefined : structuredClone(initial);
  }

  read(): Promise<unknown> {
    return Promise.resolve(this.value === undefined ? undefined : structuredClone(this.value));
  }

  write(doc: QueueDocument): Promise<void> {
    this.value = structuredClone(doc);
    this.writes++;
    return Promise.resolve();
  }
}
