import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getRxStorageSqlite, type RxStorageSqlite } from './index.js';

interface Row {
  id: string;
  n: number;
}
const schema = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 20 },
    n: { type: 'integer', minimum: 0, maximum: 1_000_000, multipleOf: 1 },
  },
  required: ['id', 'n'],
  indexes: ['n'],
} as const;

type Db = RxDatabase<{ scans: RxCollection<Row>; crateScans: RxCollection<Row> }>;

let dir: string;
let storage: RxStorageSqlite;
let db: Db;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-group-'));
  storage = getRxStorageSqlite({ directory: dir });
  db = await createRxDatabase({ name: 'desk', storage, multiInstance: false });
  await db.addCollections({ scans: { schema }, crateScans: { schema } });
});
afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('writes committed as one group', () => {
  it('commits writes to several collections together', async () => {
    await storage.atomically('desk', async () => {
      await db.scans.insert({ id: 'a', n: 1 });
      await db.crateScans.insert({ id: 'a', n: 1 });
    });
    expect(await db.scans.count().exec()).toBe(1);
    expect(await db.crateScans.count().exec()).toBe(1);
  });

  it('keeps none of them when the work fails, and brings RxDB back to the stored state', async () => {
    await db.scans.insert({ id: 'before', n: 5 });
    const query = db.scans.find({ selector: { n: { $gte: 0 } }, sort: [{ n: 'asc' }] });
    expect((await query.exec()).map((d) => d.id)).toEqual(['before']);
    await expect(
      storage.atomically('desk', async () => {
        await db.scans.insert({ id: 'a', n: 1 });
        await (await db.scans.findOne('before').exec())!.incrementalPatch({ n: 50 });
        await db.crateScans.insert({ id: 'a', n: 1 });
        // Inside the group, RxDB's cached query already shows the group's writes.
        expect((await query.exec()).map((d) => [d.id, d.n])).toEqual([
          ['a', 1],
          ['before', 50],
        ]);
        throw new Error('the crate could not be found');
      }),
    ).rejects.toThrow('the crate could not be found');
    expect(await db.scans.storageInstance.findDocumentsById(['a'], true)).toEqual([]);
    expect(await db.crateScans.storageInstance.findDocumentsById(['a'], true)).toEqual([]);
    // The same cached query answers from the stored state again, without a new write.
    expect((await query.exec()).map((d) => [d.id, d.n])).toEqual([['before', 5]]);
    expect(await db.scans.count().exec()).toBe(1);
    expect(await db.crateScans.count().exec()).toBe(0);
  });

  it('reads its own writes inside the group, queries included', async () => {
    await storage.atomically('desk', async () => {
      await db.scans.bulkInsert([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
      ]);
      const found = await db.scans.find({ selector: { n: { $gte: 1 } } }).exec();
      expect(found.map((d) => d.id)).toEqual(['a', 'b']);
      expect(await db.scans.count({ selector: { n: { $gte: 2 } } }).exec()).toBe(1);
    });
  });

  it('makes a write from elsewhere wait for the group, and keeps it when the group fails', async () => {
    const order: string[] = [];
    let groupHasWritten!: () => void;
    const written = new Promise<void>((resolve) => (groupHasWritten = resolve));
    // Another caller (a sync pull, another API call) writes while the group is open. It is
    // started outside the group, so it is not part of it.
    const outside = (async () => {
      await written;
      await db.crateScans.insert({ id: 'outside', n: 2 });
      order.push('outside');
    })();
    const group = storage.atomically('desk', async () => {
      await db.scans.insert({ id: 'in-group', n: 1 });
      groupHasWritten();
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('group done');
      throw new Error('rolled back');
    });
    await expect(group).rejects.toThrow('rolled back');
    await outside;
    expect(order).toEqual(['group done', 'outside']);
    expect(await db.scans.storageInstance.findDocumentsById(['in-group'], true)).toEqual([]);
    expect((await db.crateScans.findOne('outside').exec())?.n).toBe(2);
  });

  it('runs one group at a time', async () => {
    const order: string[] = [];
    const slow = storage.atomically('desk', async () => {
      order.push('first starts');
      await db.scans.insert({ id: 'a', n: 1 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('first ends');
    });
    const fast = storage.atomically('desk', async () => {
      order.push('second starts');
      await db.scans.insert({ id: 'b', n: 2 });
      order.push('second ends');
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['first starts', 'first ends', 'second starts', 'second ends']);
  });
});
