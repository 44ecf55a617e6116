/**
 * A minimal external store around the reducer, read by React through useSyncExternalStore.
 * Created once in main.tsx (no module-level singleton) and handed down by context.
 */
import type { AppState } from './app-state.js';
import { reduce, type Action } from './reducer.js';

/** The store's interface. */
export interface Store {
  getState(): AppState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

/** Creates a store starting at `initial`. */
export function createStore(initial: AppState): Store {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
