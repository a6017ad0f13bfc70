// Lean reads and writes for the scan path. RxDB's collection API builds an RxQuery (cached,
// with its results) for every distinct query and an RxDocument for every result; on the
// check-in path, where each scan asks new questions about one barcode, that is garbage the
// desk pays for in collection pauses. These helpers go to the collections' storage instances
// (the same ones RxDB writes through: revisions, write times and change events are RxDB's
// own), and hand back plain documents.
import {
  normalizeMangoQuery,
  prepareQuery,
  type MangoQuery,
  type RxCollection,
  type RxDocumentData,
} from 'rxdb';
import type { DeskCollectionName, DeskDocuments } from '../../shared/index.js';
import type { DeskDatabase } from './desk-database.js';

/** A document as stored: the collection's fields plus RxDB's `_rev`, `_meta`, `_deleted`. */
export type Stored<Name extends DeskCollectionName> = RxDocumentData<DeskDocuments[Name]>;

/** A write the store refused: another write changed the document first (or it exists). */
export class StoreWriteError extends Error {
  constructor(
    readonly collection: string,
    readonly documentIds: string[],
    readonly status: number,
  ) {
    super(`write to ${collection} refused (${status}) for ${documentIds.length} document(s)`);
    this.name = 'StoreWriteError';
  }
}

export interface DeskData {
  get<Name extends DeskCollectionName>(name: Name, id: string): Promise<Stored<Name> | undefined>;
  getMany<Name extends DeskCollectionName>(
    name: Name,
    ids: readonly string[],
  ): Promise<Map<string, Stored<Name>>>;
  /** Live (not deleted) documents matching the query, read through the collection's index. */
  find<Name extends DeskCollectionName>(
    name: Name,
    query: MangoQuery<DeskDocuments[Name]>,
  ): Promise<Stored<Name>[]>;
  insert<Name extends DeskCollectionName>(
    name: Name,
    docs: readonly DeskDocuments[Name][],
  ): Promise<void>;
  /** Writes `current` with `changes` applied; refused if `current` is no longer the stored state. */
  update<Name extends DeskCollectionName>(
    name: Name,
    current: Stored<Name>,
    changes: Partial<DeskDocuments[Name]>,
  ): Promise<void>;
  /** Writes `next` in place of `current` (fields absent from `next` are removed). */
  replace<Name extends DeskCollectionName>(
    name: Name,
    current: Stored<Name>,
    next: DeskDocuments[Name],
  ): Promise<void>;
}

/** The write context RxDB reports in change events for these writes. */
const CONTEXT = 'carrel-desk';

export function deskData(db: DeskDatabase): DeskData {
  const collection = <Name extends DeskCollectionName>(name: Name) =>
    db[name] as unknown as RxCollection<DeskDocuments[Name]>;
  const primaryOf = <Name extends DeskCollectionName>(name: Name, doc: Stored<Name>) =>
    (doc as Record<string, unknown>)[collection(name).schema.primaryPath] as string;

  async function write<Name extends DeskCollectionName>(
    name: Name,
    rows: { document: Stored<Name>; previous?: Stored<Name> }[],
  ): Promise<void> {
    const result = await collection(name).storageInstance.bulkWrite(rows, CONTEXT);
    const [first] = result.error;
    if (first) {
      throw new StoreWriteError(
        name,
        result.error.map((e) => e.documentId),
        first.status,
      );
    }
  }

  return {
    async get(name, id) {
      const [doc] = await collection(name).storageInstance.findDocumentsById([id], false);
      return doc;
    },
    async getMany(name, ids) {
      const docs = await collection(name).storageInstance.findDocumentsById([...ids], false);
      return new Map(
        docs.map((doc) => [
          primaryOf(name, doc as Stored<typeof name>),
          doc as Stored<typeof name>,
        ]),
      );
    },
    async find(name, query) {
      const schema = collection(name).schema.jsonSchema;
      const prepared = prepareQuery(
        schema,
        normalizeMangoQuery(schema, {
          ...query,
          selector: { ...query.selector, _deleted: { $eq: false } },
        } as MangoQuery<DeskDocuments[typeof name]>),
      );
      const result = await collection(name).storageInstance.query(prepared);
      return result.documents;
    },
    async insert(name, docs) {
      if (docs.length === 0) return;
      await write(
        name,
        docs.map((doc) => ({
          // _rev and _meta are the storage wrapper's to set (revision, write time).
          document: {
            ...doc,
            _deleted: false,
            _attachments: {},
            _rev: '',
            _meta: { lwt: 0 },
          } as Stored<typeof name>,
        })),
      );
    },
    async update(name, current, changes) {
      await write(name, [{ document: { ...current, ...changes }, previous: current }]);
    },
    async replace(name, current, next) {
      const { _deleted, _attachments, _rev, _meta } = current;
      const document = { ...next, _deleted, _attachments, _rev, _meta } as Stored<typeof name>;
      await write(name, [{ document, previous: current }]);
    },
  };
}
