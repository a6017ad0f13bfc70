// The consortium server's replication store: what the HTTP layer (server/sync/) calls to
// serve RxDB's pull, push and live stream, whatever database sits underneath. SQLite
// (sqlite-replication-store.ts) is the embedded default; PostgreSQL (pg-replication-store.ts)
// implements the same interface, which is why every method is async even though SQLite
// answers at once. The rules both stores apply (judging pushed rows, re-scoping, lending) are
// written once, as pure functions, in replication-core.ts; each store keeps its own I/O.
//
// The store is generic: a collection is a registration (name, primary key, schema, scope
// rule, write rule). It stores and scopes documents; it does not validate them nor judge who
// may write them (the HTTP layer, server/sync/, runs the schema's validator and the
// registration's write rule before a row reaches `push`).
//
// A document that stops concerning a library (a hold whose pickup library changed, a
// library note made another library's) reaches that library once more as a deletion
// (`_deleted: true`, trimmed by the registration's `departed`), however late it pulls, and
// then no more. Delivering the new version itself would leave a live copy on that desk that
// no later change reaches: stale data, and (for holds) patron data it no longer needs. The
// desk's RxDB simply deletes its copy; if the document comes back, it arrives as a normal
// version. The pushing library counts as having a copy: if a row it wrote is outside its
// scope, it is told so the same way.
import type { RxJsonSchema } from 'rxdb';
import type { WithDeletedFlag } from '../../shared/index.js';
import type { EnrolledDesk } from './desk-registry.js';

/** A document as it crosses the wire: a JSON object. */
export type JsonDocument = Readonly<Record<string, unknown>>;

/** A stored version of a document as RxDB's replication carries it: fields + `_deleted`. */
export type StoredDoc<Doc extends object = JsonDocument> = WithDeletedFlag<Doc>;

/**
 * Where a pull stands: the `seq` of the last document version served.
 *
 * Every stored version of every document gets a server-assigned `seq` when it is written,
 * strictly increasing in COMMIT order. A pull serves the versions visible to one library
 * with `seq > after.seq`, in `seq` order. The invariant a pull relies on: once a version
 * with seq N is visible to a reader, no version with a seq below N can become visible
 * later. Without it a desk that pulled up to N skips the late version forever.
 *
 * SQLite: the database has one writer at a time. `push` runs in a `BEGIN IMMEDIATE`
 * transaction, which takes the write lock before reading, and takes the next seq from a
 * counter row inside it; the next writer (another push, another process on the same file)
 * cannot read the counter until this transaction has committed or rolled back. So seq order
 * is commit order, and a reader (a WAL snapshot) sees a prefix of the seq sequence.
 *
 * PostgreSQL: writers run concurrently. A seq taken at write time (a SEQUENCE, `nextval`)
 * can commit out of order: T1 takes 10, T2 takes 11, T2 commits, a pull serves 11 and
 * answers checkpoint 11, T1 commits 10, and 10 is never served. A pull may only serve up to
 * the lowest seq still held by a transaction in flight. Ways to get that:
 *  1. Track in-flight writers: each records its seq in a registry (committed separately,
 *     e.g. on a second connection) and removes it after commit; pulls stop below the lowest
 *     entry. Needs leases for writers that die, and a commit of its own per push: rejected.
 *  2. `pg_snapshot_xmin`: store the writer's `pg_current_xact_id()` with each version,
 *     order by (xid, seq) and serve only rows whose xid is below
 *     `pg_snapshot_xmin(pg_current_snapshot())` (every transaction below it has ended).
 *     Writers never wait for each other, but the checkpoint becomes (xid, seq), and any
 *     long transaction in the database (a report, a session idle in transaction) holds
 *     every pull back until it ends.
 *  3. Allocate the seq from a counter row (`UPDATE replication_seq SET value = value + $n
 *     RETURNING value`) as the last step before COMMIT: its row lock is held to commit, so
 *     the next writer gets its seq only after this one committed, as on SQLite. Pushes
 *     serialise for the time of a commit (~1-2 ms: hundreds of pushes a second, far above
 *     what a consortium's desks produce); the rows a push compares are locked first
 *     (`SELECT ... FOR UPDATE`, in id order) so the comparison holds until commit.
 * The PostgreSQL store (pg-replication-store.ts) uses 3: the checkpoint stays `{ seq }`, the same on both stores
 * (a desk's stored checkpoint survives a move to PostgreSQL), and the proof is the same
 * one-line argument as SQLite's. If write rates ever make the commit lock hurt, 2 is the
 * way on, with the checkpoint widened to (xid, seq).
 */
