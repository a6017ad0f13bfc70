// What the tests of carried meta rows (assumed-meta.test.ts, assumed-meta.property.test.ts)
// share: a small collection, its replication's meta schema, and the rows a first sync writes.
import {
  createRevision,
  fillWithDefaultSettings,
  getRxReplicationMetaInstanceSchema,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageReplicationMeta,
} from 'rxdb';

export interface Item {
  barcode: string;
  owner: string;
  status: string;
}
export type ItemDoc = RxDocumentData<Item>;
export type Meta = RxStorageReplicationMeta<Item, unknown>;
export type MetaDoc = RxDocumentData<Meta>;
/** An item as pulled: the server's state, with RxDB's deleted flag. */
export type PulledItem = Item & { _deleted: boolean };

export const itemSchema = fillWithDefaultSettings({
  version: 0,
  primaryKey: 'barcode',
  type: 'object',
  properties: {
    barcode: { type: 'string', maxLength: 14 },
    owner: { type: 'string', maxLength: 8 },
    status: { type: 'string', maxLength: 20 },
  },
  required: ['barcode', 'owner', 'status'],
  indexes: ['owner', 'status'],
} as RxJsonSchema<ItemDoc>);
export const metaSchema = getRxReplicationMetaInstanceSchema(itemSchema, false);
/** The revision of a first sync's meta rows (first-sync.ts: one per replication). */
export const META_REV = createRevision('replication-checkpoint-key');
/** The first sync's write time (in the past, so cleanup(0) purges). */
export const FIRST_SYNC_LWT = 1_700_000_000_000.01;

/** A pulled item as first-sync.ts writes it to the collection. */
export function forkRowOf(doc: PulledItem): { document: ItemDoc } {
  return {
    document: { ...doc, _meta: { lwt: FIRST_SYNC_LWT }, _rev: '1-desk', _attachments: {} },
  };
}

/** The meta row RxDB's downstream writes for a pulled item. */
export function metaRowOf(doc: PulledItem): MetaDoc {
  return {
    id: `${doc.barcode}|0`,
    isCheckpoint: '0',
    itemId: doc.barcode,
    docData: doc,
    _attachments: {},
    _deleted: false,
    _rev: META_REV,
    _meta: { lwt: FIRST_SYNC_LWT },
  };
}
