// The replication store on PostgreSQL, for consortia that run several server instances on
// one database. Same contract and same tables as the SQLite store (sqlite-replication-store.ts
// explains `documents` and `visibility`); what differs is that writers run concurrently.
//
// Checkpoints follow commit order (the invariant in replication-store.ts): a push does all
// its reading, comparing and deciding first, holding locks on the documents it touches, and
// takes its seqs from the counter row (`UPDATE replication_seq SET value = value + n
// RETURNING value`) only then, as the last step before it writes its rows and commits. The
// counter row's lock is held until COMMIT, so the next push gets its seqs only after this
// one has committed: seq order is commit order, and a pull (one statement, one snapshot)
// sees a prefix of the seq sequence. Concurrent pushes overlap in everything but those last
// few statements and the commit. Checkpoints stay `{ seq }`, as on SQLite.
//
// Locks (transaction-scoped advisory locks on (collection, id), so they also cover documents
// that do not exist yet): a push locks the documents it writes exclusively, and the parents
// its rows are scoped by shared, before reading them; re-scoping a parent's children locks
// the children. A child pushed while its parent moves therefore either commits first (and is
// re-scoped by the parent's push) or reads the parent's new scope. Locks go parents first,
// each set in key order; a deadlock PostgreSQL still finds (children of two parents locked
// in different orders) rolls the push back and it runs again.
//
// Live events: the push's transaction sends `NOTIFY carrel_commits` with the collections and
// libraries it changed; PostgreSQL delivers it only if the transaction commits. Every store
// LISTENs, so each server instance hears every instance's commits (see onOtherCommit).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  documentFields,
  librariesLeft,
  normaliseScope,
  sameDocumentState,
  sameScope,
  scopeIncludes,
} from './document-state.js';
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
import { checkRegistration, isKey } from './sqlite-replication-store.js';

/** The layout below; a database with a higher version was written by a newer server. */
const SCHEMA_VERSION = 1;
const CHANNEL = 'carrel_commits';
/** Advisory lock key serialising layout creation when instances start together. */
const LAYOUT_LOCK = 0x43617272; // "Carr"

// Text columns use the "C" collation: ids compare byte for byte whatever the database's
// locale (no two ids are ever equal that JavaScript tells apart). Documents are stored as
// JSON text, not jsonb: jsonb refuses \u0000, which a document may hold.
const SCHEMA = `
  CREATE TABLE replication_layout (version integer NOT NULL);
  INSERT INTO replication_layout (version) VALUES (${SCHEMA_VERSION});

  CREATE TABLE replication_seq (
    id integer PRIMARY KEY CHECK (id = 1),
    value bigint NOT NULL
  );
  INSERT INTO replication_seq (id, value) VALUES (1, 0);

  CREATE TABLE documents (
    collection text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    deleted boolean NOT NULL,
    data text NOT NULL,
    parent text COLLATE "C",
    PRIMARY KEY (collection, id)
  );
  CREATE UNIQUE INDEX documents_by_seq ON documents (collection, seq);
  CREATE INDEX documents_by_parent ON documents (collection, parent) WHERE parent IS NOT NULL;

  CREATE TABLE visibility (
    collection text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    library text COLLATE "C" NOT NULL,
    seq bigint NOT NULL,
    leaving boolean NOT NULL,
    PRIMARY KEY (collection, id, library)
  );
  CREATE INDEX visibility_by_library ON visibility (library, collection, seq) INCLUDE (id, leaving);
`;

/** One page as on SQLite: two index range reads, merged; see PULL_SQL there. */
const PULL_SQL = `
  SELECT d.id, d.deleted, d.data, v.seq, v.leaving
  FROM (
    SELECT seq, id, bool_and(leaving) AS leaving
    FROM (
      (SELECT seq, id, leaving FROM visibility
       WHERE library = $1 AND collection = $2 AND seq > $3 ORDER BY seq LIMIT $4)
      UNION ALL
      (SELECT seq, id, leaving FROM visibility
       WHERE library = '${EVERY_LIBRARY}' AND collection = $2 AND seq > $3 ORDER BY seq LIMIT $4)
    ) AS rows
    GROUP BY seq, id
    ORDER BY seq
    LIMIT $4
  ) AS v
  JOIN documents AS d ON d.collection = $2 AND d.id = v.id
  ORDER BY v.seq
`;

