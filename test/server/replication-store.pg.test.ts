// The replication store on a real PostgreSQL cluster (Debian's, started for this file): every
// behaviour of the contract as on SQLite (the shared suite and properties), then what only
// PostgreSQL has: writers in several connection pools at once, and commits heard across stores
// by NOTIFY.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openPgReplicationStore,
  type PgReplicationStore,
} from '../../server/store/pg-replication-store.js';
import type {
  Checkpoint,
  CommittedChange,
  ReplicationStore,
} from '../../server/store/replication-store.js';
import {
  parcel,
  pullAll,
  registerParcelCollections,
  tag,
} from '../../server/store/testing/parcels.js';
import { checkPullJsonAgainstPull } from '../../server/store/testing/pull-json-property.js';
import {
  replicationStoreCases,
  type StoreBackend,
} from '../../server/store/testing/replication-store-cases.js';
import { checkStoreAgainstModel } from '../../server/store/testing/replication-store-model.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

async function openParcels(
  url: string,
  maxConnections?: number,
  lending = true,
): Promise<PgReplicationStore> {
  const store = await openPgReplicationStore(
    url,
    maxConnections === undefined ? {} : { maxConnections },
  );
  registerParcelCollections(store, lending);
  return store;
}

/** Each test's stores on a new database of the cluster. */
const postgresBackend: StoreBackend = {
  name: 'postgres',
  async place() {
    const url = await cluster.createDatabase();
    return {
      open: (lending) => openParcels(url, undefined, lending),
      remove: () => cluster.dropDatabase(url),
    };
  },
};

describe('the replication store on PostgreSQL', () => {
  replicationStoreCases(postgresBackend);

  it('answers random pushes and pulls of several desks as the protocol says', async () => {
    // Fewer runs than on SQLite: each makes a database.
    await checkStoreAgainstModel(postgresBackend, 25);
  });

  it("answers a pull as JSON text that is pull's answer, byte for byte, page by page", async () => {
    await checkPullJsonAgainstPull(postgresBackend, 30);
  });
});

