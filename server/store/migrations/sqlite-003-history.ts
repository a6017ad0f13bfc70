// Layout 3 of the SQLite replication store: the database's history id (see
// ReplicationStore.history). A database made by this step, or upgraded by it, starts a
// history of its own. Never edit: change it in a new step.
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { Migration } from './migration-plan.js';

export const replicationHistory: Migration<Database.Database> = {
  version: 3,
  name: 'history',
  up: (db) => {
    db.exec(`
      CREATE TABLE replication_history (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        history TEXT NOT NULL,
        started_at TEXT NOT NULL
      );
    `);
    db.prepare('INSERT INTO replication_history (id, history, started_at) VALUES (1, ?, ?)').run(
      randomUUID(),
      new Date().toISOString(),
    );
  },
};
