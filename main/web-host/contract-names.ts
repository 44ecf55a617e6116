/**
 * A Vite plugin for the bundles that run in the window — preload (scripts/build-preload.ts) and the
 * web host's browser client: they build the named API from the contract's channel names alone, so
 * shared/ipc.ts is replaced there by its channel lists, evaluated here from the table. The schemas
 * (zod) stay out: preload stays a few KB, and no page script runs zod's `new Function` probe against
 * the window's CSP. Importing anything else of shared/ipc.ts at run time fails the bundle loudly.
 */
import type { Plugin } from 'vite';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../shared/ipc.js';

/** Whether a module id is the contract's source, shared/ipc.ts (from a checkout, whatever runs the bundler). */
function isContract(id: string): boolean {
  return id.split('?')[0]!.replaceAll('\\', '/').endsWith('/shared/ipc.ts');
}

/** The module that stands in for shared/ipc.ts. */
export function channelNamesModule(): string {
  return `export const INVOKE_CHANNELS = ${JSON.stringify(INVOKE_CHANNELS)};\nexport const EVENT_CHANNELS = ${JSON.stringify(EVENT_CHANNELS)};\n`;
}

/** See the file comment. */
export function contractNamesOnly(): Plugin {
  return {
    name: 'diskferry-contract-names-only',
    enforce: 'pre',
    load(id) {
      return isContract(id) ? channelNamesModule() : null;
    },
  };
}
