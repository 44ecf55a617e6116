/**
 * The typed IPC handlers: the only place `ipcMain.handle` is called. Each handler checks that the
 * sender is our window's own frame, then parses the payload with its channel's schema, calls the app
 * core and answers a Result (dispatch does the last three).
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { fail, type Result } from '../../shared/errors.js';
import { INVOKE_CHANNELS, type InvokeChannel } from '../../shared/ipc.js';
import { dispatch, type InvokeHandlers } from '../app/dispatch.js';
import type { Log } from '../engine/log.js';
import { isTrustedFrameUrl } from './sender.js';

/** What registration needs. */
export interface HandleOptions {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly handlers: InvokeHandlers;
  /** Origins our window loads from (`app://diskferry`, and a dev server in development). */
  readonly allowedOrigins: readonly string[];
  readonly log: Log;
}

/** Handles one invoke from Electron: sender check first, then dispatch. */
export function handleInvoke(options: HandleOptions, channel: InvokeChannel, event: Pick<IpcMainInvokeEvent, 'senderFrame'>, payload: unknown): Promise<Result<unknown>> {
  const frameUrl = event.senderFrame?.url;
  if (!isTrustedFrameUrl(frameUrl, options.allowedOrigins) || event.senderFrame?.parent) {
    options.log.warn('refused an IPC call from a foreign frame', { channel });
    return Promise.resolve(fail({ code: 'bad-input', message: 'Refused: the request did not come from the DiskFerry window.', retryable: false }));
  }
  return dispatch(options.handlers, channel, payload, options.log);
}

/** Registers a handler for every invoke channel; returns the function that removes them. */
export function registerHandlers(options: HandleOptions): () => void {
  for (const channel of INVOKE_CHANNELS) {
    options.ipcMain.handle(channel, (event, payload: unknown) => handleInvoke(options, channel, event, payload));
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) options.ipcMain.removeHandler(channel);
  };
}
