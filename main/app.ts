// The desk's start and stop, in plain Node: main/index.ts hands it a data folder and owns
// nothing else, so every line here runs under vitest without the Electron binary. It opens
// the store, builds the desk context and API, and serves the API over a loopback WebSocket
// when asked (the Electron shell adds the IPC bridge).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DeskHandlers } from '../shared/index.js';
import {
  createDeskHandlers,
  createDispatcher,
  createEventHub,
  startWebSocketBridge,
  type DeskDispatcher,
  type DeskEventHub,
  type WebSocketBridge,
} from './api/index.js';
import {
  applyPendingRestore,
  createDeskBackups,
  createDeskLog,
  maintenanceHandlers,
  type DeskBackups,
} from './backup/index.js';
import { watchCaptures } from './checkin/index.js';
import { createDeskContext, type DeskContext } from './context.js';
import {
  DESK_DATABASE_NAME,
  databaseFilePath,
  loadDeskSettings,
  openDeskStore,
  saveDeskSettings,
  setAsideDatabaseFile,
  StoreOpenError,
  type DeskDatabase,
  type DeskStore,
} from './store/index.js';
import {
  createDeskSync,
  deskConflictHandlers,
  keepNoteConflictCopy,
  type DeskSync,
  type DeskSyncParts,
} from './sync/index.js';
import { createUpdateTracker, type UpdateTracker } from './updates/index.js';

/** What staff chose when the desk database could not be opened. */
export type UnreadableStoreChoice = 'set-aside' | 'quit';

export interface DeskOptions {
  /** Per-user folder that holds everything this desk records (Electron's `userData`). */
  dataDir: string;
  /**
   * Asked when the desk database is damaged or unreadable (the error says which and where).
   * 'set-aside' renames the file (nothing is deleted or overwritten) and starts an empty
   * database; 'quit' leaves everything as it is and rejects with the error. Without this
   * callback the desk never starts over on its own: it rejects.
   */
  onUnreadableStore?: (problem: StoreOpenError) => Promise<UnreadableStoreChoice>;
  /** A better-sqlite3 addon built for this runtime; see `developmentSqliteBinding`. */
  nativeBinding?: string;
  /** The app's version, reported by desk.status and written into exported files. */
  version?: string;
  /**
   * Also serve the desk API on a loopback WebSocket (for the UI in a browser: tests and
   * development). The token is new at every start.
   */
  webSocket?: { port?: number; allowedOrigins?: readonly string[] };
  /** How the desk reaches the consortium server (tests: shorter back-off and time limits). */
  sync?: DeskSyncParts;
}

/**
 * In development, Electron cannot load the better-sqlite3 addon npm built for Node (another
 * ABI); scripts/rebuild-native.mjs builds a second copy for Electron beside it. Returns that
 * copy's path under the app folder, or undefined where it was not built. Packaged apps do
 * not need it: electron-builder rebuilds their node_modules for Electron.
 */
