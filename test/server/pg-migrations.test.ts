// The PostgreSQL migration runner (server/store/migrations/pg-migrations.ts) on a real cluster:
// each step once, also when two server instances start together; a database from before the
// history adopted; a failing step rolled back whole; a newer database refused unchanged.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgReplicationLayout } from '../../server/store/migrations/pg-001-replication-layout.js';
import {
  migratePgDatabase,
  PG_LAYOUT_VERSION,
  pgMigrations,
  type PgMigration,
} from '../../server/store/migrations/pg-migrations.js';
import { openPgReplicationStore } from '../../server/store/pg-replication-store.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
const pools: pg.Pool[] = [];
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await cluster.stop();
});

async function pool(): Promise<pg.Pool> {
  const opened = new pg.Pool({ connectionString: await cluster.createDatabase(), max: 4 });
  pools.push(opened);
  return opened;
}

/** Layout 1 as the first PostgreSQL server made it: its tables and a `replication_layout` row. */
const LAYOUT_ONE = `
  CREATE TABLE replication_layout (version integer NOT NULL);
  INSERT INTO replication_layout (version) VALUES (1);
  CREATE TABLE documents (collection text, id text, data text, PRIMARY KEY (collection, id));
`;
const layoutOne = (calls: { count: number }): PgMigration => ({
  version: 1,
  name: 'replication-layout',
  up: async (client) => {
    calls.count += 1;
    await client.query(LAYOUT_ONE);
  },
});

/** Layout 2, for these tests: a column filled from the rows. */
const labelLength = (calls: { count: number }): PgMigration => ({
  version: 2,
  name: 'label-length',
  up: async (client) => {
    calls.count += 1;
    // Slow enough that a second instance starting at the same moment has to wait for it.
    await client.query('SELECT pg_sleep(0.2)');
    await client.query('ALTER TABLE documents ADD COLUMN label_length integer');
    await client.query("UPDATE documents SET label_length = length(data::json->>'label')");
  },
});

const history = async (database: pg.Pool) =>
  (
    await database.query<{
      version: number;
      name: string;
      adopted: boolean;
      server: string | null;
    }>(
      'SELECT version, name, applied_at IS NULL AS adopted, server_version AS server FROM schema_version ORDER BY version',
    )
  ).rows;

describe('PostgreSQL migrations', () => {
  it('a new database gets every step once, recorded; a second run changes nothing', async () => {
    const database = await pool();
    const calls = { count: 0 };
    const steps = [layoutOne(calls), labelLength(calls)];
    expect(
      await migratePgDatabase(database, steps, { where: 'db', serverVersion: '1.0.0' }),
    ).toEqual({ from: 0, to: 2, applied: ['1 replication-layout', '2 label-length'] });
    expect(await migratePgDatabase(database, steps, { where: 'db' })).toEqual({
      from: 2,
      to: 2,
      applied: [],
    });
    expect(calls.count).toBe(2);
    expect(await history(database)).toEqual([
      { version: 1, name: 'replication-layout', adopted: false, server: '1.0.0' },
      { version: 2, name: 'label-length', adopted: false, server: '1.0.0' },
    ]);
  });

  it('a layout-1 database from before the history: adopted, the new step runs once, rows kept', async () => {
    const database = await pool();
    await database.query(LAYOUT_ONE); // as the first server left it: no history
    await database.query(`INSERT INTO documents VALUES ('parcels', 'p1', '{"label":"abc"}')`);

    // Two instances start at once.
    const calls = { count: 0 };
    const steps = [layoutOne({ count: 0 }), labelLength(calls)];
    const [first, second] = await Promise.all([
      migratePgDatabase(database, steps, { where: 'db' }),
      migratePgDatabase(database, steps, { where: 'db' }),
    ]);
    expect(calls.count).toBe(1);
    expect([...(first?.applied ?? []), ...(second?.applied ?? [])]).toEqual(['2 label-length']);
    expect((await database.query('SELECT id, label_length FROM documents')).rows).toEqual([
      { id: 'p1', label_length: 3 },
    ]);
    expect(await history(database)).toEqual([
      { version: 1, name: 'replication-layout', adopted: true, server: null },
      { version: 2, name: 'label-length', adopted: false, server: null },
    ]);
  });

  it('a failing step leaves the database at the previous version, without its history row', async () => {
    const database = await pool();
    await migratePgDatabase(database, [layoutOne({ count: 0 })], { where: 'db' });
    const failing: PgMigration = {
      version: 2,
      name: 'breaks-half-way',
      up: async (client) => {
        await client.query('CREATE TABLE half_done (x integer)');
        throw new Error('disk said no');
      },
    };
    await expect(
      migratePgDatabase(database, [layoutOne({ count: 0 }), failing], { where: 'db' }),
    ).rejects.toThrow('disk said no');
    const left = await database.query("SELECT to_regclass('half_done') IS NULL AS gone");
    expect(left.rows).toEqual([{ gone: true }]);
    expect((await database.query('SELECT version FROM replication_layout')).rows).toEqual([
      { version: 1 },
    ]);
    expect((await history(database)).map((row) => row.version)).toEqual([1]);
  });

  it("the store brings the first PostgreSQL server's database to its layout, keeping its documents", async () => {
    const url = await cluster.createDatabase();
    const database = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(database);
    // As the first PostgreSQL server left it: layout 1, no history, a document.
    const client = await database.connect();
    try {
      await pgReplicationLayout.up(client);
    } finally {
      client.release();
    }
    await database.query(
      `INSERT INTO documents VALUES ('parcels', 'p1', 1, false, '{"id":"p1"}', NULL)`,
    );
    const store = await openPgReplicationStore(url);
    await store.close();
    expect(await history(database)).toEqual(
      pgMigrations.map((step) => ({
        version: step.version,
        name: step.name,
        adopted: step.version === 1,
        server: null,
      })),
    );
    const layout = await database.query('SELECT version FROM replication_layout');
    expect(layout.rows).toEqual([{ version: PG_LAYOUT_VERSION }]);
    const kept = await database.query('SELECT id, data FROM documents');
    expect(kept.rows).toEqual([{ id: 'p1', data: '{"id":"p1"}' }]);
  });

  it('a database from a newer server is refused, unchanged', async () => {
    const database = await pool();
    await database.query(
      'CREATE TABLE replication_layout (version integer NOT NULL); INSERT INTO replication_layout VALUES (7)',
    );
    await expect(
      migratePgDatabase(database, [layoutOne({ count: 0 })], { where: 'the consortium database' }),
    ).rejects.toMatchObject({
      code: 'store_too_new',
      message: expect.stringContaining(
        'the consortium database was written by a newer server',
      ) as unknown,
    });
    const tables = await database.query(
      "SELECT to_regclass('schema_version') IS NULL AS no_history",
    );
    expect(tables.rows).toEqual([{ no_history: true }]);
  });
});
