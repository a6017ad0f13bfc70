// Every behaviour of the replication store contract, as one suite each store runs: the SQLite
// store in sqlite-replication-store.test.ts, the PostgreSQL store in
// test/server/pg-replication-store.test.ts (which needs a real cluster).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommittedChange, ReplicationStore, StoredDoc } from '../replication-store.js';
import {
  openParcelStore,
  parcel,
  parcels,
  parcelTags,
  pullAll,
  tag,
  temporaryFolder,
  tool,
} from './parcels.js';

/** A place for stores (an SQLite file, a PostgreSQL database), empty when made. */
export interface StorePlace {
  /**
   * A new store on this place with the parcel collections registered (registerParcelCollections;
   * `lending: false` registers them without their grants).
   */
  open(lending?: boolean): Promise<ReplicationStore>;
  remove(): Promise<void>;
}

export interface StoreBackend {
  readonly name: string;
  place(): Promise<StorePlace>;
}

/** Each test's store on a new file in a new folder. */
export const sqliteBackend: StoreBackend = {
  name: 'sqlite',
  place() {
    const folder = temporaryFolder();
    return Promise.resolve({
      open: (lending) => openParcelStore(folder.path, undefined, lending),
      remove: () => Promise.resolve(folder.remove()),
    });
  },
};

