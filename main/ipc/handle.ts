/**
 * The typed IPC handlers: the only place `ipcMain.handle` is called. Each handler checks that the
 * sender is our window's own top frame, that the payload is plain data (main/app/payload-guard.ts), then
 * parses it with its channel's schema, calls the app core and answers a Result (dispatch does the
 * last three). A refused call never reaches the core and answers `bad-input`.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { fail, type Result } from '../../shared/errors.js';
import { INVOKE_CHANNELS, type InvokeChannel } from '../../shared/ipc.js';
import { dispatch, type InvokeHandlers } from '../app/dispatch.js';
import type { Log } from '../engine/log.js';
import { payloadProblem } from '../app/payload-guard.js';
import { isTrustedFrameUrl } from './sender.js';

/** What registration needs. */
export interface HandleOptions {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly handlers: InvokeHandlers;
  /** Origins our window loads from (`app://diskferry`, and a dev server in development). */
  readonly allowedOrigins: readonly string[];
  /** The contents of our window now; null while none is open. Any other sender is refused. */
  readonly windowContents: () => Pick<WebContents, 'id'> | null;
  readonly log: Log;
}

/** The parts of an invoke event the checks read. */
export type InvokeEventLike = Pick<IpcMainInvokeEvent, 'senderFrame'> & { readonly sender?: Pick<WebContents, 'id'> | null };

/** Why a sender is refused, or null when it is our window's top frame on one of our origins. */
export function senderProblem(options: Pick<HandleOptions, 'allowedOrigins' | 'windowContents'>, event: InvokeEventLike): string | null {
  const own = options.windowContents();
  if (!own || !event.sender || event.sender.id !== own.id) return 'another web contents';
  const frame = event.senderFrame;
  if (!frame) return 'a frame that is gone';
  if (frame.parent) return 'a sub-frame';
  if (!isTrustedFrameUrl(frame.url, options.allowedOrigins)) return 'a page that is not the app';
  return null;
}

const refusal = (message: string) => Promise.resolve(fail({ code: 'bad-input', message, retryable: false }));

/** Handles one invoke from Electron: sender check, payload shape check, then dispatch. */
export function handleInvoke(options: HandleOptions, channel: InvokeChannel, event: InvokeEventLike, payload: unknown): Promise<Result<unknown>> {
  const why = senderProblem(options, event);
  if (why !== null) {
    options.log.warn('refused an IPC call from a foreign sender', { channel, sender: why });
    return refusal('Refused: the request did not come from the DiskFerry window.');
  }
  const problem = payloadProblem(payload);
  if (problem !== null) {
    options.log.warn('refused an IPC call with a malformed payload', { channel, problem });
    return refusal(`Invalid request: ${problem}.`);
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
