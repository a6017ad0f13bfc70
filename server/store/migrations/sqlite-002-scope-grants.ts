// Layout 2 of the SQLite replication store: scope grants (a document lending its scope to a
// document of another collection; see ScopeGrant in replication-store.ts). Never edit:
// change it in a new step.
//
//   scope_grants        one row per (borrower, lender): the lender's libraries see the
//                       borrower. Keyed by the borrower, to compute its scope; indexed by the
//                       lender, to re-scope its borrowers when it changes.
//   scope_grant_lenders the lender collections whose stored documents have their grants on
//                       record (catchUpGrants fills in a collection's older documents once).
import type Database from 'better-sqlite3';
import type { Migration } from './migration-plan.js';

export const scopeGrants: Migration<Database.Database> = {
  version: 2,
  name: 'scope-grants',
  up: (db) =>
    db.exec(`
      CREATE TABLE scope_grants (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        lender_collection TEXT NOT NULL,
        lender_id TEXT NOT NULL,
        PRIMARY KEY (collection, id, lender_collection, lender_id)
      ) WITHOUT ROWID;
      CREATE INDEX scope_grants_by_lender ON scope_grants (lender_collection, lender_id);

      CREATE TABLE scope_grant_lenders (
        collection TEXT PRIMARY KEY
      ) WITHOUT ROWID;
    `),
};
