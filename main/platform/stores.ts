/** The app core's documents in electron-store (settings, engine profiles without passwords, the queue). */
import Store from 'electron-store';
import type { DocumentName, DocumentStore } from '../app/ports.js';

/** One electron-store file per document, in the app's user-data folder. */
export function electronDocumentStore(): DocumentStore {
  const stores = new Map<DocumentName, Store<Record<string, unknown>>>();
  const storeOf = (name: DocumentName) => {
    let s = stores.get(name);
    if (!s) stores.set(name, (s = new Store<Record<string, unknown>>({ name, clearInvalidConfig: false })));
    return s;
  };
  return {
    read: (name) => Promise.resolve(storeOf(name).get('document')),
    write: (name, value) => {
      storeOf(name).set('document', value);
      return Promise.resolve();
    },
  };
}
