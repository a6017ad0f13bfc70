import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One desk profile is one SQLite file. Every collection of the profile lives in it and shares
 * one write connection, so a bulkWrite across collections never waits on a file lock.
 *
 * Durability: WAL with `synchronous = FULL` makes SQLite fsync the WAL at every commit, so a
 * transaction that returned has reached the disk and survives a crash of the process AND of
 * the machine (power loss). `NORMAL` would only survive a process crash. The cost is one
 * fsync per commit, which is why scans are written in one transaction each, not row by row.
 */
export const DURABLE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'foreign_keys = ON',
  // Checkpoints move WAL pages into the main file. They run between writes (checkpoints.ts);
  // SQLite's own, inside a COMMIT, only if the WAL ever reaches 10,000 pages (~40 MiB).
  'wal_autocheckpoint = 10000',
  'busy_timeout = 5000',
  // No memory-mapped I/O: with a 256 MiB map, a desk with 500,000 items page-faulted its way
  // to p99 7.7 ms per scan and 454 MB RSS; with reads through SQLite's own cache, 1.9 ms and
  // 235 MB (bench:checkin).
  'mmap_size = 0',
  'cache_size = -32000',
  'temp_store = MEMORY',
] as const;

export type StoreOpenErrorCode = 'store_corrupt' | 'store_unreadable';

/**
 * The desk's database file cannot be used. The file is left exactly as it was: nothing is
 * written to it, so whatever it holds can still be recovered. `setAsideDatabaseFile` moves
 * it (and its WAL) out of the way when staff choose to start over.
 */
export class StoreOpenError extends Error {
  constructor(
    readonly code: StoreOpenErrorCode,
    readonly path: string,
    override readonly cause: unknown,
  ) {
    super(
      code === 'store_corrupt'
        ? `The desk database ${path} is damaged and cannot be opened (${String(
            (cause as Error)?.message ?? cause,
          )}). It has not been changed. Set it aside to start with an empty desk database; ` +
            `the damaged file is kept for recovery.`
        : `The desk database ${path} cannot be read (${String(
            (cause as Error)?.message ?? cause,
          )}). It has not been changed. Check the file's permissions and the disk.`,
    );
    this.name = 'StoreOpenError';
  }
}

const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB']);

const FILE_SYSTEM_CODES = new Set(['EACCES', 'EPERM', 'ENOENT', 'EISDIR', 'EROFS', 'EBUSY']);

/**
 * What SQLite or the file system said about the file becomes a StoreOpenError; anything else
 * (a missing native addon, a bug) is not about the file and is passed on as it is.
 */
function classify(path: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_') || FILE_SYSTEM_CODES.has(code))) {
    return error;
  }
  return new StoreOpenError(
    CORRUPT_CODES.has(code) || code.startsWith('SQLITE_CORRUPT')
      ? 'store_corrupt'
      : 'store_unreadable',
    path,
    error,
  );
}

/**
 * Checks that SQLite can read every page of an existing file. Only reads: a damaged file is
 * not written to. (A WAL left by a crash is replayed by SQLite itself, as it must be.)
 */
function checkPages(db: Database.Database): void {
  const rows = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) {
    throw Object.assign(new Error(problems.slice(0, 3).join('; ')), { code: 'SQLITE_CORRUPT' });
  }
}

export interface SqliteFile {
  readonly path: string;
  /** The connection that writes, and serves short reads. */
  readonly writer: Database.Database;
  /**
   * A second connection for long reads: it holds a read transaction (a WAL snapshot) while a
   * query is read in chunks, and yields between chunks so the writer keeps answering scans.
   */
  readonly reader: Database.Database;
}

function applyPragmas(db: Database.Database, readonly: boolean): void {
  for (const pragma of DURABLE_PRAGMAS) {
    if (readonly && pragma.startsWith('journal_mode')) continue;
    db.pragma(pragma);
  }
  if (!readonly) {
    const mode = db.pragma('journal_mode', { simple: true });
    if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, expected wal`);
  }
}

/**
 * Opens (or creates) a desk database file, checking an existing one first.
 * Throws StoreOpenError and leaves a file it cannot use exactly as it was.
 */
export interface OpenOptions {
  /**
   * Path of a better-sqlite3 addon built for this runtime. The Electron shell passes the copy
   * built for Electron's ABI (scripts/rebuild-native.mjs); plain Node uses the default.
   */
  readonly nativeBinding?: string;
}

export function openSqliteFile(path: string, options: OpenOptions = {}): SqliteFile {
  const binding =
    options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding };
  const existed = existsSync(path);
  if (!existed) mkdirSync(dirname(path), { recursive: true });
  let writer: Database.Database | undefined;
  let reader: Database.Database | undefined;
  try {
    writer = new Database(path, { ...binding, fileMustExist: existed });
    if (existed) checkPages(writer);
    applyPragmas(writer, false);
    reader = openReader(path, options);
    return { path, writer, reader };
  } catch (error) {
    reader?.close();
    writer?.close();
    throw classify(path, error);
  }
}

/** A read-only connection with the same pragmas (journal mode is the writer's to set). */
export function openReader(path: string, options: OpenOptions = {}): Database.Database {
  const reader = new Database(path, {
    ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }),
    readonly: true,
    fileMustExist: true,
  });
  try {
    applyPragmas(reader, true);
  } catch (error) {
    reader.close();
    throw error;
  }
  return reader;
}

export function closeSqliteFile(file: SqliteFile): void {
  file.reader.close();
  file.writer.close();
}

/**
 * Moves a database that cannot be opened out of the way, with its WAL and shared-memory
 * files, so a fresh one can be created in its place. Returns where the damaged file now is.
 * Nothing is deleted. `why` names the kept file (a restore sets the live file aside too).
 */
export function setAsideDatabaseFile(
  path: string,
  now: Date = new Date(),
  why: 'unreadable' | 'before-restore' = 'unreadable',
): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const target = `${path}.${why}-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}
