// The desk's store as the rest of main sees it: the typed database, write groups over it,
// and the desk's own settings.
import {
  createDeskDatabase,
  type DeskConflictHandlers,
  type DeskDatabase,
} from './desk-database.js';
import { deskData, type DeskData } from './desk-data.js';
import { getRxStorageSqlite } from './sqlite/index.js';

/** The RxDB database name of a desk profile; its file is `<dataDir>/desk.sqlite`. */
export const DESK_DATABASE_NAME = 'desk';

export interface DeskStore {
  readonly db: DeskDatabase;
  /** Plain-document reads and writes for the scan path; see desk-data.ts. */
  readonly data: DeskData;
  /**
   * Runs `work` so that all it writes, in any collection, commits as one transaction (one
   * fsync), or nothing does if it throws. See sqlite/write-group.ts.
   */
  atomically<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function openDeskStore(options: {
  dataDir: string;
  nativeBinding?: string | undefined;
  /** How the replication resolves conflicts per collection (see main/sync). */
  conflictHandlers?: DeskConflictHandlers | undefined;
}): Promise<DeskStore> {
  const storage = getRxStorageSqlite({
    directory: options.dataDir,
    ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }),
  });
  const db = await createDeskDatabase({
    name: DESK_DATABASE_NAME,
    storage,
    ...(options.conflictHandlers === undefined
      ? {}
      : { conflictHandlers: options.conflictHandlers }),
  });
  return {
    db,
    data: deskData(db),
    atomically: (work) => storage.atomically(DESK_DATABASE_NAME, work),
    close: async () => {
      await db.close();
    },
  };
}
