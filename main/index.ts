// The Electron shell: the only file that creates windows. It stays thin because the Electron
// binary cannot run on our build and test machines; the desk itself starts in ./app.ts,
// which is plain Node.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { isDeskPage, serveOverIpc } from './api/index.js';
import { developmentSqliteBinding, startDesk } from './app.js';
import type { Desk, UnreadableStoreChoice } from './app.js';
import type { StoreOpenError } from './store/index.js';
import { startElectronUpdates } from './updates/electron-updater.js';

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
      // A sandboxed preload must be one CommonJS file (see electron.vite.config.ts). It only
      // hands the typed desk API to the page through contextBridge; the page gets no Node
      // (hence electronegativity's review-this-preload finding is switched off on its line).
      preload: join(import.meta.dirname, '../preload/index.cjs'), // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      // A middle click must not open a link in a new window (new-window handler below).
      disableBlinkFeatures: 'Auxclick',
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

/**
 * The desk never needs the camera, notifications, geolocation or any other permission a page
 * can ask for: every request and check is answered no. Every response gets a CSP: the page
 * loads only its own files and talks to main over IPC, nothing else. (One literal string, so
 * electronegativity can read and evaluate it. Its one remark, that script-src 'self' is weak
 * where a site hosts JSONP or uploads, does not apply to the app's own files, so it is
 * switched off on the line electronegativity reports, which prettier must leave alone.)
 */
function lockDownSession(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    // prettier-ignore
    callback({
      responseHeaders: { // eng-disable CSP_GLOBAL_CHECK
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ],
      },
    });
  });
}

async function main(): Promise<void> {
  await app.whenReady();
  lockDownSession();
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
  // Updates come from the consortium server's feed; an app run from source has none.
  if (app.isPackaged) startElectronUpdates(desk, desk.context.settings().sync?.serverUrl);
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
