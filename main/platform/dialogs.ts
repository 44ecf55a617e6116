/** Native open, folder and save dialogs, attached to the main window. */
import { dialog, type BrowserWindow } from 'electron';
import type { DialogPort } from '../app/ports.js';

/** The dialogs port; `window` gives the dialogs their parent. */
export function electronDialogs(window: () => BrowserWindow | null): DialogPort {
  return {
    async openFiles({ title }) {
      const win = window();
      const options: Electron.OpenDialogOptions = {
        title: title ?? 'Choose disk images to upload',
        properties: ['openFile', 'multiSelections'],
        filters: [
          { name: 'Disk images', extensions: ['raw', 'img', 'qcow2', 'qcow', 'iso'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? [] : r.filePaths;
    },
    async chooseFolder({ title, defaultPath }) {
      const win = window();
      const options: Electron.OpenDialogOptions = {
        title: title ?? 'Choose a folder for the downloads',
        properties: ['openDirectory', 'createDirectory'],
        ...(defaultPath ? { defaultPath } : {}),
      };
      const r = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    async saveFile({ title, defaultPath, filterName, extensions }) {
      const win = window();
      const options: Electron.SaveDialogOptions = {
        title,
        defaultPath,
        filters: [{ name: filterName, extensions: [...extensions] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      };
      const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
  };
}
