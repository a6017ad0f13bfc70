// The store capability's public surface: other capabilities reach the data only through
// what this file exports.

// --- Desk database: schemas, migrations and the typed RxDB database ---
export { createDeskDatabase } from './desk-database.js';
export type {
  DeskCollections,
  DeskConflictHandlers,
  DeskDatabase,
  DeskDatabaseOptions,
} from './desk-database.js';
export { migrationStrategies } from './migrations/index.js';
// --- end desk database ---

// --- The desk's storage: RxDB on one SQLite file per desk profile ---
export {
  getRxStorageSqlite,
  databaseFilePath,
  StoreOpenError,
  setAsideDatabaseFile,
  DURABLE_PRAGMAS,
} from './sqlite/index.js';
export type { RxStorageSqlite, SqliteStorageSettings, StoreOpenErrorCode } from './sqlite/index.js';

// --- The desk store: database + write groups, and the desk's local settings ---
export { openDeskStore, DESK_DATABASE_NAME } from './desk-store.js';
export type { DeskStore } from './desk-store.js';
export { loadDeskSettings, saveDeskSettings, hashPin, pinMatches } from './desk-settings.js';
// --- Copies of the desk database (online backup) and putting one back ---
export {
  copyDatabaseFile,
  checkDatabaseFile,
  restoreDatabaseFile,
  DatabaseCopyError,
} from './backup.js';
export type { DatabaseCopy, DatabaseCheck, DatabaseCopyOptions } from './backup.js';
export type { DeskSettings, DeskSyncSettings } from './desk-settings.js';
export { deskData, StoreWriteError } from './desk-data.js';
export { isCollectionEmpty, writeFirstSyncPage } from './first-sync.js';
export type { DeskData, Stored } from './desk-data.js';

// --- Training notes: full-text search (SQLite FTS5 in memory) and the tag rule ---
export { createNoteSearch, noteSearchExpression } from './note-search.js';
export type { NoteSearch, NoteSearchMatch, NoteSearchQuery } from './note-search.js';
// The notes service normalises tags with the v1 migration's own rule: one piece of code
// while the rule is the same. Should the service's rule ever change, the service gets its
// own function and the migration stays as released (it is frozen).
export { tagListFromText } from './migrations/notes-001-tag-list.js';
