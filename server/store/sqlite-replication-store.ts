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
import { sameScope, scopeIncludes } from './document-state.js';
import { assertNotTooNew, migrateSqliteFile } from './migrations/sqlite-migrations.js';
import {
  answerRow,
  ChangeLog,
  checkPullRequest,
  checkRegistration,
  childLoansToRefresh,
  isKey,
  judgeRow,
  loanChange,
  masterState,
  parentLetsLend,
  parentOf,
  PullPage,
  pullJson,
  pullResult,
  pushedId,
  pushedVersion,
  registrationOf,
  ruleScope,
  scopedBy,
  echoOf,
  tellLater,
  visibilityUpdate,
  withLentScope,
} from './replication-core.js';
import type { DocumentVersion, PulledPage, Registration } from './replication-core.js';
import { defineCollection, EVERY_LIBRARY, ReplicationStoreError } from './replication-store.js';
import type {
  Checkpoint,
  CollectionRegistration,
  CommittedChange,
  JsonDocument,
  PullJson,
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
interface Version extends DocumentVersion {
  readonly scope: readonly string[];
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
      context: PushContext,
    ) => { conflicts: StoredDoc[]; changes: ChangeLog }
  >;
  /** One pull page, read in one transaction: one snapshot. */
  private readonly pageTransaction: Database.Transaction<
    (collection: string, library: string, after: number, limit: number) => PulledRow[]
  >;
  private closed = false;

  constructor(private readonly db: Database.Database) {
    this.statements = prepareStatements(db);
    this.pushTransaction = db.transaction((registration, rows, context) => {
      const changes = new ChangeLog();
      const conflicts = rows.flatMap((row) => this.applyRow(registration, row, context, changes));
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
        const changes = new ChangeLog();
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
    return settle(() => pullResult(this.pulledPage(collection, request)));
  }

  pullJson(collection: string, request: PullRequest): Promise<PullJson> {
    return settle(() => pullJson(this.pulledPage(collection, request)));
  }

  /** The page a pull serves, read in one transaction (checked first: see `pull`). */
  private pulledPage(collection: string, request: PullRequest): PulledPage {
    const registration = this.use(collection);
    checkPullRequest(request, isKey);
    const { library, after, limit } = request;
    const rows = this.pageTransaction(collection, library, after?.seq ?? 0, limit);
    return { registration, rows, after };
  }

  /** The first `limit` documents after `after` for a library (see PullPage). */
  private readPage(collection: string, library: string, after: number, limit: number): PulledRow[] {
    const page = new PullPage<PulledRow>(limit);
    for (let cursor: number | undefined = after; cursor !== undefined;) {
      cursor = page.add(
        this.statements.pull.all({
          library,
          every: EVERY_LIBRARY,
          collection,
          after: cursor,
          limit,
        }),
      );
    }
    return page.rows();
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
      const { conflicts, changes } = this.pushTransaction.immediate(registration, rows, context);
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
    return registrationOf(this.registrations, collection);
  }

  /** One push row, inside the push's transaction: written, already there, or a conflict. */
  private applyRow(
    registration: Registration,
    row: PushRow,
    context: PushContext,
    changes: ChangeLog,
  ): StoredDoc[] {
    const { library } = context;
    const id = pushedId(registration, row, isKey);
    const current = this.statements.document.get(registration.name, id);
    const unwritten = judgeRow(row, current);
    if (unwritten !== undefined) {
      // The server's own writes see every document: no scope to read.
      const sees =
        library === EVERY_LIBRARY ||
        scopeIncludes(this.currentScope(registration.name, id), library);
      return answerRow(registration, row, unwritten, sees);
    }
    const { fields, version } = pushedVersion(registration, id, row.newDocumentState, isKey);
    this.writeVersion(
      registration,
      { ...version, scope: this.scopeFor(registration, fields) },
      current,
      changes,
      context,
    );
    return [];
  }

  /**
   * Stores a version under a fresh seq and gives it its visibility rows (visibilityUpdate).
   * If the scope changed, the documents scoped by this one follow in the same transaction.
   */
  private writeVersion(
    registration: Registration,
    version: Version,
    current: DocumentRow | undefined,
    changes: ChangeLog,
    pushed?: PushContext,
  ): void {
    const { id, data, deleted, parent, scope } = version;
    const collection = registration.name;
    const previousScope = current === undefined ? [] : this.currentScope(collection, id);
    const update = visibilityUpdate(previousScope, scope, pushed?.library ?? EVERY_LIBRARY);
    const seq = this.statements.nextSeq.get();
    if (seq === undefined) throw new Error('replication_seq has no row');
    if (current === undefined) {
      this.statements.insertDocument.run(collection, id, seq, Number(deleted), data, parent);
    } else {
      this.statements.updateDocument.run(seq, Number(deleted), data, parent, collection, id);
    }
    // Every library sees it: the '*' row alone says so to all, whatever they were told before.
    if (update.everyLibrary) this.statements.dropVisibility.run(collection, id);
    for (const library of update.seeing) {
      this.statements.setVisibility.run(collection, id, library, seq, 0);
    }
    for (const library of update.left) {
      this.statements.setVisibility.run(collection, id, library, seq, 1);
    }
    changes.record(collection, seq, update.told, echoOf(pushed, update));

    if (update.scopeChanged) this.rescopeChildren(collection, id, changes);
    else this.refreshChildLoans(collection, id, current, version, changes);
    if (registration.grants !== undefined) {
      this.refreshLoans(
        registration,
        id,
        JSON.parse(data) as JsonDocument,
        deleted,
        changes,
        update.scopeChanged,
      );
    }
  }

  /**
   * Records whom a lender lends its scope to now and re-scopes the borrowers that gained or
   * lost it (loanChange).
   */
  private refreshLoans(
    registration: Registration,
    id: string,
    fields: JsonDocument,
    deleted: boolean,
    changes: ChangeLog,
    scopeChanged = false,
  ): void {
    const { grants } = registration;
    if (grants === undefined) return;
    const lends = !deleted && this.parentLets(registration, fields);
    const before = new Set(this.statements.borrowers.all(registration.name, id, grants.collection));
    const change = loanChange(grants, fields, lends, before, scopeChanged, isKey);
    for (const key of change.gained)
      this.statements.grant.run(grants.collection, key, registration.name, id);
    for (const key of change.lost)
      this.statements.revoke.run(grants.collection, key, registration.name, id);
    for (const key of change.affected) this.rescopeBorrower(grants.collection, key, changes);
  }

  /** Whether a document scoped by a parent may lend now (see ScopeGrant.whileParent). */
  private parentLets(registration: Registration, fields: JsonDocument): boolean {
    const { grants, scopeFrom } = registration;
    if (grants?.whileParent === undefined || scopeFrom === undefined) return true;
    const parentId = parentOf(registration, fields, isKey);
    const parent =
      parentId === null ? undefined : this.statements.document.get(scopeFrom.collection, parentId);
    return parentLetsLend(grants.whileParent, parent);
  }

  /** The loans of the children of a parent whose state changed follow (childLoansToRefresh). */
  private refreshChildLoans(
    collection: string,
    id: string,
    previous: DocumentRow | undefined,
    version: Version,
    changes: ChangeLog,
  ): void {
    for (const child of childLoansToRefresh(this.registrations, collection, previous, version)) {
      for (const row of this.statements.children.all(child.name, id)) {
        const fields = JSON.parse(row.data) as JsonDocument;
        this.refreshLoans(child, row.id, fields, row.deleted === 1, changes);
      }
    }
  }

  /** Gives a borrower a new version if the libraries that see it changed. */
  private rescopeBorrower(collection: string, id: string, changes: ChangeLog): void {
    const registration = this.registrations.get(collection);
    const row = registration && this.statements.document.get(collection, id);
    if (registration === undefined || row === undefined) return; // its scope is taken when it arrives
    const scope = this.scopeFor(registration, JSON.parse(row.data) as JsonDocument);
    if (sameScope(this.currentScope(collection, id), scope)) return;
    const version = { ...row, deleted: row.deleted === 1, scope };
    this.writeVersion(registration, version, row, changes);
  }

  /** Gives every document scoped by this one a new version carrying the parent's new scope. */
  private rescopeChildren(collection: string, id: string, changes: ChangeLog): void {
    for (const child of scopedBy(this.registrations, collection)) {
      const scope = this.parentScope(collection, id);
      for (const row of this.statements.children.all(child.name, id)) {
        const version = { ...row, deleted: row.deleted === 1, scope };
        this.writeVersion(child, version, row, changes);
      }
    }
  }

  private scopeFor(registration: Registration, doc: JsonDocument): string[] {
    if (registration.scopeFrom !== undefined) {
      const parent = parentOf(registration, doc, isKey);
      return this.parentScope(registration.scopeFrom.collection, parent);
    }
    const scope = ruleScope(registration, doc);
    const id = doc[registration.primaryKey];
    if (!this.borrowers.has(registration.name) || !isKey(id)) return scope;
    const lent = this.statements.lenders
      .all(registration.name, id)
      .flatMap((lender) => this.currentScope(lender.collection, lender.id));
    return withLentScope(scope, lent);
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

  private announce(changes: ChangeLog): void {
    const committed = changes.list().map(({ collection, last, libraries, pushedBy }) => ({
      collection,
      checkpoint: { seq: last },
      libraries,
      ...(pushedBy === undefined ? {} : { pushedBy }),
    }));
    tellLater(this.listeners, committed);
  }
}
