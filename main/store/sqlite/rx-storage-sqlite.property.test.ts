/**
 * Differential property test: random sequences of bulkWrite, query, count, findDocumentsById
 * and getChangedDocumentsSince run against our SQLite storage and RxDB's memory storage, and
 * the answers must be identical. For query and count, RxDB's own query matcher and sort
 * comparator over every stored document are the judge: the memory storage disagrees with
 * them for values outside the schema's bounds (it trusts clamped sort keys), and we must not.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fillWithDefaultSettings,
  getChangedDocumentsSince,
  getQueryMatcher,
  getSortComparator,
  normalizeMangoQuery,
  prepareQuery,
  randomToken,
  type BulkWriteRow,
  type MangoQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorage,
  type RxStorageInstance,
} from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { afterAll, describe, expect, it } from 'vitest';
import { getRxStorageSqlite } from './index.js';

interface Row {
  id: string;
  name: string;
  age: number;
  flag: boolean;
  note: string;
}
type Doc = RxDocumentData<Row>;

const schema = fillWithDefaultSettings<Row>({
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 12 },
    name: { type: 'string', maxLength: 6 },
    age: { type: 'number', minimum: 0, maximum: 100, multipleOf: 0.5 },
    flag: { type: 'boolean' },
    note: { type: 'string' },
  },
  required: ['id', 'name', 'age', 'flag', 'note'],
  indexes: ['name', ['age', 'name'], ['flag', 'age']],
}) as RxJsonSchema<Doc>;

// Ids: ASCII, accents, CJK, astral (surrogate pairs) and private-use characters, which
// order differently in UTF-8 and UTF-16.
const baseIds = [
  'a',
  'b',
  'B',
  'é',
  'z9',
  '日本',
  '😀',
  '\uE000',
  'Ω',
  'aa',
  'a-b',
  '𝔸x',
  'ﬀ',
  '0',
];
const ids = [...baseIds, ...baseIds.map((id) => `${id}~`)];
const words = ['', 'a', 'ab', 'b', 'é', 'Z', '日', '😀', '\uE000', '\uFFFD', 'ñu', 'x y'];
const name = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...words) },
  // Outside what sort keys represent: too long, trailing space, control characters.
  { weight: 1, arbitrary: fc.constantFrom('toolongname', 'a ', 'a\u0001', '\t') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
);
const age = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 200 }).map((n) => n / 2) },
  // Outside the schema's bounds, or finer than multipleOf.
  { weight: 1, arbitrary: fc.constantFrom(-3, 150, 2.25, 99.75, 100.5) },
);
const fields = fc.record({ name, age, flag: fc.boolean(), note: fc.constantFrom(...words) });

const writeSpec = fc.record({
  id: fc.constantFrom(...ids),
  kind: fc.constantFrom('insert', 'update', 'update', 'stale', 'delete'),
  fields,
  sameLwt: fc.boolean(),
});
const fieldNames = ['id', 'name', 'age', 'flag', 'note'] as const;
const valueFor = (field: (typeof fieldNames)[number]): fc.Arbitrary<unknown> =>
  field === 'id'
    ? fc.constantFrom(...ids)
    : field === 'name' || field === 'note'
      ? name
      : field === 'age'
        ? age
        : fc.boolean();
const condition = fc.constantFrom(...fieldNames).chain((field) =>
  fc
    .oneof(
      fc
        .record({
          op: fc.constantFrom('$eq', '$gt', '$gte', '$lt', '$lte', '$ne'),
          value: valueFor(field),
        })
        .map(({ op, value }) => ({ [op]: value })),
      fc
        .record({
          lower: fc.record({ op: fc.constantFrom('$gt', '$gte'), value: valueFor(field) }),
          upper: fc.record({ op: fc.constantFrom('$lt', '$lte'), value: valueFor(field) }),
        })
        .map(({ lower, upper }) => ({ [lower.op]: lower.value, [upper.op]: upper.value })),
      fc.array(valueFor(field), { minLength: 1, maxLength: 3 }).map((values) => ({ $in: values })),
    )
    .map((ops) => [field, ops] as const),
);
const mango = fc.record({
  conditions: fc.array(condition, { maxLength: 2 }),
  sort: fc.array(
    fc.record({ field: fc.constantFrom(...fieldNames), dir: fc.constantFrom('asc', 'desc') }),
    { maxLength: 2 },
  ),
  skip: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 })),
  limit: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
});
const operation = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('write'),
      rows: fc.uniqueArray(writeSpec, { minLength: 1, maxLength: 8, selector: (w) => w.id }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('query'), query: mango }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('count'), query: mango }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('findById'),
      ids: fc.array(fc.constantFrom(...ids), { maxLength: 5 }),
      withDeleted: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('changes'), batch: fc.integer({ min: 1, max: 6 }) }),
  },
);

type Checkpoint = { id: string; lwt: number };
type Instance = RxStorageInstance<Row, unknown, unknown, Checkpoint>;

async function open(storage: RxStorage<unknown, unknown>, databaseName: string): Promise<Instance> {
  return (await storage.createStorageInstance<Row>({
    databaseInstanceToken: randomToken(10),
    databaseName,
    collectionName: 'docs',
    schema,
    options: {},
    multiInstance: false,
    devMode: false,
  })) as Instance;
}

function buildQuery(q: {
  conditions: (readonly [string, Record<string, unknown>])[];
  sort: { field: string; dir: string }[];
  skip: number;
  limit: number | undefined;
}): MangoQuery<Doc> {
  const selector: Record<string, unknown> = { _deleted: { $eq: false } };
  for (const [field, ops] of q.conditions) {
    selector[field] = { ...(selector[field] as object | undefined), ...ops };
  }
  const seen = new Set<string>();
  const sort = q.sort.filter((s) => !seen.has(s.field) && seen.add(s.field));
  return {
    selector,
    sort: sort.map((s) => ({ [s.field]: s.dir })) as MangoQuery<Doc>['sort'],
    skip: q.skip,
    ...(q.limit === undefined ? {} : { limit: q.limit }),
  };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('SQLite storage against the memory storage and the RxDB matcher', () => {
  it('answers every random operation sequence identically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-prop-'));
    dirs.push(dir);
    const sqlite = getRxStorageSqlite({ directory: dir, readSliceMs: 0, readCheckEveryRows: 3 });
    const memory = getRxStorageMemory();
    let memoryDisagreed = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (ops) => {
        const name = `p${randomToken(10)}`;
        const ours = await open(sqlite, name);
        const theirs = await open(memory as RxStorage<unknown, unknown>, name);
        let lwt = 1_700_000_000_000;
        let revision = 0;
        try {
          for (const op of ops) {
            const all = await theirs.findDocumentsById(ids, true);
            const current = new Map(all.map((d) => [d.id, d]));
            if (op.op === 'write') {
              const rows: BulkWriteRow<Row>[] = op.rows.map((spec) => {
                if (!spec.sameLwt) lwt += 0.01;
                lwt = Math.round(lwt * 100) / 100;
                revision += 1;
                const previous = current.get(spec.id);
                const height = previous ? Number(previous._rev.split('-')[0]) + 1 : 1;
                const document: Doc = {
                  id: spec.id,
                  ...spec.fields,
                  _deleted: spec.kind === 'delete',
                  _attachments: {},
                  _rev: `${height}-r${revision}`,
                  _meta: { lwt },
                };
                if (spec.kind === 'insert' || !previous) return { document };
                if (spec.kind === 'stale') {
                  return { document, previous: { ...previous, _rev: `${height - 1}-stale` } };
                }
                return { document, previous };
              });
              const a = await ours.bulkWrite(structuredClone(rows), 'test');
              const b = await theirs.bulkWrite(structuredClone(rows), 'test');
              const strip = (e: (typeof a.error)[number]) => ({
                ...e,
                writeRow: undefined,
              });
              expect(a.error.map(strip)).toEqual(b.error.map(strip));
            } else if (op.op === 'query' || op.op === 'count') {
              const normalized = normalizeMangoQuery(schema, buildQuery(op.query));
              const prepared = prepareQuery(schema, normalized);
              const matcher = getQueryMatcher(schema, normalized);
              const judged = all
                .filter((d) => matcher(d))
                .sort(getSortComparator(schema, normalized));
              if (op.op === 'query') {
                const limit = normalized.limit ?? Infinity;
                const expected = judged.slice(normalized.skip, normalized.skip + limit);
                const got = (await ours.query(prepared)).documents;
                expect(got).toEqual(expected);
                const memoryGot = (await theirs.query(prepared)).documents;
                if (JSON.stringify(memoryGot) !== JSON.stringify(expected)) memoryDisagreed += 1;
              } else {
                const got = (await ours.count(prepared)).count;
                expect(got).toBe(judged.length);
              }
            } else if (op.op === 'findById') {
              expect(await ours.findDocumentsById(op.ids, op.withDeleted)).toEqual(
                await theirs.findDocumentsById(op.ids, op.withDeleted),
              );
            } else {
              // Walk the whole change feed in batches on both sides.
              for (const instance of [ours, theirs]) {
                const seen: Doc[] = [];
                let checkpoint: { id: string; lwt: number } | undefined;
                for (;;) {
                  const page = await getChanges(instance, op.batch, checkpoint);
                  seen.push(...page.documents);
                  checkpoint = page.checkpoint;
                  if (page.documents.length < op.batch) break;
                }
                const expected = [...all].sort((x, y) =>
                  x._meta.lwt !== y._meta.lwt
                    ? x._meta.lwt - y._meta.lwt
                    : x.id < y.id
                      ? -1
                      : x.id > y.id
                        ? 1
                        : 0,
                );
                expect(seen).toEqual(expected);
              }
            }
          }
        } finally {
          await ours.close();
          await theirs.close();
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150) },
    );
    // Not an assertion on the memory storage: a note on why the judge is the matcher.
    if (memoryDisagreed > 0) {
      console.info(`memory storage disagreed with RxDB's matcher on ${memoryDisagreed} queries`);
    }
  });
});

/** RxDB's helper calls the storage's own method where it has one (ours does, memory not). */
async function getChanges(
  instance: Instance,
  limit: number,
  checkpoint: Checkpoint | undefined,
): Promise<{ documents: Doc[]; checkpoint: Checkpoint }> {
  return getChangedDocumentsSince<Row, Checkpoint>(instance, limit, checkpoint);
}
