// The replication store on one SQLite file: the embedded default, so one command starts a
// whole consortium. See replication-store.ts for the contract and for why seq order is
// commit order here.
//
// Tables:
//   replication_seq  one row: the last seq given out. Read and bumped inside the push's
//                    IMMEDIATE transaction, so seq order is commit order.
//   documents        the current version of every document: (collection, id) -> seq,
//                    deleted flag, fields as JSON, and for a collection scoped by a parent
//                    the parent's id (indexed, to re-scope children when the parent moves).
//                    Deleted documents stay as tombstones: desks must learn of the deletion.
//   visibility       one row per (document, library) that sees it or has seen it
//                    (`'*'` = every library): `seq` is where that library's pull finds the
//                    document, `leaving` says it no longer concerns the library. A library
//                    that sees the document has its row (or the `'*'` row) at the current
//                    version's seq; a library it left keeps its row at the seq of the version
//                    that left it, so it learns of the move however late it pulls, and only
//                    once. Indexed by (library, collection, seq): a pull is two index range
//                    reads (the library's rows and the `'*'` rows), never a scan.
//   scope_grants     one row per (borrower, lender) of a registration's `grants`: the
//                    lender's libraries see the borrower too (sqlite-002-scope-grants.ts).
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  documentFields,
  librariesLeft,
  normaliseScope,
  sameDocumentState,
  sameScope,
  scopeIncludes,
} from './document-state.js';
import { assertNotTooNew, migrateSqliteFile } from './migrations/sqlite-migrations.js';
import { defineCollection, EVERY_LIBRARY, ReplicationStoreError } from './replication-store.js';
import type {
  Checkpoint,
  CollectionRegistration,
  CommittedChange,
  JsonDocument,
  PullRequest,
  PullResult,
  PushContext,
  PushResult,
  PushRow,
  ReplicationStore,
  StoredDoc,
} from './replication-store.js';

// The layout is built and upgraded by numbered migrations (migrations/sqlite-*.ts) when the
// file is opened; a file from a newer server is refused unchanged.

/**
 * The first `limit` rows after the checkpoint for a library: the first `limit` of its own
 * rows and of the `'*'` rows (each an index range read), merged. Where both rows of one
 * document share a seq (a consortium note narrowed to this library), the library sees the
 * document if either row says so. Rows serve the document's current state.
 */
const PULL_SQL = `
  SELECT d.id, d.deleted, d.data, v.seq, v.leaving
  FROM (
    SELECT seq, id, MIN(leaving) AS leaving
    FROM (
      SELECT * FROM (
        SELECT seq, id, leaving FROM visibility
        WHERE library = @library AND collection = @collection AND seq > @after
        ORDER BY seq LIMIT @limit
      )
      UNION ALL
      SELECT * FROM (
        SELECT seq, id, leaving FROM visibility
        WHERE library = @every AND collection = @collection AND seq > @after
        ORDER BY seq LIMIT @limit
      )
    )
    GROUP BY seq, id
    ORDER BY seq
    LIMIT @limit
  ) AS v
  JOIN documents AS d ON d.collection = @collection AND d.id = v.id
  ORDER BY v.seq
`;

interface DocumentRow {
  id: string;
  seq: number;
  deleted: 0 | 1;
  data: string;
  parent: string | null;
}

interface PulledRow {
  id: string;
  seq: number;
  deleted: 0 | 1;
  data: string;
  leaving: 0 | 1;
}

/** A version about to be written: its fields as stored and who sees it. */
interface Version {
  readonly id: string;
  readonly data: string;
  readonly deleted: boolean;
  readonly parent: string | null;
  readonly scope: readonly string[];
}

type Registration = CollectionRegistration<JsonDocument>;

/** What one transaction wrote, per collection, for the commit listeners. */
type Changes = Map<string, { seq: number; libraries: Set<string> }>;

/** A lone surrogate would reach SQLite as U+FFFD, and two ids would become one. */
const loneSurrogate = /[\uD800-\uDFFF]/u;

export function isKey(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !loneSurrogate.test(value);
}

