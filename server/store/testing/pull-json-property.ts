/**
 * pullJson against pull, property-based, run on SQLite
 * (sqlite-replication-store.property.test.ts) and on PostgreSQL
 * (test/server/replication-store.pg.test.ts). Random parcels (strings of
 * quotes, backslashes, control and astral characters; nested objects and arrays, empty ones;
 * integer-like keys, which JSON.parse puts first), some deleted, some moved away from a library
 * (which is then served a trimmed deletion, parsed and built by departedView), are pulled by
 * every library in pages of a random size. Every page's JSON must parse to pull's documents,
 * be exactly JSON.stringify of them (what the pull route sent before it sent pullJson), and
 * answer the same checkpoint.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { scopeIncludes } from '../document-state.js';
import type { Checkpoint, StoredDoc } from '../replication-store.js';
import type { StoreBackend } from './replication-store-cases.js';

/** One character of a generated string: JSON's escapes and splitters, ASCII, any code point. */
const character = fc.oneof(
  fc.constantFrom('"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u2028', '{', '}', ',', ':'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.string({ unit: character, maxLength: 10 });

/** Fields the parcels registration reads (its scope, its loans) or the store adds. */
const reserved = new Set(['id', 'libraries', 'tools', '_deleted', '__proto__']);

const fieldName = fc
  .oneof(fc.constantFrom('secret', 'label', '0', '17', '', 'é', '😀', '"', '\\'), text)
  .filter((name) => !reserved.has(name));

const fieldValue = fc.oneof(
  fc.jsonValue({ stringUnit: character, maxDepth: 3 }),
  fc.constantFrom({}, [], { _deleted: true }, [{}], ''),
);

const fields = fc.dictionary(fieldName, fieldValue, { maxKeys: 5, noNullPrototype: true });

const state = fc.record({
  libraries: fc.subarray(['A', 'B', '*']),
  deleted: fc.boolean(),
  fields,
});

/** A parcel's first state and, perhaps, the one pushed over it (moved, deleted, edited). */
const scenario = fc.record({
  parcels: fc.uniqueArray(
    fc.record({
      // PostgreSQL text cannot hold U+0000: such an id names no document there.
      id: fc
        .string({ unit: character, minLength: 1, maxLength: 8 })
        .filter((id) => !id.includes('\u0000')),
      first: state,
      next: fc.option(state, { nil: undefined }),
    }),
    { selector: (parcel) => parcel.id, minLength: 1, maxLength: 25 },
  ),
  limit: fc.integer({ min: 1, max: 8 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;
type State = typeof state extends fc.Arbitrary<infer T> ? T : never;

const server = { deskId: 'server', library: '*' };

function parcelDoc(id: string, { libraries, deleted, fields }: State): StoredDoc {
  return { ...fields, id, libraries, _deleted: deleted };
}

/** Pulls every library's feed both ways; answers how many documents were served trimmed. */
async function run(backend: StoreBackend, { parcels, limit }: Scenario): Promise<number> {
  const place = await backend.place();
  const store = await place.open();
  try {
    const first = parcels.map(({ id, first }) => parcelDoc(id, first));
    const rows = first.map((doc) => ({ assumedMasterState: null, newDocumentState: doc }));
    expect(await store.push('parcels', rows, server)).toEqual({ conflicts: [] });
    const next = parcels.flatMap(({ id, next }, index) =>
      next === undefined
        ? []
        : [{ assumedMasterState: first[index] ?? null, newDocumentState: parcelDoc(id, next) }],
    );
    if (next.length > 0) {
      expect(await store.push('parcels', next, server)).toEqual({ conflicts: [] });
    }

    let trimmed = 0;
    for (const library of ['A', 'B', 'C']) {
      let after: Checkpoint | null = null;
      for (;;) {
        const request = { library, after, limit };
        const page = await store.pull('parcels', request);
        const json = await store.pullJson('parcels', request);
        expect(JSON.parse(json.documents)).toEqual(page.documents);
        expect(json.documents).toBe(JSON.stringify(page.documents));
        expect(json.checkpoint).toEqual(page.checkpoint);
        // A document served outside its scope is a library's trimmed deletion (departedView).
        trimmed += page.documents.filter(
          (doc) => !scopeIncludes(doc['libraries'] as string[], library),
        ).length;
        if (page.documents.length < limit) break;
        after = page.checkpoint;
      }
    }
    return trimmed;
  } finally {
    await store.close();
    await place.remove();
  }
}

/** Checks the property on `numRuns` random scenarios against one backend. */
export async function checkPullJsonAgainstPull(backend: StoreBackend, numRuns: number) {
  let trimmed = 0;
  await fc.assert(
    fc.asyncProperty(scenario, async (drawn) => {
      trimmed += await run(backend, drawn);
    }),
    { numRuns },
  );
  // The runs served documents to libraries they left, not only the splice.
  expect(trimmed).toBeGreaterThan(0);
}
