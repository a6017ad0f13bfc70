import type Database from 'better-sqlite3';
import type { Subject } from 'rxjs';
import { type Observable } from 'rxjs';
import {
  categorizeBulkWriteRows,
  type CategorizeBulkWriteRowsOutput,
  getIndexStringLength,
  getQueryMatcher,
  getSortComparator,
  getStartIndexStringFromLowerBound,
  getStartIndexStringFromUpperBound,
  now,
  type BulkWriteRow,
  type EventBulk,
  type PreparedQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageBulkWriteResponse,
  type RxStorageChangeEvent,
  type RxStorageCountResult,
  type RxStorageDefaultCheckpoint,
  type RxStorageInstance,
  type RxStorageQueryResult,
} from 'rxdb';
import {
  ASSUMED_LINKS_DDL,
  type AssumedLink,
  MetaIds,
  type MetaRow,
  derivedMetaRow,
  hasAssumed,
  isReplicationMetaSchema,
  linkAssumed,
  linkOfFork,
  linkOfMeta,
  metaLayoutOf,
  unlink,
  writeOutAssumed,
} from './assumed-meta.js';
import type { SharedFile } from './file-pool.js';
import {
  type IndexColumn,
  RowLayout,
  type SortKeyEncoding,
  encodingOf,
  indexesOf,
  layoutOf,
  quoteIdentifier,
} from './row-layout.js';

export interface SqliteStorageInternals {
  readonly file: SharedFile;
  readonly table: string;
}

export interface SqliteInstanceOptions {
  /**
   * Longest time (ms) a read holds the thread before it lets other work (a scan's write) run;
   * 0 yields at every check. Default 4.
   */
  readonly readSliceMs?: number;
  /** Rows read between two looks at the clock. Default 64. */
  readonly readCheckEveryRows?: number;
}

type Doc<T> = RxDocumentData<T>;
type Checkpoint = RxStorageDefaultCheckpoint;
type ChangeBulk<T> = EventBulk<RxStorageChangeEvent<Doc<T>>, Checkpoint>;

interface StoredRows<T> {
  readonly docs: Map<string, Doc<T>>;
  /** Document rows that still carry their replication meta row (assumed-meta.ts). */
  readonly assumed: readonly string[];
  /** Meta rows read from their documents' rows (not stored in this table), and their link. */
  readonly derived: { readonly ids: ReadonlySet<string>; readonly link: AssumedLink } | undefined;
}

/** A first sync's link was refused: this collection carries another replication's meta rows. */
class LinkRefused extends Error {}

interface KeyRange {
  readonly column: string;
  readonly lower: Buffer;
  readonly lowerOp: '>=' | '>';
  readonly upper: Buffer;
  readonly upperOp: '<=' | '<';
}

/** How long a read may hold the thread before it lets a write through, by default. */
const DEFAULT_SLICE_MS = 4;
const DEFAULT_CHECK_EVERY_ROWS = 64;
/** Deleted documents purged per transaction by cleanup(). */
const PURGE_BATCH = 500;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The tables of one collection at one schema version:
 *   <collection>__v<version>             one row per document, JSON in `data`, and one BLOB
 *                                         column per RxDB index holding its sort key
 *   <collection>__v<version>__attachments attachment bytes, keyed by document and attachment id
 */
export function tableNameOf(collectionName: string, schemaVersion: number): string {
  return `${collectionName}__v${schemaVersion}`;
}

export class SqliteStorageInstance<RxDocType> implements RxStorageInstance<
  RxDocType,
  SqliteStorageInternals,
  SqliteInstanceOptions,
  Checkpoint
