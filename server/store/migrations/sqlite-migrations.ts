// Runs the SQLite store's numbered migrations when the server opens its file.
//
// Two records of where a file stands, on purpose:
//  - `PRAGMA user_version` is the layout version and the one that decides. The first server
//    already refused files whose user_version is higher than it knows, so a file upgraded
//    here is still refused by an older server rolled back onto it, and never written by it.
//  - `schema_version` is the history an administrator reads (`sqlite3 consortium.sqlite
//    'SELECT * FROM schema_version'`): which step ran when, by which server version. Files
//    from before the history have their layout-1 row "adopted" (applied_at NULL).
// Each step runs in its own IMMEDIATE transaction with its history row and the new
// user_version, re-reading the version inside it: a second process opening the same file at
// the same moment waits for the lock and then finds the step done.
import type Database from 'better-sqlite3';
import { latestVersion, pendingMigrations, type Migration } from './migration-plan.js';
import { replicationLayout } from './sqlite-001-replication-layout.js';
import { scopeGrants } from './sqlite-002-scope-grants.js';
import { replicationHistory } from './sqlite-003-history.js';

/** Every step of the SQLite replication store, in order. */
export const sqliteMigrations: readonly Migration<Database.Database>[] = [
  replicationLayout,
  scopeGrants,
  replicationHistory,
];

/** The layout this server writes. */
export const SQLITE_LAYOUT_VERSION = latestVersion(sqliteMigrations);

export interface MigrationOutcome {
  readonly from: number;
  readonly to: number;
  /** The steps this call ran (`"2 add-something"`), none if the file was up to date. */
  readonly applied: readonly string[];
}

const HISTORY = `
  CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT,
    server_version TEXT
  )
`;

const versionOf = (db: Database.Database) => db.pragma('user_version', { simple: true }) as number;

/**
 * Refuses a file from a newer server; call before anything writes to the file (setting the
 * journal mode included). `store_too_new`.
 */
export function assertNotTooNew(
  db: Database.Database,
  path: string,
  migrations: readonly Migration<Database.Database>[] = sqliteMigrations,
): void {
  pendingMigrations(versionOf(db), migrations, path);
}

/**
 * Brings the file to the newest layout. Writes nothing to a file that is up to date, so a
 * read-only look (or the thousandth restart) leaves it as it was.
 */
export function migrateSqliteFile(
  db: Database.Database,
  path: string,
  options: {
    readonly migrations?: readonly Migration<Database.Database>[];
    readonly serverVersion?: string;
    readonly now?: () => Date;
  } = {},
): MigrationOutcome {
  const migrations = options.migrations ?? sqliteMigrations;
  const now = options.now ?? (() => new Date());
  const from = versionOf(db);
  const pending = pendingMigrations(from, migrations, path); // refuses a newer file first
  adoptHistory(db, migrations);
  const applied: string[] = [];
  for (const migration of pending) {
    db.transaction(() => {
      // Another process may have run this step while this one waited for the lock.
      if (versionOf(db) >= migration.version) return;
      migration.up(db);
      db.exec(HISTORY);
      db.prepare(
        'INSERT INTO schema_version (version, name, applied_at, server_version) VALUES (?, ?, ?, ?)',
      ).run(migration.version, migration.name, now().toISOString(), options.serverVersion ?? null);
      db.pragma(`user_version = ${migration.version}`);
      applied.push(`${migration.version} ${migration.name}`);
    }).immediate();
  }
  return { from, to: versionOf(db), applied };
}

/** A file from before the history: record the steps it already has, once. */
function adoptHistory(
  db: Database.Database,
  migrations: readonly Migration<Database.Database>[],
): void {
  const hasHistory = () =>
    db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'")
      .get() !== undefined;
  if (versionOf(db) === 0 || hasHistory()) return;
  db.transaction(() => {
    if (hasHistory()) return;
    db.exec(HISTORY);
    const record = db.prepare(
      'INSERT INTO schema_version (version, name, applied_at, server_version) VALUES (?, ?, NULL, NULL)',
    );
    for (const migration of migrations.slice(0, versionOf(db))) {
      record.run(migration.version, migration.name);
    }
  }).immediate();
}
