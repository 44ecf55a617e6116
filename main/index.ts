/**
 * The Electron composition root: one instance, the app scheme, the app core with real ports
 * (electron-store, safeStorage, dialogs, notifications, power-save blocker, taskbar progress), the
 * typed IPC handlers, the window and its event forwarding, and a confirmation before quitting while
 * transfers run. Everything else is Electron-free and lives in main/app and main/engine.
 */
import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, ipcMain, type BrowserWindow } from 'electron';
import { AppCore } from './app/app-core.js';
import { simulatorDemoEngine } from './app/demo-engine.js';
import { rangedGetDispatcherFrom } from './engine/imageio/connection.js';
import { commandLineFiles } from './engine/config-dir.js';
import { createLog } from './engine/log.js';
import { realTimers } from './engine/timers.js';
import { forwardEvents } from './ipc/emit.js';
import { registerHandlers } from './ipc/handle.js';
import { APP_ORIGIN, registerAppScheme, serveAppScheme } from './platform/app-protocol.js';
import { electronDesktop } from './platform/desktop.js';
import { electronDialogs } from './platform/dialogs.js';
import { electronSystemProxy } from './platform/system-proxy.js';
import { safeStorageCipher } from './platform/secrets.js';
import { utilitySimulatorLauncher } from './platform/simulator-process.js';
import { electronDocumentStore } from './platform/stores.js';
import { createMainWindow } from './window.js';
import { errorMessage } from './engine/errors.js';

/** A Vite dev server URL during development only; never in a packaged build. */
const devUrl = !app.isPackaged ? process.env['DISKFERRY_DEV_URL'] : undefined;

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.whenReady().then(start, (err: unknown) => {
    process.stderr.write(`DiskFerry failed to start: ${String(err)}\n`);
    app.exit(1);
  });

  async function start(): Promise<void> {
    const root = app.getAppPath();
    const logFile = join(app.getPath('logs'), 'diskferry.log');
    const log = createLog({ level: 'info', json: true, write: (line) => void appendFile(logFile, line + '\n').catch(() => {}) });
    // The demo engine: the compiled simulator beside this file, shipped in the package too.
    const demo = simulatorDemoEngine(utilitySimulatorLauncher(fileURLToPath(new URL('./simulator/cli.js', import.meta.url))));
    const core = await AppCore.create({
      store: electronDocumentStore(log),
      secrets: safeStorageCipher(),
      dialogs: electronDialogs(() => win),
      desktop: electronDesktop(() => win),
      demo,
      systemProxy: electronSystemProxy(),
      host: { name: 'DiskFerry', version: app.getVersion(), host: 'electron', platform: process.platform, nativeDialogs: true, canReveal: true, locale: app.getLocale() },
      log,
      timers: realTimers,
      now: Date.now,
      newId: randomUUID,
      uploadJournals: join(app.getPath('userData'), 'uploads'),
      pendingSnapshots: join(app.getPath('userData'), 'pending-snapshots'),
    }, { rangedGets: rangedGetDispatcherFrom(process.env), commandLine: commandLineFiles() });
    const allowedOrigins = devUrl ? [APP_ORIGIN, new URL(devUrl).origin] : [APP_ORIGIN];
    serveAppScheme(join(root, 'dist', 'renderer'));
    registerHandlers({ ipcMain, handlers: core.handlers, allowedOrigins, windowContents: () => (win && !win.isDestroyed() ? win.webContents : null), log });

    const openWindow = () => {
      const w = createMainWindow({
        preloadPath: join(root, 'dist', 'preload', 'index.cjs'),
        startUrl: devUrl ?? `${APP_ORIGIN}/index.html`,
        allowedOrigins,
        icon: join(root, 'build', 'icons', '512x512.png'),
      });
      const stop = forwardEvents(core, w.webContents, realTimers, Date.now);
      w.on('closed', () => {
        stop();
        if (win === w) win = null;
      });
      win = w;
    };
    openWindow();
    app.on('activate', () => {
      if (!win) openWindow();
    });
    app.on('window-all-closed', () => {
      if (process.platform !== 'darwin') app.quit();
    });

    let quitting: 'no' | 'closing' | 'done' = 'no';
    app.on('before-quit', (event) => {
      if (quitting === 'done') return;
      event.preventDefault();
      if (quitting === 'closing') return;
      void confirmQuit()
        .catch((err: unknown) => {
          log.error('asking whether to quit failed', { error: errorMessage(err) });
          return true;
        })
        .then(async (yes) => {
          if (!yes) return;
          quitting = 'closing';
          await core.close().catch((err: unknown) => log.error('closing the app core failed', { error: errorMessage(err) }));
          demo.stop();
          quitting = 'done';
          app.quit();
        });
    });

    async function confirmQuit(): Promise<boolean> {
      if (!core.hasUnfinishedTransfers() || !core.currentSettings().confirmQuit) return true;
      const options: Electron.MessageBoxOptions = {
        type: 'warning',
        buttons: ['Keep running', 'Quit'],
        defaultId: 0,
        cancelId: 0,
        message: 'Transfers are still running or waiting.',
        detail: 'Quitting stops them. Downloads continue where they stopped at the next start; running uploads are cancelled, and the engine deletes their disks.',
      };
      const r = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
      return r.response === 1;
    }
  }
}
