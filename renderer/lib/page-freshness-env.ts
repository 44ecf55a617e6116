/** The page's timers and visibility for `keepCatalogFresh` (the window's composition root passes it in). */
import type { FreshnessEnv } from '../state/catalog-freshness.js';

/** The page's own timers and `document.visibilityState`. */
export function pageFreshnessEnv(): FreshnessEnv {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (h) => window.clearTimeout(h as number),
    isVisible: () => document.visibilityState === 'visible',
    onVisibilityChange: (fn) => {
      document.addEventListener('visibilitychange', fn);
      return () => document.removeEventListener('visibilitychange', fn);
    },
  };
}