export interface Checkpoint {
  readonly seq: number;
}

/** The library code that stands for "every library", in scopes and in visibility rows. */
export const EVERY_LIBRARY = '*';

/**
 * Which libraries see a document. Either computed from the document itself, or the scope of
 * another document it belongs to (a crate scan is seen wherever its crate is).
 *
 * Why a declared parent rather than a scope function that may read other collections: the
 * children here (crate scans, note revisions) are append-only, written exactly once. A scope
 * read from the parent when the child is written would never change again, so a child
 * pushed before its parent (desks push each collection on its own) would be seen by nobody,
 * and a note moved from one library to the consortium would leave its history behind. With
 * the parent declared, the store re-scopes the children whenever the parent's scope changes
 * (including when the parent first arrives), in the same transaction.
 */
export type ScopeRule<Doc extends JsonDocument> =
  | {
      /**
       * Library codes that see this document; `['*']` for every library. Pure and
       * synchronous: it sees only the document (deleted ones included).
       */
      readonly scope: (doc: Doc) => readonly string[];
      readonly scopeFrom?: never;
    }
  | {
      readonly scope?: never;
      /**
       * The document is seen wherever the document `key` names in `collection` is seen
       * (nowhere while that document does not exist).
       */
      readonly scopeFrom: { readonly collection: string; readonly key: keyof Doc & string };
    };

/**
 * A document that lends its scope to documents of another collection: every library that
 * sees the lender also sees the documents it names there, for as long as it names them (a
 * hold's pickup library sees the copy captured for it, even though another library owns
 * that copy).
 *
 * Why a separate rule rather than a scope function reading other collections: a document
 * can have many lenders at once, in several collections (every hold and every crate naming
 * an item), and they change on their own. The store keeps who lends to whom in a table and
 * re-scopes a borrower in the same transaction as the lender changes, whichever is written
 * first; a lender that names a document not stored yet lends to it when it arrives.
 */
export interface ScopeGrant<Doc extends JsonDocument> {
  /** The collection of the borrowing documents. */
  readonly collection: string;
  /**
   * The primary keys of the documents this one lends its scope to now. Pure and synchronous;
   * a deleted lender lends to nobody (the store does not ask it).
   */
  readonly keys: (doc: Doc) => readonly string[];
  /**
   * For a collection scoped by a parent (scopeFrom): its documents lend only while this
   * holds for their parent (a crate's scans lend their crate's scope until it is closed).
   * The store asks again whenever the parent changes.
   */
  readonly whileParent?: (parent: JsonDocument) => boolean;
}

/** What a write rule may ask of the server's current state. */
export interface ServerState {
  /** The current state of a document (`_deleted` included), for rules on another collection. */
  get(collection: string, id: string): Promise<StoredDoc | undefined>;
  /** Libraries that see a document now (lent scope included), `['*']` for every library. */
  seenBy(collection: string, doc: JsonDocument): Promise<readonly string[]>;
}

/** Why a write rule refuses a pushed row. */
export interface Refusal {
  /**
   * `forbidden`: the push is refused (403). `not_seen`: the row changes a document the
   * desk's library no longer sees (the hold that lent it another library's item ended
   * while the desk was offline). It is not written; the push answers it with a deletion, as
   * the store answers a conflict on a document that left the library, so the desk drops its
   * copy instead of retrying a refused push forever.
   */
  readonly code: 'forbidden' | 'not_seen';
  readonly message: string;
}

/**
 * Whether `desk` (its library and role come from its token, never from the body) may push
 * `next`, a row already valid against the collection's schema. `master` is the state the row
 * changes: the server's current one, or, for a row that conflicts with it, the state the desk
 * started from (a late change is judged as the change it was, and answered as a conflict).
 * `undefined` when the document is new. Null allows the row. Runs after the check every
 * desk-written row passes (its `deskId` is the pushing desk's), so a collection desks write
 * needs a `deskId` field.
 */
export type WriteRule<Doc extends JsonDocument = JsonDocument> = (
  desk: EnrolledDesk,
  next: StoredDoc<Doc>,
  master: StoredDoc<Doc> | undefined,
  state: ServerState,
) => Promise<Refusal | null> | Refusal | null;

