// The replication store on PostgreSQL, for consortia that run several server instances on
// one database. Same contract and same tables as the SQLite store (sqlite-replication-store.ts
// explains `documents` and `visibility`); what differs is that writers run concurrently.
//
// Checkpoints follow commit order (the invariant in replication-store.ts): a push does all
// its reading, comparing and deciding first, holding locks on the documents it touches, and
// takes its seqs from the counter row (`UPDATE replication_seq SET value = value + n
// RETURNING value`) only then, in the statement that writes its rows, the last before COMMIT
// (and sent with it: see Push). The counter row's lock is held until COMMIT, so the next
// push gets its seqs only after this one has committed: seq order is commit order, and a
// pull (one statement, one snapshot) sees a prefix of the seq sequence. Concurrent pushes
// overlap in everything but that statement and the commit. Checkpoints stay `{ seq }`, as
// on SQLite.
//
// Locks (transaction-scoped advisory locks on (collection, id), so they also cover documents
// that do not exist yet): a push locks the documents it writes exclusively, and the parents
// its rows are scoped by shared, before reading them; re-scoping a parent's children locks
// the children. A child pushed while its parent moves therefore either commits first (and is
// re-scoped by the parent's push) or reads the parent's new scope. Locks go parents first,
// each set in key order; a deadlock PostgreSQL still finds (children of two parents locked
// in different orders) rolls the push back and it runs again. A document that lends its
// scope (ScopeGrant) locks the borrowers whose scope it changes, then reads them and their
// lenders again: a borrower written meanwhile by another push has committed by then, and a
// lender changing meanwhile in another push re-scopes the borrower after this one commits.
//
// Live events: the push's transaction sends `NOTIFY carrel_commits` with the collections and
// libraries it changed; PostgreSQL delivers it only if the transaction commits. Every store
// LISTENs, so each server instance hears every instance's commits (see onOtherCommit).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { documentFields, sameScope, scopeIncludes } from './document-state.js';
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
import { migratePgDatabase, pgMigrations } from './migrations/pg-migrations.js';

const CHANNEL = 'carrel_commits';

// The layout is built and upgraded by numbered migrations (migrations/pg-*.ts) when a store
// opens the database; a database from a newer server is refused unchanged.

// The statements run for every push and pull are named: PostgreSQL parses and plans a named
// statement once per connection, and planning a pull costs more than running it (0.2 ms
// against 0.05 ms for a desk's usual page of a few documents).
//
// A connection keeps its plans for its life, so they must stay right as the tables grow. Every
// statement here reads by key or by an index range, whose right plan is the same for any
// parameters and any table size; but a plan made while the tables held a handful of rows (a
// new consortium, every bench run) reads the whole table, or every document of the collection
// through an index that begins with it, for each key, and kept doing so at thousands of rows
// (bench:sync: a pull went from 0.05 to 1.3 ms over 20 s, and PostgreSQL took over a core
// instead of 40 % of one). So each connection plans each statement once, for any parameters
// (a generic plan), with whole-table and bitmap scans only as a last resort (PLAN_SETTINGS);
// and each document is looked up by its full key in a LATERAL subquery, which OFFSET 0 keeps
// from being turned into a join that reads the collection once for all the keys. The test
// (test/server/pg-plans.test.ts) checks every named statement on an empty database and on a
// nearly empty one.

/** Session settings of every connection of the store (see above). */
export const PLAN_SETTINGS =
  'SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off; SET enable_bitmapscan = off';

/** One page as on SQLite: two index range reads, merged; see PULL_SQL there. */
const PULL = {
  name: 'carrel_pull',
  text: `
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
  CROSS JOIN LATERAL (
    SELECT id, deleted, data FROM documents WHERE collection = $2 AND id = v.id OFFSET 0
  ) AS d
  ORDER BY v.seq
`,
};

const GET = {
  name: 'carrel_get',
  text: `
    SELECT d.id, d.deleted, d.data, d.parent
    FROM unnest($2::text[]) AS w (id)
    CROSS JOIN LATERAL (
      SELECT id, deleted, data, parent FROM documents WHERE collection = $1 AND id = w.id OFFSET 0
    ) AS d
  `,
};

