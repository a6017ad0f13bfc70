import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addRxPlugin,
  createRxDatabase,
  fillWithDefaultSettings,
  getIndexableStringMonad,
  normalizeMangoQuery,
  now,
  prepareQuery,
  randomToken,
  type RxCollection,
  type RxDatabase,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageInstance,
} from 'rxdb';
import { RxDBAttachmentsPlugin } from 'rxdb/plugins/attachments';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  databaseFilePath,
  getRxStorageSqlite,
  setAsideDatabaseFile,
  StoreOpenError,
} from './index.js';
import { toSortKey } from './sort-key.js';

addRxPlugin(RxDBAttachmentsPlugin);

interface Scan {
  id: string;
  barcode: string;
  library: string;
  at: number;
}
type ScanDoc = RxDocumentData<Scan>;

const scanSchema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 26 },
    barcode: { type: 'string', maxLength: 14 },
    library: { type: 'string', maxLength: 8 },
    at: { type: 'number', minimum: 0, maximum: 1e13, multipleOf: 1 },
  },
  required: ['id', 'barcode', 'library', 'at'],
  indexes: [['library', 'at'], 'barcode'],
  attachments: {},
} as const;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function openDatabase(name = 'desk'): Promise<RxDatabase<{ scans: RxCollection<Scan> }>> {
  const db = await createRxDatabase<{ scans: RxCollection<Scan> }>({
    name,
    storage: getRxStorageSqlite({ directory: dir, readSliceMs: 0, readCheckEveryRows: 50 }),
    multiInstance: false,
  });
  await db.addCollections({ scans: { schema: scanSchema } });
  return db;
}

function scan(i: number, library = 'MAIN'): Scan {
  return {
    id: `s${String(i).padStart(6, '0')}`,
    barcode: `3${String(i).padStart(13, '0')}`,
    library,
    at: 1000 + i,
  };
}

async function rawInstance(name: string) {
  const storage = getRxStorageSqlite({ directory: dir, readSliceMs: 0, readCheckEveryRows: 20 });
  const schema = fillWithDefaultSettings(scanSchema as unknown as RxJsonSchema<Scan>);
  const instance = await storage.createStorageInstance<Scan>({
    databaseInstanceToken: randomToken(10),
    databaseName: name,
    collectionName: 'scans',
    schema,
    options: {},
    multiInstance: false,
    devMode: false,
  });
  return { instance, schema };
}

function doc(s: Scan, rev = '1-a', deleted = false): ScanDoc {
  return { ...s, _deleted: deleted, _attachments: {}, _rev: rev, _meta: { lwt: now() } };
}