export type CollectionRegistration<Doc extends JsonDocument> = {
  readonly name: string;
  readonly primaryKey: keyof Doc & string;
  /**
   * The collection's JSON schema (RxDB's, as desks use it): the HTTP layer validates pushed
   * rows with it, refusing unknown properties and wrong types, never coercing.
   */
  readonly schema: RxJsonSchema<Doc>;
  /**
   * Served to desks over /v1/sync (pull, pages, push, and the live stream's `changed`
   * events). Without it the collection is stored and scoped but only the server writes and
   * reads it.
   */
  readonly replicatedToDesks?: boolean;
  /**
   * Who may push what (WriteRule). Without one the collection is read-only for desks: every
   * pushed row is refused (`forbidden`).
   */
  readonly write?: WriteRule<Doc>;
  /**
   * What a library the document no longer concerns receives, as a deletion: drop what it
   * has no business keeping (a moved hold's patron reference). Default: the document.
   */
  readonly departed?: (doc: Doc) => Doc;
  /** Documents of another collection this one lends its scope to; see ScopeGrant. */
  readonly grants?: ScopeGrant<Doc>;
} & ScopeRule<Doc>;

export interface PullRequest {
  /** The pulling desk's library code (never `'*'`). */
  readonly library: string;
  /** The checkpoint of the previous pull; `null` to start from the beginning. */
  readonly after: Checkpoint | null;
  /** At most this many documents (a positive integer). */
  readonly limit: number;
}

export interface PullResult {
  /**
   * The newest version of every document visible to the library with a seq after the
   * checkpoint, in seq order, each once, at most `limit`; fewer only at the end of the feed
   * (RxDB stops pulling at a short page). A document that stopped concerning the library
   * comes once more, with `_deleted: true`.
   */
  readonly documents: StoredDoc[];
  /** The last served document's seq; the request's checkpoint if none was served. */
  readonly checkpoint: Checkpoint;
}

/** A PullResult with its documents as JSON text, for the HTTP layer to send as it is. */
export interface PullJson {
  /**
   * The page's documents as one JSON array: JSON.parse of it equals PullResult.documents
   * (the same documents, in the same order, each with `_deleted` as its last key).
   */
  readonly documents: string;
  /** How many documents `documents` holds. */
  readonly count: number;
  readonly checkpoint: Checkpoint;
}

/** A row of an RxDB push: what the desk believes the master is, and what it wrote. */
export interface PushRow {
  readonly assumedMasterState: StoredDoc | null;
  readonly newDocumentState: StoredDoc;
}

export interface PushContext {
  readonly deskId: string;
  /** The pushing desk's library; `'*'` for the server's own writes (ILS import). */
  readonly library: string;
}

export interface PushResult {
  /**
   * The master state of every row that was not applied, as the pushing library sees it
   * (with `_deleted: true` if the document does not concern that library). Empty when every
   * row was applied or already applied; a row already applied to a document the library
   * does not see is answered with that deletion too, so a retry cannot revive a stale copy.
   */
  readonly conflicts: StoredDoc[];
}

/** Told after every commit, for the live stream. */
export interface CommittedChange {
  readonly collection: string;
  /** The highest seq written to the collection by this commit. */
  readonly checkpoint: Checkpoint;
  /** Libraries whose pulls of this collection have something new (may hold `'*'`). */
  readonly libraries: readonly string[];
  /**
   * The desk whose push this commit was, when every version it wrote to this collection is a
   * row that desk pushed, stored as pushed, in a document its library still sees: that desk
   * holds all of it already and need not be told to pull (its next pull brings the rows back
   * anyway). Absent (or null, from an older instance's NOTIFY) otherwise.
   */
  readonly pushedBy?: string | null;
}

export type ReplicationStoreErrorCode =
  /** The collection is not registered. */
  | 'unknown_collection'
  /** A registration is malformed or its name is taken. */
  | 'invalid_registration'
  /** A pull's library, checkpoint or limit is malformed. */
  | 'invalid_request'
  /** A pushed row has no string primary key, or its two states name different documents. */
  | 'invalid_row'
  /** A scope function returned something other than library codes. */
  | 'invalid_scope'
  /** The store was closed. */
  | 'store_closed'
  /** The database file was written by a newer server version. */
  | 'store_too_new';