/** Takes advisory locks on (collection, id) keys in key order (a stable global order). */
const lockStatement = (mode: 'shared' | 'exclusive') => ({
  name: `carrel_lock_${mode}`,
  text: `
    SELECT pg_advisory_xact_lock${mode === 'shared' ? '_shared' : ''}(key) FROM (
      SELECT DISTINCT hashtextextended($1 || chr(31) || id, 0) AS key
      FROM unnest($2::text[]) AS id
      ORDER BY key
    ) AS keys
  `,
});
const LOCK = { shared: lockStatement('shared'), exclusive: lockStatement('exclusive') };

/** Documents by id, each with its visibility rows as [library, seq, leaving]. */
const LOAD = {
  name: 'carrel_load',
  text: `
    SELECT d.id, d.deleted, d.data, d.parent,
      coalesce((
        SELECT json_agg(json_build_array(v.library, v.seq, v.leaving)) FROM visibility AS v
        WHERE v.collection = $1 AND v.id = d.id
      ), '[]') AS visibility
    FROM unnest($2::text[]) AS w (id)
    CROSS JOIN LATERAL (
      SELECT id, deleted, data, parent FROM documents WHERE collection = $1 AND id = w.id OFFSET 0
    ) AS d
  `,
};

/**
 * A push's versions, numbered from the counter ($1 seqs: the statement adds the seq before
 * the push's first to each ordinal), with their visibility rows (the set given for each
 * written document replaces what was there) and the NOTIFY, which PostgreSQL delivers only
 * if the transaction commits; its payload is a Notification, with real seqs. Answers the
 * seq before the push's first.
 *
 * The statement's snapshot may be older than the commit it waited for on the counter row:
 * harmless, as it reads only rows of documents this push holds locked (which no other push
 * can have changed since this one read them), and ON CONFLICT checks the newest rows anyway.
 */
const WRITE = {
  name: 'carrel_write',
  text: `
    WITH counter AS (
      UPDATE replication_seq SET value = value + $1 WHERE id = 1 RETURNING value - $1 AS base
    ), written_documents AS (
      INSERT INTO documents (collection, id, seq, deleted, data, parent)
      SELECT w.collection, w.id, counter.base + w.ordinal, w.deleted, w.data, w.parent
      FROM counter, unnest($2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::text[],
        $7::text[]) AS w (collection, id, ordinal, deleted, data, parent)
      ON CONFLICT (collection, id) DO UPDATE SET seq = excluded.seq,
        deleted = excluded.deleted, data = excluded.data, parent = excluded.parent
    ), rows AS (
      SELECT r.collection, r.id, r.library,
        CASE WHEN r.fresh THEN counter.base + r.seq ELSE r.seq END AS seq, r.leaving
      FROM counter, unnest($8::text[], $9::text[], $10::text[], $11::bigint[],
        $12::boolean[], $13::boolean[]) AS r (collection, id, library, seq, fresh, leaving)
    ), dropped AS (
      -- Found by key, deleted by row address: see the plans above.
      DELETE FROM visibility WHERE ctid = ANY (ARRAY(
        SELECT v.ctid
        FROM unnest($2::text[], $3::text[]) AS w (collection, id)
        CROSS JOIN LATERAL (
          SELECT ctid, library FROM visibility
          WHERE collection = w.collection AND id = w.id OFFSET 0
        ) AS v
        WHERE NOT EXISTS (
          SELECT 1 FROM rows AS r
          WHERE r.collection = w.collection AND r.id = w.id AND r.library = v.library)
      ))
    ), kept AS (
      INSERT INTO visibility (collection, id, library, seq, leaving) SELECT * FROM rows
      ON CONFLICT (collection, id, library) DO UPDATE
      SET seq = excluded.seq, leaving = excluded.leaving
    )
    SELECT counter.base, pg_notify($14, json_build_object(
      'origin', $15::text,
      'changes', (
        SELECT json_agg(json_build_object(
          'collection', c.collection,
          'checkpoint', json_build_object('seq', counter.base + c.ordinal),
          'libraries', c.libraries,
          'pushedBy', c."pushedBy"))
        FROM json_to_recordset($16::json)
          AS c (collection text, ordinal bigint, libraries json, "pushedBy" text)
      ))::text)
    FROM counter
  `,
};