describe('SQLite RxStorage through RxDB', () => {
  it('keeps documents across close and reopen, in one file for all collections', async () => {
    const db = await openDatabase();
    await db.scans.bulkInsert([scan(1), scan(2, 'EAST'), scan(3)]);
    await (await db.scans.findOne('s000002').exec())!.incrementalPatch({ library: 'WEST' });
    await (await db.scans.findOne('s000003').exec())!.remove();
    await db.close();

    const again = await openDatabase();
    const main = await again.scans.find({ selector: { library: 'MAIN' } }).exec();
    expect(main.map((d) => d.id)).toEqual(['s000001']);
    expect((await again.scans.findOne('s000002').exec())?.library).toBe('WEST');
    expect(await again.scans.count().exec()).toBe(2);
    await again.close();
    expect(existsSync(databaseFilePath(dir, 'desk'))).toBe(true);
  });

  it('marks documents written through RxDB as exact, so queries trust their sort keys', async () => {
    const db = await openDatabase('exact');
    await db.scans.bulkInsert(Array.from({ length: 500 }, (_, i) => scan(i)));
    for (let i = 500; i < 520; i++) await db.scans.insert(scan(i));
    await db.close();
    const raw = new Database(databaseFilePath(dir, 'exact'), { readonly: true });
    const inexact = raw.prepare('SELECT count(*) FROM "scans__v0" WHERE exact = 0').pluck().get();
    raw.close();
    expect(inexact).toBe(0);
  });

  it('answers 409 with the stored document for an insert over an existing or deleted id', async () => {
    const { instance } = await rawInstance('conflicts');
    await instance.bulkWrite(
      [{ document: doc(scan(1)) }, { document: doc(scan(2), '1-b', true) }],
      't',
    );
    const result = await instance.bulkWrite(
      [{ document: doc(scan(1), '1-c') }, { document: doc(scan(2), '1-d') }],
      't',
    );
    expect(result.error.map((e) => [e.status, e.documentId])).toEqual([
      [409, 's000001'],
      [409, 's000002'],
    ]);
    const inDb = result.error.map((e) => ('documentInDb' in e ? e.documentInDb : undefined));
    expect(inDb.map((d) => [d?._rev, d?._deleted])).toEqual([
      ['1-a', false],
      ['1-b', true],
    ]);
    await instance.close();
  });

  it('rejects an update whose previous revision is stale and writes nothing of that row', async () => {
    const { instance } = await rawInstance('stale');
    const original = doc(scan(1));
    await instance.bulkWrite([{ document: original }], 't');
    const result = await instance.bulkWrite(
      [
        {
          previous: { ...original, _rev: '0-x' },
          document: { ...original, library: 'X', _rev: '2-b' },
        },
        { document: doc(scan(2)) },
      ],
      't',
    );
    expect(result.error).toHaveLength(1);
    const stored = await instance.findDocumentsById(['s000001', 's000002'], false);
    expect(stored.map((d) => [d.id, d.library])).toEqual([
      ['s000001', 'MAIN'],
      ['s000002', 'MAIN'],
    ]);
    await instance.close();
  });

  it('reads a query as an index range, not a table scan', async () => {
    const { instance, schema } = await rawInstance('plans');
    const sqlite = (
      instance as unknown as {
        internals: { file: { sqlite: { writer: Database.Database } }; table: string };
      }
    ).internals;
    const prepared = prepareQuery(
      schema,
      normalizeMangoQuery(schema, { selector: { library: 'MAIN', at: { $gt: 5 } } }),
    );
    expect(prepared.queryPlan.index).toEqual(['_deleted', 'library', 'at', 'id']);
    // The statement the range read runs, as the instance builds it.
    const plan = sqlite.file.sqlite.writer
      .prepare(
        `EXPLAIN QUERY PLAN SELECT i0, exact, data FROM "${sqlite.table}" WHERE i0 >= ? AND i0 <= ? ORDER BY i0 LIMIT 100`,
      )
      .all(Buffer.alloc(1), Buffer.alloc(1)) as { detail: string }[];
    expect(plan.map((r) => r.detail).join(' ')).toMatch(
      /SEARCH .* USING INDEX .*__i0 \(i0>\? AND i0<\?\)/,
    );
    const count = sqlite.file.sqlite.writer
      .prepare(
        `EXPLAIN QUERY PLAN SELECT count(*), max(k) FROM (SELECT i0 AS k FROM "${sqlite.table}" WHERE i0 >= ? AND i0 <= ? ORDER BY i0 LIMIT 10)`,
      )
      .all(Buffer.alloc(1), Buffer.alloc(1)) as { detail: string }[];
    expect(count.map((r) => r.detail).join(' ')).toMatch(/USING COVERING INDEX .*__i0/);
    await instance.close();
  });

  it('lets a write through while a long query is read, and the query keeps its snapshot', async () => {
    const { instance, schema } = await rawInstance('long-read');
    const many = Array.from({ length: 3000 }, (_, i) => ({ document: doc(scan(i)) }));
    await instance.bulkWrite(many, 't');
    const prepared = prepareQuery(
      schema,
      normalizeMangoQuery<ScanDoc>(schema, {
        selector: { _deleted: { $eq: false }, library: 'MAIN' },
      }),
    );
    const order: string[] = [];
    const reading = instance.query(prepared).then((r) => {
      order.push('query');
      return r.documents.length;
    });
    const writing = instance.bulkWrite([{ document: doc(scan(99_999)) }], 't').then(() => {
      order.push('write');
    });
    const [read] = await Promise.all([reading, writing]);
    // The write committed while the query was still reading (3000 rows, yielding every 20)...
    expect(order).toEqual(['write', 'query']);
    // ...and the query answered from the snapshot it started with.
    expect(read).toBe(3000);
    expect((await instance.query(prepared)).documents).toHaveLength(3001);
    expect((await instance.count(prepared)).count).toBe(3001);
    await instance.close();
  });

  it('stores attachments as BLOBs and refuses a read with the wrong digest', async () => {
    const db = await openDatabase('attachments');
    const [inserted] = (await db.scans.bulkInsert([scan(1)])).success;
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252]);
    await inserted!.putAttachment({
      id: 'photo.png',
      data: new Blob([bytes], { type: 'image/png' }),
      type: 'image/png',
    });
    await db.close();

    const again = await openDatabase('attachments');
    const found = await again.scans.findOne('s000001').exec();
    const attachment = found!.getAttachment('photo.png')!;
    expect(new Uint8Array(await (await attachment.getData()).arrayBuffer())).toEqual(bytes);
    const instance = again.scans.storageInstance;
    await expect(
      instance.getAttachmentData('s000001', 'photo.png', 'not-the-digest'),
    ).rejects.toThrow(/does not exist/);
    const raw = new Database(databaseFilePath(dir, 'attachments'), { readonly: true });
    const stored = raw.prepare('SELECT data FROM "scans__v0__attachments"').pluck().get() as Buffer;
    raw.close();
    expect(new Uint8Array(stored)).toEqual(bytes);
    await again.close();
  });

  it('purges deleted documents older than the given age, and nothing else', async () => {
    const { instance } = await rawInstance('cleanup');
    const old = { ...doc(scan(1), '2-a', true), _meta: { lwt: now() - 60_000 } };
    const fresh = doc(scan(2), '2-b', true);
    const alive = { ...doc(scan(3)), _meta: { lwt: now() - 60_000 } };
    await instance.bulkWrite([{ document: old }, { document: fresh }, { document: alive }], 't');
    expect(await instance.cleanup(30_000)).toBe(true);
    const left = await instance.findDocumentsById(['s000001', 's000002', 's000003'], true);
    expect(left.map((d) => d.id)).toEqual(['s000002', 's000003']);
    await instance.close();
  });

  it('removes a collection: its tables are dropped and a new instance starts empty', async () => {
    const first = await rawInstance('removal');
    await first.instance.bulkWrite([{ document: doc(scan(1)) }], 't');
    await first.instance.remove();
    const raw = new Database(databaseFilePath(dir, 'removal'), { readonly: true });
    const tables = raw
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'scans%'")
      .pluck()
      .all();
    raw.close();
    expect(tables).toEqual([]);
    await expect(first.instance.findDocumentsById(['s000001'], true)).rejects.toThrow(/closed/);
    const second = await rawInstance('removal');
    expect(await second.instance.findDocumentsById(['s000001'], true)).toEqual([]);
    await second.instance.close();
  });

  it('emits a change bulk after each committed write, with its checkpoint', async () => {
    const { instance } = await rawInstance('changes');
    const seen: { ids: string[]; checkpoint: unknown }[] = [];
    const subscription = instance.changeStream().subscribe((bulk) => {
      seen.push({ ids: bulk.events.map((e) => e.documentId), checkpoint: bulk.checkpoint });
    });
    const last = doc(scan(2));
    await instance.bulkWrite([{ document: doc(scan(1)) }, { document: last }], 't');
    expect(seen).toEqual([
      { ids: ['s000001', 's000002'], checkpoint: { id: 's000002', lwt: last._meta.lwt } },
    ]);
    subscription.unsubscribe();
    await instance.close();
  });
});

