// Test-only collections of the replication store's own tests, registered the way the
// domain collections are (the issue asks that a test can register its own): parcels are
// seen by the libraries they list, parcel tags wherever their parcel is, and tools by their
// owner and by every library of a parcel that lends them its scope (a parcel naming the
// tool, or a tag naming it while its parcel is not labelled `closed`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RxJsonSchema } from 'rxdb';
import type { CollectionRegistration, ReplicationStore, StoredDoc } from '../replication-store.js';
import { openSqliteReplicationStore } from '../sqlite-replication-store.js';

export type Parcel = {
  id: string;
  libraries: string[];
  label: string;
  secret?: string;
  tools?: string[];
};
export type ParcelTag = { id: string; parcelId: string; text: string; tool?: string };
export type Tool = { id: string; owner: string; label: string };

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
    tools: { type: 'array', items: { type: 'string' } },
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
    tool: { type: 'string' },
  },
  required: ['id', 'parcelId', 'text'],
};

const toolSchema: RxJsonSchema<Tool> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', maxLength: 40 },
    owner: { type: 'string' },
    label: { type: 'string' },
  },
  required: ['id', 'owner', 'label'],
};

export const tools: CollectionRegistration<Tool> = {
  name: 'tools',
  primaryKey: 'id',
  schema: toolSchema,
  scope: (tool) => [tool.owner],
};

export const parcels: CollectionRegistration<Parcel> = {
  name: 'parcels',
  primaryKey: 'id',
  schema: parcelSchema,
  scope: (parcel) => parcel.libraries,
  // A library a parcel leaves does not keep its secret.
  departed: ({ secret: _secret, ...parcel }) => parcel,
  grants: { collection: 'tools', keys: (parcel) => parcel.tools ?? [] },
};

export const parcelTags: CollectionRegistration<ParcelTag> = {
  name: 'parcelTags',
  primaryKey: 'id',
  schema: parcelTagSchema,
  scopeFrom: { collection: 'parcels', key: 'parcelId' },
  grants: {
    collection: 'tools',
    keys: (tag) => (tag.tool === undefined ? [] : [tag.tool]),
    whileParent: (parcel) => parcel['label'] !== 'closed',
  },
};

/**
 * Registers tools, parcels and parcel tags; `lending: false` without their grants, as a
 * server from before grants had them.
 */
export function registerParcelCollections(store: ReplicationStore, lending = true): void {
  store.register(tools);
  store.register(lending ? parcels : { ...parcels, grants: undefined });
  store.register(lending ? parcelTags : { ...parcelTags, grants: undefined });
}

export function parcel(id: string, libraries: string[], label = 'x', deleted = false) {
  return { id, libraries, label, _deleted: deleted } satisfies StoredDoc<Parcel>;
}

export function tag(id: string, parcelId: string, text = 't', deleted = false) {
  return { id, parcelId, text, _deleted: deleted } satisfies StoredDoc<ParcelTag>;
}

export function tool(id: string, owner: string, label = 'tool', deleted = false) {
  return { id, owner, label, _deleted: deleted } satisfies StoredDoc<Tool>;
}

/** A temporary folder for store files, removed by `remove`. */
export function temporaryFolder(prefix = 'carrel-server-store-') {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A store on a new file in `folder` with the parcel collections registered. */
export async function openParcelStore(folder: string, name = 'store.sqlite', lending = true) {
  const store = await openSqliteReplicationStore(join(folder, name));
  registerParcelCollections(store, lending);
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
