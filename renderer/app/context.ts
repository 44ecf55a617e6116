/**
 * React access to the store and the controller: context objects and the two hooks panes use.
 * Selectors must return stable references (slices of the state), as useSyncExternalStore requires.
 */
import { createContext, useContext, useSyncExternalStore } from 'react';
import type { AppState } from '../state/app-state.js';
import type { Controller } from '../state/controller.js';
import type { Store } from '../state/store.js';

export const StoreContext = createContext<Store | null>(null);
export const ControllerContext = createContext<Controller | null>(null);

/** A slice of the store; the component re-renders when it changes. */
export function useAppState<T>(select: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppState outside StoreContext');
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** The controller (actions that call the core). */
export function useController(): Controller {
  const controller = useContext(ControllerContext);
  if (!controller) throw new Error('useController outside ControllerContext');
  return controller;
}