export function developmentSqliteBinding(appPath: string): string | undefined {
  const path = join(
    appPath,
    'node_modules/.carrel-electron/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  );
  return existsSync(path) ? path : undefined;
}

export interface Desk {
  /** Absolute path of the data folder, which exists once `startDesk` has resolved. */
  readonly dataDir: string;
  readonly database: DeskDatabase;
  readonly store: DeskStore;
  readonly context: DeskContext;
  /** The desk API, called directly (no bridge). */
  readonly api: DeskHandlers;
  /** The desk API as the bridges serve it: validated, errors caught. */
  readonly dispatcher: DeskDispatcher;
  readonly events: DeskEventHub;
  /** Replication with the consortium server: runs once the desk is enrolled. */
  readonly sync: DeskSync;
  /** The daily backups of the desk database (main/backup). */
  readonly backups: DeskBackups;
  /** What `maintenance.updateStatus` answers; the Electron shell's updater keeps it current. */
  readonly updates: UpdateTracker;
  /** The desk's log: <dataDir>/logs/desk.log (and stderr, or the log the options give). */
  readonly log: (line: string) => void;
  /** The loopback WebSocket bridge, when asked for. */
  readonly webSocket?: Pick<WebSocketBridge, 'url' | 'token'>;
  /** Where a damaged database was set aside at this start, if it was. */
  readonly setAsideAt?: string;
  /** Stops the desk's services and closes the database; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Prepares the data folder and opens the desk database in it. The folder is created (with
 * its parents) if missing; a desk never clears or rewrites what an earlier run recorded.
 */
export async function startDesk(options: DeskOptions): Promise<Desk> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  // Every line also goes to <dataDir>/logs/desk.log, which the support bundle carries.
  const writeLogFile = createDeskLog(dataDir);
  const echo = options.sync?.log ?? ((line: string) => console.error(line));
  const log = (line: string) => {
    writeLogFile(line);
    echo(line);
  };
  // A backup staff chose to put back (maintenance) replaces the database before it opens.
  const restore = applyPendingRestore(dataDir, { nativeBinding: options.nativeBinding });
  if (restore && 'restored' in restore) {
    log(
      `backup: ${restore.restored} put back; the database before it is ${restore.setAsideAt ?? 'none'}`,
    );
  } else if (restore) {
    log(
      `backup: putting ${restore.failed} back failed, the desk database is unchanged: ${restore.reason}`,
    );
  }
  // The handlers go in when the store opens (RxDB takes them per collection); the conflict
  // copies they write need the context, which exists before sync, the only thing that
  // resolves conflicts, starts.
  const late: { context?: DeskContext } = {};
  const conflictHandlers = deskConflictHandlers({
    keepNoteConflictCopy: (loser) => {
      if (!late.context) throw new Error('a sync conflict before the desk context exists');
      return keepNoteConflictCopy(late.context, loser);
    },
    unexpected: (collection, id, message) => log(`sync: ${collection} ${id}: ${message}`),
  });
  const open = () =>
    openDeskStore({ dataDir, nativeBinding: options.nativeBinding, conflictHandlers });
  let store: DeskStore;
  let setAsideAt: string | undefined;
  try {
    store = await open();
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error;
    const choice = options.onUnreadableStore ? await options.onUnreadableStore(error) : 'quit';
    if (choice !== 'set-aside') throw error;
    setAsideAt = setAsideDatabaseFile(databaseFilePath(dataDir, DESK_DATABASE_NAME));
    store = await open();
  }
  const events = createEventHub({ log });
  const context = createDeskContext({
    store,
    version: options.version ?? '0.0.0-dev',
    settings: loadDeskSettings(dataDir),
    saveSettings: (settings) => saveDeskSettings(dataDir, settings),
    events,
  });
  late.context = context;
  const sync = createDeskSync(context, { ...options.sync, log });
  const backups = createDeskBackups({
    dataDir,
    nativeBinding: options.nativeBinding,
    retentionDays: () => context.settings().backupRetentionDays,
    log,
  });
  const stopBackups = backups.startDaily();
  const updates = createUpdateTracker(context.version);
  const maintenance = maintenanceHandlers(context, {
    dataDir,
    backups,
    syncStatus: () => sync.status(),
    updateStatus: () => updates.status(),
    nativeBinding: options.nativeBinding,
    log,
  });
  const api = createDeskHandlers(context, { sync, maintenance });
  // Failures the API answers `internal` are written (without argument values) to the log.
  const dispatcher = createDispatcher(api, { log });
  const bridge = options.webSocket
    ? await startWebSocketBridge({
        dispatcher,
        events,
        ...(options.webSocket.port === undefined ? {} : { port: options.webSocket.port }),
        ...(options.webSocket.allowedOrigins === undefined
          ? {}
          : { allowedOrigins: options.webSocket.allowedOrigins }),
      })
    : undefined;
  sync.resume();
  // Hold captures another desk made first: the items this desk captured are routed again.
  const stopWatchingCaptures = watchCaptures(context, log);
  let closed: Promise<void> | undefined;
  return {
    dataDir,
    database: store.db,
    store,
    context,
    api,
    dispatcher,
    events,
    sync,
    backups,
    updates,
    log,
    ...(bridge ? { webSocket: { url: bridge.url, token: bridge.token } } : {}),
    ...(setAsideAt === undefined ? {} : { setAsideAt }),
    close() {
      closed ??= (async () => {
        await bridge?.close();
        await sync.stop();
        await stopWatchingCaptures();
        stopBackups();
        await backups.idle();
        await store.close();
      })();
      return closed;
    },
  };
}
