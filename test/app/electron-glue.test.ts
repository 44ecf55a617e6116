/**
 * The Electron glue, with the one allowed mock: the `electron` module (its runtime cannot start
 * here). Checks the window's security options and policies, the IPC handler registration and its
 * sender check, the app scheme's path resolution, and the preload's named API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { INVOKE_CHANNELS } from '../../shared/ipc.js';
import type { DiskFerryApi } from '../../preload/index.js';
import { startCore, type CoreHarness } from './helpers.js';

type Listener = (...args: unknown[]) => void;

const electron = vi.hoisted(() => {
  const windows: Array<{ options: Record<string, unknown>; contents: FakeContents }> = [];
  class FakeContents {
    readonly listeners = new Map<string, Listener>();
    windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
    readonly session = {
      requestHandler: null as null | ((wc: unknown, permission: string, cb: (ok: boolean) => void) => void),
      checkHandler: null as null | (() => boolean),
      setPermissionRequestHandler(h: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void) {
        this.requestHandler = h;
      },
      setPermissionCheckHandler(h: () => boolean) {
        this.checkHandler = h;
      },
    };
    setWindowOpenHandler(h: (d: { url: string }) => { action: string }) {
      this.windowOpenHandler = h;
    }
    on(event: string, l: Listener) {
      this.listeners.set(event, l);
      return this;
    }
  }
  class BrowserWindow {
    readonly webContents = new FakeContents();
    constructor(readonly options: Record<string, unknown>) {
      windows.push({ options, contents: this.webContents });
    }
    once() {
      return this;
    }
    loadURL() {
      return Promise.resolve();
    }
  }
  const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
  const rendererListeners = new Map<string, Listener>();
  return {
    windows,
    handlers,
    rendererListeners,
    exposed: new Map<string, unknown>(),
    openExternal: vi.fn(() => Promise.resolve()),
    invoke: vi.fn((_channel: string, _payload: unknown) => Promise.resolve({ ok: true, value: null })),
    BrowserWindow,
  };
});

vi.mock('electron', () => ({
  BrowserWindow: electron.BrowserWindow,
  shell: { openExternal: electron.openExternal },
  protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api) },
  ipcRenderer: {
    invoke: electron.invoke,
    on: (channel: string, l: Listener) => electron.rendererListeners.set(channel, l),
    removeListener: (channel: string) => electron.rendererListeners.delete(channel),
  },
  webUtils: { getPathForFile: () => '/home/u/disk.qcow2' },
}));

const { createMainWindow } = await import('../../main/window.js');
const { registerHandlers } = await import('../../main/ipc/handle.js');
const { resolveAppPath, APP_ORIGIN } = await import('../../main/platform/app-protocol.js');

describe('main window', () => {
  beforeEach(() => {
    electron.windows.length = 0;
    electron.openExternal.mockClear();
  });

  const open = () => {
    createMainWindow({ preloadPath: '/app/dist/preload/index.cjs', startUrl: `${APP_ORIGIN}/index.html`, allowedOrigins: [APP_ORIGIN] });
    return electron.windows[0]!;
  };

  it('writes out the security options', () => {
    const prefs = open().options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      preload: '/app/dist/preload/index.cjs',
    });
  });

  it('denies new windows, sending only https links to the browser', () => {
    const { contents } = open();
    expect(contents.windowOpenHandler!({ url: 'https://ovirt.org/docs' })).toEqual({ action: 'deny' });
    expect(electron.openExternal).toHaveBeenCalledWith('https://ovirt.org/docs');
    expect(contents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: 'not a url' })).toEqual({ action: 'deny' });
    expect(electron.openExternal).toHaveBeenCalledTimes(1);
  });

  it('denies navigation away from the app and every permission', () => {
    const { contents } = open();
    const navigate = (url: string) => {
      const event = { preventDefault: vi.fn() };
      contents.listeners.get('will-navigate')!(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('app://diskferry.evil/x')).toBe(true);
    expect(navigate(`${APP_ORIGIN}/index.html#/settings`)).toBe(false);
    const webview = { preventDefault: vi.fn() };
    contents.listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    let granted: boolean | null = null;
    contents.session.requestHandler!(null, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(contents.session.checkHandler!()).toBe(false);
  });

  it('serves only files inside the renderer folder on the app scheme', () => {
    expect(resolveAppPath('/app/dist/renderer', `${APP_ORIGIN}/`)).toBe('/app/dist/renderer/index.html');
    expect(resolveAppPath('/app/dist/renderer', `${APP_ORIGIN}/assets/a.js`)).toBe('/app/dist/renderer/assets/a.js');
    expect(resolveAppPath('/app/dist/renderer', `${APP_ORIGIN}/..%2F..%2Fmain%2Findex.js`)).toBeNull();
    expect(resolveAppPath('/app/dist/renderer', 'app://other/index.html')).toBeNull();
  });
});

describe('IPC handler registration', () => {
  let h: CoreHarness;
  beforeAll(async () => {
    h = await startCore();
  });
  afterAll(async () => {
    await h.close();
  });

  it('registers every invoke channel, checks the sender frame, and answers Results', async () => {
    const removed: string[] = [];
    const dispose = registerHandlers({
      ipcMain: { handle: (channel: string, fn: never) => electron.handlers.set(channel, fn), removeHandler: (c: string) => removed.push(c) } as never,
      handlers: h.core.handlers,
      allowedOrigins: [APP_ORIGIN],
      windowContents: () => ({ id: 1 }),
      log: { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} },
    });
    expect([...electron.handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    const call = (url: string, channel: string, payload: unknown, parent: unknown = null) => electron.handlers.get(channel)!({ sender: { id: 1 }, senderFrame: { url, parent } }, payload);
    expect(await call(`${APP_ORIGIN}/index.html`, 'app:info', undefined)).toMatchObject({ ok: true, value: { name: 'DiskFerry' } });
    expect(await call('https://evil.example/', 'app:info', undefined)).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(await call(`${APP_ORIGIN}/index.html`, 'app:info', undefined, {})).toMatchObject({ ok: false });
    expect(await call(`${APP_ORIGIN}/index.html`, 'transfers:pause', { id: 5 })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    dispose();
    expect(removed.sort()).toEqual([...INVOKE_CHANNELS].sort());
  });
});

describe('preload', () => {
  it('exposes the named API, invokes by channel, and unsubscribes listeners', async () => {
    await import('../../preload/index.js');
    const api = electron.exposed.get('diskferry') as DiskFerryApi;
    expect(Object.keys(api).sort()).toEqual(['app', 'backups', 'catalog', 'dialogs', 'engines', 'files', 'settings', 'transfers', 'vms']);
    await api.transfers.pause({ id: 't1' });
    expect(electron.invoke).toHaveBeenLastCalledWith('transfers:pause', { id: 't1' });
    await api.transfers.move({ id: 't1', to: 'top' });
    expect(electron.invoke).toHaveBeenLastCalledWith('transfers:move', { id: 't1', to: 'top' });
    const got: unknown[] = [];
    const off = api.transfers.onChanged((s) => got.push(s));
    electron.rendererListeners.get('transfers:changed')!({ sender: 'secret' }, { seq: 1 });
    expect(got).toEqual([{ seq: 1 }]);
    off();
    expect(electron.rendererListeners.has('transfers:changed')).toBe(false);
    expect(api.files.pathForFile({} as File)).toBe('/home/u/disk.qcow2');
  });
});
