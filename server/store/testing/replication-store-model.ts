/**
 * Model-based property check, run on SQLite (sqlite-replication-store.property.test.ts) and
 * on PostgreSQL (test/server/replication-store.pg.test.ts): desks of three libraries push and
 * pull random changes to parcels (scoped by the libraries they list), parcel tags (scoped
 * by their parcel) and tools (scoped by their owner, plus what parcels and tags naming them
 * lend), with stale assumed states, retried pushes and pulls of random page sizes.
 * Every push must answer exactly the conflicts RxDB's protocol predicts, and a retry must
 * change nothing that the model does not change. At the end, every desk that pulls to the end holds exactly the
 * master state of every document in its library's scope, and no live copy of anything else.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  documentFields,
  normaliseScope,
  sameDocumentState,
  scopeIncludes,
} from '../document-state.js';
import type { Checkpoint, PushRow, ReplicationStore, StoredDoc } from '../replication-store.js';
import { parcels } from './parcels.js';
import type { Parcel } from './parcels.js';
import type { StoreBackend } from './replication-store-cases.js';

const desks = [
  { deskId: 'A1', library: 'A' },
  { deskId: 'A2', library: 'A' },
  { deskId: 'B1', library: 'B' },
  { deskId: 'C1', library: 'C' },
] as const;
const collections = ['parcels', 'parcelTags', 'tools'] as const;
type Collection = (typeof collections)[number];
const docIds = ['0', '1', '2', '3'];

interface Edit {
  readonly doc: number;
  readonly delete: boolean;
  readonly libraries: string[];
  readonly label: string;
  readonly secret: string | undefined;
  readonly parent: number;
  /** Tools a parcel names (a tag names the first, if any); a tool's owner is the first library. */
  readonly tools: string[];
}

type Command =
  | {
      readonly kind: 'push';
      readonly desk: number;
      readonly collection: Collection;
      readonly edits: Edit[];
    }
  | { readonly kind: 'retry'; readonly desk: number }
  | {
      readonly kind: 'pull';
      readonly desk: number;
      readonly collection: Collection;
      readonly limit: number;
    };

const edit = fc.record({
  doc: fc.nat({ max: docIds.length - 1 }),
  delete: fc.boolean(),
  libraries: fc.subarray(['A', 'B', 'C', '*']),
  label: fc.constantFrom('x', 'y', 'closed'),
  secret: fc.constantFrom(undefined, 's'),
  parent: fc.nat({ max: docIds.length - 1 }),
  tools: fc.subarray(['k0', 'k1']),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('push' as const),
    desk: fc.nat({ max: desks.length - 1 }),
    collection: fc.constantFrom(...collections),
    edits: fc.array(edit, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('retry' as const), desk: fc.nat({ max: desks.length - 1 }) }),
  fc.record({
    kind: fc.constant('pull' as const),
    desk: fc.nat({ max: desks.length - 1 }),
    collection: fc.constantFrom(...collections),
    limit: fc.integer({ min: 1, max: 4 }),
  }),
);

/** The server as RxDB's protocol says it must behave, over plain maps. */
class Model {
  readonly masters = {
    parcels: new Map<string, StoredDoc>(),
    parcelTags: new Map<string, StoredDoc>(),
    tools: new Map<string, StoredDoc>(),
  };

  scope(collection: Collection, doc: StoredDoc): string[] {
    if (collection === 'parcels') return normaliseScope(doc['libraries'])!;
    if (collection === 'tools') return normaliseScope([doc['owner'], ...this.lent(doc)])!;
    const parent = this.masters.parcels.get(String(doc['parcelId']));
    return parent === undefined ? [] : this.scope('parcels', parent);
  }

  /** Libraries of live parcels naming the tool, and of live tags naming it under an open parcel. */
  private lent(tool: StoredDoc): string[] {
    const id = String(tool['id']);
    const fromParcels = [...this.masters.parcels.values()]
      .filter(
        (parcel) => !parcel._deleted && (parcel['tools'] as string[] | undefined)?.includes(id),
      )
      .flatMap((parcel) => this.scope('parcels', parcel));
    const fromTags = [...this.masters.parcelTags.values()]
      .filter((tag) => {
        const parent = this.masters.parcels.get(String(tag['parcelId']));
        return (
          !tag._deleted &&
          tag['tool'] === id &&
          parent !== undefined &&
          !parent._deleted &&
          parent['label'] !== 'closed'
        );
      })
      .flatMap((tag) => this.scope('parcelTags', tag));
    return [...fromParcels, ...fromTags];
  }

  sees(collection: Collection, doc: StoredDoc, library: string): boolean {
    return scopeIncludes(this.scope(collection, doc), library);
  }

  /** Applies a push; answers the expected conflicts and whether anything was written. */
  push(collection: Collection, rows: readonly PushRow[], library: string) {
    const masters = this.masters[collection];
    const conflicts: StoredDoc[] = [];
    let wrote = false;
    for (const { assumedMasterState, newDocumentState } of rows) {
      const id = String(newDocumentState['id']);
      const master = masters.get(id);
      // A library that does not see the master is answered a deletion of its own row: it is
      // told nothing of the master.
      if (master !== undefined && sameDocumentState(master, newDocumentState)) {
        // Already applied: a success, unless the library does not see it (then a deletion).
        if (!this.sees(collection, master, library)) {
          conflicts.push(departed(collection, newDocumentState));
        }
        continue;
      }
      if (master !== undefined && !sameDocumentState(master, assumedMasterState)) {
        conflicts.push(
          this.sees(collection, master, library) ? master : departed(collection, newDocumentState),
        );
        continue;
      }
      masters.set(id, newDocumentState);
      wrote = true;
    }
    return { conflicts, wrote };
  }
}

