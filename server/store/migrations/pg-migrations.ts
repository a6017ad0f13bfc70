// Runs the PostgreSQL store's numbered migrations, by the same plan as SQLite's
// (migration-plan.ts), for the PostgreSQL store to call when it opens a database.
//
// Where a database stands:
//  - `replication_layout.version` decides, because the first PostgreSQL server already wrote it
//    (one row) and refuses a database whose version is higher than it knows;
//  - `schema_version` is the history (version, name, applied_at, server_version); databases
//    from before it have their steps "adopted" (applied_at NULL).
// Several server instances may start at once on one database: every step runs in its own
// transaction that first takes a transaction-scoped advisory lock and re-reads the version, so
// each step runs exactly once, and a step that fails rolls back with its history row.
import type pg from 'pg';
import { latestVersion, pendingMigrations, type Migration } from './migration-plan.js';
import { pgReplicationLayout } from './pg-001-replication-layout.js';
import { pgScopeGrants } from './pg-002-scope-grants.js';
import { pgHistory } from './pg-003-history.js';

export type PgMigration = Migration<pg.ClientBase, Promise<void>>;

/** Every step of the PostgreSQL replication store, in order. */
export const pgMigrations: readonly PgMigration[] = [pgReplicationLayout, pgScopeGrants, pgHistory];

/** The layout this server writes. */
export const PG_LAYOUT_VERSION = latestVersion(pgMigrations);

export interface PgMigrationOutcome {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

/** Advisory lock key of the migrations; the same for every instance of every version. */
export const PG_MIGRATION_LOCK = 0x43617272; // "Carr"

const HISTORY = `
  CREATE TABLE IF NOT EXISTS schema_version (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz,
    server_version text
  )
`;

async function versionOf(client: pg.ClientBase): Promise<number> {
  const found = await client.query<{ present: boolean }>(
    "SELECT to_regclass('replication_layout') IS NOT NULL AS present",
  );
  if (found.rows[0]?.present !== true) return 0;
  const layout = await client.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM replication_layout',
  );
  return layout.rows[0]?.version ?? 0;
}

/** One locked transaction; ROLLBACK on a throw (and the connection dropped if that fails). */
async function lockedTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [PG_MIGRATION_LOCK]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Brings the database to the newest layout of `migrations`. `where` names the database in
 * errors: never the URL, which may hold a password. Rejects with `store_too_new`, writing
 * nothing, for a database from a newer server.
 */
export async function migratePgDatabase(
  pool: pg.Pool,
  migrations: readonly PgMigration[],
  options: { readonly where: string; readonly serverVersion?: string },
): Promise<PgMigrationOutcome> {
  const from = await lockedTransaction(pool, async (client) => {
    const version = await versionOf(client);
    pendingMigrations(version, migrations, options.where); // refuses a newer database first
    await adoptHistory(client, migrations, version);
    return version;
  });
  const applied: string[] = [];
  for (const migration of pendingMigrations(from, migrations, options.where)) {
    await lockedTransaction(pool, async (client) => {
      // Another instance may have run this step while this one waited for the lock.
      if ((await versionOf(client)) >= migration.version) return;
      await migration.up(client);
      await client.query(HISTORY);
      await client.query(
        'INSERT INTO schema_version (version, name, applied_at, server_version) VALUES ($1, $2, now(), $3)',
        [migration.version, migration.name, options.serverVersion ?? null],
      );
      await client.query(
        'CREATE TABLE IF NOT EXISTS replication_layout (version integer NOT NULL)',
      );
      await client.query('DELETE FROM replication_layout');
      await client.query('INSERT INTO replication_layout (version) VALUES ($1)', [
        migration.version,
      ]);
      applied.push(`${migration.version} ${migration.name}`);
    });
  }
  const client = await pool.connect();
  try {
    return { from, to: await versionOf(client), applied };
  } finally {
    client.release();
  }
}

/** A database from before the history: record the steps it already has, once. */
async function adoptHistory(
  client: pg.ClientBase,
  migrations: readonly PgMigration[],
  version: number,
): Promise<void> {
  if (version === 0) return;
  const found = await client.query<{ present: boolean }>(
    "SELECT to_regclass('schema_version') IS NOT NULL AS present",
  );
  if (found.rows[0]?.present === true) return;
  await client.query(HISTORY);
  for (const migration of migrations.slice(0, version)) {
    await client.query(
      'INSERT INTO schema_version (version, name, applied_at, server_version) VALUES ($1, $2, NULL, NULL)',
      [migration.version, migration.name],
    );
  }
}