/** Waits until `check` passes (commits heard by NOTIFY arrive when they arrive). */
async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  for (const start = Date.now(); ;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() - start > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('several stores on one PostgreSQL database', () => {
  it('never let a pull skip a document that commits after a later checkpoint was served', async () => {
    const url = await cluster.createDatabase();
    // Two "server instances" (two pools) push concurrently, several pushes in flight each,
    // while a third store pulls from its last checkpoint in pages of 5.
    const writers = [await openParcels(url, 6), await openParcels(url, 6)];
    const reader = await openParcels(url, 2);
    try {
      const perWriter = 300;
      const inFlight = 6;
      let running = true;
      const pushAll = async (store: ReplicationStore, name: string) => {
        let next = 0;
        const lane = async () => {
          while (next < perWriter) {
            const id = `${name}-${String(next++).padStart(4, '0')}`;
            // Some pushes carry two documents, one of them shared by the writers (a
            // conflict or an identical write): pushes lock each other's rows too.
            const rows = [{ assumedMasterState: null, newDocumentState: parcel(id, ['A']) }];
            if (next % 7 === 0) {
              rows.push({
                assumedMasterState: null,
                newDocumentState: parcel(`shared-${next}`, ['A']),
              });
            }
            await store.push('parcels', rows, { deskId: name, library: 'A' });
          }
        };
        await Promise.all(Array.from({ length: inFlight }, lane));
      };
      const finished = Promise.all([
        pushAll(writers[0]!, 'w1'),
        pushAll(writers[1]!, 'w2'),
      ]).finally(() => (running = false));
      const served: string[] = [];
      let after: Checkpoint | null = null;
      let pulls = 0;
      const pullOnce = async () => {
        const page = await reader.pull('parcels', { library: 'A', after, limit: 5 });
        expect(page.checkpoint.seq).toBeGreaterThanOrEqual(after?.seq ?? 0);
        served.push(...page.documents.map((doc) => String(doc['id'])));
        after = page.checkpoint;
        pulls++;
        return page.documents.length;
      };
      while (running) await pullOnce();
      await finished;
      while ((await pullOnce()) > 0);

      const own = served.filter((id) => !id.startsWith('shared-'));
      expect(own).toHaveLength(2 * perWriter);
      expect(new Set(own).size).toBe(own.length);
      // Every shared document too, once (both writers pushed the same state: no new version).
      const shared = served.filter((id) => id.startsWith('shared-'));
      expect(new Set(shared).size).toBe(shared.length);
      const stored = [...(await pullAll(reader, 'parcels', 'A')).keys()];
      expect(new Set(shared)).toEqual(new Set(stored.filter((id) => id.startsWith('shared-'))));
      expect(stored).toHaveLength(own.length + shared.length);
      expect(pulls).toBeGreaterThan(10); // the reader did pull while the writers wrote
    } finally {
      for (const store of [...writers, reader]) await store.close();
      await cluster.dropDatabase(url);
    }
  });

  it('re-scope children pushed while their parent moves, whichever commits first', async () => {
    const url = await cluster.createDatabase();
    const one = await openParcels(url);
    const two = await openParcels(url);
    try {
      await one.push(
        'parcels',
        [{ assumedMasterState: null, newDocumentState: parcel('p', ['A']) }],
        {
          deskId: 'server',
          library: '*',
        },
      );
      // Tags arrive through one store while the parcel moves A -> B -> C through the other.
      let state = parcel('p', ['A']);
      const moves = (async () => {
        for (const library of ['B', 'C', 'D', 'C', 'A', 'D', 'C', 'B']) {
          const next = parcel('p', [library]);
          const result = await two.push(
            'parcels',
            [{ assumedMasterState: state, newDocumentState: next }],
            { deskId: 'server', library: '*' },
          );
          expect(result.conflicts).toEqual([]);
          state = next;
        }
      })();
      await Promise.all([
        moves,
        ...Array.from({ length: 40 }, (_, i) =>
          one.push(
            'parcelTags',
            [{ assumedMasterState: null, newDocumentState: tag(`t${i}`, 'p') }],
            { deskId: 'server', library: '*' },
          ),
        ),
      ]);
      const tags = await pullAll(one, 'parcelTags', 'B');
      expect(tags.size).toBe(40);
      for (const doc of tags.values()) expect(doc['_deleted']).toBe(false);
      for (const library of ['A', 'C', 'D']) {
        for (const doc of (await pullAll(two, 'parcelTags', library)).values()) {
          expect(doc['_deleted']).toBe(true);
        }
      }
    } finally {
      await one.close();
      await two.close();
      await cluster.dropDatabase(url);
    }
  });

  it("hear each other's commits, once, with the libraries they concern", async () => {
    const url = await cluster.createDatabase();
    const one = await openParcels(url);
    const two = await openParcels(url);
    try {
      const heardByTwo: CommittedChange[] = [];
      const otherOfTwo: CommittedChange[] = [];
      const otherOfOne: CommittedChange[] = [];
      two.onCommit((change) => heardByTwo.push(change));
      two.onOtherCommit((change) => otherOfTwo.push(change));
      one.onOtherCommit((change) => otherOfOne.push(change));
      await one.push(
        'parcels',
        [{ assumedMasterState: null, newDocumentState: parcel('p1', ['A', 'B']) }],
        { deskId: 'd', library: 'A' },
      );
      const expected = {
        collection: 'parcels',
        checkpoint: await one.latest('parcels'),
        libraries: ['A', 'B'],
        pushedBy: 'd', // the NOTIFY carries the pushing desk (the stream need not tell it)
      };
      await eventually(() => expect(heardByTwo).toEqual([expected]));
      expect(otherOfTwo).toEqual([expected]);
      // A store does not hear its own commits as another's.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(otherOfOne).toEqual([]);
    } finally {
      await one.close();
      await two.close();
      await cluster.dropDatabase(url);
    }
  });

  it('listen again after losing the connection, and say that anything may have changed', async () => {
    const url = await cluster.createDatabase();
    const one = await openParcels(url);
    const two = await openParcels(url);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const heard: CommittedChange[] = [];
      two.onOtherCommit((change) => heard.push(change));
      // The server drops two's LISTEN connection (a restart, a network cut).
      const listeners = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN carrel_commits' AND pid <> pg_backend_pid()",
      );
      expect(listeners.rows).toHaveLength(2);
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [
        listeners.rows.map((row) => row.pid),
      ]);
      await eventually(() =>
        expect(new Set(heard.map((change) => change.collection))).toEqual(
          new Set(['tools', 'parcels', 'parcelTags']),
        ),
      );
      expect(heard.every((change) => change.libraries.join() === '*')).toBe(true);
      // And it hears the other store's commits again.
      heard.length = 0;
      await one.push(
        'parcels',
        [{ assumedMasterState: null, newDocumentState: parcel('p1', ['A']) }],
        { deskId: 'd', library: 'A' },
      );
      await eventually(() =>
        expect(heard).toEqual([
          { collection: 'parcels', checkpoint: { seq: 1 }, libraries: ['A'], pushedBy: 'd' },
        ]),
      );
    } finally {
      await admin.end();
      await one.close();
      await two.close();
      await cluster.dropDatabase(url);
    }
  });

  it('refuse ids and library codes PostgreSQL cannot hold, changing nothing', async () => {
    const url = await cluster.createDatabase();
    const store = await openParcels(url);
    try {
      const push = (doc: ReturnType<typeof parcel>) =>
        store.push('parcels', [{ assumedMasterState: null, newDocumentState: doc }], {
          deskId: 'd',
          library: 'A',
        });
      await expect(push(parcel('a\u0000b', ['A']))).rejects.toMatchObject({ code: 'invalid_row' });
      await expect(push(parcel('p', ['A\u0000']))).rejects.toMatchObject({
        code: 'invalid_scope',
      });
      expect(await store.get('parcels', ['a\u0000b', 'p'])).toEqual([]);
      expect(await store.latest('parcels')).toEqual({ seq: 0 });
    } finally {
      await store.close();
      await cluster.dropDatabase(url);
    }
  });

  it('refuse a database written by a newer server, and leave it as it was', async () => {
    const url = await cluster.createDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('CREATE TABLE replication_layout (version integer NOT NULL)');
      await client.query('INSERT INTO replication_layout VALUES (9)');
      await expect(openPgReplicationStore(url)).rejects.toMatchObject({ code: 'store_too_new' });
      const tables = await client.query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables.rows).toEqual([{ name: 'replication_layout' }]);
    } finally {
      await client.end();
      await cluster.dropDatabase(url);
    }
  });
});
