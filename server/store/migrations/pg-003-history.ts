// Layout 3 of the PostgreSQL replication store: the database's history id, as in the SQLite
// store's layout 3 (sqlite-003-history.ts). Never edit: change it in a new step.
import { randomUUID } from 'node:crypto';
import type { PgMigration } from './pg-migrations.js';

export const pgHistory: PgMigration = {
  version: 3,
  name: 'history',
  up: async (client) => {
    await client.query(`
      CREATE TABLE replication_history (
        id integer PRIMARY KEY CHECK (id = 1),
        history text NOT NULL,
        started_at timestamptz NOT NULL
      );
    `);
    await client.query(
      'INSERT INTO replication_history (id, history, started_at) VALUES (1, $1, now())',
      [randomUUID()],
    );
  },
};
