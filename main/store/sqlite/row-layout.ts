import {
  getIndexableStringMonad,
  getPrimaryFieldOfPrimaryKey,
  type RxDocumentData,
  type RxJsonSchema,
} from 'rxdb';
import { boundsExactness, documentExactness } from './exactness.js';
import { toCompactSortKey, toSortKey, type SortKeyEncoder } from './sort-key.js';

type Doc<T> = RxDocumentData<T>;

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface IndexColumn {
  /** SQL column name: i0, i1, ... */
  readonly column: string;
  readonly fields: readonly string[];
  readonly indexString: (doc: Doc<unknown>) => string;
  /** Whether a query's bound keys on this index are ordered faithfully by sort keys. */
  readonly boundsExact: (keys: readonly unknown[]) => boolean;
}

/**
 * How a table's index columns encode sort keys (sort-key.ts), recorded with its index layout
 * in carrel_tables: tables created since the compact encoding existed use it; older tables
 * keep UTF-16, under their layout as it was recorded then (the bare JSON list of indexes), so
 * existing desk databases open unchanged and need no migration.
 */
export type SortKeyEncoding = 'utf16' | 'compact';
const encoders: Record<SortKeyEncoding, SortKeyEncoder> = {
  utf16: toSortKey,
  compact: toCompactSortKey,
};

export function layoutOf(
  indexes: readonly (readonly string[])[],
  encoding: SortKeyEncoding,
): string {
  const list = JSON.stringify(indexes);
  return encoding === 'utf16' ? list : JSON.stringify({ indexes, keys: encoding });
}

/** The encoding a table was recorded with (`known`, from carrel_tables), if it fits `indexes`. */
export function encodingOf(
  known: string,
  indexes: readonly (readonly string[])[],
): SortKeyEncoding | undefined {
  return (['compact', 'utf16'] as const).find((encoding) => known === layoutOf(indexes, encoding));
}

/** A schema's indexes (RxDB's, after it filled in its defaults), each as a list of fields. */
export function indexesOf(schema: Readonly<RxJsonSchema<Doc<unknown>>>): string[][] {
  return (schema.indexes ?? []).map((index) =>
    (Array.isArray(index) ? index : [index]).map(String),
  );
}

/**
 * What a collection's row holds besides its JSON: one BLOB column per RxDB index with the
 * document's sort key on it (i0, i1, ... in the schema's index order), and whether sort keys
 * order the document faithfully (`exact`, exactness.ts).
 */
export class RowLayout<RxDocType> {
  readonly primaryPath: string;
  readonly columns: readonly IndexColumn[];
  readonly columnByIndex = new Map<string, IndexColumn>();
  /** RxDB's ['_meta.lwt', primaryKey] index: the order of getChangedDocumentsSince. */
  readonly changesColumn: IndexColumn;
  readonly isExact: (doc: Doc<RxDocType>) => boolean;
  readonly sortKey: SortKeyEncoder;

  constructor(
    readonly schema: Readonly<RxJsonSchema<Doc<RxDocType>>>,
    readonly encoding: SortKeyEncoding,
  ) {
    this.primaryPath = getPrimaryFieldOfPrimaryKey(schema.primaryKey);
    const anySchema = schema as RxJsonSchema<Doc<unknown>>;
    const indexes = indexesOf(anySchema);
    this.columns = indexes.map((fields, i) => ({
      column: `i${i}`,
      fields,
      indexString: getIndexableStringMonad(anySchema, fields),
      boundsExact: boundsExactness(anySchema, fields),
    }));
    this.isExact = documentExactness(schema as RxJsonSchema<Doc<RxDocType>>, indexes);
    for (const column of this.columns) this.columnByIndex.set(column.fields.join(','), column);
    const changesColumn = this.columnByIndex.get(['_meta.lwt', this.primaryPath].join(','));
    if (!changesColumn) {
      throw new Error(`a schema without RxDB's ['_meta.lwt', primaryKey] index`);
    }
    this.changesColumn = changesColumn;
    this.sortKey = encoders[encoding];
  }

  idOf(doc: Doc<RxDocType>): string {
    return (doc as Record<string, unknown>)[this.primaryPath] as string;
  }

  keys(doc: Doc<RxDocType>): Buffer[] {
    return this.columns.map((c) => this.sortKey(c.indexString(doc as Doc<unknown>)));
  }

  /** The INSERT of a whole row into `tableSql`; its values are `insertValues`. */
  insertSql(tableSql: string): string {
    const names = this.columns.map((c) => c.column);
    return (
      `INSERT INTO ${tableSql} (id, deleted, lwt, exact, assumed, data, ${names.join(', ')}) ` +
      `VALUES (?, ?, ?, ?, ?, ?, ${names.map(() => '?').join(', ')})`
    );
  }

  /** `assumed`: see assumed-meta.ts; 0 for every row but a first sync's documents. */
  insertValues(doc: Doc<RxDocType>, assumed: 0 | 1): unknown[] {
    return [
      this.idOf(doc),
      doc._deleted ? 1 : 0,
      doc._meta.lwt,
      this.isExact(doc) ? 1 : 0,
      assumed,
      JSON.stringify(doc),
      ...this.keys(doc),
    ];
  }
}