/** The lenders of a borrower (ScopeGrant). */
const LENDERS = {
  name: 'carrel_lenders',
  text: 'SELECT lender_collection AS collection, lender_id AS id FROM scope_grants WHERE collection = $1 AND id = $2',
};
/** The borrowers of a lender in a collection. */
const BORROWERS = {
  name: 'carrel_borrowers',
  text: 'SELECT id FROM scope_grants WHERE lender_collection = $1 AND lender_id = $2 AND collection = $3',
};
const GRANT = {
  name: 'carrel_grant',
  text: `INSERT INTO scope_grants (collection, id, lender_collection, lender_id)
    SELECT $1, unnest($2::text[]), $3, $4 ON CONFLICT DO NOTHING`,
};
const REVOKE = {
  name: 'carrel_revoke',
  text: `DELETE FROM scope_grants
    WHERE collection = $1 AND id = ANY($2) AND lender_collection = $3 AND lender_id = $4`,
};
/**
 * A parent's children (scopeFrom), in key order. Sorted apart from the read: in one query the
 * planner may read the whole collection in key order instead, which skips the sort.
 */
const CHILDREN = {
  name: 'carrel_children',
  text: `
    SELECT id FROM (
      SELECT id FROM documents WHERE collection = $1 AND parent = $2 OFFSET 0
    ) AS children
    ORDER BY id
  `,
};
const LATEST = {
  name: 'carrel_latest',
  text: 'SELECT max(seq) AS seq FROM documents WHERE collection = $1',
};

/** Every named statement, for the plan test (the others run rarely: opening, a new history). */
export const NAMED_STATEMENTS: readonly { readonly name: string; readonly text: string }[] = [
  PULL,
  GET,
  LOCK.shared,
  LOCK.exclusive,
  LOAD,
  WRITE,
  LENDERS,
  BORROWERS,
  GRANT,
  REVOKE,
  CHILDREN,
  LATEST,
];

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

/** A document row, as read or as written by this push. */
type DocumentRow = DocumentVersion;

/** A library's visibility row: its seq, or the push-local ordinal of a version not yet numbered. */
interface VisibilityRow {
  seq: number;
  fresh: boolean;
  leaving: boolean;
}

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
  /** Connections for pushes (default 6). */
  readonly maxConnections?: number;
  /**
   * Connections for pulls and other reads (default 6). With the registry's three and the
   * LISTEN connection, an instance holds 16 connections, as many as with one pool before.
   */
  readonly maxReadConnections?: number;
}

/**
 * Opens the store on a PostgreSQL database (`postgres://` URL), creating its tables if the
 * database has none. Rejects with `store_too_new` for a newer layout, changing nothing.
 */
export async function openPgReplicationStore(
  url: string,
  options: PgStoreOptions = {},
): Promise<PgReplicationStore> {
  // Two pools: a push holds its connection while it waits for the locks of its documents
  // and for the counter, and pulls (several per push at a busy consortium: every desk of the
  // library is told) must not queue behind those waits. Push connections pipeline (see Push).
  const writes = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 6,
    types,
    pipeline: true,
  });
  const reads = new pg.Pool({
    connectionString: url,
    max: options.maxReadConnections ?? 6,
    types,
  });
  // An idle connection that breaks is dropped by the pool; without a listener the error
  // would end the process.
  writes.on('error', () => undefined);
  reads.on('error', () => undefined);
  // Sent before anything else on the connection (PostgreSQL runs its statements in order); a
  // connection that fails here fails its first real statement too.
  for (const pool of [writes, reads]) {
    pool.on('connect', (client) => void client.query(PLAN_SETTINGS).catch(() => undefined));
  }
  try {
    await prepareDatabase(reads);
    const store = new PostgresReplicationStore(writes, reads, url);
    await store.listen();
    return store;
  } catch (error) {
    await Promise.all([writes.end(), reads.end()]);
    throw error;
  }
}

