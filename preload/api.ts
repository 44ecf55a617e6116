/**
 * The named API the window uses (`window.diskferry`), built at run time from the channel table of
 * shared/ipc.ts over any transport: Electron's ipcRenderer (preload/index.ts) or the web host's
 * WebSocket (preload/web/client.ts). Invoke channel `group:name` is `api.group.name(request)`;
 * event channel `group:changed` is `api.group.onChanged(listener)`, which returns its unsubscribe.
 * The renderer derives its type from `DiskFerryApi`, so it cannot drift. No Node, no Electron, no
 * schemas here: this file is bundled into both, and only the channel names are read at run time.
 */
import type { Result } from '../shared/errors.js';
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  type EventChannel,
  type EventChannels,
  type InvokeChannel,
  type InvokeRequest,
  type InvokeResponse,
  type IpcTransport,
  type ParsedRequest,
} from '../shared/ipc.js';

/** A listener registration; call the returned function to unsubscribe. */
export type Subscribe<T> = (listener: (payload: T) => void) => () => void;

/** The arguments of a channel's method: none, an optional request, or the request. */
type InvokeArgs<C extends InvokeChannel> = [ParsedRequest<C>] extends [void] ? [] : undefined extends InvokeRequest<C> ? [request?: InvokeRequest<C>] : [request: InvokeRequest<C>];

/** The group of a channel name (`transfers` of `transfers:pause`). */
type GroupOf<C extends string> = C extends `${infer G}:${string}` ? G : never;

/** The methods of one group: its invoke channels, and `on…` for its event channels. */
type ApiGroup<G extends string> = {
  readonly [C in InvokeChannel as C extends `${G}:${infer M}` ? M : never]: (...args: InvokeArgs<C>) => Promise<Result<InvokeResponse<C>>>;
} & {
  readonly [E in EventChannel as E extends `${G}:${infer M}` ? `on${Capitalize<M>}` : never]: Subscribe<EventChannels[E]>;
};

/** The API exposed to the window. Every call resolves with a Result; none rejects for app errors. */
export type DiskFerryApi = { readonly [G in GroupOf<InvokeChannel | EventChannel>]: ApiGroup<G> } & {
  readonly files: {
    /**
     * The local path of a dropped or picked File; null where the host cannot know it (the web host:
     * there the window asks for typed paths, see `AppInfo.nativeDialogs`).
     */
    pathForFile(file: File): string | null;
  };
};

/** `['transfers', 'pause']` of `transfers:pause`. */
function split(channel: string): [group: string, name: string] {
  const at = channel.indexOf(':');
  return [channel.slice(0, at), channel.slice(at + 1)];
}

/** `onChanged` of `changed`: the method that subscribes to an event channel. */
const subscription = (name: string) => `on${name.charAt(0).toUpperCase()}${name.slice(1)}`;

/** The API as built, before it is checked to be complete. */
type Built = Record<string, Record<string, unknown>>;

/** True when every channel of the contract has its function: the built object is the whole API. */
function isComplete(api: Built): api is Built & DiskFerryApi {
  const has = (channel: string, method: (name: string) => string) => {
    const [group, name] = split(channel);
    return typeof api[group]?.[method(name)] === 'function';
  };
  return INVOKE_CHANNELS.every((c) => has(c, (n) => n)) && EVENT_CHANNELS.every((e) => has(e, subscription)) && typeof api['files']?.['pathForFile'] === 'function';
}

/** Builds the API over a transport. `pathForFile` is host-specific (Electron's webUtils). */
export function createDiskFerryApi(transport: IpcTransport, pathForFile: (file: File) => string | null = () => null): DiskFerryApi {
  const api: Built = { files: { pathForFile } };
  const group = (name: string) => (api[name] ??= {});
  const invoker =
    <C extends InvokeChannel>(channel: C) =>
    (request: InvokeRequest<C>) =>
      transport.invoke(channel, request);
  const subscriber =
    <E extends EventChannel>(event: E): Subscribe<EventChannels[E]> =>
    (listener) =>
      transport.on(event, listener);
  for (const channel of INVOKE_CHANNELS) {
    const [g, name] = split(channel);
    group(g)[name] = invoker(channel);
  }
  for (const event of EVENT_CHANNELS) {
    const [g, name] = split(event);
    group(g)[subscription(name)] = subscriber(event);
  }
  if (!isComplete(api)) throw new Error('The IPC API is missing a channel of the contract.');
  return api;
}
