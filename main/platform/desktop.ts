/** Reveal in the file manager, notifications, the power-save blocker and taskbar/dock progress. */
import { Notification, powerSaveBlocker, shell, type BrowserWindow } from 'electron';
import type { DesktopPort } from '../app/ports.js';

/** The desktop port for the main window. */
export function electronDesktop(window: () => BrowserWindow | null): DesktopPort {
  let blocker: number | null = null;
  return {
    reveal(path) {
      shell.showItemInFolder(path);
      return Promise.resolve(true);
    },
    notify(title, body) {
      if (Notification.isSupported()) new Notification({ title, body, silent: false }).show();
    },
    setBusy(busy) {
      if (busy && blocker === null) blocker = powerSaveBlocker.start('prevent-app-suspension');
      else if (!busy && blocker !== null) {
        powerSaveBlocker.stop(blocker);
        blocker = null;
      }
    },
    setProgress(fraction) {
      const win = window();
      if (win && !win.isDestroyed()) win.setProgressBar(fraction === null ? -1 : Math.min(1, Math.max(0, fraction)));
    },
  };
}
