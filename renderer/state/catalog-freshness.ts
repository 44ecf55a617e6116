/**
 * Keeps the disk list current while the window is open: read again soon after a transfer changed
 * the selected engine's disks (an upload's disk created, a download locking a disk, a transfer
 * ending: the disk unlocked, or deleted after a cancelled or failed upload), and every
 * `POLL_MS` while the window is visible, for what others do on the engine. Hidden windows do not poll;
 * on showing again a list older than the poll interval is read at once.
 */
import type { TransferView } from '../../shared/ipc.js';
import type { AppState } from './app-state.js';
import type { Store } from './store.js';

/** A modest poll of the visible list: the engine's own UI refreshes its grids about this often. */
export const POLL_MS = 20_000;
/** Changes of a burst (a batch that starts, a cancel that ends three jobs) are read once, this much later. */
export const SETTLE_MS = 750;

/** What the freshness keeper needs from the page: timers and the page's visibility, injectable for tests. */
export interface FreshnessEnv {
  readonly now: () => number;
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
  readonly isVisible: () => boolean;
  /** Calls `fn` whenever the visibility changes; returns the unsubscribe. */
  readonly onVisibilityChange: (fn: () => void) => () => void;
}

/**
 * What of the transfers on `engineId` can change its disk list: each transfer's disk and whether it
 * waits, runs or ended (and how). Equal signatures: nothing a transfer did needs a new read.
 */
export function diskSignature(transfers: readonly Pick<TransferView, 'id' | 'engineId' | 'diskId' | 'state'>[], engineId: string): string {
  const parts: string[] = [];
  for (const t of transfers) {
    if (t.engineId !== engineId) continue;
    parts.push(`${t.id}:${t.diskId ?? ''}:${stage(t.state)}`);
  }
  return parts.join('|');
}

function stage(state: TransferView['state']): string {
  switch (state) {
    case 'queued':
    case 'waiting':
    case 'retrying':
    case 'paused':
      return 'pending';
    case 'preparing':
    case 'initializing':
    case 'transferring':
    case 'verifying':
    case 'finalizing':
      return 'active';
    case 'completed':
    case 'failed':
    case 'cancelled':
      return state;
  }
}

/**
 * Follows the store and reads the catalog (`load`, quiet: no busy state in the window) when the
 * transfers changed the disks and on the poll. Returns the stop function.
 */
export function keepCatalogFresh(store: Store, load: () => Promise<void>, env: FreshnessEnv): () => void {
  let signature: string | null = null;
  let seen: AppState['transfers'] | null = null;
  let lastLoad = env.now();
  let settle: unknown = null;
  let poll: unknown = null;
  let stopped = false;

  const connectedEngine = (s: AppState): string | null => {
    const p = s.engines.profiles.find((x) => x.id === s.engines.selectedId);
    return p?.status === 'connected' && s.catalog.engineId === p.id ? p.id : null;
  };
  const run = () => {
    settle = null;
    if (stopped) return;
    if (connectedEngine(store.getState()) !== null) {
      lastLoad = env.now();
      void load();
    }
    schedulePoll();
  };
  const soon = () => {
    if (settle === null) settle = env.setTimeout(run, SETTLE_MS);
  };
  const schedulePoll = () => {
    if (poll !== null) env.clearTimeout(poll);
    poll = env.isVisible() && !stopped ? env.setTimeout(onPoll, POLL_MS) : null;
  };
  const onPoll = () => {
    poll = null;
    if (env.isVisible()) run();
  };
  const onStore = () => {
    const s = store.getState();
    if (s.transfers === seen) return;
    seen = s.transfers;
    const engine = connectedEngine(s);
    if (engine === null) {
      signature = null;
      return;
    }
    const next = diskSignature(s.transfers.transfers, engine);
    if (signature !== null && next !== signature) soon();
    signature = next;
  };
  const onVisibility = () => {
    if (!env.isVisible()) {
      if (poll !== null) env.clearTimeout(poll);
      poll = null;
    } else if (env.now() - lastLoad >= POLL_MS) run();
    else schedulePoll();
  };

  const unsubscribeStore = store.subscribe(onStore);
  const unsubscribeVisibility = env.onVisibilityChange(onVisibility);
  onStore();
  schedulePoll();
  return () => {
    stopped = true;
    unsubscribeStore();
    unsubscribeVisibility();
    if (settle !== null) env.clearTimeout(settle);
    if (poll !== null) env.clearTimeout(poll);
  };
}
