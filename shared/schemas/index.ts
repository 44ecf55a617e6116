/**
 * The schemas of every payload of the IPC contract (shared/ipc.ts) and the types derived from them.
 * Main and the web host parse each request with its schema before anything else; tests check
 * responses and events with the others. A payload's type is `Infer<typeof ItsSchema>`, written next
 * to the schema with the field documentation, so the two cannot drift.
 */
export * from './common.js';
export * from './engines.js';
export * from './catalog.js';
export * from './transfers.js';
export * from './settings.js';
export * from './engine-transfers.js';
export * from './backups.js';
export * from './restore.js';
