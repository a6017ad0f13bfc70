// Layout 2 of the PostgreSQL replication store: scope grants, as in the SQLite store's
// layout 2 (sqlite-002-scope-grants.ts explains the tables). Never edit: change it in a new
// step.
import type { PgMigration } from './pg-migrations.js';

export const pgScopeGrants: PgMigration = {
  version: 2,
  name: 'scope-grants',
  up: async (client) => {
    await client.query(`
      CREATE TABLE scope_grants (
        collection text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        lender_collection text COLLATE "C" NOT NULL,
        lender_id text COLLATE "C" NOT NULL,
        PRIMARY KEY (collection, id, lender_collection, lender_id)
      );
      CREATE INDEX scope_grants_by_lender ON scope_grants (lender_collection, lender_id);

      CREATE TABLE scope_grant_lenders (collection text COLLATE "C" PRIMARY KEY);
    `);
  },
};
