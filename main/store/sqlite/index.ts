export { getRxStorageSqlite, databaseFilePath } from './rx-storage-sqlite.js';
export type { RxStorageSqlite, SqliteStorageSettings } from './rx-storage-sqlite.js';
export {
  DURABLE_PRAGMAS,
  StoreOpenError,
  openSqliteFile,
  closeSqliteFile,
  setAsideDatabaseFile,
} from './sqlite-file.js';
export type { SqliteFile, StoreOpenErrorCode } from './sqlite-file.js';