/** Runs synchronous work now and hands its outcome over as a promise (a throw rejects). */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Opens (or creates) the store's file. Rejects with `store_too_new` for a newer layout. */
export function openSqliteReplicationStore(
  path: string,
  options: { readonly serverVersion?: string } = {},
): Promise<ReplicationStore> {
  return settle(() => {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      prepareFile(db, path, options.serverVersion);
      return new SqliteReplicationStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

/**
 * Durability as on the desk (main/store/sqlite/sqlite-file.ts): WAL with synchronous=FULL,
 * so a push is answered only after its transaction reached the disk. `busy_timeout` lets a
 * second process on the file (an admin command) wait for the write lock instead of failing.
 */
function prepareFile(db: Database.Database, path: string, serverVersion?: string): void {
  assertNotTooNew(db, path); // before anything writes to the file, the journal mode included
  db.pragma('journal_mode = WAL');
  const mode = db.pragma('journal_mode', { simple: true });
  if (mode !== 'wal') throw new Error(`${path}: journal_mode is ${String(mode)}, expected wal`);
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  migrateSqliteFile(db, path, serverVersion === undefined ? {} : { serverVersion });
}

function prepareStatements(db: Database.Database) {
  return {
    nextSeq: db
      .prepare<[], number>(
        'UPDATE replication_seq SET value = value + 1 WHERE id = 1 RETURNING value',
      )
      .pluck(),
    document: db.prepare<[string, string], DocumentRow>(
      'SELECT id, seq, deleted, data, parent FROM documents WHERE collection = ? AND id = ?',
    ),
    children: db.prepare<[string, string], DocumentRow>(
      'SELECT id, seq, deleted, data, parent FROM documents WHERE collection = ? AND parent = ?',
    ),
    insertDocument: db.prepare<[string, string, number, number, string, string | null]>(
      'INSERT INTO documents (collection, id, seq, deleted, data, parent) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    updateDocument: db.prepare<[number, number, string, string | null, string, string]>(
      'UPDATE documents SET seq = ?, deleted = ?, data = ?, parent = ? WHERE collection = ? AND id = ?',
    ),
    visibility: db.prepare<[string, string], { library: string; leaving: 0 | 1 }>(
      'SELECT library, leaving FROM visibility WHERE collection = ? AND id = ?',
    ),
    dropVisibility: db.prepare<[string, string]>(
      'DELETE FROM visibility WHERE collection = ? AND id = ?',
    ),
    setVisibility: db.prepare<[string, string, string, number, number]>(
      'INSERT OR REPLACE INTO visibility (collection, id, library, seq, leaving) VALUES (?, ?, ?, ?, ?)',
    ),
    pull: db.prepare<
      { library: string; every: string; collection: string; after: number; limit: number },
      PulledRow
    >(PULL_SQL),
    latest: db
      .prepare<[string], number | null>('SELECT MAX(seq) FROM documents WHERE collection = ?')
      .pluck(),
    history: db.prepare<[], string>('SELECT history FROM replication_history WHERE id = 1').pluck(),
    newHistory: db.prepare<[string, string]>(
      'UPDATE replication_history SET history = ?, started_at = ? WHERE id = 1',
    ),
    allDocuments: db.prepare<[string], DocumentRow>(
      'SELECT id, seq, deleted, data, parent FROM documents WHERE collection = ? ORDER BY id',
    ),
    lenders: db.prepare<[string, string], { collection: string; id: string }>(
      'SELECT lender_collection AS collection, lender_id AS id FROM scope_grants WHERE collection = ? AND id = ?',
    ),
    borrowers: db
      .prepare<[string, string, string], string>(
        'SELECT id FROM scope_grants WHERE lender_collection = ? AND lender_id = ? AND collection = ?',
      )
      .pluck(),
    grant: db.prepare<[string, string, string, string]>(
      'INSERT OR IGNORE INTO scope_grants (collection, id, lender_collection, lender_id) VALUES (?, ?, ?, ?)',
    ),
    revoke: db.prepare<[string, string, string, string]>(
      'DELETE FROM scope_grants WHERE collection = ? AND id = ? AND lender_collection = ? AND lender_id = ?',
    ),
    lenderCaughtUp: db
      .prepare<[string], number>('SELECT 1 FROM scope_grant_lenders WHERE collection = ?')
      .pluck(),
    markLenderCaughtUp: db.prepare<[string]>(
      'INSERT OR IGNORE INTO scope_grant_lenders (collection) VALUES (?)',
    ),
  };
}

export function checkRegistration(
  registration: Registration,
  taken: ReadonlyMap<string, Registration>,
) {
  const problem = (message: string) =>
    new ReplicationStoreError(
      'invalid_registration',
      `Collection ${String(registration.name)}: ${message}.`,
    );
  if (!isKey(registration.name)) throw problem('the name must be a non-empty string');
  if (taken.has(registration.name)) throw problem('already registered');
  if (!isKey(registration.primaryKey)) throw problem('the primary key must be a field name');
  const { scope, scopeFrom } = registration;
  if ((typeof scope === 'function') === (scopeFrom !== undefined)) {
    throw problem('give exactly one of scope (a function) and scopeFrom');
  }
  checkGrants(registration, taken, problem);
  if (scopeFrom === undefined) return;
  if (!isKey(scopeFrom.collection) || !isKey(scopeFrom.key)) {
    throw problem('scopeFrom needs a collection and a key field');
  }
  // A cycle would make every member's scope its own: nobody would ever see them.
  for (let parent: string | undefined = scopeFrom.collection; parent !== undefined;) {
    if (parent === registration.name) throw problem('its scopeFrom chain leads back to itself');
    parent = taken.get(parent)?.scopeFrom?.collection;
  }
}

/**
 * Lending stays one step deep: a borrower has a scope rule of its own and lends nothing, so a
 * lender's change re-scopes its borrowers and stops there. Chains or cycles of lending could
 * keep a library in a scope on the strength of its own earlier presence.
 */
function checkGrants(
  registration: Registration,
  taken: ReadonlyMap<string, Registration>,
  problem: (message: string) => ReplicationStoreError,
): void {
  const borrowsFromTaken = [...taken.values()].some(
    (other) => other.grants?.collection === registration.name,
  );
  if (borrowsFromTaken && (registration.grants !== undefined || registration.scopeFrom)) {
    throw problem(
      'a collection others lend their scope to must have a scope rule and lend nothing',
    );
  }
  const { grants } = registration;
  if (grants === undefined) return;
  if (!isKey(grants.collection) || typeof grants.keys !== 'function') {
    throw problem('grants needs a collection and a keys function');
  }
  if (grants.whileParent !== undefined && registration.scopeFrom === undefined) {
    throw problem('grants.whileParent needs scopeFrom');
  }
  const borrower = taken.get(grants.collection);
  if (
    grants.collection === registration.name ||
    (borrower !== undefined && (borrower.grants !== undefined || borrower.scopeFrom))
  ) {
    throw problem(
      `it cannot lend its scope to ${grants.collection}: a borrower must have a scope rule and lend nothing`,
    );
  }
}

class SqliteReplicationStore implements ReplicationStore {
  private readonly registrations = new Map<string, Registration>();
  /** Collections some registration lends its scope to. */
  private readonly borrowers = new Set<string>();
  private readonly listeners = new Set<(change: CommittedChange) => void>();
  private readonly statements: ReturnType<typeof prepareStatements>;
  /** One push: every row applied or answered in one transaction (run `.immediate`). */
  private readonly pushTransaction: Database.Transaction<
    (
      registration: Registration,
      rows: readonly PushRow[],
      library: string,
    ) => { conflicts: StoredDoc[]; changes: Changes }
  >;
  /** One pull page, read in one transaction: one snapshot. */
  private readonly pageTransaction: Database.Transaction<
    (collection: string, library: string, after: number, limit: number) => PulledRow[]
  >;
  private closed = false;

  constructor(private readonly db: Database.Database) {
    this.statements = prepareStatements(db);
    this.pushTransaction = db.transaction((registration, rows, library) => {
      const changes: Changes = new Map();
      const conflicts = rows.flatMap((row) => this.applyRow(registration, row, library, changes));
      return { conflicts, changes };
    });
    this.pageTransaction = db.transaction((collection, library, after, limit) =>
      this.readPage(collection, library, after, limit),
    );
  }

  register<Doc extends JsonDocument>(registration: CollectionRegistration<Doc>): void {
    this.assertOpen();
    // A registration for a narrower document type: the store hands its functions only
    // documents of its collection, which the HTTP layer has validated against its schema.
    const stored = defineCollection(registration);
    checkRegistration(stored, this.registrations);
    this.registrations.set(stored.name, stored);
    if (stored.grants !== undefined) this.borrowers.add(stored.grants.collection);
  }

  catchUpGrants(): Promise<void> {
    return settle(() => {
      this.assertOpen();
      for (const registration of this.registrations.values()) {
        if (registration.grants === undefined) continue;
        if (this.statements.lenderCaughtUp.get(registration.name) !== undefined) continue;
        const changes: Changes = new Map();
        this.db
          .transaction(() => {
            for (const row of this.statements.allDocuments.all(registration.name)) {
              this.refreshLoans(
                registration,
                row.id,
                JSON.parse(row.data) as JsonDocument,
                row.deleted === 1,
                changes,
              );
            }
            this.statements.markLenderCaughtUp.run(registration.name);
          })
          .immediate();
        this.announce(changes);
      }
    });
  }

  registration(collection: string): Registration | undefined {
    return this.registrations.get(collection);
  }

  pull(collection: string, request: PullRequest): Promise<PullResult> {
    return settle(() => {
      const registration = this.use(collection);
      const { library, after, limit } = request;
      if (!isKey(library) || library === EVERY_LIBRARY) {
        throw new ReplicationStoreError('invalid_request', `Pull: no library ${String(library)}.`);
      }
      if (after !== null && !(Number.isSafeInteger(after.seq) && after.seq >= 0)) {
        throw new ReplicationStoreError('invalid_request', 'Pull: malformed checkpoint.');
      }
      if (!(Number.isSafeInteger(limit) && limit > 0)) {
        throw new ReplicationStoreError(
          'invalid_request',
          'Pull: limit must be a positive integer.',
        );
      }
      const rows = this.pageTransaction(collection, library, after?.seq ?? 0, limit);
      const documents = rows.map((row) => {
        const fields = JSON.parse(row.data) as JsonDocument;
        return row.leaving === 1
          ? this.departedView(registration, fields)
          : { ...fields, _deleted: row.deleted === 1 };
      });
      return { documents, checkpoint: { seq: rows.at(-1)?.seq ?? after?.seq ?? 0 } };
    });
  }

  /**
   * The first `limit` documents after `after` for a library, each at its latest row, in seq
   * order. A document can have two rows for one library, its own and the `'*'` row (a
   * consortium note narrowed to a library, then moved on): the later one is its state, and
   * RxDB wants it once. Dropping the earlier row shortens the page, and RxDB takes a short
   * page for the end of the feed, so the page is topped up from further rows.
   */
  private readPage(collection: string, library: string, after: number, limit: number): PulledRow[] {
    const latestRows = new Map<string, PulledRow>();
    for (let cursor = after; latestRows.size < limit;) {
      const rows = this.statements.pull.all({
        library,
        every: EVERY_LIBRARY,
        collection,
        after: cursor,
        limit,
      });
      for (const row of rows) {
        latestRows.delete(row.id); // re-inserted last: the map stays in seq order
        latestRows.set(row.id, row);
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < limit) break;
      cursor = last.seq;
    }
    // Rows past the first `limit` documents wait for the next page (whose checkpoint
    // starts after the last one served here, so none is lost).
    return [...latestRows.values()].slice(0, limit);
  }

  get(collection: string, ids: readonly string[]): Promise<StoredDoc[]> {
    return settle(() => {
      this.use(collection);
      return ids.flatMap((id) => {
        const row = this.statements.document.get(collection, id);
        return row === undefined ? [] : [masterState(row)];
      });
    });
  }

  push(collection: string, rows: readonly PushRow[], context: PushContext): Promise<PushResult> {
    return settle(() => {
      const registration = this.use(collection);
      const { conflicts, changes } = this.pushTransaction.immediate(
        registration,
        rows,
        context.library,
      );
      this.announce(changes);
      return { conflicts };
    });
  }

  scopeOf(collection: string, doc: JsonDocument): Promise<readonly string[]> {
    return settle(() => this.scopeFor(this.use(collection), doc));
  }

  history(): Promise<string> {
    return settle(() => {
      this.assertOpen();
      const history = this.statements.history.get();
      if (history === undefined) throw new Error('replication_history has no row');
      return history;
    });
  }

  startNewHistory(): Promise<string> {
    return settle(() => {
      this.assertOpen();
      const history = randomUUID();
      this.statements.newHistory.run(history, new Date().toISOString());
      return history;
    });
  }

  latest(collection: string): Promise<Checkpoint> {
    return settle(() => {
      this.use(collection);
      return { seq: this.statements.latest.get(collection) ?? 0 };
    });
  }

  onCommit(listener: (change: CommittedChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  close(): Promise<void> {
    return settle(() => {
      if (this.closed) return;
      this.closed = true;
      this.listeners.clear();
      this.db.close();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ReplicationStoreError('store_closed', 'The store is closed.');
  }

  private use(collection: string): Registration {
    this.assertOpen();
    const registration = this.registrations.get(collection);
    if (registration === undefined) {
      throw new ReplicationStoreError('unknown_collection', `No collection ${collection}.`);
    }
    return registration;
  }

  /** One push row, inside the push's transaction: written, already there, or a conflict. */
  private applyRow(
    registration: Registration,
    row: PushRow,
    library: string,
    changes: Changes,
  ): StoredDoc[] {
    const { assumedMasterState, newDocumentState } = row;
    const id = newDocumentState[registration.primaryKey];
    if (!isKey(id)) {
      throw new ReplicationStoreError(
        'invalid_row',
        `${registration.name}: a pushed document has no ${registration.primaryKey}.`,
      );
    }
    if (assumedMasterState !== null && assumedMasterState[registration.primaryKey] !== id) {
      throw new ReplicationStoreError(
        'invalid_row',
        `${registration.name} ${id}: the assumed master state is of another document.`,
      );
    }
    const current = this.statements.document.get(registration.name, id);
    if (current !== undefined) {
      const master = masterState(current);
      const alreadyThere = sameDocumentState(newDocumentState, master);
      if (alreadyThere || !sameDocumentState(assumedMasterState, master)) {
        // A row already applied (a retried push, or two desks making the same change) is a
        // success; anything else is a conflict. Either way a library the document does not
        // concern is answered with a deletion, so its desk keeps no copy that it would never
        // hear about again.
        const sees =
          library === EVERY_LIBRARY ||
          scopeIncludes(this.currentScope(registration.name, id), library);
        if (sees) return alreadyThere ? [] : [master];
        return [this.departedView(registration, documentFields(master))];
      }
    }
    // No master yet (whatever the desk assumed, as RxDB's own server does), or the desk's
    // assumption holds.
    const fields = documentFields(newDocumentState);
    const version: Version = {
      id,
      data: JSON.stringify(fields),
      deleted: newDocumentState._deleted === true,
      parent: this.parentOf(registration, fields),
      scope: this.scopeFor(registration, fields),
    };
    this.writeVersion(registration, version, current, changes, library);
    return [];
  }

  /**
   * Stores a version under a fresh seq and moves the libraries that see it to that seq.
   * Libraries that saw the previous version and do not see this one get a `leaving` row at
   * this seq; libraries left earlier keep theirs (they learn once, whenever they pull). So
   * does the pushing library if it wrote outside its scope (the write rule should refuse
   * that, but its desk holds a copy that must not linger). If the scope changed, the
   * documents scoped by this one follow in the same transaction.
   */
  private writeVersion(
    registration: Registration,
    version: Version,
    current: DocumentRow | undefined,
    changes: Changes,
    pushedBy: string = EVERY_LIBRARY,
  ): void {
    const { id, data, deleted, parent, scope } = version;
    const collection = registration.name;
    const previousScope = current === undefined ? [] : this.currentScope(collection, id);
    const seq = this.statements.nextSeq.get();
    if (seq === undefined) throw new Error('replication_seq has no row');
    if (current === undefined) {
      this.statements.insertDocument.run(collection, id, seq, Number(deleted), data, parent);
    } else {
      this.statements.updateDocument.run(seq, Number(deleted), data, parent, collection, id);
    }
    // Every library sees it: the '*' row alone says so to all, whatever they were told before.
    if (scope.includes(EVERY_LIBRARY)) this.statements.dropVisibility.run(collection, id);
    const holders =
      pushedBy === EVERY_LIBRARY || previousScope.includes(pushedBy)
        ? previousScope
        : [...previousScope, pushedBy];
    const left = librariesLeft(holders, scope);
    for (const library of scope) this.statements.setVisibility.run(collection, id, library, seq, 0);
    for (const library of left) this.statements.setVisibility.run(collection, id, library, seq, 1);

    const change = changes.get(collection) ?? { seq, libraries: new Set<string>() };
    change.seq = seq;
    for (const library of [...scope, ...left]) change.libraries.add(library);
    changes.set(collection, change);

    const scopeChanged = !sameScope(previousScope, scope);
    if (scopeChanged) this.rescopeChildren(collection, id, changes);
    else this.refreshChildLoans(collection, id, current, version, changes);
    if (registration.grants !== undefined) {
      this.refreshLoans(
        registration,
        id,
        JSON.parse(data) as JsonDocument,
        deleted,
        changes,
        scopeChanged,
      );
    }
  }

  /**
   * Records whom a lender lends its scope to now and re-scopes the borrowers that gained or
   * lost it (every borrower, when the lender's own scope changed).
   */
  private refreshLoans(
    registration: Registration,
    id: string,
    fields: JsonDocument,
    deleted: boolean,
    changes: Changes,
    scopeChanged = false,
  ): void {
    const { grants } = registration;
    if (grants === undefined) return;
    const keys = deleted || !this.parentLets(registration, fields) ? [] : grants.keys(fields);
    const next = new Set(keys.filter(isKey));
    const before = new Set(this.statements.borrowers.all(registration.name, id, grants.collection));
    const gained = [...next].filter((key) => !before.has(key));
    const lost = [...before].filter((key) => !next.has(key));
    for (const key of gained)
      this.statements.grant.run(grants.collection, key, registration.name, id);
    for (const key of lost)
      this.statements.revoke.run(grants.collection, key, registration.name, id);
    const affected = scopeChanged ? new Set([...before, ...next]) : [...gained, ...lost];
    for (const key of affected) this.rescopeBorrower(grants.collection, key, changes);
  }

  /** Whether a document scoped by a parent may lend now (see ScopeGrant.whileParent). */
  private parentLets(registration: Registration, fields: JsonDocument): boolean {
    const { grants, scopeFrom } = registration;
    if (grants?.whileParent === undefined || scopeFrom === undefined) return true;
    const parentId = this.parentOf(registration, fields);
    const parent =
      parentId === null ? undefined : this.statements.document.get(scopeFrom.collection, parentId);
    return (
      parent !== undefined &&
      parent.deleted === 0 &&
      grants.whileParent(JSON.parse(parent.data) as JsonDocument)
    );
  }

  /**
   * A parent whose scope stayed but whose state now lets its children lend or stops them (a
   * crate closed): the children's loans follow. The children themselves do not change.
   */
  private refreshChildLoans(
    collection: string,
    id: string,
    previous: DocumentRow | undefined,
    version: Version,
    changes: Changes,
  ): void {
    for (const child of this.registrations.values()) {
      const whileParent = child.grants?.whileParent;
      if (child.scopeFrom?.collection !== collection || whileParent === undefined) continue;
      const letBefore =
        previous !== undefined &&
        previous.deleted === 0 &&
        whileParent(JSON.parse(previous.data) as JsonDocument);
      const letsNow = !version.deleted && whileParent(JSON.parse(version.data) as JsonDocument);
      if (letBefore === letsNow) continue;
      for (const row of this.statements.children.all(child.name, id)) {
        const fields = JSON.parse(row.data) as JsonDocument;
        this.refreshLoans(child, row.id, fields, row.deleted === 1, changes);
      }
    }
  }

  /** Gives a borrower a new version if the libraries that see it changed. */
  private rescopeBorrower(collection: string, id: string, changes: Changes): void {
    const registration = this.registrations.get(collection);
    const row = registration && this.statements.document.get(collection, id);
    if (registration === undefined || row === undefined) return; // its scope is taken when it arrives
    const scope = this.scopeFor(registration, JSON.parse(row.data) as JsonDocument);
    if (sameScope(this.currentScope(collection, id), scope)) return;
    const version = { ...row, deleted: row.deleted === 1, scope };
    this.writeVersion(registration, version, row, changes);
  }

  /** Gives every document scoped by this one a new version carrying the parent's new scope. */
  private rescopeChildren(collection: string, id: string, changes: Changes): void {
    for (const child of this.registrations.values()) {
      if (child.scopeFrom?.collection !== collection) continue;
      const scope = this.parentScope(collection, id);
      for (const row of this.statements.children.all(child.name, id)) {
        const version = { ...row, deleted: row.deleted === 1, scope };
        this.writeVersion(child, version, row, changes);
      }
    }
  }

  private scopeFor(registration: Registration, doc: JsonDocument): string[] {
    if (registration.scopeFrom !== undefined) {
      return this.parentScope(registration.scopeFrom.collection, this.parentOf(registration, doc));
    }
    const scope = normaliseScope(registration.scope(doc));
    if (scope === undefined) {
      throw new ReplicationStoreError(
        'invalid_scope',
        `${registration.name}: the scope rule must return library codes.`,
      );
    }
    const id = doc[registration.primaryKey];
    if (!this.borrowers.has(registration.name) || !isKey(id)) return scope;
    const lent = this.statements.lenders
      .all(registration.name, id)
      .flatMap((lender) => this.currentScope(lender.collection, lender.id));
    return lent.length === 0 ? scope : (normaliseScope([...scope, ...lent]) ?? scope);
  }

  private parentOf(registration: Registration, doc: JsonDocument): string | null {
    if (registration.scopeFrom === undefined) return null;
    const parent = doc[registration.scopeFrom.key];
    return isKey(parent) ? parent : null;
  }

  /**
   * The libraries that see a stored document now (none if it is not stored), in the order
   * of normaliseScope (JavaScript's, not SQLite's), so scopes compare with sameScope.
   */
  private currentScope(collection: string, id: string): string[] {
    return this.statements.visibility
      .all(collection, id)
      .filter((row) => row.leaving === 0)
      .map((row) => row.library)
      .sort();
  }

  /** The current scope of a parent document; nobody's while it does not exist. */
  private parentScope(collection: string, id: string | null): string[] {
    return id === null ? [] : this.currentScope(collection, id);
  }

  /** A document as a library it no longer concerns receives it: deleted, trimmed. */
  private departedView(registration: Registration, fields: JsonDocument): StoredDoc {
    const departed = registration.departed ?? ((doc: JsonDocument) => doc);
    return { ...departed(fields), _deleted: true };
  }

  private announce(changes: Changes): void {
    for (const [collection, { seq, libraries }] of changes) {
      const change: CommittedChange = {
        collection,
        checkpoint: { seq },
        libraries: [...libraries].sort(),
      };
      for (const listener of this.listeners) queueMicrotask(() => listener(change));
    }
  }
}

function masterState(row: DocumentRow): StoredDoc {
  return { ...(JSON.parse(row.data) as JsonDocument), _deleted: row.deleted === 1 };
}
