// The desk's database: one RxDB database with every collection of shared/schemas, opened on
// whatever RxStorage the caller gives (SQLite in the app, RxDB's memory storage in tests).
// Opening it brings stored data up to the current schemas first: a collection whose stored
// version is older is migrated before `createDeskDatabase` resolves, so callers only ever
// see current documents. The old data is kept by RxDB until its migration has finished, so
// a crash during an upgrade loses nothing; the next start resumes it.
import { addRxPlugin, createRxDatabase } from 'rxdb';
import type {
  RxCollection,
  RxCollectionCreator,
  RxConflictHandler,
  RxDatabase,
  RxStorage,
} from 'rxdb';
import { RxDBAttachmentsPlugin } from 'rxdb/plugins/attachments';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { collectionSchemas } from '../../shared/index.js';
import type { DeskCollectionName, DeskDocuments } from '../../shared/index.js';
import { migrationStrategies } from './migrations/index.js';

/** Every collection of the desk database, typed by its document. */
export type DeskCollections = {
  [Name in DeskCollectionName]: RxCollection<DeskDocuments[Name]>;
};

export type DeskDatabase = RxDatabase<DeskCollections>;

/**
 * How the replication resolves a conflict in each collection (RxDB takes them per collection
 * at creation). Collections without one get RxDB's default: the server's version wins.
 */
export type DeskConflictHandlers = {
  readonly [Name in DeskCollectionName]?: RxConflictHandler<DeskDocuments[Name]>;
};

export interface DeskDatabaseOptions<Internals, InstanceCreationOptions> {
  /** The database name; storages that keep files derive their file names from it. */
  name: string;
  storage: RxStorage<Internals, InstanceCreationOptions>;
  /** Passed through to the storage for every collection. */
  instanceCreationOptions?: InstanceCreationOptions;
  /**
   * Close any instance of the same name on the same storage that this process still has
   * open, instead of failing with RxDB's DB8. For tests and hot reload; the app opens its
   * database once. (RxDB's `ignoreDuplicate`, which would let two instances write the same
   * data, is deliberately not offered: the main process is the only writer.)
   */
  closeDuplicates?: boolean;
  /** The replication's conflict handlers (main/sync); tests without sync leave them out. */
  conflictHandlers?: DeskConflictHandlers;
}

let pluginsAdded = false;

/** RxDB plugins are process-wide; add ours once however many databases are opened. */
function addDeskPlugins(): void {
  if (pluginsAdded) return;
  addRxPlugin(RxDBMigrationSchemaPlugin);
  // Notes carry images and PDFs as attachments, and the plugin moves them through migrations.
  addRxPlugin(RxDBAttachmentsPlugin);
  pluginsAdded = true;
}

function collectionCreator<Name extends DeskCollectionName>(
  name: Name,
  conflictHandlers: DeskConflictHandlers,
): RxCollectionCreator<DeskDocuments[Name]> {
  const conflictHandler = conflictHandlers[name];
  return {
    schema: collectionSchemas[name],
    migrationStrategies: migrationStrategies[name],
    autoMigrate: true,
    ...(conflictHandler === undefined ? {} : { conflictHandler }),
  };
}

/**
 * Opens (creating if needed) the desk database with all eight collections, migrating stored
 * documents to the current schema versions first. Rejects, with the database closed again,
 * if a collection cannot be opened or migrated (e.g. RxDB's DB6 when a schema changed
 * without a version bump); the stored data is then left as it was.
 */
export async function createDeskDatabase<Internals, InstanceCreationOptions>(
  options: DeskDatabaseOptions<Internals, InstanceCreationOptions>,
): Promise<DeskDatabase> {
  addDeskPlugins();
  const database = await createRxDatabase<DeskCollections, Internals, InstanceCreationOptions>({
    name: options.name,
    storage: options.storage,
    ...(options.instanceCreationOptions === undefined
      ? {}
      : { instanceCreationOptions: options.instanceCreationOptions }),
    // The Electron main process is the only process that opens the database.
    multiInstance: false,
    eventReduce: true,
    closeDuplicates: options.closeDuplicates ?? false,
  });
  const handlers = options.conflictHandlers ?? {};
  try {
    await database.addCollections<DeskCollections>({
      libraries: collectionCreator('libraries', handlers),
      items: collectionCreator('items', handlers),
      holds: collectionCreator('holds', handlers),
      checkins: collectionCreator('checkins', handlers),
      crates: collectionCreator('crates', handlers),
      crateScans: collectionCreator('crateScans', handlers),
      notes: collectionCreator('notes', handlers),
      noteRevisions: collectionCreator('noteRevisions', handlers),
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
