// Meta rows carried by a first sync's documents (assumed-meta.ts), at the storage: every way
// RxDB's replication (or anything else) can read or write the meta table or the documents sees
// the same rows as if the first sync had written every meta row out.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRevision,
  normalizeMangoQuery,
  prepareQuery,
  randomToken,
  type RxDocumentData,
  type RxJsonSchema,
} from 'rxdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Item,
  type Meta,
  type MetaDoc,
  type PulledItem,
  FIRST_SYNC_LWT as LWT,
  META_REV as REV,
  forkRowOf,
  itemSchema,
  metaRowOf as expectedMeta,
  metaSchema,
} from './assumed-meta-fixtures.js';
import { databaseFilePath, getRxStorageSqlite, type RxStorageSqlite } from './index.js';
import type { SqliteStorageInstance } from './sqlite-instance.js';

let dir: string;
let storage: RxStorageSqlite;
let items: SqliteStorageInstance<Item>;
let meta: SqliteStorageInstance<Meta>;

async function open(collectionName: string, schema: RxJsonSchema<RxDocumentData<never>>) {
  return (await storage.createStorageInstance({
    databaseInstanceToken: randomToken(10),
    databaseName: 'desk',
    collectionName,
    schema,
    options: {},
    multiInstance: false,
    devMode: false,
  })) as unknown as SqliteStorageInstance<never>;
}

async function openBoth(): Promise<void> {
  items = (await open('items', itemSchema)) as unknown as typeof items;
  meta = (await open('rx-replication-meta-x', metaSchema)) as unknown as typeof meta;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-assumed-'));
  storage = getRxStorageSqlite({ directory: dir });
  await openBoth();
});
afterEach(async () => {
  await items.close();
  await meta.close();
  rmSync(dir, { recursive: true, force: true });
});

const pulled = (n: number, status = 'available', deleted = false): PulledItem => ({
  barcode: `3100000000000${n}`,
  owner: 'L00',
  status,
  _deleted: deleted,
});

/** The pulled documents as first-sync.ts writes them. */
const firstSyncRows = (docs: PulledItem[]) => docs.map(forkRowOf);

/** What the file holds, on a connection of its own: written meta rows and carrying items. */
function inFile(): { written: string[]; carried: string[] } {
  const db = new Database(databaseFilePath(dir, 'desk'), { readonly: true });
  try {
    const metaTable = db
      .prepare("SELECT 1 FROM sqlite_schema WHERE name = 'rx-replication-meta-x__v0'")
      .get();
    return {
      written: metaTable
        ? (db
            .prepare(`SELECT id FROM "rx-replication-meta-x__v0" WHERE id LIKE '%|0' ORDER BY id`)
            .pluck()
            .all() as string[])
        : [],
      carried: db
        .prepare('SELECT id FROM "items__v0" WHERE assumed = 1 ORDER BY id')
        .pluck()
        .all() as string[],
    };
  } finally {
    db.close();
  }
}

async function pullThree(): Promise<PulledItem[]> {
  const docs = [pulled(1), pulled(2), pulled(3, 'withdrawn', true)];
  const result = await items.bulkInsertPulled(firstSyncRows(docs), 'first-sync', meta, REV);
  expect(result?.error).toEqual([]);
  return docs;
}

const metaIds = (docs: { barcode: string }[]) => docs.map((doc) => `${doc.barcode}|0`);

