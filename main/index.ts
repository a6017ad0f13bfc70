// The Electron shell: the only file that creates windows. It stays thin because the Electron
// binary cannot run on our build and test machines; the desk itself starts in ./app.ts,
// which is plain Node.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain } from 'electron';
import { isDeskPage, serveOverIpc } from './api/index.js';
import { developmentSqliteBinding, startDesk } from './app.js';
import type { Desk, UnreadableStoreChoice } from './app.js';
import type { StoreOpenError } from './store/index.js';

let desk: Desk | undefined;
let mainWindow: BrowserWindow | undefined;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 600,
    title: 'Carrel',
    show: false,
    webPreferences: {
      // A sandboxed preload must be one CommonJS file (see electron.vite.config.ts).
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  // The desk shows only its own page: no pop-up windows, no navigating away from it.
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });

  void window.loadURL(deskPageUrl());
  return window;
}

/** The desk's page: the dev server's under `electron-vite dev`, else the built file. */
function deskPageUrl(): string {
  const devServerUrl = process.env['ELECTRON_RENDERER_URL'];
  if (!app.isPackaged && devServerUrl) return devServerUrl;
  return pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;
}

function showWindow(): void {
  if (!mainWindow) {
    mainWindow = createWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

/** Staff decide what happens to a desk database that cannot be opened; quitting is the default. */
async function askAboutUnreadableStore(problem: StoreOpenError): Promise<UnreadableStoreChoice> {
  const { response } = await dialog.showMessageBox({
    type: 'error',
    title: 'Carrel cannot open the desk database',
    message:
      problem.code === 'store_corrupt'
        ? 'The desk database is damaged.'
        : 'The desk database cannot be read.',
    detail:
      `${problem.message}\n\n` +
      'Scans this desk has not synced yet are in that file. "Start with an empty database" ' +
      'renames it and keeps it beside the new one for recovery; nothing is deleted.',
    buttons: ['Quit', 'Start with an empty database'],
    defaultId: 0,
    cancelId: 0,
  });
  return response === 1 ? 'set-aside' : 'quit';
}

async function main(): Promise<void> {
  await app.whenReady();
  desk = await startDesk({
    dataDir: app.getPath('userData'),
    onUnreadableStore: askAboutUnreadableStore,
    ...(app.isPackaged ? {} : { nativeBinding: developmentSqliteBinding(app.getAppPath()) }),
    version: app.getVersion(),
  });
  // The desk API for the window, over IPC; only the desk's own page may call it.
  serveOverIpc({
    dispatcher: desk.dispatcher,
    events: desk.events,
    ipcMain,
    webContentsList: () => BrowserWindow.getAllWindows().map((window) => window.webContents),
    isTrustedSender: isDeskPage(deskPageUrl()),
  });
  showWindow();
}

// One desk app per user: two processes on one data folder would fight over the database.
// A second launch hands over to the first, which comes to the front.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (app.isReady() && desk) showWindow();
  });
  app.on('activate', () => {
    if (desk && BrowserWindow.getAllWindows().length === 0) showWindow();
  });
  app.on('window-all-closed', () => {
    // macOS apps stay in the dock with no window open; elsewhere closing the window quits.
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', (event) => {
    // Hold the quit until the desk has closed, so nothing it is writing is cut off.
    const closing = desk;
    if (!closing) return;
    desk = undefined;
    event.preventDefault();
    closing.close().then(
      () => app.quit(),
      (error: unknown) => {
        console.error('carrel: the desk did not close cleanly', error);
        app.exit(1);
      },
    );
  });
  main().catch((error: unknown) => {
    console.error('carrel: the desk could not start', error);
    dialog.showErrorBox('Carrel could not start', String((error as Error)?.message ?? error));
    app.exit(1);
  });
}
