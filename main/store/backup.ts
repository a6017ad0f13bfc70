// Copies of the desk database taken while the desk runs, and putting one back. SQLite's online
// backup reads the live WAL database through a connection of its own, so a copy never holds
// up a scan for longer than one step, and never contains half of a transaction: a commit by
// the desk between two steps makes SQLite start the copy over from a fresh snapshot.
import Database from 'better-sqlite3';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setAsideDatabaseFile } from './sqlite/index.js';

export interface DatabaseCopyOptions {
  /** A better-sqlite3 addon built for this runtime (see sqlite-file.ts). */
  readonly nativeBinding?: string | undefined;
  /**
   * Pages copied per step (4 KiB each). Between steps the event loop runs, so scans are
   * answered while a copy is made. 1024 pages take a few milliseconds.
   */
  readonly pagesPerStep?: number;
  /**
   * A desk that commits during every step would make the copy start over for ever. After
   * this many restarts the rest is copied in one step, which holds the event loop for the
   * whole copy (but is bounded and always finishes).
   */
  readonly maxRestarts?: number;
}

export interface DatabaseCopy {
  readonly path: string;
  readonly bytes: number;
  readonly pages: number;
  /** How often a commit made the copy start over. */
  readonly restarts: number;
}

export interface DatabaseCheck {
  /** `PRAGMA integrity_check` findings; empty when the file is sound. */
  readonly problems: readonly string[];
  /** Rows per table (SQLite's own tables left out). */
  readonly rows: Readonly<Record<string, number>>;
}

/** The error of a copy or restore that did not happen; the live database is as it was. */
export class DatabaseCopyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseCopyError';
  }
}

const binding = (nativeBinding: string | undefined) =>
  nativeBinding === undefined ? {} : { nativeBinding };

/** fsyncs a file, or a folder so that a rename in it survives power loss. */
function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some platforms (Windows) cannot open a folder for fsync; the rename is still atomic.
    if ((error as NodeJS.ErrnoException).code !== 'EISDIR') throw error;
  } finally {
    closeSync(fd);
  }
}

/** fsync off the event loop: a 150 MB copy takes a few hundred ms to reach the disk. */
async function syncFileInBackground(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function syncFolder(path: string): void {
  try {
    syncPath(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EISDIR' && code !== 'EACCES') throw error;
  }
}

/**
 * SQLite's own check of every page: `quick` (b-trees and pages, about 1 ms per MB here)
 * or `integrity` (also every index against its table, about 5 ms per MB). Both run
 * synchronously, holding the event loop for that long.
 */
function pageProblems(db: Database.Database, depth: 'quick' | 'integrity'): string[] {
  const pragma = `${depth}_check`;
  const findings = db.pragma(pragma, { simple: false }) as Record<string, string>[];
  return findings.map((row) => row[pragma] ?? '').filter((text) => text !== 'ok');
}

/**
 * Checks a database file fully (`PRAGMA integrity_check`) and counts the rows of each
 * table. Opens the file read-only: checking never changes it.
 */
export function checkDatabaseFile(path: string, nativeBinding?: string): DatabaseCheck {
  const db = new Database(path, { ...binding(nativeBinding), readonly: true, fileMustExist: true });
  try {
    const problems = pageProblems(db, 'integrity');
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    const rows: Record<string, number> = {};
    for (const table of tables) {
      const quoted = `"${table.replaceAll('"', '""')}"`;
      rows[table] = db.prepare(`SELECT count(*) FROM ${quoted}`).pluck().get() as number;
    }
    return { problems, rows };
  } finally {
    db.close();
  }
}

/**
 * Copies the database at `source` (open by the desk or not) to `target`, consistently, and
 * checks the copy. The copy is one self-contained file (rollback journal, no WAL beside it),
 * written as `<target>.partial` and renamed into place once it is checked and on disk, so a
 * crash or a full disk never leaves a half copy under the target's name. An existing
 * `target` is not overwritten: the caller picks a new name.
 */
export async function copyDatabaseFile(
  source: string,
  target: string,
  options: DatabaseCopyOptions = {},
): Promise<DatabaseCopy> {
  if (existsSync(target)) throw new DatabaseCopyError(`${target} exists already`);
  if (!existsSync(source)) throw new DatabaseCopyError(`there is no database at ${source}`);
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  const pagesPerStep = options.pagesPerStep ?? 1024;
  const maxRestarts = options.maxRestarts ?? 20;
  let restarts = 0;
  let remainingBefore = Number.POSITIVE_INFINITY;
  let pages: number | undefined;
  try {
    const reader = new Database(source, {
      ...binding(options.nativeBinding),
      readonly: true,
      fileMustExist: true,
    });
    try {
      const result = await reader.backup(partial, {
        progress: ({ remainingPages }) => {
          // No fewer pages left than after the previous step: a commit made SQLite start over.
          if (remainingPages >= remainingBefore) restarts += 1;
          remainingBefore = remainingPages;
          return restarts >= maxRestarts ? 0x7fffffff : pagesPerStep;
        },
      });
      pages = result.totalPages;
    } finally {
      reader.close();
    }
    // One file, no WAL: a backup must be readable (and copyable) on its own. The copy is
    // read back once (quick_check: 150 MB in 0.1-0.2 s here) to catch a bad write; the
    // full check, five times slower, runs when a backup is put back.
    const copy = new Database(partial, binding(options.nativeBinding));
    try {
      copy.pragma('journal_mode = DELETE');
      const problems = pageProblems(copy, 'quick');
      if (problems.length > 0) {
        throw new DatabaseCopyError(`the copy failed its check: ${problems.join('; ')}`);
      }
    } finally {
      copy.close();
    }
    await syncFileInBackground(partial);
    renameSync(partial, target);
    syncFolder(dirname(target));
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    if (error instanceof DatabaseCopyError) throw error;
    throw new DatabaseCopyError(
      `the desk database could not be copied to ${target}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { path: target, bytes: statSync(target).size, pages: pages ?? 0, restarts };
}

/**
 * Puts a copy back as the database at `live`, which must not be open. The copy is checked
 * first (a damaged copy changes nothing); the live file, if there is one, is set aside with
 * its WAL (`<live>.before-restore-<time>`), never deleted or overwritten. Returns where
 * the live file went, or undefined when there was none.
 */
export function restoreDatabaseFile(
  copy: string,
  live: string,
  options: { nativeBinding?: string | undefined; now?: Date } = {},
): string | undefined {
  let check: DatabaseCheck;
  try {
    check = checkDatabaseFile(copy, options.nativeBinding);
  } catch (error) {
    throw new DatabaseCopyError(`${copy} is not a readable database: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (check.problems.length > 0) {
    throw new DatabaseCopyError(`${copy} is damaged: ${check.problems.slice(0, 3).join('; ')}`);
  }
  const partial = `${live}.restoring`;
  mkdirSync(dirname(live), { recursive: true });
  copyFileSync(copy, partial);
  syncPath(partial);
  // A WAL left without its database would be replayed into the restored file: it goes too.
  const setAside = ['', '-wal', '-shm'].some((suffix) => existsSync(live + suffix))
    ? setAsideDatabaseFile(live, options.now ?? new Date(), 'before-restore')
    : undefined;
  renameSync(partial, live);
  syncFolder(dirname(live));
  return setAside;
}
