import type { ImageStore } from '../image-store.js';
import type { FaultSettings } from '../faults.js';
import type { TicketStore } from '../imageio/tickets.js';
import type { EngineState, EngineVersion } from './model.js';
import type { Timers } from './timers.js';

/**
 * What the engine needs from an imageio server (a subset of imageio/server.ts ImageioServer, kept
 * structural so the engine does not depend on the data server's module).
 */
export interface ImageioEndpoint {
  readonly role: 'daemon' | 'proxy';
  readonly port: number;
  readonly tickets: TicketStore;
  imageUrl(ticketId: string): string;
}

/** Timing knobs: fast mode for tests, engine-like delays otherwise. */
export interface EngineTiming {
  /** Delay before the poll number `n` (0-based) of a transfer. */
  pollDelayMs(n: number): number;
  /** How long a disk stays `locked` after add or delete. */
  readonly diskLockMs: number;
}

/** Everything a handler or the poller needs; built once by startEngineServer. */
export interface EngineContext {
  readonly state: EngineState;
  readonly version: EngineVersion;
  readonly timing: EngineTiming;
  /** Epoch ms (injectable). */
  readonly now: () => number;
  readonly images: ImageStore;
  readonly daemon: ImageioEndpoint;
  readonly proxy: ImageioEndpoint;
  readonly faults: FaultSettings;
  /** Key that signs 4.1 signed tickets (the engine certificate's key). */
  readonly signingKey: string;
  /** The engine (REST) certificate, for pki-resource?resource=engine-certificate. */
  readonly certPem: string;
  readonly caPem: string;
  readonly username: string;
  readonly password: string;
  readonly timers: Timers;
  /** The engine's address as URLs write it: `127.0.0.1` or `[::1]`. */
  readonly urlHost: string;
  /** A loopback port where nothing listens, for the transferUrlUnreachable fault. */
  readonly unreachablePort: number;
}

const BACKOFF_MS = [1000, 2000, 4000, 8000, 10_000];

/** The engine's CommandCallbacksPoller cadence (1→2→4→8→10 s) or a fast 25 ms cadence, and disk lock times. */
export function engineTiming(fast: boolean): EngineTiming {
  if (fast) return { pollDelayMs: () => 25, diskLockMs: 40 };
  return { pollDelayMs: (n) => BACKOFF_MS[Math.min(n, BACKOFF_MS.length - 1)]!, diskLockMs: 2000 };
}

/** The REST base path every href starts with. */
export const API = '/ovirt-engine/api';