describe('meta rows carried by first-synced documents', () => {
  it('are read by id exactly as if written, and are not written', async () => {
    const docs = await pullThree();
    expect(await meta.findDocumentsById([...metaIds(docs), 'down|1'], true)).toEqual(
      docs.map(expectedMeta),
    );
    expect(inFile()).toEqual({ written: [], carried: docs.map((doc) => doc.barcode) });
    // The documents themselves read as bulkWrite would have stored them.
    expect(await items.findDocumentsById([docs[0]!.barcode], false)).toEqual(
      firstSyncRows([docs[0]!]).map((row) => row.document),
    );
  });

  it('are written out, in the same transaction, before their document changes', async () => {
    const [one, two] = await pullThree();
    const [stored] = await items.findDocumentsById([one!.barcode], false);
    const changed = { ...stored!, status: 'lost', _rev: '2-desk', _meta: { lwt: LWT + 1 } };

    // A change that rolls back takes the written-out meta row with it.
    await expect(
      storage.atomically('desk', async () => {
        await items.bulkWrite([{ previous: stored!, document: changed }], 'scan');
        expect(inFile().written).toEqual([]); // not committed yet
        throw new Error('the check-in failed');
      }),
    ).rejects.toThrow('the check-in failed');
    expect(inFile().carried).toContain(one!.barcode);

    await items.bulkWrite([{ previous: stored!, document: changed }], 'scan');
    expect(inFile()).toEqual({
      written: [`${one!.barcode}|0`],
      carried: [two!.barcode, pulled(3).barcode],
    });
    // The meta row still holds the state the server has: what the push will be based on.
    expect(await meta.findDocumentsById(metaIds([one!]), true)).toEqual([expectedMeta(one!)]);
  });

  it('take a write of the meta row as an update of the carried one', async () => {
    const [one, two] = await pullThree();
    const [carried] = await meta.findDocumentsById(metaIds([one!]), true);
    const next = {
      ...carried!,
      docData: { ...one!, status: 'lost' },
      _rev: createRevision('replication-checkpoint-key', carried),
      _meta: { lwt: LWT + 2 },
    } as MetaDoc;
    expect((await meta.bulkWrite([{ previous: carried!, document: next }], 'up')).error).toEqual(
      [],
    );
    expect(await meta.findDocumentsById(metaIds([one!]), true)).toEqual([next]);
    expect(inFile().carried).toEqual([two!.barcode, pulled(3).barcode]);

    // Written as new over a carried row, or with a stale revision: a conflict, as for a row.
    const insert = await meta.bulkWrite([{ document: { ...expectedMeta(two!) } }], 'down');
    expect(insert.error).toMatchObject([{ status: 409, documentInDb: expectedMeta(two!) }]);
    const stale = await meta.bulkWrite(
      [{ previous: { ...expectedMeta(two!), _rev: '9-other' }, document: next }],
      'down',
    );
    expect(stale.error).toMatchObject([{ status: 409 }]);
    expect(inFile().carried).toContain(two!.barcode);
  });

  it('are all written out before the meta table is queried, counted or read by change', async () => {
    const docs = await pullThree();
    const query = prepareQuery(
      metaSchema,
      normalizeMangoQuery(metaSchema, { selector: { isCheckpoint: '0' } }),
    );
    expect((await meta.query(query)).documents.map((doc) => doc.id).sort()).toEqual(
      metaIds(docs).sort(),
    );
    expect(inFile()).toEqual({ written: metaIds(docs).sort(), carried: [] });
    expect((await meta.count(query)).count).toBe(3);
    expect((await meta.getChangedDocumentsSince(10)).documents).toHaveLength(3);
    expect(await meta.findDocumentsById(metaIds(docs), true)).toEqual(docs.map(expectedMeta));
  });

  it('stay when their deleted document is purged', async () => {
    const docs = await pullThree();
    expect(await items.cleanup(0)).toBe(true);
    expect(await items.findDocumentsById([docs[2]!.barcode], true)).toEqual([]);
    expect(inFile().written).toEqual([`${docs[2]!.barcode}|0`]);
    expect(await meta.findDocumentsById(metaIds(docs), true)).toEqual(docs.map(expectedMeta));
  });

  it('survive closing and reopening, and go when the meta table is removed', async () => {
    const docs = await pullThree();
    await items.close();
    await meta.close();
    await openBoth();
    expect(await meta.findDocumentsById(metaIds(docs), true)).toEqual(docs.map(expectedMeta));

    await meta.remove();
    expect(inFile().carried).toEqual([]);
    meta = (await open('rx-replication-meta-x', metaSchema)) as unknown as typeof meta;
    expect(await meta.findDocumentsById(metaIds(docs), true)).toEqual([]);
  });

  it('are never shared by two replications of one collection', async () => {
    const [one] = await pullThree();
    const other = (await open('rx-replication-meta-y', metaSchema)) as unknown as typeof meta;
    try {
      const refused = await items.bulkInsertPulled(
        firstSyncRows([pulled(4)]),
        'first-sync',
        other,
        REV,
      );
      expect(refused).toBeUndefined();
      expect(await items.findDocumentsById([pulled(4).barcode], true)).toEqual([]);
      expect(await other.findDocumentsById(metaIds([one!]), true)).toEqual([]);
      // Once the collection's documents carry no meta rows of the first, the link can move.
      await meta.remove();
      const moved = await items.bulkInsertPulled(
        firstSyncRows([pulled(4)]),
        'first-sync',
        other,
        REV,
      );
      expect(moved?.error).toEqual([]);
      expect(await other.findDocumentsById(metaIds([pulled(4)]), true)).toEqual([
        expectedMeta(pulled(4)),
      ]);
    } finally {
      await other.close();
    }
  });

  it('are never shared by two collection tables', async () => {
    // Another collection table, linked to another meta table and carrying nothing any more.
    const copy = (await open('items-copy', itemSchema)) as unknown as typeof items;
    const other = (await open('rx-replication-meta-y', metaSchema)) as unknown as typeof meta;
    try {
      const rows = firstSyncRows([pulled(5)]);
      expect((await copy.bulkInsertPulled(rows, 'first-sync', other, REV))?.error).toEqual([]);
      const [stored] = await copy.findDocumentsById([pulled(5).barcode], true);
      const changed = { ...stored!, status: 'lost', _rev: '2-desk', _meta: { lwt: LWT + 1 } };
      await copy.bulkWrite([{ previous: stored!, document: changed }], 'scan');

      const docs = await pullThree();
      // It cannot take over the meta table whose rows this collection's documents carry.
      expect(
        await copy.bulkInsertPulled(firstSyncRows([pulled(6)]), 'first-sync', meta, REV),
      ).toBeUndefined();
      expect(await copy.findDocumentsById([pulled(6).barcode], true)).toEqual([]);
      expect(await meta.findDocumentsById(metaIds(docs), true)).toEqual(docs.map(expectedMeta));
    } finally {
      await copy.close();
      await other.close();
    }
  });

  it('go with a removed collection table', async () => {
    const docs = await pullThree();
    await items.remove();
    expect(await meta.findDocumentsById(metaIds(docs), true)).toEqual([]);
    items = (await open('items', itemSchema)) as unknown as typeof items;
  });
});
