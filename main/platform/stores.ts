/** The app core's documents in electron-store (settings, engine profiles without passwords, the queue). */
import { app } from 'electron';
import Store from 'electron-store';
import { DOCUMENT_FILES, moveWindowEngines } from '../app/document-files.js';
import type { DocumentName, DocumentStore } from '../app/ports.js';
import { errorMessage } from '../engine/errors.js';
import type { Log } from '../engine/log.js';

/**
 * One electron-store file per document, in the app's user-data folder, named so as not to meet the
 * command line's files there (app/document-files.ts); an engine list an earlier version wrote into
 * the command line's `engines.json` is moved out before the first read.
 */
export function electronDocumentStore(log: Log): DocumentStore {
  const dir = app.getPath('userData');
  const moved = moveWindowEngines(dir).then(
    (done) => done && log.info("moved the window's engine list out of the command line's engines.json", { dir }),
    (err: unknown) => log.warn("could not move the window's engine list out of the command line's engines.json", { dir, error: errorMessage(err) }),
  );
  const stores = new Map<DocumentName, Store<Record<string, unknown>>>();
  const storeOf = (name: DocumentName) => {
    let s = stores.get(name);
    if (!s) stores.set(name, (s = new Store<Record<string, unknown>>({ name: DOCUMENT_FILES[name], clearInvalidConfig: false })));
    return s;
  };
  return {
    read: async (name) => {
      await moved;
      return storeOf(name).get('document');
    },
    write: async (name, value) => {
      await moved;
      storeOf(name).set('document', value);
    },
  };
}