/** Takes advisory locks on (collection, id) keys in key order (a stable global order). */
const lockSql = (mode: '' | '_shared') => `
  SELECT pg_advisory_xact_lock${mode}(key) FROM (
    SELECT DISTINCT hashtextextended($1 || chr(31) || id, 0) AS key
    FROM unnest($2::text[]) AS id
    ORDER BY key
  ) AS keys
`;

/** PostgreSQL text cannot hold U+0000: such a value is refused like a lone surrogate. */
function isPgKey(value: unknown): value is string {
  return isKey(value) && !value.includes('\u0000');
}

/** bigint (seqs) as JavaScript numbers: seqs stay far below 2^53. */
const INT8_OID = 20;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A document row, current or about to be written (`fresh`: written by this push). */
interface DocumentRow {
  id: string;
  deleted: boolean;
  data: string;
  parent: string | null;
}

/** A library's visibility row: its seq, or the push-local ordinal of a version not yet numbered. */
interface VisibilityRow {
  seq: number;
  fresh: boolean;
  leaving: boolean;
}

type Registration = CollectionRegistration<JsonDocument>;
type Client = pg.PoolClient;

/** Errors after which a push is run again from the start (its transaction rolled back). */
const RETRYABLE = new Set(['40P01', '40001', '23505']);

export interface PgReplicationStore extends ReplicationStore {
  /**
   * Calls `listener` after every commit made through another store on the same database
   * (another server instance), as NOTIFY delivers it, and with `libraries: ['*']` for every
   * registered collection after the LISTEN connection was lost and restored (commits may
   * have gone unheard meanwhile). This store's own commits are not included.
   */
  onOtherCommit(listener: (change: CommittedChange) => void): () => void;
}

export interface PgStoreOptions {
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
}

/**
 * Opens the store on a PostgreSQL database (`postgres://` URL), creating its tables if the
 * database has none. Rejects with `store_too_new` for a newer layout, changing nothing.
 */
export async function openPgReplicationStore(
  url: string,
  options: PgStoreOptions = {},
): Promise<PgReplicationStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types });
  // An idle connection that breaks is dropped by the pool; without a listener the error
  // would end the process.
  pool.on('error', () => undefined);
  try {
    await prepareDatabase(pool);
    const store = new PostgresReplicationStore(pool, url);
    await store.listen();
    return store;
  } catch (error) {
    await pool.end();
    throw error;
  }
}

async function prepareDatabase(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [LAYOUT_LOCK]);
    const found = await client.query<{ present: boolean }>(
      "SELECT to_regclass('replication_layout') IS NOT NULL AS present",
    );
    if (found.rows[0]?.present === true) {
      const layout = await client.query<{ version: number }>(
        'SELECT max(version) AS version FROM replication_layout',
      );
      const version = layout.rows[0]?.version ?? 0;
      if (version > SCHEMA_VERSION) {
        throw new ReplicationStoreError(
          'store_too_new',
          `The database was written by a newer server (layout ${version}, this one knows ` +
            `${SCHEMA_VERSION}); it has not been changed.`,
        );
      }
      return;
    }
    await client.query(SCHEMA);
  });
}

/** Runs `work` in one transaction on a pooled connection: COMMIT, or ROLLBACK on a throw. */
async function inTransaction<T>(pool: pg.Pool, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}

