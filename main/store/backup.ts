// Copies of the desk database taken while the desk runs, and putting one back. The SQLite work
// of a copy runs on a worker thread (backup-worker.ts), which reads one WAL snapshot of the live
// database: the copy never contains half of a transaction, the desk's writer is never blocked,
// and the desk's event loop never waits for the copy. This thread only names, renames and
// removes files.
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
import { dirname } from 'node:path';
import { writeCopyInWorker } from './backup-worker.js';
import { setAsideDatabaseFile } from './sqlite/index.js';

export interface DatabaseCopyOptions {
  /** A better-sqlite3 addon built for this runtime (see sqlite-file.ts). */
  readonly nativeBinding?: string | undefined;
  /**
   * Pages copied per step (4 KiB each), on the worker thread. Every step reads the same
   * snapshot, so this changes nothing in the copy; each step is fsynced before the next, so it
   * bounds what the desk's own commits wait for on the disk. 1024 pages (4 MB) take about
   * 15 ms here, fsync included.
   */
  readonly pagesPerStep?: number;
}

export interface DatabaseCopy {
  readonly path: string;
  readonly bytes: number;
  readonly pages: number;
  /**
   * How often SQLite started the copy over. The copy reads one snapshot, which commits made
   * during it do not change, so this is 0; it is measured, and anything else is a bug.
   */
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

/**
 * fsyncs a file, or a folder so that a rename in it survives power loss. A file is opened for
 * writing: Windows flushes a file (FlushFileBuffers) only through a handle that may write.
 */
function syncPath(path: string, kind: 'file' | 'folder'): void {
  const fd = openSync(path, kind === 'file' ? 'r+' : 'r');
  try {
    fsyncSync(fd);
  } catch (error) {
    // Some platforms (Windows) cannot open a folder for fsync; the rename is still atomic.
    if ((error as NodeJS.ErrnoException).code !== 'EISDIR') throw error;
  } finally {
    closeSync(fd);
  }
}

function syncFolder(path: string): void {
  try {
    syncPath(path, 'folder');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EISDIR' && code !== 'EACCES') throw error;
  }
}

/** What `PRAGMA quick_check` or `integrity_check` found, leaving out its 'ok'. */
const problemsIn = (findings: readonly string[]): string[] =>
  findings.filter((text) => text !== 'ok');

/**
 * SQLite's full check of every page and every index against its table (about 5 ms per MB
 * here). It runs synchronously, holding the event loop for that long: it is for restores,
 * which happen while the desk is not running.
 */
function integrityProblems(db: Database.Database): string[] {
  return problemsIn(db.prepare('PRAGMA integrity_check').pluck().all() as string[]);
}

/** A copy being written, with the journal files SQLite may have left beside it. */
function removeCopyFiles(partial: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) {
    try {
      rmSync(partial + suffix, { force: true });
    } catch (error) {
      // A target "in" a file: nothing can be there to remove, and the copy fails on its own.
      if ((error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
    }
  }
}

/**
 * Checks a database file fully (`PRAGMA integrity_check`) and counts the rows of each
 * table. Opens the file read-only: checking never changes it.
 */
export function checkDatabaseFile(path: string, nativeBinding?: string): DatabaseCheck {
  const db = new Database(path, { ...binding(nativeBinding), readonly: true, fileMustExist: true });
  try {
    const problems = integrityProblems(db);
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
 * `target` is not overwritten: the caller picks a new name. A failure, the worker's included,
 * rejects with DatabaseCopyError and leaves no `.partial` behind.
 */
export async function copyDatabaseFile(
  source: string,
  target: string,
  options: DatabaseCopyOptions = {},
): Promise<DatabaseCopy> {
  if (existsSync(target)) throw new DatabaseCopyError(`${target} exists already`);
  if (!existsSync(source)) throw new DatabaseCopyError(`there is no database at ${source}`);
  const partial = `${target}.partial`;
  let written;
  try {
    removeCopyFiles(partial); // what a copy cut short (a crash, a power cut) left
    // One file, no WAL: a backup must be readable (and copyable) on its own. The worker reads
    // the copy back once (quick_check: 150 MB in 0.1-0.2 s here) to catch a bad write; the
    // full check, five times slower, runs when a backup is put back.
    written = await writeCopyInWorker({
      nativeBinding: options.nativeBinding,
      source,
      partial,
      pagesPerStep: options.pagesPerStep ?? 1024,
    });
    const problems = problemsIn(written.quickCheck);
    if (problems.length > 0) {
      throw new DatabaseCopyError(`the copy failed its check: ${problems.join('; ')}`);
    }
    renameSync(partial, target);
    syncFolder(dirname(target));
  } catch (error) {
    removeCopyFiles(partial);
    if (error instanceof DatabaseCopyError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new DatabaseCopyError(`the desk database could not be copied to ${target}: ${why}`, {
      cause: error,
    });
  }
  return {
    path: target,
    bytes: statSync(target).size,
    pages: written.pages,
    restarts: written.restarts,
  };
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
  syncPath(partial, 'file');
  // A WAL left without its database would be replayed into the restored file: it goes too.
  const setAside = ['', '-wal', '-shm'].some((suffix) => existsSync(live + suffix))
    ? setAsideDatabaseFile(live, options.now ?? new Date(), 'before-restore')
    : undefined;
  renameSync(partial, live);
  syncFolder(dirname(live));
  return setAside;
}
