import type Database from 'better-sqlite3';
import { Subject } from 'rxjs';
import {
  closeSqliteFile,
  openReader,
  openSqliteFile,
  type OpenOptions,
  type SqliteFile,
} from './sqlite-file.js';
import { Checkpointer } from './checkpoints.js';
import { WriteGroups } from './write-group.js';

/**
 * A database file shared by every storage instance (collection) opened on it in this process:
 * one write connection, a small pool of read connections for long reads, and one change
 * subject per table so that two instances of the same collection see each other's writes.
 */
export interface SharedFile {
  readonly sqlite: SqliteFile;
  /** A read connection not in use by another long read (opened on demand). */
  takeReader(): Database.Database;
  returnReader(reader: Database.Database): void;
  /** A cached prepared statement on one of this file's connections. */
  statement(db: Database.Database, sql: string): Database.Statement;
  changesOf<T>(table: string): Subject<T>;
  /** Writes committed together (see write-group.ts); every write takes its turn here. */
  readonly groups: WriteGroups;
  /** Tells the checkpointer a transaction committed (see checkpoints.ts). */
  committed(): void;
}

interface PoolEntry {
  readonly file: SharedFile;
  refs: number;
  readonly close: () => void;
}

const openFiles = new Map<string, PoolEntry>();

function createSharedFile(path: string, options: OpenOptions): PoolEntry {
  const sqlite = openSqliteFile(path, options);
  const idleReaders: Database.Database[] = [sqlite.reader];
  const extraReaders: Database.Database[] = [];
  const statements = new Map<Database.Database, Map<string, Database.Statement>>();
  const subjects = new Map<string, Subject<unknown>>();

  const checkpointer = new Checkpointer(sqlite.writer, () => groups.isOpen());
  const groups = new WriteGroups(sqlite.writer, () => checkpointer.committed());
  const file: SharedFile = {
    sqlite,
    groups,
    committed: () => checkpointer.committed(),
    takeReader() {
      const idle = idleReaders.pop();
      if (idle) return idle;
      const reader = openReader(path, options);
      extraReaders.push(reader);
      return reader;
    },
    returnReader(reader) {
      idleReaders.push(reader);
    },
    statement(db, sql) {
      let cache = statements.get(db);
      if (!cache) statements.set(db, (cache = new Map<string, Database.Statement>()));
      let statement = cache.get(sql);
      if (!statement) cache.set(sql, (statement = db.prepare(sql)));
      return statement;
    },
    changesOf<T>(table: string): Subject<T> {
      let subject = subjects.get(table);
      if (!subject) subjects.set(table, (subject = new Subject<unknown>()));
      return subject as Subject<T>;
    },
  };
  return {
    file,
    refs: 0,
    close() {
      checkpointer.close();
      for (const reader of extraReaders) reader.close();
      closeSqliteFile(sqlite);
      for (const subject of subjects.values()) subject.complete();
    },
  };
}

/** Opens the file, or shares the already open one. Pair every call with `releaseFile`. */
export function acquireFile(path: string, options: OpenOptions = {}): SharedFile {
  let entry = openFiles.get(path);
  if (!entry) {
    entry = createSharedFile(path, options);
    openFiles.set(path, entry);
  }
  entry.refs += 1;
  return entry.file;
}

/** The file if some instance has it open in this process. */
export function openFile(path: string): SharedFile | undefined {
  return openFiles.get(path)?.file;
}

/** Closes the connections when the last instance on the file lets go of it. */
export function releaseFile(path: string): void {
  const entry = openFiles.get(path);
  if (!entry) return;
  entry.refs -= 1;
  if (entry.refs <= 0) {
    openFiles.delete(path);
    entry.close();
  }
}