> {
  readonly primaryPath: string;
  /** The row's index columns, in the table's sort key encoding as recorded at its creation. */
  private readonly layout: RowLayout<RxDocType>;
  private readonly tableSql: string;
  private readonly attachmentsSql: string;
  private readonly pacing: { sliceMs: number; checkEveryRows: number };
  private readonly statements: ReturnType<SqliteStorageInstance<RxDocType>['prepareStatements']>;
  private readonly commitWrites: Database.Transaction<
    SqliteStorageInstance<RxDocType>['writeRows']
  >;
  /** Whether this is a replication's meta table, which a collection's documents may carry. */
  private readonly isReplicationMeta: boolean;
  /** The meta table layout for writing out this table's assumed meta rows, per link. */
  private metaWriter: { link: AssumedLink; layout: RowLayout<MetaRow> } | undefined;
  private closed = false;

  constructor(
    readonly databaseName: string,
    readonly collectionName: string,
    readonly schema: Readonly<RxJsonSchema<Doc<RxDocType>>>,
    readonly internals: SqliteStorageInternals,
    readonly options: Readonly<SqliteInstanceOptions>,
    private readonly changes: Subject<ChangeBulk<RxDocType>>,
    private readonly onClose: () => void,
  ) {
    this.pacing = {
      sliceMs: options.readSliceMs ?? DEFAULT_SLICE_MS,
      checkEveryRows: Math.max(1, options.readCheckEveryRows ?? DEFAULT_CHECK_EVERY_ROWS),
    };
    this.tableSql = quoteIdentifier(internals.table);
    this.attachmentsSql = quoteIdentifier(`${internals.table}__attachments`);
    const indexes = indexesOf(schema as RxJsonSchema<Doc<unknown>>);
    if (!indexes.some((fields) => fields[0] === '_meta.lwt' && fields.length === 2)) {
      throw new Error(`schema of ${collectionName} lacks RxDB's ['_meta.lwt', primaryKey] index`);
    }
    this.layout = new RowLayout(schema, this.createTables(indexes));
    this.isReplicationMeta = isReplicationMetaSchema(schema as RxJsonSchema<Doc<unknown>>);
    this.primaryPath = this.layout.primaryPath;
    this.statements = this.prepareStatements();
    this.commitWrites = this.writer.transaction(this.writeRows.bind(this));
  }

  private get writer(): Database.Database {
    return this.internals.file.sqlite.writer;
  }

  /** Creates the tables if they are missing; answers the table's sort key encoding. */
  private createTables(indexes: readonly (readonly string[])[]): SortKeyEncoding {
    const columns = indexes.map((_, i) => `i${i} BLOB NOT NULL`).join(', ');
    const table = this.internals.table;
    const sql = [
      `CREATE TABLE IF NOT EXISTS ${this.tableSql} (id TEXT PRIMARY KEY NOT NULL, ` +
        `deleted INTEGER NOT NULL, lwt REAL NOT NULL, exact INTEGER NOT NULL, ` +
        `data TEXT NOT NULL, ${columns}, assumed INTEGER NOT NULL DEFAULT 0)`,
      ...indexes.map(
        (_, i) =>
          `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${table}__i${i}`)} ` +
          `ON ${this.tableSql} (i${i})`,
      ),
      // cleanup() reads deleted documents by age; live documents stay out of this index.
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${table}__purge`)} ` +
        `ON ${this.tableSql} (lwt) WHERE deleted = 1`,
      `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(`${table}__inexact`)} ` +
        `ON ${this.tableSql} (id) WHERE exact = 0`,
      `CREATE TABLE IF NOT EXISTS ${this.attachmentsSql} (doc_id TEXT NOT NULL, ` +
        `attachment_id TEXT NOT NULL, digest TEXT NOT NULL, type TEXT NOT NULL, ` +
        `data BLOB NOT NULL, PRIMARY KEY (doc_id, attachment_id)) WITHOUT ROWID`,
      `CREATE TABLE IF NOT EXISTS carrel_tables (name TEXT PRIMARY KEY NOT NULL, ` +
        `index_layout TEXT NOT NULL) WITHOUT ROWID`,
      ASSUMED_LINKS_DDL,
    ];
    return this.writer
      .transaction((): SortKeyEncoding => {
        const existed =
          this.writer
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
            .get(table) !== undefined;
        for (const statement of sql) this.writer.exec(statement);
        // Tables from before assumed-meta.ts gain its column (no row is rewritten).
        const hasAssumedColumn = (
          this.writer.prepare(`PRAGMA table_info(${this.tableSql})`).all() as { name: string }[]
        ).some((column) => column.name === 'assumed');
        if (!hasAssumedColumn) {
          this.writer.exec(
            `ALTER TABLE ${this.tableSql} ADD COLUMN assumed INTEGER NOT NULL DEFAULT 0`,
          );
        }
        const known = this.writer
          .prepare('SELECT index_layout FROM carrel_tables WHERE name = ?')
          .pluck()
          .get(table) as string | undefined;
        if (known === undefined) {
          // A table that existed without a record predates the compact encoding.
          const encoding: SortKeyEncoding = existed ? 'utf16' : 'compact';
          this.writer
            .prepare('INSERT INTO carrel_tables (name, index_layout) VALUES (?, ?)')
            .run(table, layoutOf(indexes, encoding));
          return encoding;
        }
        const encoding = encodingOf(known, indexes);
        if (encoding) return encoding;
        // A schema's indexes changed without a version bump: the stored sort keys would be
        // wrong, so refuse rather than answer queries from a stale layout.
        throw new Error(
          `collection ${this.collectionName} v${this.schema.version} was stored with indexes ` +
            `${known} but the schema now has ${JSON.stringify(indexes)}; bump the schema ` +
            `version and migrate`,
        );
      })
      .immediate();
  }

  private prepareStatements() {
    const db = this.writer;
    const t = this.tableSql;
    const changes = this.layout.changesColumn.column;
    return {
      byIds: db
        .prepare(`SELECT id, assumed, data FROM ${t} WHERE id IN (SELECT value FROM json_each(?))`)
        .raw(),
      byId: db.prepare(`SELECT id, assumed, data FROM ${t} WHERE id = ?`).raw(),
      hasInexact: db.prepare(`SELECT EXISTS (SELECT 1 FROM ${t} WHERE exact = 0)`).pluck(),
      insert: db.prepare(this.layout.insertSql(t)),

      changesSince: db
        .prepare(`SELECT data FROM ${t} WHERE ${changes} > ? ORDER BY ${changes} LIMIT ?`)
        .pluck(),
      changesFromStart: db.prepare(`SELECT data FROM ${t} ORDER BY ${changes} LIMIT ?`).pluck(),
      putAttachment: db.prepare(
        `INSERT OR REPLACE INTO ${this.attachmentsSql} (doc_id, attachment_id, digest, type, data) ` +
          `VALUES (?, ?, ?, ?, ?)`,
      ),
      removeAttachment: db.prepare(
        `DELETE FROM ${this.attachmentsSql} WHERE doc_id = ? AND attachment_id = ?`,
      ),
      getAttachment: db.prepare(
        `SELECT digest, type, data FROM ${this.attachmentsSql} WHERE doc_id = ? AND attachment_id = ?`,
      ),
      purgeBatch: db
        .prepare(`SELECT id FROM ${t} WHERE deleted = 1 AND lwt <= ? ORDER BY lwt LIMIT ?`)
        .pluck(),
      purgeDoc: db.prepare(`DELETE FROM ${t} WHERE id = ?`),
      purgeAttachments: db.prepare(`DELETE FROM ${this.attachmentsSql} WHERE doc_id = ?`),
    };
  }

  private readonly updates = new Map<string, Database.Statement>();

  /** The UPDATE writing the row and the given index columns (cached per column set). */
  private updateStatement(columns: readonly IndexColumn[]): Database.Statement {
    const names = columns.map((c) => c.column);
    const key = names.join(',');
    let statement = this.updates.get(key);
    if (!statement) {
      statement = this.writer.prepare(
        `UPDATE ${this.tableSql} SET deleted = ?, lwt = ?, exact = ?, assumed = 0, data = ?` +
          names.map((n) => `, ${n} = ?`).join('') +
          ' WHERE id = ?',
      );
      this.updates.set(key, statement);
    }
    return statement;
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new Error(`storage instance ${this.databaseName}/${this.collectionName} is closed`);
    }
  }

  /**
   * Rows by id as stored, with the ids of document rows still carrying their replication meta
   * row (`assumed`); for a meta table linked to a collection, also the meta rows its documents
   * carry (`derived`). See assumed-meta.ts.
   */
  private readRows(ids: readonly string[]): StoredRows<RxDocType> {
    const docs = new Map<string, Doc<RxDocType>>();
    const assumed: string[] = [];
    const rows = (
      ids.length === 1
        ? this.statements.byId.all(ids[0])
        : this.statements.byIds.all(JSON.stringify(ids))
    ) as [string, number, string][];
    for (const [id, carries, data] of rows) {
      docs.set(id, JSON.parse(data) as Doc<RxDocType>);
      if (carries === 1) assumed.push(id);
    }
    const derived =
      this.isReplicationMeta && docs.size < ids.length ? this.readDerived(ids, docs) : undefined;
    return { docs, assumed, derived };
  }

  /** The meta rows the linked collection's documents carry for `ids` missing from `docs`. */
  private readDerived(
    ids: readonly string[],
    docs: Map<string, Doc<RxDocType>>,
  ): StoredRows<RxDocType>['derived'] {
    const file = this.internals.file;
    const link = linkOfMeta(file, this.internals.table);
    if (!link) return undefined;
    const metaIds = new MetaIds(link.metaSchema);
    const items: string[] = [];
    for (const id of ids) {
      const item = docs.has(id) ? undefined : metaIds.itemOf(id);
      if (item !== undefined) items.push(item);
    }
    if (items.length === 0) return undefined;
    const rows = file
      .statement(
        this.writer,
        `SELECT id, data FROM ${quoteIdentifier(link.forkTable)} ` +
          'WHERE assumed = 1 AND id IN (SELECT value FROM json_each(?))',
      )
      .raw()
      .all(JSON.stringify(items)) as [string, string][];
    const derived = new Set<string>();
    for (const [item, data] of rows) {
      const row = derivedMetaRow(link, metaIds, item, data);
      docs.set(row.id, row as unknown as Doc<RxDocType>);
      derived.add(row.id);
    }
    return { ids: derived, link };
  }

  private idOf(doc: Doc<RxDocType>): string {
    return this.layout.idOf(doc);
  }

  /**
   * Writes out the meta rows that the documents `ids` of this table still carry (all of them
   * when undefined), before those rows change or go; inside the caller's transaction.
   */
  private writeOutMetaRows(ids?: readonly string[]): void {
    const file = this.internals.file;
    const link = linkOfFork(file, this.internals.table);
    if (!link) return;
    const cached = this.metaWriter;
    const writer =
      cached?.link.metaTable === link.metaTable && cached.link.rev === link.rev
        ? cached
        : { link, layout: metaLayoutOf(file, link) };
    this.metaWriter = writer;
    writeOutAssumed(file, link, writer.layout, ids);
  }

  /**
   * The body of bulkWrite's transaction: conflict check, rows, attachments. `pulled`: a first
   * sync's documents, inserted carrying their meta rows of that link (bulkInsertPulled).
   */
  private writeRows(
    documentWrites: BulkWriteRow<RxDocType>[],
    context: string,
    attachmentBytes: Map<Blob, Buffer> | undefined,
    pulled: AssumedLink | undefined,
  ) {
    const s = this.statements;
    const file = this.internals.file;
    if (pulled && !linkAssumed(file, pulled)) throw new LinkRefused();
    const ids = documentWrites.map((row) => this.idOf(row.document));
    const { docs: inDb, assumed, derived } = this.readRows(ids);
    const result = categorizeBulkWriteRows<RxDocType>(
      this,
      this.primaryPath as never,
      inDb,
      documentWrites,
      context,
    );
    if (assumed.length > 0) {
      const updated = new Set(result.bulkUpdateDocs.map((row) => this.idOf(row.document)));
      const changing = assumed.filter((id) => updated.has(id));
      if (changing.length > 0) this.writeOutMetaRows(changing);
    }
    for (const row of result.bulkInsertDocs) {
      s.insert.run(this.layout.insertValues(row.document, pulled ? 1 : 0));
    }
    for (const row of result.bulkUpdateDocs) {
      const doc = row.document;
      const id = this.idOf(doc);
      if (derived?.ids.has(id)) {
        // A meta row so far carried by its document: written out now, as written.
        s.insert.run(this.layout.insertValues(doc, 0));
        this.releaseDerived(derived.link, doc);
        continue;
      }
      // Only the index columns whose sort key changed are written: every other index of the
      // row is left alone, which keeps a status change from rewriting every B-tree.
      const before = inDb.get(id);
      const changed: IndexColumn[] = [];
      for (const column of this.layout.columns) {
        const key = column.indexString(doc);
        if (!before || column.indexString(before) !== key) changed.push(column);
      }
      this.updateStatement(changed).run(
        doc._deleted ? 1 : 0,
        doc._meta.lwt,
        this.layout.isExact(doc) ? 1 : 0,
        JSON.stringify(doc),
        ...changed.map((column) => this.layout.sortKey(column.indexString(doc as Doc<unknown>))),
        id,
      );
    }
    if (attachmentBytes) {
      for (const a of [...result.attachmentsAdd, ...result.attachmentsUpdate]) {
        const bytes = attachmentBytes.get(a.attachmentData.data);
        if (!bytes) throw new Error(`attachment ${a.attachmentId} has no data`);
        s.putAttachment.run(a.documentId, a.attachmentId, a.digest, a.attachmentData.type, bytes);
      }
      for (const a of result.attachmentsRemove) {
        s.removeAttachment.run(a.documentId, a.attachmentId);
      }
    }
    return result;
  }

  /** A meta row of this (meta) table now written out: its document no longer carries it. */
  private releaseDerived(link: AssumedLink, doc: Doc<RxDocType>): void {
    this.internals.file
      .statement(
        this.writer,
        `UPDATE ${quoteIdentifier(link.forkTable)} SET assumed = 0 WHERE id = ?`,
      )
      .run((doc as unknown as MetaRow).itemId);
  }

  /**
   * Atomic per call: the conflict check and every write happen in one IMMEDIATE transaction,
   * and the call resolves only after COMMIT has returned, i.e. after the WAL was synced.
   */
  bulkWrite(
    documentWrites: BulkWriteRow<RxDocType>[],
    context: string,
  ): Promise<RxStorageBulkWriteResponse<RxDocType>> {
    return this.write(documentWrites, context, undefined);
  }

  /**
   * A first sync's page of documents (first-sync.ts), inserted as bulkWrite inserts them but
   * each carrying the meta row that `meta`, this collection's replication meta instance in the
   * same file, would otherwise get for it, with revision `rev` (assumed-meta.ts). Resolves
   * undefined, with nothing written, when that cannot be: `meta` is not a table of this file,
   * or this collection's documents carry meta rows of another replication.
   */
  async bulkInsertPulled(
    documentWrites: BulkWriteRow<RxDocType>[],
    context: string,
    meta: object,
    rev: string,
  ): Promise<RxStorageBulkWriteResponse<RxDocType> | undefined> {
    if (!(meta instanceof SqliteStorageInstance) || this.schema.attachments) return undefined;
    const metaInstance = meta as SqliteStorageInstance<MetaRow>;
    if (metaInstance.internals.file !== this.internals.file) return undefined;
    const link: AssumedLink = {
      forkTable: this.internals.table,
      metaTable: metaInstance.internals.table,
      metaSchema: metaInstance.schema,
      rev,
    };
    try {
      return await this.write(documentWrites, context, link);
    } catch (error) {
      if (error instanceof LinkRefused) return undefined;
      throw error;
    }
  }

  private async write(
    documentWrites: BulkWriteRow<RxDocType>[],
    context: string,
    pulled: AssumedLink | undefined,
  ): Promise<RxStorageBulkWriteResponse<RxDocType>> {
    this.ensureOpen();
    const attachmentBytes = this.schema.attachments
      ? await readAttachmentBytes(documentWrites)
      : undefined;
    while (this.internals.file.groups.mustWait()) await this.internals.file.groups.ended();
    this.ensureOpen();
    const categorized = this.commitWrites.immediate(
      documentWrites,
      context,
      attachmentBytes,
      pulled,
    );
    if (!this.internals.file.groups.inGroup()) this.internals.file.committed();

    if (categorized.eventBulk.events.length > 0 && categorized.newestRow) {
      const newest = categorized.newestRow.document;
      categorized.eventBulk.checkpoint = { id: this.idOf(newest), lwt: newest._meta.lwt };
      const bulk = categorized.eventBulk as ChangeBulk<RxDocType>;
      this.changes.next(bulk);
      this.internals.file.groups.onRollback(() =>
        this.changes.next(inverseOf(bulk, categorized, (doc) => this.idOf(doc))),
      );
    }
    return { error: categorized.errors };
  }

  /**
   * Before a read of this whole (meta) table: the meta rows its linked collection's documents
   * still carry are written out, so the read sees every row.
   */
  private async writeOutDerived(): Promise<void> {
    if (!this.isReplicationMeta) return;
    const file = this.internals.file;
    const link = linkOfMeta(file, this.internals.table);
    if (!link || !hasAssumed(file, link.forkTable)) return;
    while (file.groups.mustWait()) await file.groups.ended();
    this.ensureOpen();
    const layout = this.layout as unknown as RowLayout<MetaRow>;
    this.writer.transaction(() => writeOutAssumed(file, link, layout)).immediate();
    if (!file.groups.inGroup()) file.committed();
  }

  /**
   * The connection a long read uses: a pooled read connection with its own snapshot, or,
   * inside a write group, the write connection, so the group reads its own writes.
   */
  private takeReadConnection(): Database.Database {
    const file = this.internals.file;
    return file.groups.inGroup() ? this.writer : file.takeReader();
  }

  /** Runs a synchronous read as the interface's promise: a failure is a rejection, not a throw. */
  private answer<T>(read: () => T): Promise<T> {
    try {
      this.ensureOpen();
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  findDocumentsById(ids: string[], withDeleted: boolean): Promise<Doc<RxDocType>[]> {
    return this.answer(() => {
      const found = this.readRows(ids).docs;
      const result: Doc<RxDocType>[] = [];
      for (const id of ids) {
        const doc = found.get(id);
        if (doc && (withDeleted || !doc._deleted)) result.push(doc);
      }
      return result;
    });
  }

  /** A key above every exact document's key on `index` (for judge-mode whole scans). */
  private aboveAll(index: IndexColumn): Buffer {
    const schema = this.schema as RxJsonSchema<Doc<unknown>>;
    return this.layout.sortKey(
      '\uffff'.repeat(getIndexStringLength(schema, [...index.fields]) + 1),
    );
  }

  /**
   * Plans the read of a query: the key range of its index, and whether sort keys can be
   * trusted for it (`judge` false) or the matcher and comparator must decide (`judge` true:
   * the table holds an inexact row, or the query's bounds are not exact; see exactness.ts).
   */
  private planRead(preparedQuery: PreparedQuery<RxDocType>): { range: KeyRange; judge: boolean } {
    const plan = preparedQuery.queryPlan;
    const index = this.layout.columnByIndex.get(plan.index.join(','));
    if (!index) throw new Error(`no index ${plan.index.join(',')} on ${this.collectionName}`);
    const exactBounds = index.boundsExact(plan.startKeys) && index.boundsExact(plan.endKeys);
    const judge = !exactBounds || this.statements.hasInexact.get() === 1;
    if (!exactBounds) {
      return {
        range: {
          column: index.column,
          lower: Buffer.alloc(0),
          lowerOp: '>=',
          upper: this.aboveAll(index),
          upperOp: '<=',
        },
        judge,
      };
    }
    const schema = this.schema as RxJsonSchema<Doc<RxDocType>>;
    return {
      range: {
        column: index.column,
        lower: this.layout.sortKey(
          getStartIndexStringFromLowerBound(schema, plan.index, plan.startKeys),
        ),
        lowerOp: plan.inclusiveStart ? '>=' : '>',
        upper: this.layout.sortKey(
          getStartIndexStringFromUpperBound(schema, plan.index, plan.endKeys),
        ),
        upperOp: plan.inclusiveEnd ? '<=' : '<',
      },
      judge,
    };
  }

  /**
   * Reads the rows of an index range in order on a read connection that holds one WAL
   * snapshot for the whole read. Every `checkEveryRows` rows it looks at the clock; once the
   * read has held the thread for `sliceMs`, it lets the event loop run (a scan's write goes
   * through then) and resumes after the last key it read. Short reads never yield. In judge
   * mode, inexact rows are left out of the range (their keys lie) and visited at the end
   * instead, whatever their keys. `visit` returns false to stop.
   */
  private async scanRange(
    range: KeyRange,
    judge: boolean,
    visit: (data: string) => boolean,
  ): Promise<void> {
    const file = this.internals.file;
    const reader = this.takeReadConnection();
    const { checkEveryRows, sliceMs } = this.pacing;
    try {
      const { column } = range;
      // rowid, not the sort key: a BLOB per row costs a Buffer per row; the key of the last
      // row is looked up by its rowid only when the read pauses.
      const head = `SELECT rowid, exact, data FROM ${this.tableSql} WHERE `;
      const tail = ` AND ${column} ${range.upperOp} ? ORDER BY ${column}`;
      const first = file.statement(reader, `${head}${column} ${range.lowerOp} ?${tail}`).raw();
      if (reader !== this.writer) file.statement(reader, 'BEGIN').run();
      try {
        let statement = first;
        let params = [range.lower, range.upper];
        let sliceStart = performance.now();
        for (;;) {
          let lastRowid: number | undefined;
          let paused = false;
          let rows = 0;
          // Rows stream from SQLite: a query that stops early reads no further.
          for (const [rowid, exact, data] of statement.iterate(...params) as Iterable<
            [number, number, string]
          >) {
            lastRowid = rowid;
            if ((exact === 1 || !judge) && !visit(data)) return;
            if (++rows % checkEveryRows === 0 && performance.now() - sliceStart >= sliceMs) {
              paused = true;
              break;
            }
          }
          if (!paused || lastRowid === undefined) break;
          const lastKey = file
            .statement(reader, `SELECT ${column} FROM ${this.tableSql} WHERE rowid = ?`)
            .pluck()
            .get(lastRowid) as Buffer;
          await yieldToEventLoop();
          sliceStart = performance.now();
          statement = file.statement(reader, `${head}${column} > ?${tail}`).raw();
          params = [lastKey, range.upper];
        }
        if (judge) {
          const inexact = file.statement(
            reader,
            `SELECT data FROM ${this.tableSql} WHERE exact = 0`,
          );
          for (const data of inexact.pluck().iterate() as Iterable<string>) {
            if (!visit(data)) return;
          }
        }
      } finally {
        if (reader !== this.writer) file.statement(reader, 'COMMIT').run();
      }
    } finally {
      if (reader !== this.writer) file.returnReader(reader);
    }
  }

  async query(preparedQuery: PreparedQuery<RxDocType>): Promise<RxStorageQueryResult<RxDocType>> {
    this.ensureOpen();
    await this.writeOutDerived();
    const { queryPlan: plan, query } = preparedQuery;
    const skip = query.skip ?? 0;
    const limit = typeof query.limit === 'number' ? query.limit : Infinity;
    const wanted = skip + limit;
    const { range, judge } = this.planRead(preparedQuery);
    const schema = this.schema as RxJsonSchema<Doc<RxDocType>>;
    const matches =
      plan.selectorSatisfiedByIndex && !judge ? undefined : getQueryMatcher(schema, query);
    const mustSort = !plan.sortSatisfiedByIndex || judge;

    let documents: Doc<RxDocType>[] = [];
    if (limit <= 0) return { documents };
    await this.scanRange(range, judge, (data) => {
      if (!matches && !mustSort && documents.length < skip) {
        // Skipped rows that need neither matching nor sorting are not parsed at all.
        documents.push(undefined as never);
        return documents.length < wanted;
      }
      const doc = JSON.parse(data) as Doc<RxDocType>;
      if (!matches || matches(doc)) documents.push(doc);
      return mustSort || documents.length < wanted;
    });
    if (mustSort) documents.sort(getSortComparator(schema, query));
    if (skip > 0 || documents.length > wanted) documents = documents.slice(skip, wanted);
    return { documents };
  }

  async count(preparedQuery: PreparedQuery<RxDocType>): Promise<RxStorageCountResult> {
    this.ensureOpen();
    await this.writeOutDerived();
    const { range, judge } = this.planRead(preparedQuery);
    if (preparedQuery.queryPlan.selectorSatisfiedByIndex && !judge) {
      return { count: await this.countRange(range), mode: 'fast' };
    }
    const matches = getQueryMatcher(
      this.schema as RxJsonSchema<Doc<RxDocType>>,
      preparedQuery.query,
    );
    let count = 0;
    await this.scanRange(range, judge, (data) => {
      if (matches(JSON.parse(data) as Doc<RxDocType>)) count += 1;
      return true;
    });
    return { count, mode: 'fast' };
  }

  /**
   * Counts an index range from the index alone, in chunks of `chunk` entries, in one
   * snapshot, pacing like scanRange. The boundary key of a chunk is looked up only when the
   * chunk was full, so a small range costs one plain covering-index count.
   */
  private async countRange(range: KeyRange): Promise<number> {
    const file = this.internals.file;
    const reader = this.takeReadConnection();
    const chunk = this.pacing.checkEveryRows * 64;
    const { column } = range;
    const where = (lowerOp: string) =>
      `FROM ${this.tableSql} WHERE ${column} ${lowerOp} ? AND ${column} ${range.upperOp} ?`;
    const countSql = (lowerOp: string) =>
      `SELECT count(*) FROM (SELECT 1 ${where(lowerOp)} LIMIT ${chunk})`;
    const boundarySql = (lowerOp: string) =>
      `SELECT ${column} ${where(lowerOp)} ORDER BY ${column} LIMIT 1 OFFSET ${chunk - 1}`;
    try {
      if (reader !== this.writer) file.statement(reader, 'BEGIN').run();
      try {
        let total = 0;
        let lowerOp: string = range.lowerOp;
        let lower = range.lower;
        let sliceStart = performance.now();
        for (;;) {
          const n = file
            .statement(reader, countSql(lowerOp))
            .pluck()
            .get(lower, range.upper) as number;
          total += n;
          if (n < chunk) return total;
          lower = file
            .statement(reader, boundarySql(lowerOp))
            .pluck()
            .get(lower, range.upper) as Buffer;
          lowerOp = '>';
          if (performance.now() - sliceStart >= this.pacing.sliceMs) {
            await yieldToEventLoop();
            sliceStart = performance.now();
          }
        }
      } finally {
        if (reader !== this.writer) file.statement(reader, 'COMMIT').run();
      }
    } finally {
      if (reader !== this.writer) file.returnReader(reader);
    }
  }

  async getChangedDocumentsSince(
    limit: number,
    checkpoint?: Checkpoint,
  ): Promise<{ documents: Doc<RxDocType>[]; checkpoint: Checkpoint }> {
    this.ensureOpen();
    await this.writeOutDerived();
    return this.answer(() => this.changesSince(limit, checkpoint));
  }

  private changesSince(
    limit: number,
    checkpoint: Checkpoint | undefined,
  ): { documents: Doc<RxDocType>[]; checkpoint: Checkpoint } {
    const rows = (
      checkpoint
        ? this.statements.changesSince.all(
            this.layout.sortKey(
              this.layout.changesColumn.indexString({
                _meta: { lwt: checkpoint.lwt },
                [this.primaryPath]: checkpoint.id,
              } as unknown as Doc<unknown>),
            ),
            limit,
          )
        : this.statements.changesFromStart.all(limit)
    ) as string[];
    const documents = rows.map((data) => JSON.parse(data) as Doc<RxDocType>);
    const last = documents[documents.length - 1];
    return {
      documents,
      checkpoint: last
        ? { id: this.idOf(last), lwt: last._meta.lwt }
        : (checkpoint ?? { id: '', lwt: 0 }),
    };
  }

  changeStream(): Observable<ChangeBulk<RxDocType>> {
    this.ensureOpen();
    return this.changes.asObservable();
  }

  /**
   * Purges deleted documents whose last write is older than `minimumDeletedTime` ms, in
   * batches, so a large purge never holds the writer for long.
   */
  async cleanup(minimumDeletedTime: number): Promise<boolean> {
    this.ensureOpen();
    const olderThan = now() - minimumDeletedTime;
    const s = this.statements;
    for (;;) {
      while (this.internals.file.groups.mustWait()) await this.internals.file.groups.ended();
      if (this.closed) return false;
      const ids = s.purgeBatch.all(olderThan, PURGE_BATCH) as string[];
      this.writer
        .transaction(() => {
          // A purged document's meta row stays, as RxDB's replication left it.
          if (ids.length > 0) this.writeOutMetaRows(ids);
          for (const id of ids) {
            s.purgeDoc.run(id);
            s.purgeAttachments.run(id);
          }
        })
        .immediate();
      if (ids.length < PURGE_BATCH) return true;
      await yieldToEventLoop();
      if (this.closed) return false;
    }
  }

  getAttachmentData(documentId: string, attachmentId: string, digest: string): Promise<Blob> {
    return this.answer(() => {
      const row = this.statements.getAttachment.get(documentId, attachmentId) as
        { digest: string; type: string; data: Buffer } | undefined;
      if (!row || !digest || row.digest !== digest) {
        throw new Error(
          `attachment ${documentId}/${attachmentId} with digest ${digest} does not exist`,
        );
      }
      return new Blob([row.data], { type: row.type });
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
    }
    return Promise.resolve();
  }

  async remove(): Promise<void> {
    this.ensureOpen();
    while (this.internals.file.groups.mustWait()) await this.internals.file.groups.ended();
    this.writer
      .transaction(() => {
        // A meta table's rows carried by its collection's documents go with it; a collection
        // table's link goes with the table (assumed-meta.ts).
        const link = this.isReplicationMeta
          ? linkOfMeta(this.internals.file, this.internals.table)
          : undefined;
        if (link) {
          this.writer.exec(
            `UPDATE ${quoteIdentifier(link.forkTable)} SET assumed = 0 WHERE assumed = 1`,
          );
        }
        unlink(this.internals.file, this.internals.table);
        this.writer.exec(`DROP TABLE IF EXISTS ${this.tableSql}`);
        this.writer.exec(`DROP TABLE IF EXISTS ${this.attachmentsSql}`);
        this.writer.prepare('DELETE FROM carrel_tables WHERE name = ?').run(this.internals.table);
      })
      .immediate();
    await this.close();
  }
}

/**
 * The events that take RxDB back to the state before a bulk whose transaction rolled back:
 * inserted documents are deleted again, updated ones return to their previous state.
 */
function inverseOf<T>(
  bulk: ChangeBulk<T>,
  categorized: CategorizeBulkWriteRowsOutput<T>,
  idOf: (doc: Doc<T>) => string,
): ChangeBulk<T> {
  const events: RxStorageChangeEvent<Doc<T>>[] = [];
  for (const row of categorized.bulkInsertDocs) {
    const documentId = idOf(row.document);
    events.push({
      documentId,
      operation: 'DELETE',
      documentData: { ...row.document, _deleted: true },
      previousDocumentData: row.document,
    });
  }
  for (const row of categorized.bulkUpdateDocs) {
    if (!row.previous) continue;
    const documentId = idOf(row.document);
    events.push({
      documentId,
      operation: row.previous._deleted ? 'DELETE' : 'UPDATE',
      documentData: row.previous,
      previousDocumentData: row.document,
    });
  }
  return { id: `${bulk.id}-undo`, events, checkpoint: bulk.checkpoint, context: bulk.context };
}

/** Blob bodies must be read before the (synchronous) write transaction starts. */
async function readAttachmentBytes<T>(rows: BulkWriteRow<T>[]): Promise<Map<Blob, Buffer>> {
  const bytes = new Map<Blob, Buffer>();
  for (const row of rows) {
    for (const attachment of Object.values(row.document._attachments ?? {})) {
      if ('data' in attachment && attachment.data instanceof Blob && !bytes.has(attachment.data)) {
        bytes.set(attachment.data, Buffer.from(await attachment.data.arrayBuffer()));
      }
    }
  }
  return bytes;
}
