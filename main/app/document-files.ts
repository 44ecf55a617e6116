/**
 * The files the window's documents are kept in, in the app's data folder: Electron's `userData`,
 * `<appData>/diskferry` after package.json's name (electron-builder's productName does not reach the
 * packaged package.json). That is the command line's config folder too, on every OS
 * (engine/config-dir.ts; macOS and Windows ignore that it says `DiskFerry`), and the command line
 * keeps its own profiles in `engines.json` there, in another shape: the window's engine list is
 * `app-engines.json`. Both keep upload journals (`uploads/`, named by file and disk) and the records
 * of backup snapshots (`pending-snapshots/`: either removes what an interrupted backup of the other
 * left, once its process is gone) there.
 *
 * Before this name, the window wrote its list into the command line's `engines.json` (under
 * electron-store's `document` key): `diskferry` then refused the file, or dropped the window's
 * engines at its next save. `moveWindowEngines` moves such a list out, once, before the store opens.
 *
 * Each program reads the other's queue to tell whose a transfer on the engine is (the window's
 * "Transfers on this engine", `diskferry transfers`): `commandLineQueueJobs`, `windowQueueJobs`.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../engine/errors.js';
import { writeFileAtomic } from '../engine/fs/atomic.js';
import type { QueueJob } from '../engine/queue/job.js';
import { parseQueueDocument } from '../engine/queue/store.js';
import type { DocumentName } from './ports.js';

/** Each document's file name, without `.json`. */
export const DOCUMENT_FILES: Readonly<Record<DocumentName, string>> = { settings: 'settings', engines: 'app-engines', transfers: 'transfers' };

/** Keys of an electron-store file that are the window's: its document and the store's own bookkeeping. */
const WINDOW_KEYS = ['document', '__internal__'];

/**
 * Moves the window's engine list out of `engines.json` into `app-engines.json` (when the latter does
 * not exist yet), leaving the command line's profiles where they are, or removing the file when it
 * held only the window's. Returns whether anything moved. A file it cannot read is left alone.
 */
export async function moveWindowEngines(dir: string): Promise<boolean> {
  const target = join(dir, `${DOCUMENT_FILES.engines}.json`);
  if (await stat(target).then(() => true, (err: unknown) => errorCode(err) !== 'ENOENT')) return false;
  const source = join(dir, 'engines.json');
  let old: unknown;
  try {
    old = JSON.parse(await readFile(source, 'utf8'));
  } catch {
    return false;
  }
  if (typeof old !== 'object' || old === null || Array.isArray(old) || !('document' in old)) return false;
  const entries = Object.entries(old);
  const windows = Object.fromEntries(entries.filter(([k]) => WINDOW_KEYS.includes(k)));
  const rest = Object.fromEntries(entries.filter(([k]) => !WINDOW_KEYS.includes(k)));
  await writeFileAtomic(target, JSON.stringify(windows, null, '\t'));
  if (Object.keys(rest).length === 0) await rm(source, { force: true });
  else await writeFileAtomic(source, JSON.stringify(rest, null, 2) + '\n');
  return true;
}

/** A JSON file's value; undefined when it is missing or not JSON. */
async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** A property of a JSON object, or undefined. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

/** The jobs of the command line's queue file (engine/config-dir.ts `queueFile`); none when there is none or it cannot be read (its own commands say why). */
export async function commandLineQueueJobs(file: string): Promise<readonly QueueJob[]> {
  return parseQueueDocument(await readJson(file))?.jobs ?? [];
}

/**
 * The jobs of the window's queue, from its file in the shared folder (electron-store's `document`:
 * the queue and what the window keeps beside it, app/transfers/engine-queue-adapter.ts); none when
 * there is none or it cannot be read.
 */
export async function windowQueueJobs(dir: string): Promise<readonly QueueJob[]> {
  const saved = await readJson(join(dir, `${DOCUMENT_FILES.transfers}.json`));
  return parseQueueDocument(field(field(saved, 'document'), 'queue'))?.jobs ?? [];
}
