/**
 * Differential property test for meta rows carried by first-synced documents
 * (assumed-meta.ts): after a first sync, random sequences of writes and reads on the documents
 * and on the replication's meta table run against our SQLite storage, whose documents carry
 * their meta rows, and against RxDB's memory storage, where the first sync wrote every meta row
 * out as RxDB's downstream does. Every answer must be identical, whatever order the rows are
 * written out in, and after the SQLite side is closed and opened again.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRevision,
  normalizeMangoQuery,
  prepareQuery,
  randomToken,
  type BulkWriteRow,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorage,
  type RxStorageInstance,
} from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FIRST_SYNC_LWT as LWT,
  type Item,
  type ItemDoc,
  META_REV as REV,
  type Meta,
  type MetaDoc,
  forkRowOf,
  itemSchema,
  metaRowOf,
  metaSchema,
} from './assumed-meta-fixtures.js';
import { getRxStorageSqlite } from './index.js';
import type { SqliteStorageInstance } from './sqlite-instance.js';

const BARCODES = Array.from({ length: 8 }, (_, n) => `3100000000000${n}`);
const STATUSES = ['available', 'checked_out', 'lost', 'in_transit'];

interface Side {
  items: RxStorageInstance<Item, unknown, unknown>;
  meta: RxStorageInstance<Meta, unknown, unknown>;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function open<T>(
  storage: RxStorage<unknown, unknown>,
  databaseName: string,
  collectionName: string,
  schema: RxJsonSchema<RxDocumentData<T>>,
): Promise<RxStorageInstance<T, unknown, unknown>> {
  return storage.createStorageInstance<T>({
    databaseInstanceToken: randomToken(10),
    databaseName,
    collectionName,
    schema,
    options: {},
    multiInstance: false,
    devMode: false,
  });
}

async function openSide(storage: RxStorage<unknown, unknown>, name: string): Promise<Side> {
  return {
    items: await open<Item>(storage, name, 'items', itemSchema),
    meta: await open<Meta>(storage, name, 'rx-replication-meta-x', metaSchema),
  };
}

/** The first sync: `deleted` marks which of BARCODES the server sent as deleted. */
function pulledRows(deleted: readonly boolean[]) {
  const docs = BARCODES.map((barcode, n) => ({
    barcode,
    owner: n % 2 ? 'L00' : 'L01',
    status: STATUSES[n % STATUSES.length] as string,
    _deleted: deleted[n] ?? false,
  }));
  return { items: docs.map(forkRowOf), meta: docs.map((doc) => ({ document: metaRowOf(doc) })) };
}

type Op =
  | { kind: 'item'; at: number; how: 'update' | 'delete' | 'stale' | 'insert'; status: string }
  | { kind: 'meta'; at: number; how: 'update' | 'stale' | 'insert'; status: string }
  | { kind: 'read'; ats: number[] }
  | { kind: 'query' }
  | { kind: 'purge' }
  | { kind: 'reopen' };

