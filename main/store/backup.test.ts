// Copies of a live desk database: real SQLite files, written to while the copy is made.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Checkin } from '../../shared/index.js';
import { sampleDocuments } from '../../shared/schemas/sample-documents.js';
import {
  checkDatabaseFile,
  copyDatabaseFile,
  DatabaseCopyError,
  databaseFilePath,
  DESK_DATABASE_NAME,
  DURABLE_PRAGMAS,
  openDeskStore,
  restoreDatabaseFile,
} from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-backup-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A WAL database like the desk's, with two tables every transaction writes together. */
function pairedDatabase(path: string, rows: number): Database.Database {
  const db = new Database(path);
  for (const pragma of DURABLE_PRAGMAS) db.pragma(pragma);
  db.exec('CREATE TABLE scans (id INTEGER PRIMARY KEY, body BLOB)');
  db.exec('CREATE TABLE crate_scans (id INTEGER PRIMARY KEY, scan INTEGER, body BLOB)');
  const write = pairWriter(db);
  db.transaction(() => {
    for (let i = 0; i < rows; i += 1) write();
  })();
  return db;
}

/** One transaction: a scan and its crate scan, never one without the other. */
function pairWriter(db: Database.Database): () => void {
  const scan = db.prepare('INSERT INTO scans (body) VALUES (randomblob(600))');
  const crateScan = db.prepare('INSERT INTO crate_scans (scan, body) VALUES (?, randomblob(400))');
  return db.transaction(() => {
    const { lastInsertRowid } = scan.run();
    crateScan.run(lastInsertRowid);
  });
}

