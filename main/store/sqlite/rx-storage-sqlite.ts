import { join } from 'node:path';
import { RXDB_VERSION, type RxStorage, type RxStorageInstanceCreationParams } from 'rxdb';
import { acquireFile, releaseFile } from './file-pool.js';
import {
  SqliteStorageInstance,
  tableNameOf,
  type SqliteInstanceOptions,
  type SqliteStorageInternals,
} from './sqlite-instance.js';

export interface SqliteStorageSettings {
  /** Folder of the desk profile; database `<name>` lives in `<directory>/<name>.sqlite`. */
  readonly directory: string;
  /** A better-sqlite3 addon built for this runtime (Electron in development); see sqlite-file.ts. */
  readonly nativeBinding?: string;
  /** Read pacing, see SqliteInstanceOptions; tests set it to make reads yield often. */
  readonly readSliceMs?: number;
  readonly readCheckEveryRows?: number;
}

export type RxStorageSqlite = RxStorage<SqliteStorageInternals, SqliteInstanceOptions>;

export function databaseFilePath(directory: string, databaseName: string): string {
  return join(directory, `${encodeURIComponent(databaseName)}.sqlite`);
}

/**
 * RxDB storage on better-sqlite3. Every collection of an RxDB database shares one file and
 * its connections; see sqlite-file.ts for the durability guarantees.
 */
export function getRxStorageSqlite(settings: SqliteStorageSettings): RxStorageSqlite {
  return {
    name: 'carrel-sqlite',
    rxdbVersion: RXDB_VERSION,
    async createStorageInstance<RxDocType>(
      params: RxStorageInstanceCreationParams<RxDocType, SqliteInstanceOptions>,
    ) {
      const path = databaseFilePath(settings.directory, params.databaseName);
      const file = acquireFile(
        path,
        settings.nativeBinding === undefined ? {} : { nativeBinding: settings.nativeBinding },
      );
      const table = tableNameOf(params.collectionName, params.schema.version);
      try {
        const instance = new SqliteStorageInstance<RxDocType>(
          params.databaseName,
          params.collectionName,
          params.schema,
          { file, table },
          {
            readSliceMs: settings.readSliceMs,
            readCheckEveryRows: settings.readCheckEveryRows,
            ...params.options,
          },
          file.changesOf(table),
          () => releaseFile(path),
        );
        return await Promise.resolve(instance);
      } catch (error) {
        releaseFile(path);
        throw error;
      }
    },
  };
}