/** Registers the suite's tests for one backend (call inside a describe). */
export function replicationStoreCases(backend: StoreBackend): void {
  const deskA = { deskId: '01JP9ZTDE0RPE2RC89KVWB27RA', library: 'A' };
  const deskB = { deskId: '01JP9ZTDE0RPE2RC89KVWB27RB', library: 'B' };
  /** The server's own writes (an ILS import): every library's documents. */
  const server = { deskId: 'server', library: '*' };

  let place: StorePlace;
  let store: ReplicationStore;

  beforeEach(async () => {
    place = await backend.place();
    store = await place.open();
  });

  afterEach(async () => {
    await store.close();
    await place.remove();
  });

  /** Pushes new documents (no assumed master) and expects no conflicts. */
  async function create(collection: string, docs: StoredDoc[], context = server) {
    const rows = docs.map((doc) => ({ assumedMasterState: null, newDocumentState: doc }));
    expect(await store.push(collection, rows, context)).toEqual({ conflicts: [] });
  }

  /** Pushes `next` over `previous` and expects it applied. */
  async function update(
    collection: string,
    previous: StoredDoc,
    next: StoredDoc,
    context = server,
  ) {
    const rows = [{ assumedMasterState: previous, newDocumentState: next }];
    expect(await store.push(collection, rows, context)).toEqual({ conflicts: [] });
  }

  const ids = (docs: readonly StoredDoc[]) => docs.map((doc) => doc['id']);

  describe('push and pull', () => {
    it('round-trips a document and answers it by id', async () => {
      const doc = { ...parcel('p1', ['A']), secret: 'é 😀 \u0000' };
      await create('parcels', [doc]);
      const page = await store.pull('parcels', { library: 'A', after: null, limit: 10 });
      expect(page.documents).toEqual([doc]);
      expect(page.checkpoint).toEqual(await store.latest('parcels'));
      expect(await store.get('parcels', ['nope', 'p1'])).toEqual([doc]);
      // Nothing after the checkpoint: the same checkpoint back.
      expect(
        await store.pull('parcels', { library: 'A', after: page.checkpoint, limit: 10 }),
      ).toEqual({ documents: [], checkpoint: page.checkpoint });
    });

    it('pages by checkpoint in commit order, without gaps or duplicates, as writes go on', async () => {
      for (let i = 0; i < 25; i++) await create('parcels', [parcel(`p${i}`, ['A'], `v0`)]);
      const served: string[] = [];
      let after = null;
      let previous = 0;
      for (let page = 0; ; page++) {
        const result = await store.pull('parcels', { library: 'A', after, limit: 7 });
        expect(result.documents.length).toBeLessThanOrEqual(7);
        served.push(
          ...result.documents.map((doc) => `${String(doc['id'])}:${String(doc['label'])}`),
        );
        if (result.documents.length === 0) break;
        expect(result.checkpoint.seq).toBeGreaterThan(previous);
        previous = result.checkpoint.seq;
        after = result.checkpoint;
        // Between pages: a document already served changes, and a new one arrives.
        if (page === 1) {
          await update('parcels', parcel('p0', ['A'], 'v0'), parcel('p0', ['A'], 'v1'));
          await create('parcels', [parcel('late', ['A'])]);
        }
      }
      expect(served).toEqual([
        ...Array.from({ length: 25 }, (_, i) => `p${i}:v0`),
        'p0:v1',
        'late:x',
      ]);
    });

    it('serves only the newest version of a document', async () => {
      await create('parcels', [parcel('p1', ['A'], 'v1')]);
      await update('parcels', parcel('p1', ['A'], 'v1'), parcel('p1', ['A'], 'v2'));
      await update('parcels', parcel('p1', ['A'], 'v2'), parcel('p1', ['A'], 'v3'));
      const page = await store.pull('parcels', { library: 'A', after: null, limit: 10 });
      expect(page.documents).toEqual([parcel('p1', ['A'], 'v3')]);
    });

    it('replicates deletions as documents with _deleted: true', async () => {
      await create('parcels', [parcel('p1', ['A']), parcel('p2', ['A'])]);
      const before = await store.latest('parcels');
      await update('parcels', parcel('p1', ['A']), parcel('p1', ['A'], 'x', true));
      const page = await store.pull('parcels', { library: 'A', after: before, limit: 10 });
      expect(page.documents).toEqual([parcel('p1', ['A'], 'x', true)]);
      expect(await store.get('parcels', ['p1'])).toEqual([parcel('p1', ['A'], 'x', true)]);
      expect(await pullAll(store, 'parcels', 'A')).toEqual(
        new Map([
          ['p2', parcel('p2', ['A'])],
          ['p1', parcel('p1', ['A'], 'x', true)],
        ]),
      );
    });

    it('survives closing and reopening the store, and keeps counting from where it was', async () => {
      await create('parcels', [parcel('p1', ['A'])]);
      const before = await store.latest('parcels');
      await store.close();
      store = await place.open();
      expect(await store.get('parcels', ['p1'])).toEqual([parcel('p1', ['A'])]);
      await create('parcels', [parcel('p2', ['A'])]);
      expect((await store.latest('parcels')).seq).toBeGreaterThan(before.seq);
      const page = await store.pull('parcels', { library: 'A', after: before, limit: 10 });
      expect(ids(page.documents)).toEqual(['p2']);
    });

    it('keeps ids exactly as given: case, Unicode normal forms and astral characters differ', async () => {
      const exotic = ['a', 'A', 'é', 'e\u0301', '😀', '\uFFFD', 'a b'];
      await create(
        'parcels',
        exotic.map((id) => parcel(id, ['A'])),
      );
      expect(ids(await store.get('parcels', exotic))).toEqual(exotic);
      expect([...(await pullAll(store, 'parcels', 'A')).keys()]).toEqual(exotic);
      // A lone surrogate would reach SQLite as U+FFFD: refused, not merged with '\uFFFD'.
      await expect(
        store.push(
          'parcels',
          [{ assumedMasterState: null, newDocumentState: parcel('\uD800', ['A']) }],
          deskA,
        ),
      ).rejects.toMatchObject({ code: 'invalid_row' });
    });
  });

  describe('conflicts and retries', () => {
    it('returns the master for a stale assumed state and writes nothing for that row', async () => {
      await create('parcels', [parcel('p1', ['A'], 'v1'), parcel('p2', ['A'], 'v1')]);
      await update('parcels', parcel('p1', ['A'], 'v1'), parcel('p1', ['A'], 'v2'));
      const before = await store.latest('parcels');
      const result = await store.push(
        'parcels',
        [
          // Stale: another desk wrote v2 meanwhile.
          {
            assumedMasterState: parcel('p1', ['A'], 'v1'),
            newDocumentState: parcel('p1', ['A'], 'mine'),
          },
          // Fresh: applied, in the same push.
          {
            assumedMasterState: parcel('p2', ['A'], 'v1'),
            newDocumentState: parcel('p2', ['A'], 'v2'),
          },
          // "New" to this desk, but the server has it.
          { assumedMasterState: null, newDocumentState: parcel('p2', ['A'], 'other') },
        ],
        deskA,
      );
      expect(result.conflicts).toEqual([parcel('p1', ['A'], 'v2'), parcel('p2', ['A'], 'v2')]);
      expect(await store.get('parcels', ['p1', 'p2'])).toEqual([
        parcel('p1', ['A'], 'v2'),
        parcel('p2', ['A'], 'v2'),
      ]);
      const page = await store.pull('parcels', { library: 'A', after: before, limit: 10 });
      expect(page.documents).toEqual([parcel('p2', ['A'], 'v2')]);
    });

    it('compares states deeply, whatever the key order', async () => {
      await create('parcels', [{ ...parcel('p1', ['A', 'B']), secret: 's' }]);
      const reordered = {
        secret: 's',
        _deleted: false,
        label: 'x',
        libraries: ['A', 'B'],
        id: 'p1',
      };
      await update('parcels', reordered, parcel('p1', ['A', 'B'], 'y'));
      // Array order is part of the state.
      const swapped = parcel('p1', ['B', 'A'], 'y');
      const result = await store.push(
        'parcels',
        [{ assumedMasterState: swapped, newDocumentState: parcel('p1', ['A'], 'z') }],
        deskA,
      );
      expect(result.conflicts).toEqual([parcel('p1', ['A', 'B'], 'y')]);
    });

    it('accepts a row for a document the server does not have, whatever the desk assumed', async () => {
      await store.push(
        'parcels',
        [{ assumedMasterState: parcel('p1', ['A'], 'old'), newDocumentState: parcel('p1', ['A']) }],
        deskA,
      );
      expect(await store.get('parcels', ['p1'])).toEqual([parcel('p1', ['A'])]);
    });

    it('changes nothing twice when a push is retried after a lost answer', async () => {
      await create('parcels', [parcel('p1', ['A'], 'v1')]);
      const rows = [
        {
          assumedMasterState: parcel('p1', ['A'], 'v1'),
          newDocumentState: parcel('p1', ['A'], 'v2'),
        },
        { assumedMasterState: null, newDocumentState: parcel('p2', ['A']) },
        { assumedMasterState: null, newDocumentState: parcel('p3', ['A'], 'gone', true) },
      ];
      expect(await store.push('parcels', rows, deskA)).toEqual({ conflicts: [] });
      const after = await store.latest('parcels');
      const commits: CommittedChange[] = [];
      store.onCommit((change) => commits.push(change));
      // The answer was lost; the desk sends the same batch again, twice.
      expect(await store.push('parcels', rows, deskA)).toEqual({ conflicts: [] });
      expect(await store.push('parcels', rows, deskA)).toEqual({ conflicts: [] });
      await Promise.resolve();
      expect(await store.latest('parcels')).toEqual(after);
      expect(commits).toEqual([]);
      expect(await store.pull('parcels', { library: 'A', after, limit: 10 })).toEqual({
        documents: [],
        checkpoint: after,
      });
    });

    it('writes nothing for a row that changes nothing', async () => {
      await create('parcels', [parcel('p1', ['A'])]);
      const before = await store.latest('parcels');
      await update('parcels', parcel('p1', ['A']), parcel('p1', ['A']));
      expect(await store.latest('parcels')).toEqual(before);
    });
  });

  describe('scope', () => {
    it("shows a library its own documents and every library's, never another's", async () => {
      await create('parcels', [
        parcel('a', ['A']),
        parcel('b', ['B']),
        parcel('ab', ['A', 'B']),
        parcel('all', ['*']),
        parcel('allA', ['A', '*']),
        parcel('none', []),
      ]);
      expect([...(await pullAll(store, 'parcels', 'A')).keys()]).toEqual([
        'a',
        'ab',
        'all',
        'allA',
      ]);
      expect([...(await pullAll(store, 'parcels', 'B')).keys()]).toEqual([
        'b',
        'ab',
        'all',
        'allA',
      ]);
      expect([...(await pullAll(store, 'parcels', 'C')).keys()]).toEqual(['all', 'allA']);
      expect(await store.scopeOf('parcels', parcel('x', ['B', 'A', 'B']))).toEqual(['A', 'B']);
      expect(await store.scopeOf('parcels', parcel('x', ['B', '*']))).toEqual(['*']);
    });

    it('tells the library a document left, once, as a deletion without what it must not keep', async () => {
      const v1 = { ...parcel('p1', ['A'], 'v1'), secret: 'shelf name' };
      await create('parcels', [v1]);
      const a = await store.pull('parcels', { library: 'A', after: null, limit: 10 });
      const b = await store.pull('parcels', { library: 'B', after: null, limit: 10 });
      expect(b.documents).toEqual([]);

      // The pickup library changes from A to B.
      const v2 = { ...v1, libraries: ['B'], label: 'v2' };
      await update('parcels', v1, v2);
      expect(await store.pull('parcels', { library: 'A', after: a.checkpoint, limit: 10 })).toEqual(
        {
          documents: [{ id: 'p1', libraries: ['B'], label: 'v2', _deleted: true }],
          checkpoint: await store.latest('parcels'),
        },
      );
      expect(
        (await store.pull('parcels', { library: 'B', after: b.checkpoint, limit: 10 })).documents,
      ).toEqual([v2]);

      // Later versions reach B only.
      const seen = await store.latest('parcels');
      await update('parcels', v2, { ...v2, label: 'v3' }, deskB);
      expect(
        (await store.pull('parcels', { library: 'A', after: seen, limit: 10 })).documents,
      ).toEqual([]);
      expect(
        ids((await store.pull('parcels', { library: 'B', after: seen, limit: 10 })).documents),
      ).toEqual(['p1']);
    });

    it('tells a library that pulls late, once, even after the document moved on again', async () => {
      await create('parcels', [parcel('p1', ['A'], 'v1')]);
      const a = await store.pull('parcels', { library: 'A', after: null, limit: 10 });
      await update('parcels', parcel('p1', ['A'], 'v1'), parcel('p1', ['B'], 'v2'));
      await update('parcels', parcel('p1', ['B'], 'v2'), parcel('p1', ['C'], 'v3'));
      await update('parcels', parcel('p1', ['C'], 'v3'), parcel('p1', ['C'], 'v4'));
      expect(
        (await store.pull('parcels', { library: 'A', after: a.checkpoint, limit: 10 })).documents,
      ).toEqual([parcel('p1', ['C'], 'v4', true)]);
      expect(await pullAll(store, 'parcels', 'B')).toEqual(
        new Map([['p1', parcel('p1', ['C'], 'v4', true)]]),
      );
      expect(await pullAll(store, 'parcels', 'C')).toEqual(
        new Map([['p1', parcel('p1', ['C'], 'v4')]]),
      );
      // Back to A: A sees it again.
      await update('parcels', parcel('p1', ['C'], 'v4'), parcel('p1', ['A', 'C'], 'v5'));
      expect(
        (await store.pull('parcels', { library: 'A', after: a.checkpoint, limit: 10 })).documents,
      ).toEqual([parcel('p1', ['A', 'C'], 'v5')]);
    });

    it('serves a document once per page, in its final state, when two of its rows fall in it', async () => {
      await create('parcels', [parcel('p1', ['*'], 'v1')]);
      await update('parcels', parcel('p1', ['*'], 'v1'), parcel('p1', ['A'], 'v2'));
      await update('parcels', parcel('p1', ['A'], 'v2'), parcel('p1', ['B'], 'v3'));
      // B has a '*' row saying "left" (v2) and its own row saying "sees" (v3).
      const page = await store.pull('parcels', { library: 'B', after: null, limit: 10 });
      expect(page).toEqual({
        documents: [parcel('p1', ['B'], 'v3')],
        checkpoint: await store.latest('parcels'),
      });
      // The page is still full when the earlier row drops out: RxDB reads a short page as
      // the end of the feed.
      await create('parcels', [parcel('p2', ['B'])]);
      const full = await store.pull('parcels', { library: 'B', after: null, limit: 2 });
      expect(full.documents).toEqual([parcel('p1', ['B'], 'v3'), parcel('p2', ['B'])]);
      // Paged one row at a time, the last word is still the right one.
      expect(await pullAll(store, 'parcels', 'B', 1)).toEqual(
        new Map([
          ['p1', parcel('p1', ['B'], 'v3')],
          ['p2', parcel('p2', ['B'])],
        ]),
      );
      expect(await pullAll(store, 'parcels', 'A', 1)).toEqual(
        new Map([['p1', parcel('p1', ['B'], 'v3', true)]]),
      );
    });

    it('moves documents between every library and one library', async () => {
      await create('parcels', [parcel('p1', ['*'], 'v1')]);
      const start = await store.latest('parcels');
      await update('parcels', parcel('p1', ['*'], 'v1'), parcel('p1', ['A'], 'v2'));
      const narrowed = await store.latest('parcels');
      const pulled = async (library: string, after = start) =>
        (await store.pull('parcels', { library, after, limit: 10 })).documents;
      expect(await pulled('A')).toEqual([parcel('p1', ['A'], 'v2')]);
      expect(await pulled('B')).toEqual([parcel('p1', ['A'], 'v2', true)]);
      expect(await pulled('C')).toEqual([parcel('p1', ['A'], 'v2', true)]);

      await update('parcels', parcel('p1', ['A'], 'v2'), parcel('p1', ['*'], 'v3'));
      for (const library of ['A', 'B', 'C']) {
        expect(await pulled(library, narrowed)).toEqual([parcel('p1', ['*'], 'v3')]);
      }
    });

    it('answers a conflict on a document that left the library as a deletion', async () => {
      await create('parcels', [{ ...parcel('p1', ['A'], 'v1'), secret: 's' }]);
      await update(
        'parcels',
        { ...parcel('p1', ['A'], 'v1'), secret: 's' },
        { ...parcel('p1', ['B'], 'v2'), secret: 's' },
        deskB,
      );
      const stale = { ...parcel('p1', ['A'], 'v1'), secret: 's' };
      const result = await store.push(
        'parcels',
        [{ assumedMasterState: stale, newDocumentState: { ...stale, label: 'mine' } }],
        deskA,
      );
      // The desk's own row as a deletion, trimmed: nothing of the master (its libraries, its
      // label) reaches a library that does not see it.
      expect(result.conflicts).toEqual([parcel('p1', ['A'], 'mine', true)]);
      // The server's own writes (library '*') see the master as it is.
      const asServer = await store.push(
        'parcels',
        [{ assumedMasterState: stale, newDocumentState: { ...stale, label: 'mine' } }],
        server,
      );
      expect(asServer.conflicts).toEqual([{ ...parcel('p1', ['B'], 'v2'), secret: 's' }]);
    });

    it('tells a desk that wrote outside its scope that it has no copy to keep', async () => {
      // The write rule should refuse such a row; if one gets through, nothing lingers.
      const rows = [{ assumedMasterState: null, newDocumentState: parcel('p1', ['B']) }];
      expect(await store.push('parcels', rows, deskA)).toEqual({ conflicts: [] });
      expect(await pullAll(store, 'parcels', 'A')).toEqual(
        new Map([['p1', parcel('p1', ['B'], 'x', true)]]),
      );
      expect(await pullAll(store, 'parcels', 'B')).toEqual(new Map([['p1', parcel('p1', ['B'])]]));
      // Retried after that deletion was served, the row is answered with it again.
      const before = await store.latest('parcels');
      expect(await store.push('parcels', rows, deskA)).toEqual({
        conflicts: [parcel('p1', ['B'], 'x', true)],
      });
      expect(await store.push('parcels', rows, deskB)).toEqual({ conflicts: [] });
      expect(await store.latest('parcels')).toEqual(before);
    });

    it('refuses to pull for every library at once', async () => {
      await expect(
        store.pull('parcels', { library: '*', after: null, limit: 1 }),
      ).rejects.toMatchObject({
        code: 'invalid_request',
      });
    });
  });

  describe('documents scoped by a parent', () => {
    it('are seen by nobody until the parent arrives, then wherever it is', async () => {
      await create('parcelTags', [tag('t1', 'p1'), tag('t2', 'p2')]);
      expect(await pullAll(store, 'parcelTags', 'A')).toEqual(new Map());
      expect(await store.scopeOf('parcelTags', tag('t1', 'p1'))).toEqual([]);

      await create('parcels', [parcel('p1', ['A', 'B'])]);
      expect(await store.scopeOf('parcelTags', tag('t1', 'p1'))).toEqual(['A', 'B']);
      for (const library of ['A', 'B']) {
        expect(await pullAll(store, 'parcelTags', library)).toEqual(
          new Map([['t1', tag('t1', 'p1')]]),
        );
      }
      expect(await pullAll(store, 'parcelTags', 'C')).toEqual(new Map());
    });

    it('follow their parent when its scope changes, and only then', async () => {
      await create('parcels', [parcel('p1', ['A'])]);
      await create('parcelTags', [tag('t1', 'p1'), tag('t2', 'p1', 'u', true), tag('t3', 'other')]);
      const before = await store.latest('parcelTags');

      // A change that keeps the scope leaves the tags alone.
      await update('parcels', parcel('p1', ['A']), parcel('p1', ['A'], 'relabelled'));
      expect(await store.latest('parcelTags')).toEqual(before);

      await update('parcels', parcel('p1', ['A'], 'relabelled'), parcel('p1', ['B'], 'moved'));
      const a = await store.pull('parcelTags', { library: 'A', after: before, limit: 10 });
      expect(a.documents).toEqual([tag('t1', 'p1', 't', true), tag('t2', 'p1', 'u', true)]);
      expect(await pullAll(store, 'parcelTags', 'B')).toEqual(
        new Map([
          ['t1', tag('t1', 'p1')],
          ['t2', tag('t2', 'p1', 'u', true)],
        ]),
      );
    });

    it('announce the re-scoped collection too', async () => {
      await create('parcelTags', [tag('t1', 'p1')]);
      const commits: CommittedChange[] = [];
      store.onCommit((change) => commits.push(change));
      await create('parcels', [parcel('p1', ['A', 'B'])]);
      await Promise.resolve();
      expect(commits).toEqual([
        { collection: 'parcels', checkpoint: await store.latest('parcels'), libraries: ['A', 'B'] },
        {
          collection: 'parcelTags',
          checkpoint: await store.latest('parcelTags'),
          libraries: ['A', 'B'],
        },
      ]);
    });
  });

  describe('scope lent by other documents', () => {
    /** A parcel naming tools it lends its scope to. */
    const lending = (id: string, libraries: string[], toolIds: string[], label = 'x') => ({
      ...parcel(id, libraries, label),
      tools: toolIds,
    });
    const toolTag = (id: string, parcelId: string, toolId: string) => ({
      ...tag(id, parcelId),
      tool: toolId,
    });
    const holders = async (id: string) => {
      const libraries: string[] = [];
      for (const library of ['A', 'B', 'C', 'D']) {
        if ((await pullAll(store, 'tools', library)).get(id)?._deleted === false) {
          libraries.push(library);
        }
      }
      return libraries;
    };

    it('reach every library of the lender while it names them, and leave after', async () => {
      await create('tools', [tool('t1', 'C'), tool('t2', 'C')]);
      await create('parcels', [lending('p1', ['A', 'B'], ['t1'])]);
      expect(await holders('t1')).toEqual(['A', 'B', 'C']);
      expect(await holders('t2')).toEqual(['C']);
      expect(await store.scopeOf('tools', tool('t1', 'C'))).toEqual(['A', 'B', 'C']);

      const seen = await store.latest('tools');
      await update('parcels', lending('p1', ['A', 'B'], ['t1']), lending('p1', ['A', 'B'], ['t2']));
      expect(await holders('t1')).toEqual(['C']);
      expect(await holders('t2')).toEqual(['A', 'B', 'C']);
      // A library the tool left is told once, as a deletion.
      const a = await store.pull('tools', { library: 'A', after: seen, limit: 10 });
      expect(a.documents).toHaveLength(2);
      expect(a.documents).toEqual(
        expect.arrayContaining([tool('t1', 'C', 'tool', true), tool('t2', 'C')]),
      );
    });

    it('follow the lender when its own scope changes, and end when it is deleted', async () => {
      await create('tools', [tool('t1', 'C')]);
      await create('parcels', [lending('p1', ['A'], ['t1'])]);
      await update('parcels', lending('p1', ['A'], ['t1']), lending('p1', ['B'], ['t1']));
      expect(await holders('t1')).toEqual(['B', 'C']);
      const deleted = { ...lending('p1', ['B'], ['t1']), _deleted: true };
      await update('parcels', lending('p1', ['B'], ['t1']), deleted);
      expect(await holders('t1')).toEqual(['C']);
    });

    it('reach a borrower that arrives after its lender, and add up over lenders', async () => {
      await create('parcels', [lending('p1', ['A'], ['t1']), lending('p2', ['B'], ['t1', 't9'])]);
      expect(await pullAll(store, 'tools', 'A')).toEqual(new Map());
      await create('tools', [tool('t1', 'C')]);
      expect(await holders('t1')).toEqual(['A', 'B', 'C']);
      await update('parcels', lending('p2', ['B'], ['t1', 't9']), lending('p2', ['B'], []));
      expect(await holders('t1')).toEqual(['A', 'C']);
    });

    it('change nothing when the lender changes in other ways', async () => {
      await create('tools', [tool('t1', 'C')]);
      await create('parcels', [lending('p1', ['A'], ['t1'])]);
      const before = await store.latest('tools');
      await update('parcels', lending('p1', ['A'], ['t1']), lending('p1', ['A'], ['t1'], 'y'));
      expect(await store.latest('tools')).toEqual(before);
      // A tool already seen by the owner of its lender gets no new version either.
      await create('parcels', [lending('p2', ['C'], ['t1'])]);
      expect(await store.latest('tools')).toEqual(before);
    });

    it('lent by a child only while its parent lets it, and re-lent when it does again', async () => {
      await create('tools', [tool('t1', 'C')]);
      await create('parcelTags', [toolTag('g1', 'p1', 't1')]);
      expect(await holders('t1')).toEqual(['C']); // no parcel yet: the tag is seen by nobody
      await create('parcels', [parcel('p1', ['A', 'B'])]);
      expect(await holders('t1')).toEqual(['A', 'B', 'C']);
      await update('parcels', parcel('p1', ['A', 'B']), parcel('p1', ['A', 'B'], 'closed'));
      expect(await holders('t1')).toEqual(['C']);
      await update('parcels', parcel('p1', ['A', 'B'], 'closed'), parcel('p1', ['A', 'D'], 'open'));
      expect(await holders('t1')).toEqual(['A', 'C', 'D']);
    });

    it('announce the borrower with the libraries it reached or left', async () => {
      await create('tools', [tool('t1', 'C')]);
      const commits: CommittedChange[] = [];
      store.onCommit((change) => commits.push(change));
      await create('parcels', [lending('p1', ['A'], ['t1'])]);
      await Promise.resolve();
      expect(commits).toContainEqual({
        collection: 'tools',
        checkpoint: await store.latest('tools'),
        libraries: ['A', 'C'],
      });
    });

    it('name the pushing desk for its own rows, not for the borrowers they reach', async () => {
      await create('tools', [tool('t1', 'C')]);
      const commits: CommittedChange[] = [];
      store.onCommit((change) => commits.push(change));
      const row = { assumedMasterState: null, newDocumentState: lending('p1', ['A'], ['t1']) };
      await store.push('parcels', [row], deskA);
      await Promise.resolve();
      expect(commits.map((change) => [change.collection, change.pushedBy])).toEqual([
        ['parcels', deskA.deskId],
        ['tools', undefined], // t1 now reaches A: desk A must pull it
      ]);
    });

    it('are caught up for documents stored before their registration lent', async () => {
      await store.close();
      store = await place.open(false);
      await create('tools', [tool('t1', 'C')]);
      await create('parcels', [lending('p1', ['A'], ['t1'])]);
      await create('parcelTags', [toolTag('g1', 'p1', 't2')]);
      await create('tools', [tool('t2', 'D')]);
      await store.close();

      store = await place.open();
      expect(await holders('t1')).toEqual(['C']);
      await store.catchUpGrants();
      expect(await holders('t1')).toEqual(['A', 'C']);
      expect(await holders('t2')).toEqual(['A', 'D']);
      const caughtUp = await store.latest('tools');
      await store.catchUpGrants();
      await store.close();
      store = await place.open();
      await store.catchUpGrants();
      expect(await store.latest('tools')).toEqual(caughtUp);
    });
  });

  describe('commit notifications', () => {
    it('name the libraries that have something new, including those a document left', async () => {
      const commits: CommittedChange[] = [];
      const stop = store.onCommit((change) => commits.push(change));
      await create('parcels', [parcel('p1', ['A']), parcel('p2', ['*'])]);
      await update('parcels', parcel('p1', ['A']), parcel('p1', ['B']));
      await Promise.resolve();
      stop();
      await create('parcels', [parcel('p3', ['A'])]);
      await Promise.resolve();
      expect(commits).toEqual([
        { collection: 'parcels', checkpoint: { seq: 2 }, libraries: ['*', 'A'] },
        { collection: 'parcels', checkpoint: { seq: 3 }, libraries: ['A', 'B'] },
      ]);
    });
  });

  describe('the pushing desk', () => {
    it('is named while all the commit wrote is its own rows, which its library still sees', async () => {
      const commits: CommittedChange[] = [];
      store.onCommit((change) => commits.push(change));
      const p1 = parcel('p1', ['A', 'B']);
      await store.push('parcels', [{ assumedMasterState: null, newDocumentState: p1 }], deskA);
      await store.push(
        'parcels',
        [{ assumedMasterState: null, newDocumentState: parcel('p2', ['*']) }],
        deskA,
      );
      // The row takes p1 away from A: A must pull its departure.
      await store.push(
        'parcels',
        [{ assumedMasterState: p1, newDocumentState: parcel('p1', ['B']) }],
        deskA,
      );
      // The server's own writes name nobody.
      await create('parcels', [parcel('p3', ['A'])]);
      // Two rows of two desks in one commit cannot be (a push is one desk's); a re-scoped
      // child is written by the server in the parent's commit: see the lending case.
      await Promise.resolve();
      expect(commits.map((change) => change.pushedBy)).toEqual([
        deskA.deskId,
        deskA.deskId,
        undefined,
        undefined,
      ]);
    });
  });

  describe('many documents', () => {
    it('pages through 10,000 documents of three scopes', async () => {
      const scopes = [['A'], ['B'], ['*']];
      for (let batch = 0; batch < 20; batch++) {
        const docs = Array.from({ length: 500 }, (_, i) => {
          const n = batch * 500 + i;
          return parcel(`p${String(n).padStart(5, '0')}`, scopes[n % 3]!, `n${n}`);
        });
        await create('parcels', docs);
      }
      for (const [library, expected] of [
        ['A', 6667],
        ['B', 6666],
        ['C', 3333],
      ] as const) {
        const served: string[] = [];
        let after = null;
        for (;;) {
          const page = await store.pull('parcels', { library, after, limit: 300 });
          served.push(...page.documents.map((doc) => String(doc['id'])));
          if (page.documents.length < 300) break;
          after = page.checkpoint;
        }
        expect(served).toHaveLength(expected);
        expect(new Set(served).size).toBe(expected);
        expect(served).toEqual([...served].sort());
      }
    });
  });

  describe('history', () => {
    it('keeps its id across reopening, and a new history has a new one for every store', async () => {
      const first = await store.history();
      expect(first).toMatch(/^[0-9a-f-]{36}$/);
      await store.close();
      store = await place.open();
      expect(await store.history()).toBe(first);
      const other = await place.open();
      try {
        const next = await store.startNewHistory();
        expect(next).not.toBe(first);
        expect(await other.history()).toBe(next);
      } finally {
        await other.close();
      }
    });
  });

  describe('two stores on one database', () => {
    it('share one seq counter, so each serves what the other committed, in commit order', async () => {
      const other = await place.open();
      try {
        for (let i = 0; i < 20; i++) {
          await create('parcels', [parcel(`p${i}`, ['A'])], deskA);
          const rows = [{ assumedMasterState: null, newDocumentState: parcel(`q${i}`, ['A']) }];
          await other.push('parcels', rows, deskB);
        }
        const expected = Array.from({ length: 20 }, (_, i) => [`p${i}`, `q${i}`]).flat();
        expect([...(await pullAll(store, 'parcels', 'A', 3)).keys()]).toEqual(expected);
        expect([...(await pullAll(other, 'parcels', 'A', 3)).keys()]).toEqual(expected);
      } finally {
        await other.close();
      }
    });
  });

  describe('mistakes', () => {
    it('are refused with a stable code', async () => {
      const row = { assumedMasterState: null, newDocumentState: parcel('p1', ['A']) };
      await expect(
        store.pull('boxes', { library: 'A', after: null, limit: 1 }),
      ).rejects.toMatchObject({ code: 'unknown_collection' });
      await expect(store.push('boxes', [row], deskA)).rejects.toMatchObject({
        code: 'unknown_collection',
      });
      for (const request of [
        { library: '', after: null, limit: 1 },
        { library: 'A', after: { seq: -1 }, limit: 1 },
        { library: 'A', after: { seq: 1.5 }, limit: 1 },
        { library: 'A', after: null, limit: 0 },
      ]) {
        await expect(store.pull('parcels', request)).rejects.toMatchObject({
          code: 'invalid_request',
        });
      }
      await expect(
        store.push(
          'parcels',
          [{ assumedMasterState: null, newDocumentState: { _deleted: false } }],
          deskA,
        ),
      ).rejects.toMatchObject({ code: 'invalid_row' });
      await expect(
        store.push(
          'parcels',
          [{ assumedMasterState: parcel('p2', ['A']), newDocumentState: parcel('p1', ['A']) }],
          deskA,
        ),
      ).rejects.toMatchObject({ code: 'invalid_row' });
      await expect(
        store.push(
          'parcels',
          [{ assumedMasterState: null, newDocumentState: parcel('p1', ['']) }],
          deskA,
        ),
      ).rejects.toMatchObject({ code: 'invalid_scope' });
    });

    it('refuse a whole push: a bad row rolls back the rows before it', async () => {
      const rows = [
        { assumedMasterState: null, newDocumentState: parcel('p1', ['A']) },
        { assumedMasterState: null, newDocumentState: parcel('p2', [7 as unknown as string]) },
      ];
      await expect(store.push('parcels', rows, deskA)).rejects.toMatchObject({
        code: 'invalid_scope',
      });
      expect(await store.get('parcels', ['p1'])).toEqual([]);
      expect(await store.latest('parcels')).toEqual({ seq: 0 });
    });

    it('refuse malformed registrations', () => {
      expect(() => store.register(parcels)).toThrow(
        expect.objectContaining({ code: 'invalid_registration' }),
      );
      expect(() =>
        store.register({
          ...parcels,
          name: 'both',
          scopeFrom: { collection: 'parcels', key: 'id' },
        } as never),
      ).toThrow(expect.objectContaining({ code: 'invalid_registration' }));
      expect(() =>
        store.register({ ...parcelTags, name: 'neither', scopeFrom: undefined } as never),
      ).toThrow(expect.objectContaining({ code: 'invalid_registration' }));
      const tagsOf = (name: string, parent: string) => ({
        name,
        primaryKey: 'id' as const,
        schema: parcelTags.schema,
        scopeFrom: { collection: parent, key: 'parcelId' as const },
      });
      store.register(tagsOf('x', 'y'));
      expect(() => store.register(tagsOf('y', 'x'))).toThrow(
        expect.objectContaining({ code: 'invalid_registration' }),
      );
    });

    it('refuse lending that is not one step deep', () => {
      const refused: unknown = expect.objectContaining({ code: 'invalid_registration' });
      const lender = (name: string, to: string) => ({
        ...parcels,
        name,
        grants: { collection: to, keys: () => [] },
      });
      expect(() => store.register(lender('toSelf', 'toSelf'))).toThrow(refused);
      expect(() => store.register(lender('toLender', 'parcels'))).toThrow(refused);
      expect(() => store.register(lender('fromBorrower', 'x'))).not.toThrow();
      expect(() => store.register(lender('x', 'y'))).toThrow(refused); // x borrows already
      expect(() =>
        store.register({
          ...parcels,
          name: 'gated',
          grants: { collection: 'tools', keys: () => [], whileParent: () => true },
        }),
      ).toThrow(refused);
    });

    it('after closing, every call is refused', async () => {
      await store.close();
      await expect(store.latest('parcels')).rejects.toMatchObject({ code: 'store_closed' });
      await store.close();
    });
  });
}
