/**
 * The window's access to the app core: the named API preload (Electron) or the web host's client
 * (browser) put on `window.diskferry`. This is the only file that reads it; its type comes from
 * preload, so the two cannot drift.
 */
import type { DiskFerryApi } from '../../preload/api.js';

export type { DiskFerryApi };

/** The API, or null when the page was opened without a host (then the window says so). */
export function findApi(): DiskFerryApi | null {
  const candidate = (window as unknown as { readonly diskferry?: DiskFerryApi }).diskferry;
  return candidate ?? null;
}
