/**
 * Preload: builds the named API of preload/api.ts over ipcRenderer and exposes it as
 * `window.diskferry`. Nothing else crosses: no ipcRenderer, no channel names, no Node. It runs
 * sandboxed, so it is bundled into one CommonJS file (`npm run build:preload`).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { EventChannel, EventChannels, InvokeChannel, InvokeRequest, InvokeResponse, IpcTransport } from '../shared/ipc.js';
import type { Result } from '../shared/errors.js';
import { createDiskFerryApi } from './api.js';

export type { DiskFerryApi, Subscribe } from './api.js';

/** The ipcRenderer transport: one invoke per call, one listener per subscription. */
const transport: IpcTransport = {
  invoke<C extends InvokeChannel>(channel: C, request: InvokeRequest<C>): Promise<Result<InvokeResponse<C>>> {
    return ipcRenderer.invoke(channel, request) as Promise<Result<InvokeResponse<C>>>;
  },
  on<E extends EventChannel>(event: E, listener: (payload: EventChannels[E]) => void): () => void {
    // The event object is not passed on: it carries the sender, which the window must not get.
    const wrapped = (_event: IpcRendererEvent, payload: EventChannels[E]) => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => {
      ipcRenderer.removeListener(event, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld(
  'diskferry',
  createDiskFerryApi(transport, (file) => {
    const path = webUtils.getPathForFile(file);
    return path === '' ? null : path;
  }),
);
