// How the administration reads and writes the consortium's documents: through the replication
// store's own interface (pull and push), so it works the same on SQLite and PostgreSQL and every
// write it makes reaches the desks like any other version.
import { setImmediate } from 'node:timers/promises';
import {
  sameValue,
  SERVER_DESK_ID,
  type DeskCollectionName,
  type DeskDocuments,
} from '../../shared/index.js';
import type { PushRow, ReplicationStore, StoredDoc } from '../store/index.js';
import { HttpError, primaryKeyOf } from '../sync/sync-routes.js';

export interface AdminDeps {
  /** Live streams learn of every write from the store's commit listener, not from here. */
  readonly store: ReplicationStore;
  /** The clock of the server's own writes and of reports' "now". */
  readonly now: () => Date;
}

/**
 * A reader that is no library: library codes match `^[A-Za-z0-9_.-]+$`, so this one sees only
 * what every library sees (the libraries collection), never a library's own documents.
 */
const NO_LIBRARY = '(admin)';
const PAGE = 1000;

/**
 * Every live document of `collection` that any of `libraries` sees, once each. The store
 * serves documents library by library (its pull), so a consortium-wide read is the union of the
 * members' pulls; a document a library no longer sees comes to it as a deletion and is skipped.
 */
export async function readAll<Name extends DeskCollectionName>(
  deps: AdminDeps,
  collection: Name,
  libraries: readonly string[],
): Promise<DeskDocuments[Name][]> {
  const key = primaryKeyOf(collection);
  const found = new Map<string, DeskDocuments[Name]>();
  for (const library of libraries.length > 0 ? libraries : [NO_LIBRARY]) {
    let after = null;
    for (;;) {
      const page = await deps.store.pull(collection, { library, after, limit: PAGE });
      for (const doc of page.documents) {
        if (!doc._deleted) found.set(String(doc[key]), withoutFlag<Name>(doc));
      }
      if (page.documents.length < PAGE) break;
      after = page.checkpoint;
      await setImmediate();
    }
  }
  return [...found.values()];
}

/** The member libraries, by code. */
export async function readLibraries(
  deps: AdminDeps,
): Promise<Map<string, DeskDocuments['libraries']>> {
  const libraries = await readAll(deps, 'libraries', []);
  return new Map(libraries.map((library) => [library.code, library]));
}

/** The current versions of the documents among `ids` that exist and are not deleted. */
export async function readByIds<Name extends DeskCollectionName>(
  deps: AdminDeps,
  collection: Name,
  ids: readonly string[],
): Promise<Map<string, DeskDocuments[Name]>> {
  const key = primaryKeyOf(collection);
  const found = new Map<string, DeskDocuments[Name]>();
  const rows: StoredDoc[] = ids.length === 0 ? [] : await deps.store.get(collection, ids);
  for (const doc of rows) {
    if (!doc._deleted) found.set(String(doc[key]), withoutFlag<Name>(doc));
  }
  return found;
}

/** A stored version as the document it is (RxDB's `_deleted` flag dropped). */
const withoutFlag = <Name extends DeskCollectionName>({ _deleted: _flag, ...fields }: StoredDoc) =>
  fields as unknown as DeskDocuments[Name];

/** A document without its stamp: what a comparison "did anything change?" looks at. */
const unstamped = ({ updatedAt: _at, deskId: _by, ...fields }: Record<string, unknown>) => fields;

/** Whether `next` says something `current` does not (its stamp aside). */
export function changes(current: object | undefined, next: object): boolean {
  return current === undefined || !sameValue(unstamped({ ...current }), unstamped({ ...next }));
}

/** At most this many rows per push: one transaction each, short enough not to stall desks. */
const WRITE_BATCH = 500;

/**
 * Writes documents as the server (`deskId: 'server'`, stamped now) over the versions the
 * caller read (`current`), in batches. A document equal to its current version but for the
 * stamp is not written at all, so writing the same thing twice makes no new version. Returns
 * how many were written. A desk that changed one of them since it was read makes the store
 * answer a conflict: that is refused with `import_raced` (re-run: the next read sees the desk's
 * version), and batches already written stay written, each one whole.
 */
export async function writeAsServer<Name extends DeskCollectionName>(
  deps: AdminDeps,
  collection: Name,
  docs: readonly DeskDocuments[Name][],
  current: ReadonlyMap<string, DeskDocuments[Name]>,
): Promise<number> {
  const key = primaryKeyOf(collection);
  const updatedAt = deps.now().toISOString();
  let written = 0;
  for (let start = 0; start < docs.length; start += WRITE_BATCH) {
    // Between batches the desks' own pushes and pulls get their turn.
    if (start > 0) await setImmediate();
    const batch: PushRow[] = [];
    for (const doc of docs.slice(start, start + WRITE_BATCH)) {
      const master = current.get(String((doc as Record<string, unknown>)[key]));
      if (!changes(master, doc)) continue;
      batch.push({
        assumedMasterState: master ? { ...master, _deleted: false } : null,
        newDocumentState: { ...doc, updatedAt, deskId: SERVER_DESK_ID, _deleted: false },
      });
    }
    if (batch.length === 0) continue;
    const { conflicts } = await deps.store.push(collection, batch, {
      deskId: SERVER_DESK_ID,
      library: '*',
    });
    if (conflicts.length > 0) {
      throw new HttpError(
        409,
        'import_raced',
        `A desk changed ${conflicts.length} ${collection} while they were being written; ` +
          `${written} were written before. Run it again.`,
      );
    }
    written += batch.length;
  }
  return written;
}
