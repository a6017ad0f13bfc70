// A collection's first sync, a page at a time, without RxDB's per-document downstream.
//
// RxDB's replication persists a pulled page as three transactions (the documents, its meta
// rows, the down checkpoint) plus one more when its upstream moves the up checkpoint past
// them, and checks every document against the desk's copy and the assumed master state first.
// On a collection that holds nothing yet there is nothing to check: every pulled document is
// an insert, and its assumed master state is the document as pulled. So while a collection's
// first sync runs, a page is written here as RxDB would write it (the same documents, meta
// rows and checkpoint documents, see rxdb/src/replication-protocol/downstream.ts,
// meta-instance.ts and checkpoint.ts) in ONE write group: the checkpoints never become
// durable without the page's documents, and the page costs one fsync. RxDB then carries on
// from the persisted checkpoints as after any restart. The meta rows are not written out:
// each document's row carries its own until either changes (sqlite/assumed-meta.ts), which
// halves what a first sync writes.
//
// A page is written here only if the collection is still in its first sync: the stored down
// checkpoint is the one this path wrote last (none for the first page), and the collection
// holds no change past the stored up checkpoint (nothing written at this desk that the
// upstream has yet to look at). Otherwise, or if a pulled document is already in the
// collection, nothing is written and the caller hands the page to RxDB instead.
import {
  createRevision,
  getChangedDocumentsSince,
  getComposedPrimaryKeyOfDocumentData,
  now,
  type RxCollection,
  type RxDocumentData,
  type RxStorageInstanceReplicationState,
  type RxStorageReplicationMeta,
  type WithDeleted,
} from 'rxdb';
import type { DeskStore } from './desk-store.js';
import { SqliteStorageInstance } from './sqlite/sqlite-instance.js';

type Meta<T> = RxDocumentData<RxStorageReplicationMeta<T, unknown>>;

/** The page could not be written as a first-sync page; nothing of it was written. */
class NotFirstSync extends Error {}

/** A checkpoint as RxDB stores it, compared the way RxDB compares them (setCheckpoint). */
function sameCheckpoint(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Whether `collection` holds no document at all (deleted ones included), i.e. its first sync
 * may start on the fast path.
 */
export async function isCollectionEmpty<T>(collection: RxCollection<T>): Promise<boolean> {
  const { documents } = await getChangedDocumentsSince(collection.internalStorageInstance, 1);
  return documents.length === 0;
}

/**
 * Writes one pulled page of a collection's first sync: the documents, their meta rows (the
 * assumed master state) and both checkpoints (down: the page's `checkpoint`; up: the last
 * document written, which the upstream need not look at) in one transaction. `previous` is
 * the down checkpoint this path wrote for the page before (undefined for the first page).
 *
 * Resolves true when the page is durable, false when the collection is not (or no longer) in
 * its first sync; then nothing was written. Collections with attachments are not written
 * here (their pulled documents go through a modifier).
 */
export async function writeFirstSyncPage<T>(
  store: DeskStore,
  collection: RxCollection<T>,
  state: RxStorageInstanceReplicationState<T>,
  documents: readonly WithDeleted<T>[],
  checkpoint: unknown,
  previous: unknown,
): Promise<boolean> {
  if (state.hasAttachments) return false;
  const meta = state.input.metaInstance;
  const fork = collection.internalStorageInstance;
  if (!(fork instanceof SqliteStorageInstance)) return false;
  const primaryPath = state.primaryPath;
  const idOf = (doc: object) => (doc as Record<string, unknown>)[primaryPath] as string;
  // In id order as JavaScript compares strings, as RxDB orders primary keys.
  const page = [...documents].sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  const last = page.at(-1);
  if (!last) return false;
  const checkpointId = (direction: 'down' | 'up') =>
    getComposedPrimaryKeyOfDocumentData(meta.schema, { itemId: direction, isCheckpoint: '1' });
  const [checkpointKey, downstreamFlag] = await Promise.all([
    state.checkpointKey,
    state.downstreamBulkWriteFlag,
  ]);
  const cached = { ...state.lastCheckpointDoc };
  try {
    return await store.atomically(async () => {
      if (state.events.canceled.getValue()) return false;
      const stored = new Map(
        (await meta.findDocumentsById([checkpointId('down'), checkpointId('up')], false)).map(
          (doc) => [doc.itemId, doc],
        ),
      );
      const down = stored.get('down');
      const up = stored.get('up');
      if (!sameCheckpoint(down?.checkpointData, previous)) return false;
      const unseen = await getChangedDocumentsSince(fork, 1, up?.checkpointData);
      if (unseen.documents.length > 0) return false;

      const lwt = now();
      const metaRevision = createRevision(checkpointKey);
      const checkpointRow = (direction: 'down' | 'up', data: unknown, before?: Meta<T>) => ({
        ...(before ? { previous: before } : {}),
        document: {
          id: checkpointId(direction),
          isCheckpoint: '1',
          itemId: direction,
          _deleted: false,
          _attachments: {},
          // RxDB stacks a new checkpoint onto the stored one (setCheckpoint).
          checkpointData: { ...(before?.checkpointData as object), ...(data as object) },
          _meta: { lwt },
          _rev: createRevision(checkpointKey, before),
        } as Meta<T>,
      });
      // The up checkpoint is what RxDB's upstream sets after seeing the page's change event:
      // the bulk's last row (the storage's event checkpoint). The rows are written in id
      // order (below), so that row is also the last of the page in RxDB's change order (lwt,
      // then id) and the checkpoint covers the whole page. In the server's commit order an
      // ILS import's barcodes need not ascend, and a checkpoint at a smaller id would leave
      // the rest of the page unlooked-at, which ends the fast path at the next page.
      const checkpoints = [
        checkpointRow('down', checkpoint, down),
        checkpointRow('up', { id: idOf(last), lwt }, up),
      ];
      const metaResult = await meta.bulkWrite(checkpoints, 'first-sync-meta');
      if (metaResult.error.length > 0) throw new NotFirstSync();
      // Set before the documents' change event reaches the upstream, which then finds its
      // checkpoint already stored and writes nothing more.
      state.lastCheckpointDoc.down = checkpoints[0]?.document;
      state.lastCheckpointDoc.up = checkpoints[1]?.document;

      // As RxDB's storage wrapper writes an insert: one lwt for the bulk, the first revision
      // of this database. The downstream's context tells the upstream not to push them.
      const revision = createRevision(collection.database.token);
      const forkRows = page.map((doc) => ({
        // Object.assign, as RxDB's downstream builds the row: V8 copies the pulled document's
        // shape far faster than an object spread here.
        document: Object.assign({}, doc, {
          _meta: { lwt },
          _rev: revision,
          _attachments: {},
        }),
      }));
      // Each document carries its meta row (docData: the document as pulled, revision
      // metaRevision, the page's lwt) until its row changes (sqlite/assumed-meta.ts).
      const forkResult = await fork.bulkInsertPulled(forkRows, downstreamFlag, meta, metaRevision);
      if (!forkResult || forkResult.error.length > 0) throw new NotFirstSync();
      return true;
    });
  } catch (error) {
    state.lastCheckpointDoc.down = cached.down;
    state.lastCheckpointDoc.up = cached.up;
    if (error instanceof NotFirstSync) return false;
    throw error;
  }
}