const count = (db: Database.Database, table: string) =>
  db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('copyDatabaseFile', () => {
  it.each([
    { steps: 'in steps of 64 pages', rows: 20_000, options: { pagesPerStep: 64 } },
    { steps: 'in its default steps', rows: 40_000, options: {} },
  ])(
    'copies a database consistently while another connection keeps committing ($steps)',
    async ({ rows, options }) => {
      const source = join(dir, 'desk.sqlite');
      const live = pairedDatabase(source, rows);
      const before = count(live, 'scans');
      const write = pairWriter(live);
      // A commit on every turn of the event loop while the worker copies, as a busy desk (and
      // sync) would make.
      let writing = true;
      let commits = 0;
      const keepWriting = () => {
        if (!writing) return;
        write();
        commits += 1;
        setImmediate(keepWriting);
      };
      setImmediate(keepWriting);
      let copy;
      try {
        copy = await copyDatabaseFile(source, join(dir, 'copy.sqlite'), options);
      } finally {
        writing = false;
      }
      const after = count(live, 'scans');
      live.close();

      expect(commits).toBeGreaterThan(3);
      // The copy read one snapshot: the commits made during it never made it start over.
      expect(copy.restarts).toBe(0);
      const check = checkDatabaseFile(copy.path);
      expect(check.problems).toEqual([]);
      const scans = check.rows['scans'] ?? -1;
      // Never half a transaction, and a state the live database really was in (each commit
      // adds one pair, so every count from before to after was one).
      expect(check.rows['crate_scans']).toBe(scans);
      expect(scans).toBeGreaterThanOrEqual(before);
      expect(scans).toBeLessThanOrEqual(after);
      // One self-contained file: no WAL, no leftovers beside it.
      const reopened = new Database(copy.path, { readonly: true });
      expect(reopened.pragma('journal_mode', { simple: true })).toBe('delete');
      reopened.close();
      expect(readdirSync(dir).filter((name) => name.startsWith('copy'))).toEqual(['copy.sqlite']);
    },
  );

  it('keeps the main thread running while the copy waits for the database and is taken', async () => {
    // About 45 MB: a copy that takes the worker a while to write, check and fsync.
    const source = join(dir, 'desk.sqlite');
    const live = pairedDatabase(source, 40_000);
    // The desk's connection takes the file for itself (exclusive locking mode keeps the lock
    // of its next write), so the copy can start only once a timer on this thread lets go of
    // it. Done on this thread, the copy would wait for the lock with the event loop held
    // (better-sqlite3's backup even ends with an empty copy when the lock is not given up).
    live.pragma('locking_mode = EXCLUSIVE');
    pairWriter(live)();
    const rows = count(live, 'scans');
    const target = join(dir, 'copy.sqlite');
    let pending = true;
    let ticks = 0;
    let ticksAfterRelease = 0;
    let releasedWhilePending = false;
    const timer = setInterval(() => {
      if (!pending) return;
      ticks += 1;
      if (releasedWhilePending) ticksAfterRelease += 1;
      if (ticks === 25) {
        live.pragma('locking_mode = NORMAL');
        count(live, 'scans'); // the lock goes at the connection's next read
        releasedWhilePending = true;
      }
    }, 2);
    let copy;
    try {
      copy = await copyDatabaseFile(source, target);
    } finally {
      pending = false;
      clearInterval(timer);
      live.close();
    }

    // The copy could not finish before the main thread's 25th tick released the database,
    // and the main thread went on ticking while the copy was written, checked and synced.
    expect(releasedWhilePending).toBe(true);
    expect(ticksAfterRelease).toBeGreaterThan(0);
    expect(copy.bytes).toBeGreaterThan(40_000_000);
    expect(checkDatabaseFile(copy.path).rows).toEqual({ crate_scans: rows, scans: rows });
  });

  it('copies the desk store with every document while the desk records check-ins', async () => {
    const store = await openDeskStore({ dataDir: dir });
    const checkin = (i: number): Checkin => ({
      ...sampleDocuments.checkins,
      id: ulid(),
      barcode: `33907${String(i).padStart(8, '0')}1`,
    });
    const first = Array.from({ length: 2000 }, (_, i) => checkin(i));
    await store.db.checkins.bulkInsert(first);
    let recorded = 2000;
    let writing = true;
    // Scans arrive as events (IPC), one per turn of the event loop; RxDB's writes resolve in
    // microtasks, so a bare loop of them would never let the copy take a step.
    const scanning = (async () => {
      while (writing) {
        await store.db.checkins.insert(checkin((recorded += 1)));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const target = join(dir, 'backup.sqlite');
    try {
      await copyDatabaseFile(databaseFilePath(dir, DESK_DATABASE_NAME), target, {
        pagesPerStep: 16,
      });
    } finally {
      writing = false;
      await scanning;
    }
    const liveIds = new Set((await store.db.checkins.find().exec()).map((doc) => doc.id));
    await store.close();

    // Put the copy back in a fresh data folder and open it as the desk would.
    const restoredDir = join(dir, 'restored');
    expect(restoreDatabaseFile(target, databaseFilePath(restoredDir, DESK_DATABASE_NAME))).toBe(
      undefined,
    );
    const restored = await openDeskStore({ dataDir: restoredDir });
    try {
      const copied = await restored.db.checkins.find().exec();
      const copiedIds = new Set(copied.map((doc) => doc.id));
      // Everything recorded before the copy began, and nothing the desk never recorded.
      expect(first.filter((doc) => !copiedIds.has(doc.id))).toEqual([]);
      expect([...copiedIds].filter((id) => !liveIds.has(id))).toEqual([]);
      expect(copied[0]?.toJSON()).toMatchObject({ library: 'MAIN', staff: 'jdoe' });
    } finally {
      await restored.close();
    }
  });

  it('never overwrites a file that is there, and leaves nothing behind when it fails', async () => {
    const source = join(dir, 'desk.sqlite');
    pairedDatabase(source, 10).close();
    writeFileSync(join(dir, 'taken.sqlite'), 'keep me');
    await expect(copyDatabaseFile(source, join(dir, 'taken.sqlite'))).rejects.toThrow(
      DatabaseCopyError,
    );
    await expect(copyDatabaseFile(source, join(dir, 'no-such-folder', 'x.sqlite'))).rejects.toThrow(
      DatabaseCopyError,
    );
    await expect(
      copyDatabaseFile(join(dir, 'missing.sqlite'), join(dir, 'y.sqlite')),
    ).rejects.toThrow(/no database/);
    expect(readdirSync(dir).sort()).toEqual(['desk.sqlite', 'taken.sqlite']);
  });

  it('rejects when the copy cannot be written or its worker fails, and leaves no .partial', async () => {
    const source = join(dir, 'desk.sqlite');
    pairedDatabase(source, 10).close();
    writeFileSync(join(dir, 'not-a-database.sqlite'), 'SQLite format 3\0 but not'.repeat(200));
    // Not an addon: the worker fails to load SQLite, so the binding did reach it.
    writeFileSync(join(dir, 'not-an-addon.node'), 'not an addon');
    const failures = [
      // A folder that is missing, and one that is a file.
      { source, target: join(dir, 'no-such-folder', 'x.sqlite'), why: 'directory does not exist' },
      { source, target: join(dir, 'desk.sqlite', 'x.sqlite'), why: 'unable to open database' },
      {
        source: join(dir, 'not-a-database.sqlite'),
        target: join(dir, 'x.sqlite'),
        why: 'file is not a database',
      },
      {
        source,
        target: join(dir, 'x.sqlite'),
        nativeBinding: join(dir, 'not-an-addon.node'),
        why: 'not-an-addon.node',
      },
    ];
    for (const { source: from, target, nativeBinding, why } of failures) {
      const copying = copyDatabaseFile(from, target, { nativeBinding });
      await expect(copying).rejects.toThrow(DatabaseCopyError);
      // SQLite's own words arrive from the worker.
      await expect(copying).rejects.toThrow(`the desk database could not be copied to ${target}: `);
      await expect(copying).rejects.toThrow(why);
    }
    expect(readdirSync(dir).sort()).toEqual([
      'desk.sqlite',
      'not-a-database.sqlite',
      'not-an-addon.node',
    ]);
    // The binding the worker is given is the one it loads.
    const nodeAddon = createRequire(import.meta.url).resolve(
      'better-sqlite3/build/Release/better_sqlite3.node',
    );
    const copy = await copyDatabaseFile(source, join(dir, 'x.sqlite'), {
      nativeBinding: nodeAddon,
    });
    expect(checkDatabaseFile(copy.path).rows).toEqual({ crate_scans: 10, scans: 10 });
  });

  it.skipIf(process.getuid?.() === 0)(
    'rejects when the target folder cannot be written, and leaves nothing in it',
    async () => {
      const source = join(dir, 'desk.sqlite');
      pairedDatabase(source, 10).close();
      const readOnly = join(dir, 'read-only');
      mkdirSync(readOnly, { mode: 0o555 });
      await expect(copyDatabaseFile(source, join(readOnly, 'x.sqlite'))).rejects.toThrow(
        DatabaseCopyError,
      );
      expect(readdirSync(readOnly)).toEqual([]);
    },
  );
});

describe('restoreDatabaseFile', () => {
  it('brings every row of the copy back and keeps the live file (with its WAL) aside', async () => {
    const live = join(dir, 'desk.sqlite');
    const db = pairedDatabase(live, 500);
    const backup = await copyDatabaseFile(live, join(dir, 'backup.sqlite'));
    const write = pairWriter(db);
    for (let i = 0; i < 25; i += 1) write();
    // The desk is not running when a restore happens, but its last WAL may still be there.
    db.pragma('wal_autocheckpoint = 0');
    write();
    const liveRows = count(db, 'scans');
    db.close();

    const keptAt = restoreDatabaseFile(backup.path, live, {
      now: new Date('2026-11-23T10:00:00Z'),
    });
    expect(keptAt).toBe(`${live}.before-restore-2026-11-23T10-00-00-000Z`);
    expect(checkDatabaseFile(live).rows).toEqual({ crate_scans: 500, scans: 500 });
    expect(existsSync(`${live}-wal`)).toBe(false);
    // What the live file held is all still there, set aside.
    const kept = new Database(keptAt ?? '', { readonly: true });
    expect(count(kept, 'scans')).toBe(liveRows);
    kept.close();
  });

  it('refuses a damaged or foreign file and leaves the live database as it was', () => {
    const live = join(dir, 'desk.sqlite');
    pairedDatabase(live, 50).close();
    const notADatabase = join(dir, 'not-a-database.sqlite');
    writeFileSync(notADatabase, 'SQLite format 3\0 but not really'.repeat(200));
    expect(() => restoreDatabaseFile(notADatabase, live)).toThrow(DatabaseCopyError);
    expect(() => restoreDatabaseFile(join(dir, 'missing.sqlite'), live)).toThrow(DatabaseCopyError);
    expect(checkDatabaseFile(live).rows).toEqual({ crate_scans: 50, scans: 50 });
    expect(readdirSync(dir).filter((name) => name.includes('before-restore'))).toEqual([]);
  });
});