const at = fc.integer({ min: 0, max: BARCODES.length - 1 });
const status = fc.constantFrom(...STATUSES);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('item' as const),
      at,
      how: fc.constantFrom('update', 'update', 'delete', 'stale', 'insert'),
      status,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('meta' as const),
      at,
      how: fc.constantFrom('update', 'update', 'stale', 'insert'),
      status,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      ats: fc.array(at, { minLength: 1, maxLength: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'query' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

const errorsOf = (result: { error: readonly unknown[] }) =>
  result.error.map((error) => {
    const {
      status: code,
      documentId,
      documentInDb,
    } = error as {
      status: number;
      documentId: string;
      documentInDb?: unknown;
    };
    return { code, documentId, documentInDb };
  });

/** A write of `next` as `how` says: an insert, or an update of `current` or of a stale revision. */
function writeRow<T>(
  how: Extract<Op, { how: string }>['how'],
  current: RxDocumentData<T> | undefined,
  next: RxDocumentData<T>,
): BulkWriteRow<T> {
  if (how === 'insert') return { document: next };
  return { previous: how === 'stale' ? { ...next, _rev: '99-stale' } : current, document: next };
}

/** Runs one operation on a side; answers what it saw. `step` makes revisions and times unique. */
async function run(side: Side, operation: Op, step: number): Promise<unknown> {
  const lwt = LWT + step;
  switch (operation.kind) {
    case 'item': {
      const barcode = BARCODES[operation.at] as string;
      const [current] = await side.items.findDocumentsById([barcode], true);
      const next = {
        ...(current ?? { barcode, owner: 'L00', _attachments: {} }),
        status: operation.status,
        _deleted: operation.how === 'delete',
        _rev: `${step + 2}-desk`,
        _meta: { lwt },
      } as ItemDoc;
      const row = writeRow(operation.how, current, next);
      return errorsOf(await side.items.bulkWrite([row], 'desk'));
    }
    case 'meta': {
      const barcode = BARCODES[operation.at] as string;
      const id = `${barcode}|0`;
      const [current] = await side.meta.findDocumentsById([id], true);
      const next = {
        ...(current ?? { id, isCheckpoint: '0', itemId: barcode, _attachments: {} }),
        docData: { barcode, owner: 'L00', status: operation.status, _deleted: false },
        _deleted: false,
        _rev: createRevision('replication-checkpoint-key', current),
        _meta: { lwt },
      } as MetaDoc;
      const row = writeRow(operation.how, current, next);
      return errorsOf(await side.meta.bulkWrite([row], 'replication'));
    }
    case 'read': {
      const barcodes = operation.ats.map((n) => BARCODES[n] as string);
      return {
        items: await side.items.findDocumentsById(barcodes, true),
        meta: await side.meta.findDocumentsById(
          [...barcodes.map((barcode) => `${barcode}|0`), 'down|1'],
          true,
        ),
      };
    }
    case 'query': {
      const query = prepareQuery(
        metaSchema,
        normalizeMangoQuery(metaSchema, { selector: {}, sort: [{ id: 'asc' }] }),
      );
      return (await side.meta.query(query)).documents;
    }
    case 'purge':
      await side.items.cleanup(0);
      return side.items.findDocumentsById(BARCODES, true);
    case 'reopen':
      return undefined;
  }
}

describe('meta rows carried by documents, against meta rows written out', () => {
  it('answers every random sequence after a first sync identically', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: BARCODES.length, maxLength: BARCODES.length }),
        fc.array(op, { minLength: 1, maxLength: 25 }),
        async (deleted, ops) => {
          runs += 1;
          const dir = mkdtempSync(join(tmpdir(), 'carrel-assumed-prop-'));
          dirs.push(dir);
          const sqlite = getRxStorageSqlite({ directory: dir }) as RxStorage<unknown, unknown>;
          const memory = getRxStorageMemory() as RxStorage<unknown, unknown>;
          const ours = await openSide(sqlite, 'desk');
          const reference = await openSide(memory, `reference-${runs}`);
          try {
            const rows = pulledRows(deleted);
            const pulled = await (
              ours.items as unknown as SqliteStorageInstance<Item>
            ).bulkInsertPulled(rows.items, 'first-sync', ours.meta, REV);
            expect(pulled?.error).toEqual([]);
            await reference.items.bulkWrite(rows.items, 'first-sync');
            await reference.meta.bulkWrite(rows.meta, 'first-sync');

            for (const [step, operation] of ops.entries()) {
              if (operation.kind === 'reopen') {
                await ours.items.close();
                await ours.meta.close();
                Object.assign(ours, await openSide(sqlite, 'desk'));
                continue;
              }
              const [mine, theirs] = [
                await run(ours, operation, step),
                await run(reference, operation, step),
              ];
              expect(mine, `step ${step}: ${JSON.stringify(operation)}`).toEqual(theirs);
            }
            const all = { kind: 'read' as const, ats: BARCODES.map((_, n) => n) };
            expect(await run(ours, all, ops.length)).toEqual(await run(reference, all, ops.length));
          } finally {
            await Promise.all([
              ours.items.close(),
              ours.meta.close(),
              reference.items.remove(),
              reference.meta.remove(),
            ]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