/** Brings the database to this server's layout; `store_too_new` for a newer one. */
async function prepareDatabase(pool: pg.Pool): Promise<void> {
  await migratePgDatabase(pool, pgMigrations, { where: 'The consortium database' });
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
    /** Pushes, on pipelining connections. */
    private readonly writes: pg.Pool,
    /** Everything else: pulls, gets, scopes, the latest checkpoint. */
    private readonly reads: pg.Pool,
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

  async catchUpGrants(): Promise<void> {
    this.assertOpen();
    for (const registration of this.registrations.values()) {
      if (registration.grants === undefined) continue;
      const client = await this.writes.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        // One instance at a time; the others then find the collection caught up.
        await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
          `carrel scope grants ${registration.name}`,
        ]);
        const done = await client.query('SELECT 1 FROM scope_grant_lenders WHERE collection = $1', [
          registration.name,
        ]);
        let changes: CommittedChange[] = [];
        if (done.rowCount === 0) {
          const push = new Push(client, this.registrations, this.origin);
          await push.catchUpLoans(registration);
          changes = await push.write();
          await client.query(
            'INSERT INTO scope_grant_lenders (collection) VALUES ($1) ON CONFLICT DO NOTHING',
            [registration.name],
          );
        }
        await client.query('COMMIT');
        this.announce(changes);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  async pull(collection: string, request: PullRequest): Promise<PullResult> {
    return pullResult(await this.pulledPage(collection, request));
  }

  async pullJson(collection: string, request: PullRequest): Promise<PullJson> {
    return pullJson(await this.pulledPage(collection, request));
  }

  /** The page a pull serves (checked first: see `pull`). */
  private async pulledPage(collection: string, request: PullRequest): Promise<PulledPage> {
    const registration = this.use(collection);
    checkPullRequest(request, isPgKey);
    const { library, after, limit } = request;
    const rows = await this.readPage(collection, library, after?.seq ?? 0, limit);
    return { registration, rows, after };
  }

  /**
   * As on SQLite: the first `limit` documents after `after` (see PullPage). Each query is its
   * own snapshot; a later one can only add rows with higher seqs (commit order), so no row is
   * passed over.
   */
  private async readPage(
    collection: string,
    library: string,
    after: number,
    limit: number,
  ): Promise<PulledRow[]> {
    const page = new PullPage<PulledRow>(limit);
    for (let cursor: number | undefined = after; cursor !== undefined;) {
      const { rows } = await this.reads.query<PulledRow>({
        ...PULL,
        values: [library, collection, cursor, limit],
      });
      cursor = page.add(rows);
    }
    return page.rows();
  }

  async get(collection: string, ids: readonly string[]): Promise<StoredDoc[]> {
    this.use(collection);
    // An id PostgreSQL cannot hold (or that would reach it changed) names no document.
    const wanted = ids.filter(isPgKey);
    const { rows } = await this.reads.query<DocumentRow>({
      ...GET,
      values: [collection, wanted],
    });
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
        const { conflicts, changes } = await this.pushOnce(registration, rows, context);
        this.announce(changes);
        return { conflicts };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= 5 || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }

  /** One attempt at a push, in its own transaction (Push.commit sends BEGIN and COMMIT). */
  private async pushOnce(
    registration: Registration,
    rows: readonly PushRow[],
    context: PushContext,
  ): Promise<{ conflicts: StoredDoc[]; changes: CommittedChange[] }> {
    const client = await this.writes.connect();
    let broken = false;
    try {
      return await new Push(client, this.registrations, this.origin).commit(
        registration,
        rows,
        context,
      );
    } catch (error) {
      // A statement that failed beside its COMMIT has ended the transaction already (COMMIT
      // of a failed transaction rolls it back); ROLLBACK then only warns.
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async scopeOf(collection: string, doc: JsonDocument): Promise<readonly string[]> {
    const registration = this.use(collection);
    const read = new Push(this.reads, this.registrations, this.origin);
    return read.scopeFor(registration, doc);
  }

  async history(): Promise<string> {
    this.assertOpen();
    const { rows } = await this.reads.query<{ history: string }>(
      'SELECT history FROM replication_history WHERE id = 1',
    );
    const history = rows[0]?.history;
    if (history === undefined) throw new Error('replication_history has no row');
    return history;
  }

  async startNewHistory(): Promise<string> {
    this.assertOpen();
    const history = randomUUID();
    await this.reads.query(
      'UPDATE replication_history SET history = $1, started_at = now() WHERE id = 1',
      [history],
    );
    return history;
  }

  async latest(collection: string): Promise<Checkpoint> {
    this.use(collection);
    const { rows } = await this.reads.query<{ seq: number | null }>({
      ...LATEST,
      values: [collection],
    });
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
    await Promise.all([this.writes.end(), this.reads.end()]);
  }

  private assertOpen(): void {
    if (this.closed) throw new ReplicationStoreError('store_closed', 'The store is closed.');
  }

  private use(collection: string): Registration {
    this.assertOpen();
    return registrationOf(this.registrations, collection);
  }

  /** This store's own commits, right after COMMIT (other instances hear them by NOTIFY). */
  private announce(changes: readonly CommittedChange[]): void {
    tellLater(this.listeners, changes);
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
 * end. Also serves `scopeOf` outside any transaction (with the read pool as its client).
 *
 * A push takes two round trips on its pipelining connection (PostgreSQL runs pipelined
 * statements one after another, in order, each `Sync`ed on its own): BEGIN, the locks and
 * the reads under them go out together, each read taking its snapshot once the locks before
 * it are held; then the write (counter, rows, NOTIFY in one statement) and COMMIT go out
 * together. So the counter's lock, which every push in the consortium waits for, is held for
 * PostgreSQL's own work and the commit's WAL flush, never for a round trip to this process,
 * whose event loop may be busy with other requests. (Taken one statement at a time, the lock
 * spanned three round trips, and under load pushes queued for it.)
 */
class Push {
  /** Documents read or written, by collection and id (null: known not to exist). */
  private readonly documents = new Map<string, Map<string, DocumentRow | null>>();
  /** Visibility rows of documents read or written, by collection, id and library. */
  private readonly visibility = new Map<string, Map<string, Map<string, VisibilityRow>>>();
  /** Documents written, in write order, with the ordinal of their last version. */
  private readonly written = new Map<string, Map<string, number>>();
  /** Per collection: highest ordinal written and the libraries told. */
  private readonly changes = new ChangeLog();
  private ordinal = 0;

  constructor(
    private readonly client: Client | pg.Pool,
    private readonly registrations: ReadonlyMap<string, Registration>,
    private readonly origin: string,
  ) {}

  /** The push, from BEGIN to COMMIT (the caller rolls back if this throws). */
  async commit(
    registration: Registration,
    rows: readonly PushRow[],
    context: PushContext,
  ): Promise<{ conflicts: StoredDoc[]; changes: CommittedChange[] }> {
    // Each call below sends its first statement before it awaits anything, so the
    // statements go out in this order.
    const [, conflicts] = await Promise.all(
      this.together(
        () => [this.client.query('BEGIN'), this.run(registration, rows, context)] as const,
      ),
    );
    const [changes] = await Promise.all(
      this.together(() => [this.write(), this.client.query('COMMIT')] as const),
    );
    return { conflicts, changes };
  }

  /**
   * Runs `send` with the connection's socket corked, so the statements it sends leave in one
   * write: one system call, and one wake-up of the backend, instead of one per statement.
   * Those writes were most of the server's own time under load (CPU profile, bench:sync).
   */
  private together<T>(send: () => T): T {
    const socket = 'connection' in this.client ? this.client.connection.stream : undefined;
    socket?.cork();
    try {
      return send();
    } finally {
      socket?.uncork();
    }
  }

  private async run(
    registration: Registration,
    rows: readonly PushRow[],
    context: PushContext,
  ): Promise<StoredDoc[]> {
    const collection = registration.name;
    // Every row is checked before anything is locked or read: the locks need the ids.
    const ids = rows.map((row) => pushedId(registration, row, isPgKey));
    // Parents before the documents (see the header), so their scopes hold until COMMIT.
    const { scopeFrom } = registration;
    const parents =
      scopeFrom === undefined
        ? []
        : rows.flatMap((row) => {
            const parent = parentOf(registration, documentFields(row.newDocumentState), isPgKey);
            return parent === null ? [] : [parent];
          });
    // Sent together (see commit); PostgreSQL runs them in this order, so the reads take their
    // snapshot with the locks held.
    await Promise.all([
      scopeFrom === undefined ? undefined : this.lock(scopeFrom.collection, parents, 'shared'),
      this.lock(collection, ids, 'exclusive'),
      this.load(collection, ids),
    ]);

    const conflicts: StoredDoc[] = [];
    for (const row of rows) conflicts.push(...(await this.applyRow(registration, row, context)));
    return conflicts;
  }

  /** Records the loans of every stored document of a lending collection (catchUpGrants). */
  async catchUpLoans(registration: Registration): Promise<void> {
    const { rows } = await this.client.query<{ id: string }>(
      'SELECT id FROM documents WHERE collection = $1 ORDER BY id',
      [registration.name],
    );
    const ids = rows.map((row) => row.id);
    for (let start = 0; start < ids.length; start += 500) {
      const batch = ids.slice(start, start + 500);
      await this.lock(registration.name, batch, 'exclusive');
      await this.load(registration.name, batch);
      for (const id of batch) {
        const row = this.documentsOf(registration.name).get(id);
        if (!row) continue;
        const fields = JSON.parse(row.data) as JsonDocument;
        await this.refreshLoans(registration, id, fields, row.deleted, true, false);
      }
    }
  }

  private async lock(
    collection: string,
    ids: readonly string[],
    mode: 'shared' | 'exclusive',
  ): Promise<void> {
    if (ids.length === 0) return;
    await this.client.query({ ...LOCK[mode], values: [collection, ids] });
  }

  /** Reads documents (and their visibility rows) not read yet by this push. */
  private async load(collection: string, ids: readonly string[]): Promise<void> {
    const known = this.documentsOf(collection);
    const missing = [...new Set(ids)].filter((id) => !known.has(id));
    if (missing.length === 0) return;
    for (const id of missing) known.set(id, null);
    const { rows } = await this.client.query<
      DocumentRow & { visibility: [string, number, boolean][] }
    >({ ...LOAD, values: [collection, missing] });
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
    context: PushContext,
  ): Promise<StoredDoc[]> {
    const { library } = context;
    const id = String(row.newDocumentState[registration.primaryKey]); // checked in run
    const current = await this.document(registration.name, id);
    const unwritten = judgeRow(row, current);
    if (unwritten !== undefined) {
      const sees =
        library === EVERY_LIBRARY ||
        scopeIncludes(await this.currentScope(registration.name, id), library);
      return answerRow(registration, row, unwritten, sees);
    }
    const { fields, version } = pushedVersion(registration, id, row.newDocumentState, isPgKey);
    const scope = await this.scopeFor(registration, fields);
    await this.writeVersion(registration, version, scope, current !== null, context);
    return [];
  }

  /** As SQLite's writeVersion, into this push's memory (numbered at the end). */
  private async writeVersion(
    registration: Registration,
    version: DocumentRow,
    scope: readonly string[],
    exists: boolean,
    pushed?: PushContext,
  ): Promise<void> {
    const collection = registration.name;
    const { id } = version;
    const previousScope = exists ? await this.currentScope(collection, id) : [];
    const previous = exists ? (this.documentsOf(collection).get(id) ?? null) : null;
    const ordinal = ++this.ordinal;
    this.documentsOf(collection).set(id, version);
    let written = this.written.get(collection);
    if (written === undefined) this.written.set(collection, (written = new Map<string, number>()));
    written.delete(id);
    written.set(id, ordinal);

    const update = visibilityUpdate(previousScope, scope, pushed?.library ?? EVERY_LIBRARY);
    let rows = this.visibilityOf(collection).get(id);
    if (rows === undefined)
      this.visibilityOf(collection).set(id, (rows = new Map<string, VisibilityRow>()));
    if (update.everyLibrary) rows.clear();
    for (const library of update.seeing) {
      rows.set(library, { seq: ordinal, fresh: true, leaving: false });
    }
    for (const library of update.left) {
      rows.set(library, { seq: ordinal, fresh: true, leaving: true });
    }
    this.changes.record(collection, ordinal, update.told, echoOf(pushed, update));

    if (update.scopeChanged) await this.rescopeChildren(collection, id);
    else await this.refreshChildLoans(collection, id, previous, version);
    if (registration.grants !== undefined) {
      const fields = JSON.parse(version.data) as JsonDocument;
      await this.refreshLoans(
        registration,
        id,
        fields,
        version.deleted,
        exists,
        update.scopeChanged,
      );
    }
  }

  /**
   * As SQLite's: records whom a lender lends its scope to now and re-scopes the borrowers
   * that gained or lost it (every borrower, when the lender's own scope changed). The
   * borrowers are locked first, then read.
   */
  private async refreshLoans(
    registration: Registration,
    id: string,
    fields: JsonDocument,
    deleted: boolean,
    existed: boolean,
    scopeChanged: boolean,
  ): Promise<void> {
    const { grants } = registration;
    if (grants === undefined) return;
    const lends = !deleted && (await this.parentLets(registration, fields));
    const before = new Set<string>();
    // A document not stored before has lent to nobody yet: no round trip to ask.
    if (existed) {
      const { rows } = await this.client.query<{ id: string }>({
        ...BORROWERS,
        values: [registration.name, id, grants.collection],
      });
      for (const row of rows) before.add(row.id);
    }
    const change = loanChange(grants, fields, lends, before, scopeChanged, isPgKey);
    const { gained, lost } = change;
    if (gained.length > 0) {
      await this.client.query({
        ...GRANT,
        values: [grants.collection, gained, registration.name, id],
      });
    }
    if (lost.length > 0) {
      await this.client.query({
        ...REVOKE,
        values: [grants.collection, lost, registration.name, id],
      });
    }
    if (change.affected.length === 0) return;
    // In key order, the order the locks are taken in (see the header).
    const affected = [...change.affected].sort();
    await this.lock(grants.collection, affected, 'exclusive');
    await this.load(grants.collection, affected);
    for (const key of affected) await this.rescopeBorrower(grants.collection, key);
  }

  /** Whether a document scoped by a parent may lend now (ScopeGrant.whileParent). */
  private async parentLets(registration: Registration, fields: JsonDocument): Promise<boolean> {
    const { grants, scopeFrom } = registration;
    if (grants?.whileParent === undefined || scopeFrom === undefined) return true;
    const parentId = parentOf(registration, fields, isPgKey);
    const parent = parentId === null ? null : await this.document(scopeFrom.collection, parentId);
    return parentLetsLend(grants.whileParent, parent);
  }

  /**
   * As SQLite's: the loans of the children of a parent whose state changed follow
   * (childLoansToRefresh). The children are locked and read as when they are re-scoped.
   */
  private async refreshChildLoans(
    collection: string,
    id: string,
    previous: DocumentRow | null,
    version: DocumentRow,
  ): Promise<void> {
    for (const child of childLoansToRefresh(this.registrations, collection, previous, version)) {
      for (const row of await this.children(child.name, id)) {
        const fields = JSON.parse(row.data) as JsonDocument;
        await this.refreshLoans(child, row.id, fields, row.deleted, true, false);
      }
    }
  }

  /** As SQLite's: a new version of a borrower if the libraries that see it changed. */
  private async rescopeBorrower(collection: string, id: string): Promise<void> {
    const registration = this.registrations.get(collection);
    const row = registration === undefined ? null : await this.document(collection, id);
    if (registration === undefined || row === null) return; // scoped when it arrives
    const scope = await this.scopeFor(registration, JSON.parse(row.data) as JsonDocument);
    if (sameScope(await this.currentScope(collection, id), scope)) return;
    await this.writeVersion(registration, { ...row }, scope, true);
  }

  /** A parent's children, locked and read (none can arrive: that needs the parent's lock). */
  private async children(collection: string, parent: string): Promise<DocumentRow[]> {
    const found = await this.client.query<{ id: string }>({
      ...CHILDREN,
      values: [collection, parent],
    });
    const ids = found.rows.map((row) => row.id);
    await this.lock(collection, ids, 'exclusive');
    await this.load(collection, ids);
    return ids.flatMap((childId) => {
      const row = this.documentsOf(collection).get(childId);
      // One may have moved to another parent meanwhile.
      return row?.parent === parent ? [row] : [];
    });
  }

  /**
   * Gives every document scoped by this one a new version carrying its new scope. The
   * children are locked, then read again: one may have moved to another parent meanwhile
   * (no child can arrive: that needs the parent's lock, which this push holds).
   */
  private async rescopeChildren(collection: string, id: string): Promise<void> {
    for (const child of scopedBy(this.registrations, collection)) {
      const scope = await this.parentScope(collection, id);
      for (const row of await this.children(child.name, id)) {
        await this.writeVersion(child, { ...row }, scope, true);
      }
    }
  }

  async scopeFor(registration: Registration, doc: JsonDocument): Promise<string[]> {
    if (registration.scopeFrom !== undefined) {
      const parent = parentOf(registration, doc, isPgKey);
      return this.parentScope(registration.scopeFrom.collection, parent);
    }
    // Library codes PostgreSQL cannot store are refused here (SQLite does not check them).
    const scope = ruleScope(registration, doc, isPgKey);
    const id = doc[registration.primaryKey];
    const borrows = [...this.registrations.values()].some(
      (other) => other.grants?.collection === registration.name,
    );
    if (!borrows || !isPgKey(id)) return scope;
    const { rows } = await this.client.query<{ collection: string; id: string }>({
      ...LENDERS,
      values: [registration.name, id],
    });
    const byCollection = new Map<string, string[]>();
    for (const row of rows)
      byCollection.set(row.collection, [...(byCollection.get(row.collection) ?? []), row.id]);
    const lent: string[] = [];
    for (const [collection, ids] of byCollection) {
      await this.load(collection, ids);
      for (const lender of ids) lent.push(...(await this.currentScope(collection, lender)));
    }
    return withLentScope(scope, lent);
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
   * Numbers this push's versions and writes them, in one statement: the counter row's lock,
   * taken here, is held until COMMIT, so no later push can number anything before this one
   * commits. Sends its statement before it awaits anything (see commit).
   */
  async write(): Promise<CommittedChange[]> {
    if (this.ordinal === 0) return [];
    const documents = {
      collection: [] as string[],
      id: [] as string[],
      ordinal: [] as number[],
      deleted: [] as boolean[],
      data: [] as string[],
      parent: [] as (string | null)[],
    };
    const visibility = {
      collection: [] as string[],
      id: [] as string[],
      library: [] as string[],
      seq: [] as number[],
      fresh: [] as boolean[],
      leaving: [] as boolean[],
    };
    for (const [collection, ids] of this.written) {
      for (const [id, ordinal] of ids) {
        const row = this.documentsOf(collection).get(id);
        if (row === undefined || row === null) throw new Error(`${collection} ${id} vanished`);
        documents.collection.push(collection);
        documents.id.push(id);
        documents.ordinal.push(ordinal);
        documents.deleted.push(row.deleted);
        documents.data.push(row.data);
        documents.parent.push(row.parent);
        for (const [library, entry] of this.visibilityOf(collection).get(id) ?? []) {
          visibility.collection.push(collection);
          visibility.id.push(id);
          visibility.library.push(library);
          visibility.seq.push(entry.seq);
          visibility.fresh.push(entry.fresh);
          visibility.leaving.push(entry.leaving);
        }
      }
    }
    // Checkpoints as ordinals: the statement adds the seq before this push's first.
    let changes = this.changes.list().map(({ collection, last, libraries, pushedBy }) => ({
      collection,
      ordinal: last,
      libraries,
      pushedBy: pushedBy ?? null,
    }));
    if (Buffer.byteLength(JSON.stringify(changes)) > MAX_PAYLOAD) {
      changes = changes.map((change) => ({ ...change, libraries: [EVERY_LIBRARY] }));
    }
    const { rows } = await this.client.query<{ base: number }>({
      ...WRITE,
      values: [
        this.ordinal,
        documents.collection,
        documents.id,
        documents.ordinal,
        documents.deleted,
        documents.data,
        documents.parent,
        visibility.collection,
        visibility.id,
        visibility.library,
        visibility.seq,
        visibility.fresh,
        visibility.leaving,
        CHANNEL,
        this.origin,
        JSON.stringify(changes),
      ],
    });
    const base = rows[0]?.base;
    if (base === undefined) throw new Error('replication_seq has no row');
    return changes.map(({ collection, ordinal, libraries, pushedBy }) => ({
      collection,
      checkpoint: { seq: base + ordinal },
      libraries,
      ...(pushedBy === null ? {} : { pushedBy }),
    }));
  }
}
