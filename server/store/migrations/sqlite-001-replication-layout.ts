// Layout 1 of the SQLite replication store, as the first server shipped it (files of that
// server carry `user_version = 1` and no migration history; the runner adopts them). See
// sqlite-replication-store.ts for what each table is for. Never edit: change it in a new step.
import type Database from 'better-sqlite3';
import type { Migration } from './migration-plan.js';

export const replicationLayout: Migration<Database.Database> = {
  version: 1,
  name: 'replication-layout',
  up: (db) =>
    db.exec(`
      CREATE TABLE replication_seq (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL
      );
      INSERT INTO replication_seq (id, value) VALUES (1, 0);

      CREATE TABLE documents (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
        data TEXT NOT NULL,
        parent TEXT,
        PRIMARY KEY (collection, id)
      );
      CREATE UNIQUE INDEX documents_by_seq ON documents (collection, seq);
      CREATE INDEX documents_by_parent ON documents (collection, parent) WHERE parent IS NOT NULL;

      CREATE TABLE visibility (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        library TEXT NOT NULL,
        seq INTEGER NOT NULL,
        leaving INTEGER NOT NULL CHECK (leaving IN (0, 1)),
        PRIMARY KEY (collection, id, library)
      ) WITHOUT ROWID;
      CREATE INDEX visibility_by_library ON visibility (library, collection, seq, leaving);
    `),
};
