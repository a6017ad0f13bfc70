// Layout 1 of the PostgreSQL replication store, as the first PostgreSQL server made it (its
// databases carry one `replication_layout` row and no migration history; the runner adopts
// them). See pg-replication-store.ts for what each table is for. Never edit: change it in a
// new step.
//
// Text columns use the "C" collation: ids compare byte for byte whatever the database's
// locale (no two ids are ever equal that JavaScript tells apart). Documents are stored as
// JSON text, not jsonb: jsonb refuses \u0000, which a document may hold.
import type { PgMigration } from './pg-migrations.js';

export const pgReplicationLayout: PgMigration = {
  version: 1,
  name: 'replication-layout',
  up: async (client) => {
    await client.query(`
      CREATE TABLE replication_layout (version integer NOT NULL);
      INSERT INTO replication_layout (version) VALUES (1);

      CREATE TABLE replication_seq (
        id integer PRIMARY KEY CHECK (id = 1),
        value bigint NOT NULL
      );
      INSERT INTO replication_seq (id, value) VALUES (1, 0);

      CREATE TABLE documents (
        collection text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        deleted boolean NOT NULL,
        data text NOT NULL,
        parent text COLLATE "C",
        PRIMARY KEY (collection, id)
      );
      CREATE UNIQUE INDEX documents_by_seq ON documents (collection, seq);
      CREATE INDEX documents_by_parent ON documents (collection, parent) WHERE parent IS NOT NULL;

      CREATE TABLE visibility (
        collection text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        library text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        leaving boolean NOT NULL,
        PRIMARY KEY (collection, id, library)
      );
      CREATE INDEX visibility_by_library ON visibility (library, collection, seq) INCLUDE (id, leaving);
    `);
  },
};
