// Replication meta rows a first sync leaves in the documents' own rows.
//
// RxDB's replication keeps, for every document, a meta row in its meta instance holding the
// state the desk assumes the server has (the assumed master state): a push is based on it, and
// the downstream checks a pulled document against it. After a first sync that row is a copy of
// the document as pulled, so the first sync of a large library would store every document
// twice, with the meta table's primary key and its two indexes on top: in bench:sync half the
// bytes and half the B-tree work of the whole sync.
//
// So a first sync (first-sync.ts) writes a collection's documents with `assumed = 1` and links
// the collection's table to its replication's meta table (carrel_assumed_meta: one link per
// collection table, with the meta schema and the revision the rows would have had). For the
// meta table, such a document's meta row is derived from the document's row as long as it
// stays unwritten:
// - reading it by id (all RxDB does with meta rows) finds the derived row;
// - before the document's row is written in any way (a change at the desk, a later pull, a
//   purge), its meta row is written out, in the same transaction, and `assumed` goes to 0;
// - a write to the meta row itself writes it out with the write and clears `assumed`;
// - before a whole-table read of the meta table (a query, a count, its changes, cleanup)
//   every derived row is written out, so those see every row as before;
// - removing the meta table clears `assumed` in the collection; removing the collection's
//   table drops the link.
// The derived row is exactly the one the first sync would have written: the document less
// RxDB's own fields as `docData`, the link's revision, and the document's write time.
import {
  getComposedPrimaryKeyOfDocumentData,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageReplicationMeta,
} from 'rxdb';
import type { SharedFile } from './file-pool.js';
import { RowLayout, encodingOf, indexesOf, quoteIdentifier as quote } from './row-layout.js';

export type MetaRow = RxDocumentData<RxStorageReplicationMeta<unknown, unknown>>;

export const ASSUMED_LINKS_DDL =
  'CREATE TABLE IF NOT EXISTS carrel_assumed_meta (fork_table TEXT PRIMARY KEY NOT NULL, ' +
  'meta_table TEXT NOT NULL UNIQUE, meta_schema TEXT NOT NULL, rev TEXT NOT NULL) WITHOUT ROWID';

export interface AssumedLink {
  readonly forkTable: string;
  readonly metaTable: string;
  readonly metaSchema: RxJsonSchema<MetaRow>;
  /** The `_rev` the first sync gave its meta rows. */
  readonly rev: string;
}

interface LinkRow {
  fork_table: string;
  meta_table: string;
  meta_schema: string;
  rev: string;
}

/** Meta schemas as parsed, by their JSON: links are read on every write-out. */
const parsedSchemas = new Map<string, RxJsonSchema<MetaRow>>();

function toLink(row: LinkRow | undefined): AssumedLink | undefined {
  if (!row) return undefined;
  let metaSchema = parsedSchemas.get(row.meta_schema);
  if (!metaSchema) {
    metaSchema = JSON.parse(row.meta_schema) as RxJsonSchema<MetaRow>;
    parsedSchemas.set(row.meta_schema, metaSchema);
  }
  return { forkTable: row.fork_table, metaTable: row.meta_table, metaSchema, rev: row.rev };
}

function linkBy(column: 'fork_table' | 'meta_table') {
  const sql = `SELECT * FROM carrel_assumed_meta WHERE ${column} = ?`;
  return (file: SharedFile, table: string): AssumedLink | undefined =>
    toLink(file.statement(file.sqlite.writer, sql).get(table) as LinkRow | undefined);
}

/** The link of a collection table, if its documents may carry meta rows. */
export const linkOfFork = linkBy('fork_table');
/** The link of a meta table, if a collection's documents may carry its rows. */
export const linkOfMeta = linkBy('meta_table');

/**
 * Whether `schema` is that of a replication's meta instance (RxDB's
 * getRxReplicationMetaInstanceSchema): only such a table can be linked, so only its reads and
 * whole-table reads look for a link.
 */
export function isReplicationMetaSchema(schema: RxJsonSchema<RxDocumentData<unknown>>): boolean {
  const key = schema.primaryKey;
  return (
    typeof key === 'object' &&
    key.fields.join(',') === 'itemId,isCheckpoint' &&
    'docData' in schema.properties
  );
}

/** Whether any row of `forkTable` still carries its meta row. */
export function hasAssumed(file: SharedFile, forkTable: string): boolean {
  return (
    file
      .statement(file.sqlite.writer, `SELECT 1 FROM ${quote(forkTable)} WHERE assumed = 1 LIMIT 1`)
      .get() !== undefined
  );
}

/**
 * Links `link.forkTable` to `link.metaTable`, inside the caller's transaction. False if either
 * is linked otherwise (another meta table, another collection table, another revision) and
 * that link's documents still carry meta rows; a link without such documents is replaced.
 */
