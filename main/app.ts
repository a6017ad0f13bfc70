// The desk's start and stop, in plain Node: main/index.ts hands it a data folder and owns
// nothing else, so every line here runs under vitest without the Electron binary.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createDeskDatabase,
  databaseFilePath,
  getRxStorageSqlite,
  setAsideDatabaseFile,
  StoreOpenError,
  type DeskDatabase,
} from './store/index.js';

/** The RxDB database name of a desk profile; its file is `<dataDir>/desk.sqlite`. */
export const DESK_DATABASE_NAME = 'desk';

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
  /** Where a damaged database was set aside at this start, if it was. */
  readonly setAsideAt?: string;
  /** Stops the desk's services and closes the database; safe to call more than once. */
  close(): Promise<void>;
}

function openDatabase(dataDir: string, nativeBinding: string | undefined): Promise<DeskDatabase> {
  return createDeskDatabase({
    name: DESK_DATABASE_NAME,
    storage: getRxStorageSqlite({
      directory: dataDir,
      ...(nativeBinding === undefined ? {} : { nativeBinding }),
    }),
  });
}

/**
 * Prepares the data folder and opens the desk database in it. The folder is created (with
 * its parents) if missing; a desk never clears or rewrites what an earlier run recorded.
 */
export async function startDesk(options: DeskOptions): Promise<Desk> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  let database: DeskDatabase;
  let setAsideAt: string | undefined;
  try {
    database = await openDatabase(dataDir, options.nativeBinding);
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error;
    const choice = options.onUnreadableStore ? await options.onUnreadableStore(error) : 'quit';
    if (choice !== 'set-aside') throw error;
    setAsideAt = setAsideDatabaseFile(databaseFilePath(dataDir, DESK_DATABASE_NAME));
    database = await openDatabase(dataDir, options.nativeBinding);
  }
  let closed: Promise<void> | undefined;
  return {
    dataDir,
    database,
    ...(setAsideAt === undefined ? {} : { setAsideAt }),
    close() {
      closed ??= database.close().then(() => undefined);
      return closed;
    },
  };
}