/**
 * Turns collection `scans` of database `name` into what the storage wrote before compact sort
 * keys: UTF-16 keys, the layout recorded as the bare list of indexes (or, `unrecorded`, not
 * at all, as in a table that predates the record).
 */
function rewriteAsUtf16Table(name: string, unrecorded = false): void {
  const schema = fillWithDefaultSettings(scanSchema as unknown as RxJsonSchema<Scan>);
  const indexes = (schema.indexes ?? []).map((index): string[] =>
    Array.isArray(index) ? index.map(String) : [String(index)],
  );
  const keys = indexes.map((fields) => getIndexableStringMonad(schema, fields));
  const raw = new Database(databaseFilePath(dir, name));
  try {
    const rows = raw.prepare('SELECT id, data FROM "scans__v0"').all() as {
      id: string;
      data: string;
    }[];
    const set = indexes.map((_, i) => `i${i} = ?`).join(', ');
    const update = raw.prepare(`UPDATE "scans__v0" SET ${set} WHERE id = ?`);
    raw.transaction(() => {
      for (const row of rows) {
        const stored = JSON.parse(row.data) as ScanDoc;
        update.run(...keys.map((key) => toSortKey(key(stored))), row.id);
      }
      if (unrecorded) {
        raw.prepare("DELETE FROM carrel_tables WHERE name = 'scans__v0'").run();
        // Tables that old have no `assumed` column either (assumed-meta.ts).
        raw.exec('ALTER TABLE "scans__v0" DROP COLUMN assumed');
      } else {
        raw
          .prepare("UPDATE carrel_tables SET index_layout = ? WHERE name = 'scans__v0'")
          .run(JSON.stringify(indexes));
      }
    })();
  } finally {
    raw.close();
  }
}

