/** The operating system's proxy settings, through Electron's session (PAC scripts and WPAD included). */
import { session } from 'electron';
import { proxyFromPac, type ProxyResolver } from '../engine/net/proxy.js';

/** The proxy Chromium would use for a URL; the engine tunnels through it (HTTP proxies only). */
export function electronSystemProxy(): ProxyResolver {
  return async (target) => proxyFromPac(await session.defaultSession.resolveProxy(target.href));
}
