/**
 * Loads koffi (an FFI with prebuilt binaries, a dependency) on first use: nothing native is loaded
 * before a port needs it, and a platform's libraries are opened only on that platform.
 */
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

/** The koffi module. */
export type KoffiModule = typeof Koffi;

/** koffi, required lazily (it is CommonJS); throws where its binary cannot load. */
export function requireKoffi(): KoffiModule {
  const require = createRequire(import.meta.url);
  return require('koffi') as KoffiModule;
}

/** Calls `load` once and keeps its answer (null when loading threw: the port then does without). */
export function lazyNative<T>(load: () => T): () => T | null {
  let cached: { value: T | null } | null = null;
  return () => {
    if (cached) return cached.value;
    try {
      cached = { value: load() };
    } catch {
      cached = { value: null };
    }
    return cached.value;
  };
}
