/** Where a download goes: the names come from shared/file-names.ts, the existing-file policy from the engine's download rules. */
export { expandTemplate, safeFileName, type NameFields } from '../../../shared/file-names.js';
