/**
 * Where the command line keeps its per-user files (profiles, queue, the local record of plain
 * commands' transfers), following each OS's convention. The window reads that record too, so that a
 * transfer a `diskferry` command left open is shown as that command's, not as another client's.
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
