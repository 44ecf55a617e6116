/**
 * Where the command line keeps its per-user files (profiles, queue, the local record of plain
 * commands' transfers), following each OS's convention. The window reads that record and the queue
 * file too, so that a transfer a `diskferry` command or a `diskferry queue` job has open is shown as
 * theirs, not as another client's.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The per-user folder for DiskFerry's CLI files (profiles, queue), following each OS's convention. */
export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env['DISKFERRY_CONFIG_DIR']) return env['DISKFERRY_CONFIG_DIR'];
  if (platform === 'win32') return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), 'DiskFerry');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'DiskFerry');
  return join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), 'diskferry');
}

/** The local record of the transfers plain commands have open (engine/janitor/ledger.ts). */
export function ledgerDir(dir: string = configDir()): string {
  return join(dir, 'transfers');
}

/** The command line's queue (`diskferry queue`, engine/queue/store.ts's document). */
export function queueFile(dir: string = configDir()): string {
  return join(dir, 'queue.json');
}

/** What the window reads of the command line's files to tell whose an engine transfer is. */
export interface CommandLineFiles {
  /** The record of plain commands' transfers (ledgerDir). */
  readonly ledger: string;
  /** The queue file (queueFile). */
  readonly queueFile: string;
}

/** The command line's files in its folder. */
export function commandLineFiles(dir: string = configDir()): CommandLineFiles {
  return { ledger: ledgerDir(dir), queueFile: queueFile(dir) };
}