/** A document as a library it does not concern receives it: deleted, without the secret. */
function departed(collection: Collection, doc: StoredDoc): StoredDoc {
  const fields = documentFields(doc);
  const kept = collection === 'parcels' ? parcels.departed!(fields as Parcel) : fields;
  return { ...kept, _deleted: true };
}

interface Desk {
  readonly deskId: string;
  readonly library: string;
  /** The master state as the desk last got it, by collection and id. */
  readonly known: Record<Collection, Map<string, StoredDoc>>;
  readonly checkpoints: Record<Collection, Checkpoint | null>;
  lastPush?: { collection: Collection; rows: PushRow[] };
}

function rowsFor(desk: Desk, collection: Collection, edits: readonly Edit[]): PushRow[] {
  const rows = new Map<string, PushRow>();
  for (const change of edits) {
    const prefix = { parcels: 'p', parcelTags: 't', tools: 'k' }[collection];
    const id = `${prefix}${docIds[change.doc]}`;
    const known = desk.known[collection].get(id);
    if (rows.has(id) || known?._deleted === true) continue; // RxDB cannot write a deleted doc
    const [firstTool] = change.tools;
    const fields: StoredDoc =
      collection === 'parcels'
        ? {
            id,
            libraries: change.libraries,
            label: change.label,
            ...(change.secret === undefined ? {} : { secret: change.secret }),
            ...(change.tools.length === 0 ? {} : { tools: change.tools }),
            _deleted: false,
          }
        : collection === 'tools'
          ? { id, owner: change.libraries[0] ?? 'A', label: change.label, _deleted: false }
          : {
              id,
              parcelId: `p${docIds[change.parent]}`,
              text: change.label,
              ...(firstTool === undefined ? {} : { tool: firstTool }),
              _deleted: false,
            };
    const next = known !== undefined && change.delete ? { ...known, _deleted: true } : fields;
    rows.set(id, { assumedMasterState: known ?? null, newDocumentState: next });
  }
  return [...rows.values()];
}

async function pullPage(
  store: ReplicationStore,
  desk: Desk,
  collection: Collection,
  limit: number,
) {
  const after = desk.checkpoints[collection];
  const page = await store.pull(collection, { library: desk.library, after, limit });
  expect(page.documents.length).toBeLessThanOrEqual(limit);
  expect(page.checkpoint.seq).toBeGreaterThanOrEqual(after?.seq ?? 0);
  const ids = page.documents.map((doc) => String(doc['id']));
  expect(new Set(ids).size).toBe(ids.length);
  for (const doc of page.documents) desk.known[collection].set(String(doc['id']), doc);
  desk.checkpoints[collection] = page.checkpoint;
  if (page.documents.length < limit) {
    // RxDB takes a short page for the end of the feed: there must be nothing after it.
    const rest = await store.pull(collection, {
      library: desk.library,
      after: page.checkpoint,
      limit: 100,
    });
    expect(rest.documents).toEqual([]);
  }
  return page.documents.length;
}

async function run(backend: StoreBackend, commands: readonly Command[]): Promise<void> {
  const place = await backend.place();
  const store = await place.open();
  try {
    const model = new Model();
    const state: Desk[] = desks.map((desk) => ({
      ...desk,
      known: { parcels: new Map(), parcelTags: new Map(), tools: new Map() },
      checkpoints: { parcels: null, parcelTags: null, tools: null },
    }));
    for (const step of commands) {
      const desk = state[step.desk]!;
      if (step.kind === 'pull') {
        await pullPage(store, desk, step.collection, step.limit);
        continue;
      }
      const push =
        step.kind === 'push'
          ? { collection: step.collection, rows: rowsFor(desk, step.collection, step.edits) }
          : desk.lastPush;
      if (push === undefined || push.rows.length === 0) continue;
      const before = await store.latest(push.collection);
      const expected = model.push(push.collection, push.rows, desk.library);
      const result = await store.push(push.collection, push.rows, desk);
      expect(result.conflicts).toEqual(expected.conflicts);
      const after = await store.latest(push.collection);
      expect(after.seq > before.seq).toBe(expected.wrote);
      // As RxDB does: applied rows become the desk's known master, conflicts replace theirs.
      for (const row of push.rows) {
        desk.known[push.collection].set(String(row.newDocumentState['id']), row.newDocumentState);
      }
      for (const conflict of result.conflicts) {
        desk.known[push.collection].set(String(conflict['id']), conflict);
      }
      desk.lastPush = push;
    }

    for (const desk of state) {
      for (const collection of collections) {
        while ((await pullPage(store, desk, collection, 3)) === 3);
        for (const [id, master] of model.masters[collection]) {
          const held = desk.known[collection].get(id);
          if (scopeIncludes(model.scope(collection, master), desk.library)) {
            expect(held, `${desk.deskId} ${collection} ${id}`).toEqual(master);
          } else if (held !== undefined) {
            expect(held._deleted, `${desk.deskId} ${collection} ${id} lingers`).toBe(true);
          }
        }
        for (const id of desk.known[collection].keys()) {
          expect(model.masters[collection].has(id)).toBe(true);
        }
      }
    }
  } finally {
    await store.close();
    await place.remove();
  }
}

/** Checks the property on `numRuns` random command sequences against one backend. */
export async function checkStoreAgainstModel(backend: StoreBackend, numRuns: number) {
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), (commands) =>
      run(backend, commands),
    ),
    { numRuns },
  );
}
