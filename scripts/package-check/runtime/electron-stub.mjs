// The `electron` module as the packed main process sees it under plain Node: each export is the
// recorder that load-app.mjs built (every member called is written down). The names are Electron's
// main-process and preload modules; an import of a name Electron does not have fails here as well.
const electron = globalThis.__packageCheck.electron;

export default electron;
export const {
  app, autoUpdater, BaseWindow, BrowserView, BrowserWindow, clipboard, contentTracing, contextBridge, crashReporter,
  desktopCapturer, dialog, globalShortcut, inAppPurchase, ImageView, ipcMain, ipcRenderer, Menu, MenuItem,
  MessageChannelMain, MessagePortMain, nativeImage, nativeTheme, net, netLog, Notification, parentPort,
  powerMonitor, powerSaveBlocker, protocol, pushNotifications, safeStorage, screen, session, ShareMenu, shell,
  systemPreferences, TouchBar, Tray, utilityProcess, View, WebContentsView, webContents, webFrame, webFrameMain,
  webUtils,
} = electron;