function recordedLayout(name: string): string {
  const raw = new Database(databaseFilePath(dir, name), { readonly: true });
  try {
    return raw
      .prepare("SELECT index_layout FROM carrel_tables WHERE name = 'scans__v0'")
      .pluck()
      .get() as string;
  } finally {
    raw.close();
  }
}

describe('sort key encodings', () => {
  it('creates new tables with compact sort keys and records it with their layout', async () => {
    const db = await openDatabase('compact');
    await db.scans.bulkInsert([scan(1)]);
    await db.close();
    expect(JSON.parse(recordedLayout('compact'))).toMatchObject({ keys: 'compact' });
  });

  for (const unrecorded of [false, true]) {
    it(`keeps reading and writing a table with UTF-16 keys${unrecorded ? ' and no layout record' : ''}`, async () => {
      const name = unrecorded ? 'older' : 'old';
      const db = await openDatabase(name);
      await db.scans.bulkInsert(
        Array.from({ length: 300 }, (_, i) => scan(i, i % 3 ? 'MAIN' : 'EAST')),
      );
      await db.close();
      rewriteAsUtf16Table(name, unrecorded);

      const again = await openDatabase(name);
      await again.scans.bulkInsert(Array.from({ length: 30 }, (_, i) => scan(300 + i, 'EAST')));
      const east = await again.scans
        .find({ selector: { library: 'EAST', at: { $gte: 1100 } }, sort: [{ at: 'desc' }] })
        .exec();
      const expected = Array.from({ length: 330 }, (_, i) => i)
        .filter((i) => (i < 300 ? i % 3 === 0 : true) && 1000 + i >= 1100)
        .reverse();
      expect(east.map((d) => d.at)).toEqual(expected.map((i) => 1000 + i));
      expect(await again.scans.count({ selector: { library: 'MAIN' } }).exec()).toBe(200);
      expect(
        (await again.scans.findOne({ selector: { barcode: scan(5).barcode } }).exec())?.id,
      ).toBe(scan(5).id);
      const internal = again.scans.storageInstance;
      const first = await internal.getChangedDocumentsSince!(200);
      const rest = await internal.getChangedDocumentsSince!(1_000, first.checkpoint);
      expect(first.documents.length + rest.documents.length).toBe(330);
      await again.close();
      expect(recordedLayout(name)).toBe(
        JSON.stringify([
          ['_deleted', 'library', 'at', 'id'],
          ['_deleted', 'barcode', 'id'],
          ['_meta.lwt', 'id'],
        ]),
      );
    });
  }
});

describe('a database file that cannot be opened', () => {
  async function open(name: string): Promise<RxStorageInstance<Scan, unknown, unknown>> {
    return (await rawInstance(name)).instance;
  }

  it('is reported as damaged, left byte for byte as it was, and can be set aside', async () => {
    const path = databaseFilePath(dir, 'garbage');
    const garbage = Buffer.from('this is not an SQLite database, it is a crate slip'.repeat(200));
    writeFileSync(path, garbage);
    const failure = await open('garbage').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreOpenError);
    expect((failure as StoreOpenError).code).toBe('store_corrupt');
    expect((failure as StoreOpenError).message).toMatch(/damaged.*has not been changed/s);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);

    const kept = setAsideDatabaseFile(path);
    expect(readFileSync(kept).equals(garbage)).toBe(true);
    const fresh = await open('garbage');
    expect(await fresh.findDocumentsById(['x'], true)).toEqual([]);
    await fresh.close();
  });

  it('is reported as damaged when pages inside a real database are overwritten', async () => {
    const instance = await open('pages');
    await instance.bulkWrite(
      Array.from({ length: 2000 }, (_, i) => ({ document: doc(scan(i)) })),
      't',
    );
    await instance.close();
    const path = databaseFilePath(dir, 'pages');
    const bytes = readFileSync(path);
    expect(existsSync(`${path}-wal`)).toBe(false);
    // Scribble over a stretch of b-tree pages, leaving the header intact.
    bytes.fill(0x5a, 4096 * 3, 4096 * 12);
    writeFileSync(path, bytes);
    const failure = await open('pages').catch((error: unknown) => error);
    expect((failure as StoreOpenError).code).toBe('store_corrupt');
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });
});
