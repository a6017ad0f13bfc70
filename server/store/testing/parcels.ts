// Test-only collections of the replication store's own tests, registered the way the
// domain collections are (the issue asks that a test can register its own): parcels are
// seen by the libraries they list, parcel tags wherever their parcel is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RxJsonSchema } from 'rxdb';
import type { CollectionRegistration, ReplicationStore, StoredDoc } from '../replication-store.js';
import { openSqliteReplicationStore } from '../sqlite-replication-store.js';

export type Parcel = { id: string; libraries: string[]; label: string; secret?: string };
export type ParcelTag = { id: string; parcelId: string; text: string };

const parcelSchema: RxJsonSchema<Parcel> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', maxLength: 40 },
    libraries: { type: 'array', items: { type: 'string' } },
    label: { type: 'string' },
    secret: { type: 'string' },
  },
  required: ['id', 'libraries', 'label'],
};

const parcelTagSchema: RxJsonSchema<ParcelTag> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', maxLength: 40 },
    parcelId: { type: 'string', maxLength: 40 },
    text: { type: 'string' },
  },
  required: ['id', 'parcelId', 'text'],
};

export const parcels: CollectionRegistration<Parcel> = {
  name: 'parcels',
  primaryKey: 'id',
  schema: parcelSchema,
  scope: (parcel) => parcel.libraries,
  // A library a parcel leaves does not keep its secret.
  departed: ({ secret: _secret, ...parcel }) => parcel,
};

export const parcelTags: CollectionRegistration<ParcelTag> = {
  name: 'parcelTags',
  primaryKey: 'id',
  schema: parcelTagSchema,
  scopeFrom: { collection: 'parcels', key: 'parcelId' },
};

export function parcel(id: string, libraries: string[], label = 'x', deleted = false) {
  return { id, libraries, label, _deleted: deleted } satisfies StoredDoc<Parcel>;
}

export function tag(id: string, parcelId: string, text = 't', deleted = false) {
  return { id, parcelId, text, _deleted: deleted } satisfies StoredDoc<ParcelTag>;
}

/** A temporary folder for store files, removed by `remove`. */
export function temporaryFolder(prefix = 'carrel-server-store-') {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A store on a new file in `folder` with the parcel collections registered. */
export async function openParcelStore(folder: string, name = 'store.sqlite') {
  const store = await openSqliteReplicationStore(join(folder, name));
  store.register(parcels);
  store.register(parcelTags);
  return store;
}

/** Every document a library would hold after pulling from scratch, by id. */
export async function pullAll(
  store: ReplicationStore,
  collection: string,
  library: string,
  limit = 1000,
): Promise<Map<string, StoredDoc>> {
  const seen = new Map<string, StoredDoc>();
  let after = null;
  for (;;) {
    const page = await store.pull(collection, { library, after, limit });
    for (const doc of page.documents) seen.set(String(doc['id']), doc);
    if (page.documents.length < limit) return seen;
    after = page.checkpoint;
  }
}
