// The store capability's public surface: other capabilities reach the data only through
// what this file exports.

// --- Desk database: schemas, migrations and the typed RxDB database ---
export { createDeskDatabase } from './desk-database.js';
export type { DeskCollections, DeskDatabase, DeskDatabaseOptions } from './desk-database.js';
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
