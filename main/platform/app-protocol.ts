/**
 * `app://diskferry/…`: serves the built renderer from inside the app (ASAR), with a real origin for
 * the sender check and a Content-Security-Policy header on every page. No path leaves the folder.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { protocol } from 'electron';

/** The scheme and host of the window. */
const APP_SCHEME = 'app';
export const APP_ORIGIN = 'app://diskferry';

/** The policy sent with every page (the renderer's meta CSP applies as well). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Must run before `app.ready`. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** The file under `root` for an `app://diskferry/…` URL, or null when it is outside. */
export function resolveAppPath(root: string, url: string): string | null {
  const u = new URL(url);
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return null;
  const path = u.pathname === '/' ? '/index.html' : decodeURIComponent(u.pathname);
  const file = resolve(root, '.' + path);
  return file.startsWith(resolve(root) + sep) ? file : null;
}

/** Serves `root` on the app scheme (after `app.ready`). */
export function serveAppScheme(root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAppPath(root, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        headers: { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff' },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
