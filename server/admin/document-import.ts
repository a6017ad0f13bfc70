// Whole documents written as the server, as they are given (their own stamps kept): how a
// consortium is seeded or repaired by a script, and how the test and benchmark consortia are
// built. The ILS import (ils-import.ts) is the import for staff: it reads an ILS's CSV export
// of items and holds and derives Carrel's documents from it; this one takes Carrel's own
// documents of any replicated collection, libraries and crates included.
import {
  createDocumentValidator,
  replicatedCollections,
  SERVER_DESK_ID,
  type DeskCollectionName,
} from '../../shared/index.js';
import { EVERY_LIBRARY, type ReplicationStore } from '../store/index.js';
import { HttpError, primaryKeyOf } from '../sync/sync-routes.js';

/** At most this many documents per request: one store push, short enough not to stall desks. */
export const MAX_IMPORTED_DOCUMENTS = 5000;

const validators = new Map(
  replicatedCollections.map((name) => [name, createDocumentValidator(name)]),
);

/**
 * Refuses the whole list (`invalid_document` 422, nothing written) unless every document
 * passes its collection's shared schema: the desks take what the server serves as valid.
 */
export function checkDocuments(
  collection: DeskCollectionName,
  docs: readonly Record<string, unknown>[],
): void {
  const validate = validators.get(collection);
  if (!validate) throw new HttpError(404, 'not_found', 'No such collection.');
  for (const [index, doc] of docs.entries()) {
    if (validate(doc)) continue;
    const first = validate.errors?.[0];
    const why = first ? `: ${first.instancePath || '/'} ${first.message ?? ''}` : '';
    throw new HttpError(
      422,
      'invalid_document',
      `Document ${index} is not a valid ${collection} document${why}; nothing was written.`,
    );
  }
}

/**
 * Writes `docs` over whatever the server holds now, in one push (one transaction). A desk that
 * changed one of them between the read and the write makes the store answer that one with a
 * conflict and write the others: `import_raced` 409; running it again writes those over the
 * desk's version.
 */
export async function importDocuments(
  store: ReplicationStore,
  collection: DeskCollectionName,
  docs: readonly Record<string, unknown>[],
): Promise<void> {
  const key = primaryKeyOf(collection);
  const current = new Map(
    (
      await store.get(
        collection,
        docs.map((doc) => String(doc[key])),
      )
    ).map((doc) => [String(doc[key]), doc]),
  );
  const rows = docs.map((doc) => ({
    assumedMasterState: current.get(String(doc[key])) ?? null,
    newDocumentState: { ...doc, _deleted: false },
  }));
  const { conflicts } = await store.push(collection, rows, {
    deskId: SERVER_DESK_ID,
    library: EVERY_LIBRARY,
  });
  if (conflicts.length > 0) {
    throw new HttpError(
      409,
      'import_raced',
      `A desk changed ${conflicts.length} ${collection} while they were being written; ` +
        'those were not written, the others were. Run it again.',
    );
  }
}
