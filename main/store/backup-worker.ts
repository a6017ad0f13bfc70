// The SQLite work of a database copy (the online backup, the switch to a rollback journal,
// the quick check and the fsync), done on a worker thread so that the desk's event loop never
// waits for it: a copy of a 490 MB store held scans up to 718 ms when it ran on the main thread.
//
// How the worker is started: its code is the plain-JavaScript string below, run with
// `eval: true`, and it loads better-sqlite3 from the path the main thread resolves. That works
// alike wherever this module runs: from TypeScript under tsx or vitest (the worker needs no
// loader, so it is given none: `execArgv: []`), bundled by electron-vite into out/main (no
// second entry file to emit or find), and packaged by electron-builder (the path then points
// into app.asar, which Electron reads in worker threads as in the main thread; the addon
// itself comes from app.asar.unpacked, as it does for the main thread).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What the worker is asked to copy, and how. */
export interface CopyJob {
  /** A better-sqlite3 addon built for this runtime (see sqlite-file.ts). */
  readonly nativeBinding: string | undefined;
  readonly source: string;
  /** Where the copy is written; the caller renames it into place. */
  readonly partial: string;
  readonly pagesPerStep: number;
}

/** What the worker reports once the copy is written, in rollback-journal mode, and on disk. */
export interface CopyWritten {
  readonly pages: number;
  readonly restarts: number;
  /** `PRAGMA quick_check` of the written copy, row by row: `['ok']` when it is sound. */
  readonly quickCheck: readonly string[];
}

/** The job as the worker receives it. */
interface WorkerData extends CopyJob {
  /** better-sqlite3's entry file, resolved here: a worker started from a string has no folder. */
  readonly betterSqlite3: string;
}

/**
 * The worker. Consistency: the reader opens a read transaction (`BEGIN` and one read) before
 * the backup starts, so every step copies pages of that one WAL snapshot, a state the database
 * was in between two commits. A commit by the desk after it goes to the WAL and is neither seen
 * nor waited for: WAL readers and the writer do not block each other. What a long snapshot
 * costs is that checkpoints (the desk's are PASSIVE, which never wait) cannot move WAL frames
 * newer than the snapshot into the database file until the copy is done, so the WAL grows by
 * what the desk commits meanwhile. A source locked by another connection (exclusive locking
 * mode, a WAL recovery) makes that first read wait out the busy timeout (5 s) and then fail;
 * without it, better-sqlite3's backup would see SQLITE_BUSY as "nothing left" and write an
 * empty copy.
 *
 * Restarts: SQLite starts a backup over when the source changed between two steps; with the
 * snapshot held it cannot change, so the count (pages left not going down) stays 0. It is
 * still measured rather than assumed.
 *
 * The disk: each step's pages are fsynced before the next step. Left to one fsync at the end,
 * a 340 MB copy made the desk's own commits (synchronous = FULL) wait 90-230 ms for the disk;
 * flushed 4 MB at a time, under 30 ms, and the copy took about as long (1.1-1.6 s either way).
 *
 * Any error ends the worker as an uncaught exception: the main thread learns of a failure one
 * way, whether it was SQLite's, the file system's or the worker's own (a crash).
 */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData: job } = require('node:worker_threads');
const { closeSync, fsyncSync, openSync } = require('node:fs');
const Database = require(job.betterSqlite3);
const binding = job.nativeBinding === undefined ? {} : { nativeBinding: job.nativeBinding };

async function copy() {
  // The copy's file first, so that a target that cannot be written fails before the source is
  // read: a read-only reader of a database nobody else has open leaves a WAL beside it.
  new Database(job.partial, binding).close();
  // Opened for writing, as Windows flushes only through such a handle. Closed only once SQLite
  // has closed the file: closing any descriptor of a file drops the POSIX locks the process
  // holds on it, SQLite's included.
  const fd = openSync(job.partial, 'r+');
  try {
    const { pages, restarts } = await backup(fd);
    const written = new Database(job.partial, binding);
    let quickCheck;
    try {
      written.pragma('journal_mode = DELETE');
      quickCheck = written.prepare('PRAGMA quick_check').pluck().all();
    } finally {
      written.close();
    }
    fsyncSync(fd);
    return { pages, restarts, quickCheck };
  } finally {
    closeSync(fd);
  }
}

async function backup(fd) {
  const reader = new Database(job.source, { ...binding, readonly: true, fileMustExist: true });
  let restarts = 0;
  let remainingBefore = Number.POSITIVE_INFINITY;
  try {
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM sqlite_schema').get();
    const { totalPages } = await reader.backup(job.partial, {
      progress: ({ remainingPages }) => {
        if (remainingPages >= remainingBefore) restarts += 1;
        remainingBefore = remainingPages;
        fsyncSync(fd);
        return job.pagesPerStep;
      },
    });
    return { pages: totalPages, restarts };
  } finally {
    reader.close();
  }
}

// Rethrown as an Error with SQLite's code: only a real Error reaches the main thread with its
// message, and better-sqlite3's SqliteError is not one (it would arrive as { code } alone).
function plainError(error) {
  const plain = new Error(typeof error?.message === 'string' ? error.message : String(error));
  if (error?.code !== undefined) plain.code = error.code;
  return plain;
}

copy().then(
  (written) => parentPort.postMessage(written),
  (error) => process.nextTick(() => {
    throw plainError(error);
  }),
);
`;

/**
 * Runs one copy on a worker thread of its own and returns what it wrote. Rejects with the
 * worker's error, or an Error saying it stopped without a result (a crash, running out of
 * memory). The worker has ended when this settles, either way, so nothing still writes to
 * `job.partial` and the caller may remove it.
 */
export async function writeCopyInWorker(job: CopyJob): Promise<CopyWritten> {
  const workerData: WorkerData = {
    ...job,
    betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'),
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, execArgv: [] });
  try {
    return await new Promise<CopyWritten>((resolve, reject) => {
      worker.once('message', (written: CopyWritten) => resolve(written));
      worker.once('error', reject);
      // Messages are delivered before 'exit', so this rejects only when there was none.
      worker.once('exit', (code) =>
        reject(new Error(`the copy's worker stopped (exit code ${code}) before it finished`)),
      );
    });
  } finally {
    await worker.terminate();
  }
}