class PostgresReplicationStore implements PgReplicationStore {
  private readonly registrations = new Map<string, Registration>();
  private readonly listeners = new Set<(change: CommittedChange) => void>();
  private readonly otherListeners = new Set<(change: CommittedChange) => void>();
  /** Tells this store's notifications from other instances'. */
  private readonly origin = randomUUID();
  private listener: pg.Client | undefined;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  /** Connects the LISTEN connection; reconnects (and says so) if it is lost. */
  async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, types });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload !== undefined) {
        this.heard(message.payload);
      }
    });
    const lost = () => {
      if (this.closed || this.listener !== client) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      void this.relisten();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
  }

  /**
   * Listens again after the connection was lost (a database restart, a network cut), with
   * back-off. Commits made meanwhile went unheard, so once listening, every library is told
   * that every collection changed: its desks pull, from their own checkpoints.
   */
  private async relisten(): Promise<void> {
    for (let delay = 100; !this.closed; delay = Math.min(delay * 2, 5_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      if (this.closed) return;
      try {
        await this.listen();
      } catch {
        continue; // not reachable yet
      }
      try {
        for (const collection of this.registrations.keys()) {
          const change = {
            collection,
            checkpoint: await this.latest(collection),
            libraries: [EVERY_LIBRARY],
          };
          for (const listener of [...this.listeners, ...this.otherListeners]) listener(change);
        }
      } catch {
        // Closed, or lost again: then the LISTEN connection fails too and this runs again.
      }
      return;
    }
  }

  private heard(payload: string): void {
    let message: Notification;
    try {
      message = JSON.parse(payload) as Notification;
    } catch {
      return; // not ours
    }
    if (message.origin === this.origin || !Array.isArray(message.changes)) return;
    for (const change of message.changes) {
      for (const listener of [...this.listeners, ...this.otherListeners]) listener(change);
    }
  }

  register<Doc extends JsonDocument>(registration: CollectionRegistration<Doc>): void {
    this.assertOpen();
    const stored = defineCollection(registration);
    checkRegistration(stored, this.registrations);
    this.registrations.set(stored.name, stored);
  }

  registration(collection: string): Registration | undefined {
    return this.registrations.get(collection);
  }

  async pull(collection: string, request: PullRequest): Promise<PullResult> {
    const registration = this.use(collection);
    const { library, after, limit } = request;
    if (!isPgKey(library) || library === EVERY_LIBRARY) {
      throw new ReplicationStoreError('invalid_request', `Pull: no library ${String(library)}.`);
    }
    if (after !== null && !(Number.isSafeInteger(after.seq) && after.seq >= 0)) {
      throw new ReplicationStoreError('invalid_request', 'Pull: malformed checkpoint.');
    }
    if (!(Number.isSafeInteger(limit) && limit > 0)) {
      throw new ReplicationStoreError('invalid_request', 'Pull: limit must be a positive integer.');
    }
    const rows = await this.readPage(collection, library, after?.seq ?? 0, limit);
    const documents = rows.map((row) => {
      const fields = JSON.parse(row.data) as JsonDocument;
      return row.leaving
        ? departedView(registration, fields)
        : { ...fields, _deleted: row.deleted };
    });
    return { documents, checkpoint: { seq: rows.at(-1)?.seq ?? after?.seq ?? 0 } };
  }

  /**
   * As on SQLite: the first `limit` documents after `after`, each at its latest row, topped
   * up when a document's two rows shortened the page. Each query is its own snapshot; a
   * later one can only add rows with higher seqs (commit order), so no row is passed over.
   */
  private async readPage(
    collection: string,
    library: string,
    after: number,
    limit: number,
  ): Promise<PulledRow[]> {
    const latestRows = new Map<string, PulledRow>();
    for (let cursor = after; latestRows.size < limit;) {
      const { rows } = await this.pool.query<PulledRow>(PULL_SQL, [
        library,
        collection,
        cursor,
        limit,
      ]);
      for (const row of rows) {
        latestRows.delete(row.id); // re-inserted last: the map stays in seq order
        latestRows.set(row.id, row);
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < limit) break;
      cursor = last.seq;
    }
    return [...latestRows.values()].slice(0, limit);
  }

  async get(collection: string, ids: readonly string[]): Promise<StoredDoc[]> {
    this.use(collection);
    // An id PostgreSQL cannot hold (or that would reach it changed) names no document.
    const wanted = ids.filter(isPgKey);
    const { rows } = await this.pool.query<DocumentRow>(
      'SELECT id, deleted, data, parent FROM documents WHERE collection = $1 AND id = ANY($2)',
      [collection, wanted],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = isPgKey(id) ? byId.get(id) : undefined;
      return row === undefined ? [] : [masterState(row)];
    });
  }

  async push(
    collection: string,
    rows: readonly PushRow[],
    context: PushContext,
  ): Promise<PushResult> {
    const registration = this.use(collection);
    for (let attempt = 1; ; attempt++) {
      try {
        const { conflicts, changes } = await inTransaction(this.pool, (client) =>
          new Push(client, this.registrations, this.origin).run(
            registration,
            rows,
            context.library,
          ),
        );
        this.announce(changes);
        return { conflicts };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= 5 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  async scopeOf(collection: string, doc: JsonDocument): Promise<readonly string[]> {
    const registration = this.use(collection);
    const read = new Push(this.pool, this.registrations, this.origin);
    return read.scopeFor(registration, doc);
  }

  async latest(collection: string): Promise<Checkpoint> {
    this.use(collection);
    const { rows } = await this.pool.query<{ seq: number | null }>(
      'SELECT max(seq) AS seq FROM documents WHERE collection = $1',
      [collection],
    );
    return { seq: rows[0]?.seq ?? 0 };
  }

  onCommit(listener: (change: CommittedChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  onOtherCommit(listener: (change: CommittedChange) => void): () => void {
    this.otherListeners.add(listener);
    return () => void this.otherListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.otherListeners.clear();
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
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

  /** This store's own commits, right after COMMIT (other instances hear them by NOTIFY). */
  private announce(changes: readonly CommittedChange[]): void {
    for (const change of changes) {
      for (const listener of this.listeners) queueMicrotask(() => listener(change));
    }
  }
}

interface PulledRow {
  id: string;
  seq: number;
  deleted: boolean;
  data: string;
  leaving: boolean;
}

/** What a push's NOTIFY carries. */
interface Notification {
  readonly origin: string;
  readonly changes: CommittedChange[];
}

/** NOTIFY payloads are limited to 8000 bytes; past that, every library is told to pull. */
const MAX_PAYLOAD = 7_000;

/**
 * One push's transaction: loads what it compares under lock, decides every row, keeps the
 * versions it writes in memory (numbered by ordinal), and writes them under real seqs at the
 * end. Also serves `scopeOf` outside any transaction (with the pool as its client).
 */
class Push {
  /** Documents read or written, by collection and id (null: known not to exist). */
  private readonly documents = new Map<string, Map<string, DocumentRow | null>>();
  /** Visibility rows of documents read or written, by collection, id and library. */
  private readonly visibility = new Map<string, Map<string, Map<string, VisibilityRow>>>();
  /** Documents written, in write order, with the ordinal of their last version. */
  private readonly written = new Map<string, Map<string, number>>();
  /** Per collection: highest ordinal written and the libraries told. */
  private readonly changes = new Map<string, { ordinal: number; libraries: Set<string> }>();
  private ordinal = 0;

  constructor(
    private readonly client: Client | pg.Pool,
    private readonly registrations: ReadonlyMap<string, Registration>,
    private readonly origin: string,
  ) {}

  async run(
    registration: Registration,
    rows: readonly PushRow[],
    library: string,
  ): Promise<{ conflicts: StoredDoc[]; changes: CommittedChange[] }> {
    const collection = registration.name;
    const ids = rows.map((row) => this.checkRow(registration, row));
    // Parents before the documents (see the header), so their scopes hold until COMMIT.
    const { scopeFrom } = registration;
    if (scopeFrom !== undefined) {
      const parents = rows.flatMap((row) => {
        const parent = parentOf(registration, documentFields(row.newDocumentState));
        return parent === null ? [] : [parent];
      });
      await this.lock(scopeFrom.collection, parents, 'shared');
    }
    await this.lock(collection, ids, 'exclusive');
    await this.load(collection, ids);

    const conflicts: StoredDoc[] = [];
    for (const row of rows) conflicts.push(...(await this.applyRow(registration, row, library)));
    return { conflicts, changes: await this.write() };
  }

  private checkRow(registration: Registration, row: PushRow): string {
    const { assumedMasterState, newDocumentState } = row;
    const id = newDocumentState[registration.primaryKey];
    if (!isPgKey(id)) {
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
    return id;
  }

  private async lock(
    collection: string,
    ids: readonly string[],
    mode: 'shared' | 'exclusive',
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.client.query(lockSql(mode === 'shared' ? '_shared' : ''), [collection, ids]);
  }

  /** Reads documents (and their visibility rows) not read yet by this push. */
  private async load(collection: string, ids: readonly string[]): Promise<void> {
    const known = this.documentsOf(collection);
    const missing = [...new Set(ids)].filter((id) => !known.has(id));
    if (missing.length === 0) return;
    for (const id of missing) known.set(id, null);
    // One round trip: each document with its visibility rows as [library, seq, leaving].
    const { rows } = await this.client.query<
      DocumentRow & { visibility: [string, number, boolean][] }
    >(
      `SELECT d.id, d.deleted, d.data, d.parent,
         coalesce(json_agg(json_build_array(v.library, v.seq, v.leaving))
           FILTER (WHERE v.library IS NOT NULL), '[]') AS visibility
       FROM documents AS d
       LEFT JOIN visibility AS v ON v.collection = d.collection AND v.id = d.id
       WHERE d.collection = $1 AND d.id = ANY($2)
       GROUP BY d.collection, d.id`,
      [collection, missing],
    );
    const byDocument = this.visibilityOf(collection);
    for (const id of missing) byDocument.set(id, new Map());
    for (const { visibility, ...row } of rows) {
      known.set(row.id, row);
      const libraries = byDocument.get(row.id);
      for (const [library, seq, leaving] of visibility) {
        libraries?.set(library, { seq, fresh: false, leaving });
      }
    }
  }

  private documentsOf(collection: string): Map<string, DocumentRow | null> {
    let documents = this.documents.get(collection);
    if (documents === undefined)
      this.documents.set(collection, (documents = new Map<string, DocumentRow | null>()));
    return documents;
  }

  private visibilityOf(collection: string): Map<string, Map<string, VisibilityRow>> {
    let visibility = this.visibility.get(collection);
    if (visibility === undefined)
      this.visibility.set(collection, (visibility = new Map<string, Map<string, VisibilityRow>>()));
    return visibility;
  }

  private async document(collection: string, id: string): Promise<DocumentRow | null> {
    await this.load(collection, [id]);
    return this.documentsOf(collection).get(id) ?? null;
  }

  /** As SQLite's applyRow: written, already there, or a conflict. */
  private async applyRow(
    registration: Registration,
    row: PushRow,
    library: string,
  ): Promise<StoredDoc[]> {
    const { assumedMasterState, newDocumentState } = row;
    const id = String(newDocumentState[registration.primaryKey]);
    const current = await this.document(registration.name, id);
    if (current !== null) {
      const master = masterState(current);
      const alreadyThere = sameDocumentState(newDocumentState, master);
      if (alreadyThere || !sameDocumentState(assumedMasterState, master)) {
        const sees =
          library === EVERY_LIBRARY ||
          scopeIncludes(await this.currentScope(registration.name, id), library);
        if (sees) return alreadyThere ? [] : [master];
        return [departedView(registration, documentFields(master))];
      }
    }
    const fields = documentFields(newDocumentState);
    const version: DocumentRow = {
      id,
      data: JSON.stringify(fields),
      deleted: newDocumentState._deleted === true,
      parent: parentOf(registration, fields),
    };
    const scope = await this.scopeFor(registration, fields);
    await this.writeVersion(registration, version, scope, current !== null, library);
    return [];
  }

  /** As SQLite's writeVersion, into this push's memory (numbered at the end). */
  private async writeVersion(
    registration: Registration,
    version: DocumentRow,
    scope: readonly string[],
    exists: boolean,
    pushedBy: string = EVERY_LIBRARY,
  ): Promise<void> {
    const collection = registration.name;
    const { id } = version;
    const previousScope = exists ? await this.currentScope(collection, id) : [];
    const ordinal = ++this.ordinal;
    this.documentsOf(collection).set(id, version);
    let written = this.written.get(collection);
    if (written === undefined) this.written.set(collection, (written = new Map<string, number>()));
    written.delete(id);
    written.set(id, ordinal);

    let rows = this.visibilityOf(collection).get(id);
    if (rows === undefined)
      this.visibilityOf(collection).set(id, (rows = new Map<string, VisibilityRow>()));
    if (scope.includes(EVERY_LIBRARY)) rows.clear();
    const holders =
      pushedBy === EVERY_LIBRARY || previousScope.includes(pushedBy)
        ? previousScope
        : [...previousScope, pushedBy];
    const left = librariesLeft(holders, scope);
    for (const library of scope) rows.set(library, { seq: ordinal, fresh: true, leaving: false });
    for (const library of left) rows.set(library, { seq: ordinal, fresh: true, leaving: true });

    const change = this.changes.get(collection) ?? { ordinal, libraries: new Set<string>() };
    change.ordinal = ordinal;
    for (const library of [...scope, ...left]) change.libraries.add(library);
    this.changes.set(collection, change);

    if (!sameScope(previousScope, scope)) await this.rescopeChildren(collection, id);
  }

  /**
   * Gives every document scoped by this one a new version carrying its new scope. The
   * children are locked, then read again: one may have moved to another parent meanwhile
   * (no child can arrive: that needs the parent's lock, which this push holds).
   */
  private async rescopeChildren(collection: string, id: string): Promise<void> {
    for (const child of this.registrations.values()) {
      if (child.scopeFrom?.collection !== collection) continue;
      const scope = await this.parentScope(collection, id);
      const found = await this.client.query<{ id: string }>(
        'SELECT id FROM documents WHERE collection = $1 AND parent = $2 ORDER BY id',
        [child.name, id],
      );
      const ids = found.rows.map((row) => row.id);
      await this.lock(child.name, ids, 'exclusive');
      await this.load(child.name, ids);
      for (const childId of ids) {
        const row = this.documentsOf(child.name).get(childId);
        if (row?.parent !== id) continue;
        await this.writeVersion(child, { ...row }, scope, true);
      }
    }
  }

  async scopeFor(registration: Registration, doc: JsonDocument): Promise<string[]> {
    if (registration.scopeFrom !== undefined) {
      return this.parentScope(registration.scopeFrom.collection, parentOf(registration, doc));
    }
    const scope = normaliseScope(registration.scope(doc));
    if (scope === undefined || !scope.every(isPgKey)) {
      throw new ReplicationStoreError(
        'invalid_scope',
        `${registration.name}: the scope rule must return library codes.`,
      );
    }
    return scope;
  }

  /** The libraries that see a document now, sorted as JavaScript sorts (sameScope). */
  private async currentScope(collection: string, id: string): Promise<string[]> {
    await this.load(collection, [id]);
    const rows = this.visibilityOf(collection).get(id) ?? new Map<string, VisibilityRow>();
    return [...rows]
      .filter(([, row]) => !row.leaving)
      .map(([library]) => library)
      .sort();
  }

  private parentScope(collection: string, id: string | null): Promise<string[]> {
    return id === null ? Promise.resolve([]) : this.currentScope(collection, id);
  }

  /**
   * Numbers this push's versions and writes them: the counter row's lock, taken here, is
   * held until COMMIT, so no later push can number anything before this one commits.
   */
  private async write(): Promise<CommittedChange[]> {
    if (this.ordinal === 0) return [];
    const counter = await this.client.query<{ value: number }>(
      'UPDATE replication_seq SET value = value + $1 WHERE id = 1 RETURNING value',
      [this.ordinal],
    );
    const top = counter.rows[0]?.value;
    if (top === undefined) throw new Error('replication_seq has no row');
    const base = top - this.ordinal;

    const documents = { collection: [] as string[], id: [] as string[], seq: [] as number[] };
    const data = {
      deleted: [] as boolean[],
      data: [] as string[],
      parent: [] as (string | null)[],
    };
    const visibility = {
      collection: [] as string[],
      id: [] as string[],
      library: [] as string[],
      seq: [] as number[],
      leaving: [] as boolean[],
    };
    for (const [collection, ids] of this.written) {
      for (const [id, ordinal] of ids) {
        const row = this.documentsOf(collection).get(id);
        if (row === undefined || row === null) throw new Error(`${collection} ${id} vanished`);
        documents.collection.push(collection);
        documents.id.push(id);
        documents.seq.push(base + ordinal);
        data.deleted.push(row.deleted);
        data.data.push(row.data);
        data.parent.push(row.parent);
        for (const [library, entry] of this.visibilityOf(collection).get(id) ?? []) {
          visibility.collection.push(collection);
          visibility.id.push(id);
          visibility.library.push(library);
          visibility.seq.push(entry.fresh ? base + entry.seq : entry.seq);
          visibility.leaving.push(entry.leaving);
        }
      }
    }
    const changes = [...this.changes].map(
      ([collection, { ordinal, libraries }]): CommittedChange => ({
        collection,
        checkpoint: { seq: base + ordinal },
        libraries: [...libraries].sort(),
      }),
    );
    let payload = JSON.stringify({ origin: this.origin, changes } satisfies Notification);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD) {
      const everyone = changes.map((change) => ({ ...change, libraries: [EVERY_LIBRARY] }));
      payload = JSON.stringify({ origin: this.origin, changes: everyone });
    }
    // One statement (one round trip while the counter is held): the documents, their
    // visibility rows (the set this push holds for each written document replaces what was
    // there), and the NOTIFY, which PostgreSQL delivers only if the transaction commits.
    await this.client.query(
      `WITH written_documents AS (
         INSERT INTO documents (collection, id, seq, deleted, data, parent)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::boolean[], $5::text[],
           $6::text[])
         ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq,
           deleted = excluded.deleted, data = excluded.data, parent = excluded.parent
       ), rows AS (
         SELECT * FROM unnest($7::text[], $8::text[], $9::text[], $10::bigint[], $11::boolean[])
           AS r (collection, id, library, seq, leaving)
       ), dropped AS (
         DELETE FROM visibility AS v USING unnest($1::text[], $2::text[]) AS w (collection, id)
         WHERE v.collection = w.collection AND v.id = w.id AND NOT EXISTS (
           SELECT 1 FROM rows AS r
           WHERE r.collection = v.collection AND r.id = v.id AND r.library = v.library)
       ), kept AS (
         INSERT INTO visibility (collection, id, library, seq, leaving) SELECT * FROM rows
         ON CONFLICT (collection, id, library) DO UPDATE
         SET seq = excluded.seq, leaving = excluded.leaving
       )
       SELECT pg_notify($12, $13)`,
      [
        documents.collection,
        documents.id,
        documents.seq,
        data.deleted,
        data.data,
        data.parent,
        visibility.collection,
        visibility.id,
        visibility.library,
        visibility.seq,
        visibility.leaving,
        CHANNEL,
        payload,
      ],
    );
    return changes;
  }
}

function parentOf(registration: Registration, doc: JsonDocument): string | null {
  if (registration.scopeFrom === undefined) return null;
  const parent = doc[registration.scopeFrom.key];
  return isPgKey(parent) ? parent : null;
}

function masterState(row: DocumentRow): StoredDoc {
  return { ...(JSON.parse(row.data) as JsonDocument), _deleted: row.deleted };
}

/** A document as a library it no longer concerns receives it: deleted, trimmed. */
function departedView(registration: Registration, fields: JsonDocument): StoredDoc {
  const departed = registration.departed ?? ((doc: JsonDocument) => doc);
  return { ...departed(fields), _deleted: true };
}
