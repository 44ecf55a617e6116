/** The loopback addresses the simulator listens on, and how a URL writes them. */

/** `127.0.0.1` (the default) or `::1`, to run the engine and its data servers over IPv6. */
export type LoopbackHost = '127.0.0.1' | '::1';

/** The host part of a URL: an IPv6 address in brackets (`[::1]`). */
export function urlHost(host: LoopbackHost): string {
  return host.includes(':') ? `[${host}]` : host;
}