export class ReplicationStoreError extends Error {
  constructor(
    readonly code: ReplicationStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicationStoreError';
  }
}

/**
 * The server's replicated documents. Methods reject with ReplicationStoreError for the
 * caller's mistakes (codes above); anything else is a failure of the database itself.
 */
export interface ReplicationStore {
  /** Registers a collection once, before it is pulled or pushed. `invalid_registration`. */
  register<Doc extends JsonDocument>(registration: CollectionRegistration<Doc>): void;

  /**
   * Records the loans (ScopeGrant) of documents stored before their collection's
   * registration declared `grants` (a database from an older server), re-scoping their
   * borrowers, once per lending collection; later calls find nothing to do. Documents
   * written after registration record their loans as they are written. Call after
   * registering every collection.
   */
  catchUpGrants(): Promise<void>;

  /** The registration of a collection, if registered (for the HTTP layer's validation). */
  registration(collection: string): CollectionRegistration<JsonDocument> | undefined;

  /**
   * Documents visible to a library after a checkpoint, in commit order (see PullResult).
   * `unknown_collection`, `invalid_request`.
   */
  pull(collection: string, request: PullRequest): Promise<PullResult>;

  /**
   * The same page as `pull`, its documents as JSON text made from the stored text without
   * parsing it (a document the library left is still trimmed): what the pull route sends.
   * Parsing every stored document and serialising it again was a third of a large pull's
   * processor time. `unknown_collection`, `invalid_request`.
   */
  pullJson(collection: string, request: PullRequest): Promise<PullJson>;

  /**
   * The master state of the documents that exist among `ids` (deleted ones with
   * `_deleted: true`), in the order asked, whoever sees them. `unknown_collection`.
   */
  get(collection: string, ids: readonly string[]): Promise<StoredDoc[]>;

  /**
   * Applies an RxDB push: a row is written only if its assumed master state equals the
   * current master (deep equality, key order ignored; no master and a `null` assumed state
   * are equal; no master at all also accepts the row, as RxDB's own server does). A row
   * whose new state already equals the master is a success that writes nothing, so a batch
   * retried after a lost response changes nothing twice. Every other row is a conflict and
   * writes nothing. All rows written by one push commit in one transaction; a row that
   * cannot be stored (`invalid_row`, `invalid_scope`) rejects the whole push, nothing
   * written. `unknown_collection` as well.
   */
  push(collection: string, rows: readonly PushRow[], context: PushContext): Promise<PushResult>;

  /**
   * Libraries that would see `doc` if it were stored now (`['*']` for every library): for
   * the HTTP layer's write rule, which must refuse rows outside the desk's scope.
   */
  scopeOf(collection: string, doc: JsonDocument): Promise<readonly string[]>;

  /**
   * The id of the database's history. Checkpoints are positions in one history: a database
   * restored from a backup has gone back in it, and the desks that synced past the backup
   * hold checkpoints (and acknowledged writes) it no longer has. Starting a new history
   * (startNewHistory) tells them, through this id on every sync answer, to sync everything
   * again. Made with the database.
   */
  history(): Promise<string>;

  /** Starts a new history (after a restore) and answers its id. */
  startNewHistory(): Promise<string>;

  /** The checkpoint of the newest version in the collection (`{ seq: 0 }` if empty). */
  latest(collection: string): Promise<Checkpoint>;

  /**
   * Calls `listener` after every commit that wrote to a collection (asynchronously, so a
   * listener cannot fail a push that has committed). Returns the unsubscribe function.
   * SQLite announces this instance's commits only (a second process on the file, such as
   * an admin command, is not heard); on PostgreSQL the commits of other server instances
   * on the database arrive too, by LISTEN/NOTIFY, as soon as they are delivered.
   */
  onCommit(listener: (change: CommittedChange) => void): () => void;

  /** Closes the database; every later call rejects with `store_closed`. */
  close(): Promise<void>;
}

/**
 * Types a registration against its document type where it is written, and hands it on as
 * one of a list of registrations (which the store treats as JSON documents anyway).
 */
export function defineCollection<Doc extends JsonDocument>(
  registration: CollectionRegistration<Doc>,
): CollectionRegistration<JsonDocument> {
  return registration as unknown as CollectionRegistration<JsonDocument>;
}
