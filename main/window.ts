/**
 * The main window with the security defaults written out (style.md §5): context isolation, sandbox,
 * no Node; new windows denied (https links go to the browser after a `new URL` check), navigation
 * away from the app denied, permission requests and checks denied, no webviews.
 */
import { BrowserWindow, shell, type Session, type WebContents } from 'electron';
import { originOf } from './ipc/sender.js';

/** Where the window comes from. */
export interface MainWindowOptions {
  /** The bundled preload (CommonJS, sandboxed). */
  readonly preloadPath: string;
  /** `app://diskferry/index.html`, or a dev server URL. */
  readonly startUrl: string;
  /** Origins the window may show (`app://diskferry`, a dev server). */
  readonly allowedOrigins: readonly string[];
  readonly icon?: string;
}

/** The webPreferences of every DiskFerry window. */
function secureWebPreferences(preloadPath: string): Electron.WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webviewTag: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** True when `url` is one of ours. */
function isAppUrl(url: string, allowedOrigins: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== null && allowedOrigins.includes(origin);
}

/** Opens https links in the user's browser; anything else is dropped. */
function openExternalSafely(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol === 'https:') void shell.openExternal(parsed.toString()).catch(() => {});
}

/** Applies the navigation, window-open and webview policy to a window's contents. */
function lockDownContents(contents: WebContents, allowedOrigins: readonly string[]): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (!isAppUrl(url, allowedOrigins)) openExternalSafely(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, allowedOrigins)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, allowedOrigins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Denies every permission request and check (camera, notifications from the page, geolocation, …). */
function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Creates the main window (shown once ready, so no white flash). */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 780,
    minWidth: 820,
    minHeight: 520,
    show: false,
    title: 'DiskFerry',
    backgroundColor: '#1e1f22',
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  lockDownContents(win.webContents, options.allowedOrigins);
  denyPermissions(win.webContents.session);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.startUrl);
  return win;
}