export function linkAssumed(file: SharedFile, link: AssumedLink): boolean {
  const byFork = linkOfFork(file, link.forkTable);
  if (byFork?.metaTable === link.metaTable && byFork.rev === link.rev) return true;
  for (const current of [byFork, linkOfMeta(file, link.metaTable)]) {
    if (current && hasAssumed(file, current.forkTable)) return false;
  }
  const db = file.sqlite.writer;
  file
    .statement(db, 'DELETE FROM carrel_assumed_meta WHERE fork_table = ? OR meta_table = ?')
    .run(link.forkTable, link.metaTable);
  file
    .statement(
      db,
      'INSERT INTO carrel_assumed_meta (fork_table, meta_table, meta_schema, rev) VALUES (?, ?, ?, ?)',
    )
    .run(link.forkTable, link.metaTable, JSON.stringify(link.metaSchema), link.rev);
  return true;
}

/** Drops the link of a collection table or meta table that is being removed. */
export function unlink(file: SharedFile, table: string): void {
  file
    .statement(
      file.sqlite.writer,
      'DELETE FROM carrel_assumed_meta WHERE fork_table = ? OR meta_table = ?',
    )
    .run(table, table);
}

/** The meta row's id of a document, and back (undefined for ids of other rows). */
export class MetaIds {
  private readonly suffix: string;

  constructor(private readonly metaSchema: RxJsonSchema<MetaRow>) {
    this.suffix = this.of('');
  }

  of(itemId: string): string {
    return getComposedPrimaryKeyOfDocumentData(this.metaSchema, { itemId, isCheckpoint: '0' });
  }

  itemOf(metaId: string): string | undefined {
    if (!metaId.endsWith(this.suffix)) return undefined;
    const itemId = metaId.slice(0, metaId.length - this.suffix.length);
    return this.of(itemId) === metaId ? itemId : undefined;
  }
}

/**
 * The meta row the first sync would have written for the document `itemId` whose row holds
 * `data` (RxDB's stored document: docData is it less RxDB's own fields, `_deleted` kept).
 */
export function derivedMetaRow(
  link: AssumedLink,
  ids: MetaIds,
  itemId: string,
  data: string,
): MetaRow {
  const docData = JSON.parse(data) as Record<string, unknown>;
  const lwt = (docData['_meta'] as { lwt: number }).lwt;
  delete docData['_meta'];
  delete docData['_rev'];
  delete docData['_attachments'];
  return {
    id: ids.of(itemId),
    isCheckpoint: '0',
    itemId,
    docData,
    _attachments: {},
    _deleted: false,
    _rev: link.rev,
    _meta: { lwt },
  };
}

/**
 * Writes out the meta rows of the rows of `forkTable` with ids `ids` (all of them when
 * undefined) that still carry theirs, and clears their `assumed`. Inside the caller's
 * transaction. `metaLayout` is the meta table's row layout.
 */
export function writeOutAssumed(
  file: SharedFile,
  link: AssumedLink,
  metaLayout: RowLayout<MetaRow>,
  ids?: readonly string[],
): number {
  const db = file.sqlite.writer;
  const fork = quote(link.forkTable);
  const metaIds = new MetaIds(link.metaSchema);
  const rows = (
    ids === undefined
      ? file.statement(db, `SELECT id, data FROM ${fork} WHERE assumed = 1`).raw().all()
      : file
          .statement(
            db,
            `SELECT id, data FROM ${fork} WHERE assumed = 1 AND id IN (SELECT value FROM json_each(?))`,
          )
          .raw()
          .all(JSON.stringify(ids))
  ) as [string, string][];
  if (rows.length === 0) return 0;
  const insert = file.statement(db, metaLayout.insertSql(quote(link.metaTable)));
  const clear = file.statement(db, `UPDATE ${fork} SET assumed = 0 WHERE id = ?`);
  for (const [id, data] of rows) {
    insert.run(metaLayout.insertValues(derivedMetaRow(link, metaIds, id, data), 0));
    clear.run(id);
  }
  return rows.length;
}

/** The row layout of a linked meta table, from its schema and recorded encoding. */
export function metaLayoutOf(file: SharedFile, link: AssumedLink): RowLayout<MetaRow> {
  const known = file
    .statement(file.sqlite.writer, 'SELECT index_layout FROM carrel_tables WHERE name = ?')
    .pluck()
    .get(link.metaTable) as string | undefined;
  const encoding =
    known === undefined
      ? undefined
      : encodingOf(known, indexesOf(link.metaSchema as RxJsonSchema<RxDocumentData<unknown>>));
  if (!encoding) throw new Error(`meta table ${link.metaTable} has no recorded layout`);
  return new RowLayout(link.metaSchema, encoding);
}
