// Numbered migrations of the server's database layout, whatever the database: the plan (which
// steps a database at version N still needs) is decided here once, so the SQLite runner
// (sqlite-migrations.ts) and the PostgreSQL store follow the same rules.
//
// Invariants the runners keep:
//  - versions are 1, 2, 3, ... without gaps; a step's number and name never change once
//    shipped (a database records them), and a shipped step is never edited: a fix is a new
//    step;
//  - each step runs in one transaction together with the record that it ran, so a crash or a
//    failing step leaves the database at the previous version, never half-way;
//  - a database at a version higher than the newest step was written by a newer server and is
//    refused before anything is written to it (`store_too_new`): an older server must not
//    write into a layout it does not know.
import { ReplicationStoreError } from '../replication-store.js';

/**
 * One step. `Done` is what `up` answers: `void` on SQLite (better-sqlite3 transactions are
 * synchronous, so a step cannot await), `Promise<void>` on PostgreSQL.
 */
export interface Migration<Db, Done extends void | Promise<void> = void> {
  /** 1 for the first layout, then one more per step. */
  readonly version: number;
  /** kebab-case, as recorded in the database's history. */
  readonly name: string;
  /** Runs inside the runner's transaction; a throw (or rejection) rolls the step back. */
  readonly up: (db: Db) => Done;
}

/** The version a database reaches after every step of `migrations`. */
export function latestVersion(migrations: readonly { readonly version: number }[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Refuses a list with gaps, repeats or bad names: a programming error, caught at start. */
export function checkMigrations(
  migrations: readonly { readonly version: number; readonly name: string }[],
): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `Migration ${migration.name} has version ${migration.version}; expected ${index + 1}.`,
      );
    }
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(migration.name)) {
      throw new Error(`Migration ${migration.version} has a name that is not kebab-case.`);
    }
  });
}

/**
 * The steps a database at `current` still needs, in order. `where` names the database in the
 * error (a file path; never a connection string, which may hold a password).
 */
export function pendingMigrations<Step extends { readonly version: number; readonly name: string }>(
  current: number,
  migrations: readonly Step[],
  where: string,
): Step[] {
  checkMigrations(migrations);
  const latest = latestVersion(migrations);
  if (!Number.isSafeInteger(current) || current < 0) {
    throw new Error(`${where}: the recorded layout version ${String(current)} is not valid.`);
  }
  if (current > latest) {
    throw new ReplicationStoreError(
      'store_too_new',
      `${where} was written by a newer server (layout ${current}, this one knows ` +
        `${latest}); it has not been changed.`,
    );
  }
  return migrations.slice(current);
}
