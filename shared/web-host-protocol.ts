/**
 * The wire format of the web host's WebSocket (`/ipc?token=…`): JSON text frames carrying the IPC
 * contract of shared/ipc.ts. No Node imports: the browser client bundles it.
 */
import type { Result } from './errors.js';
import type { EventChannel } from './ipc.js';

/** Browser → host: one invoke; `id` pairs it with its result. */
export interface InvokeFrame {
  readonly type: 'invoke';
  readonly id: number;
  readonly channel: string;
  readonly payload?: unknown;
}

/** Host → browser: the Result of an invoke. */
export interface ResultFrame {
  readonly type: 'result';
  readonly id: number;
  readonly result: Result<unknown>;
}

/** Host → browser: an event snapshot. */
export interface EventFrame {
  readonly type: 'event';
  readonly channel: EventChannel;
  readonly payload: unknown;
}

/** Path of the WebSocket endpoint. */
export const IPC_PATH = '/ipc';

/** Path the host serves the bundled browser client from (injected into index.html). */
export const CLIENT_SCRIPT_PATH = '/__diskferry/web-host-client.js';

/** Largest frame either side accepts. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
