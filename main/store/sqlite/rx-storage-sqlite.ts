import { join } from 'node:path';
import { RXDB_VERSION, type RxStorage, type RxStorageInstanceCreationParams } from 'rxdb';
import { acquireFile, openFile, releaseFile } from './file-pool.js';
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

export type RxStorageSqlite = RxStorage<SqliteStorageInternals, SqliteInstanceOptions> & {
  /**
   * Runs `work` so that every write it makes to database `databaseName` (any collection)
   * commits as one transaction, or none does if it throws. See write-group.ts.
   */
  atomically<T>(databaseName: string, work: () => Promise<T>): Promise<T>;
};

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
      // Creating the tables writes: not in the middle of another context's write group.
      while (file.groups.mustWait()) await file.groups.ended();
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
        return instance;
      } catch (error) {
        releaseFile(path);
        throw error;
      }
    },
    atomically<T>(databaseName: string, work: () => Promise<T>): Promise<T> {
      const file = openFile(databaseFilePath(settings.directory, databaseName));
      if (!file) {
        return Promise.reject(new Error(`database ${databaseName} is not open`));
      }
      return file.groups.run(work);
    },
  };
}
