import type { ImageioPersonality } from './imageio/server.js';
import { signedTicketVerifier, type EngineVersion } from './engine/server.js';

/**
 * The imageio servers that came with each engine generation (reference/engine.md §6, imageio.md §2.2):
 * 4.1 shipped the legacy proxy (signed tickets, OPTIONS answered 204) and imageio 1.x daemons;
 * 4.3 shipped imageio 1.5 (OPTIONS with zero/flush/extents, no checksum, no max_readers/max_writers);
 * 4.4 shipped imageio 2.4 (checksum, max_readers/max_writers, dirty extents); 4.5 ships imageio 2.5.
 */
export function imageioPersonalityFor(version: EngineVersion, engineCertPem: string): { daemon: ImageioPersonality; proxy: ImageioPersonality } {
  switch (version) {
    case '4.1':
      return {
        daemon: { legacyOptions: 405, checksum: false, maxConnections: false, signedTicket: null },
        // The legacy proxy wants the engine-signed ticket in Authorization (it checks the engine's signature).
        proxy: { legacyOptions: 204, checksum: false, maxConnections: false, signedTicket: signedTicketVerifier(engineCertPem) },
      };
    case '4.3':
      return {
        daemon: { legacyOptions: null, checksum: false, maxConnections: false, signedTicket: null },
        proxy: { legacyOptions: null, checksum: false, maxConnections: false, signedTicket: null },
      };
    case '4.4':
    case '4.5':
      return {
        daemon: { legacyOptions: null, checksum: true, maxConnections: true, signedTicket: null },
        proxy: { legacyOptions: null, checksum: true, maxConnections: true, signedTicket: null },
      };
  }
}
