import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteReplicationStore } from '../sqlite-replication-store.js';
import { openParcelStore, parcel, pullAll, temporaryFolder } from '../testing/parcels.js';
import { checkMigrations, type Migration } from './migration-plan.js';
import { replicationLayout } from './sqlite-001-replication-layout.js';
import { migrateSqliteFile, SQLITE_LAYOUT_VERSION, sqliteMigrations } from './sqlite-migrations.js';

type Db = Database.Database;

let folder: ReturnType<typeof temporaryFolder>;
beforeEach(() => {
  folder = temporaryFolder();
});
afterEach(() => folder.remove());

const server = { deskId: 'server', library: '*' };

function history(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return {
      version: db.pragma('user_version', { simple: true }) as number,
      rows: db.prepare('SELECT * FROM schema_version ORDER BY version').all(),
    };
  } finally {
    db.close();
  }
}

const fileDigest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * A file as the first server left it: layout 1, `user_version = 1`, no migration history,
 * holding two parcels. Made by today's store, then stripped of the history table and of
 * what later steps added.
 */
async function layoutOneFile(): Promise<string> {
  const store = await openParcelStore(folder.path);
  await store.push(
    'parcels',
    [parcel('p1', ['A']), parcel('p2', ['B'])].map((doc) => ({
      assumedMasterState: null,
      newDocumentState: doc,
    })),
    server,
  );
  await store.close();
  const path = join(folder.path, 'store.sqlite');
  const db = new Database(path);
  db.exec(
    'DROP TABLE schema_version; DROP TABLE scope_grants; DROP TABLE scope_grant_lenders; ' +
      'DROP TABLE replication_history',
  );
  db.pragma('user_version = 1');
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return path;
}

/** Layout 2 for these tests only: a column with a value computed from the rows. */
function labelLengthStep(calls: { count: number }): Migration<Db> {
  return {
    version: 2,
    name: 'label-length',
    up: (db) => {
      calls.count += 1;
      db.exec('ALTER TABLE documents ADD COLUMN label_length INTEGER');
      db.exec("UPDATE documents SET label_length = length(json_extract(data, '$.label'))");
    },
  };
}

describe('SQLite store migrations', () => {
  it('a new file gets every step, each recorded with its time and server version', async () => {
    const path = join(folder.path, 'fresh.sqlite');
    const store = await openSqliteReplicationStore(path, { serverVersion: '9.9.9' });
    await store.close();
    const { version, rows } = history(path);
    expect(version).toBe(SQLITE_LAYOUT_VERSION);
    expect(rows).toEqual(
      sqliteMigrations.map((step) => ({
        version: step.version,
        name: step.name,
        applied_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        server_version: '9.9.9',
      })),
    );
  });

  it('a file from before the history is adopted once, its documents untouched', async () => {
    const path = await layoutOneFile();
    const store = await openParcelStore(folder.path);
    expect([...(await pullAll(store, 'parcels', 'A')).keys()]).toEqual(['p1']);
    await store.close();
    const adopted = history(path);
    expect(adopted).toEqual({
      version: SQLITE_LAYOUT_VERSION,
      rows: [
        { version: 1, name: 'replication-layout', applied_at: null, server_version: null },
        ...sqliteMigrations.slice(1).map((step) => ({
          version: step.version,
          name: step.name,
          applied_at: expect.stringMatching(/^\d{4}-/) as unknown,
          server_version: null,
        })),
      ],
    });

    const again = await openParcelStore(folder.path);
    await again.close();
    expect(history(path)).toEqual(adopted);
  });

  it('an old file runs a new step once, keeps its rows, and later opens change nothing', () => {
    return layoutOneFile().then((path) => {
      const calls = { count: 0 };
      const steps = [replicationLayout, labelLengthStep(calls)];
      const open = () => {
        const db = new Database(path);
        try {
          return migrateSqliteFile(db, path, { migrations: steps, serverVersion: '2.0.0' });
        } finally {
          db.close();
        }
      };

      expect(open()).toEqual({ from: 1, to: 2, applied: ['2 label-length'] });
      expect(calls.count).toBe(1);
      const upgraded = fileDigest(path);
      expect(open()).toEqual({ from: 2, to: 2, applied: [] });
      expect(open()).toEqual({ from: 2, to: 2, applied: [] });
      expect(calls.count).toBe(1);
      // Idempotent down to the bytes: an up-to-date file is not written at all.
      expect(fileDigest(path)).toBe(upgraded);

      const db = new Database(path, { readonly: true });
      const rows = db.prepare('SELECT id, label_length FROM documents ORDER BY id').all();
      db.close();
      expect(rows).toEqual([
        { id: 'p1', label_length: 1 },
        { id: 'p2', label_length: 1 },
      ]);
      expect(history(path).rows).toEqual([
        { version: 1, name: 'replication-layout', applied_at: null, server_version: null },
        {
          version: 2,
          name: 'label-length',
          applied_at: expect.any(String) as unknown,
          server_version: '2.0.0',
        },
      ]);
    });
  });

  it('an upgraded file is refused by the older server and left exactly as it was', async () => {
    const path = await layoutOneFile();
    const db = new Database(path);
    const newer = { ...labelLengthStep({ count: 0 }), version: SQLITE_LAYOUT_VERSION + 1 };
    migrateSqliteFile(db, path, { migrations: [...sqliteMigrations, newer] });
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const before = fileDigest(path);
    await expect(openSqliteReplicationStore(path)).rejects.toMatchObject({
      code: 'store_too_new',
      message: expect.stringContaining(
        `layout ${SQLITE_LAYOUT_VERSION + 1}, this one knows ${SQLITE_LAYOUT_VERSION}`,
      ) as unknown,
    });
    expect(fileDigest(path)).toBe(before);
  });

  it('a failing step rolls back whole: the file stays at its version, without history', async () => {
    const path = await layoutOneFile();
    const failing: Migration<Db> = {
      version: 2,
      name: 'breaks-half-way',
      up: (db) => {
        db.exec('CREATE TABLE half_done (x INTEGER)');
        throw new Error('disk said no');
      },
    };
    const db = new Database(path);
    expect(() => migrateSqliteFile(db, path, { migrations: [replicationLayout, failing] })).toThrow(
      'disk said no',
    );
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'half_done'")
      .all();
    db.close();
    expect(tables).toEqual([]);
    // The adoption before the step committed on its own; the step left no trace.
    expect(history(path)).toEqual({
      version: 1,
      rows: [{ version: 1, name: 'replication-layout', applied_at: null, server_version: null }],
    });
    // The store still opens the file at layout 1.
    const store = await openParcelStore(folder.path);
    expect([...(await pullAll(store, 'parcels', 'B')).keys()]).toEqual(['p2']);
    await store.close();
  });

  it('refuses a list of steps with a gap or a name that is not kebab-case', () => {
    const step = (version: number, name: string): Migration<Db> => ({
      version,
      name,
      up: () => {},
    });
    expect(() => checkMigrations([step(1, 'a'), step(3, 'c')])).toThrow('expected 2');
    expect(() => checkMigrations([step(1, 'Add Thing')])).toThrow('kebab-case');
    expect(() => checkMigrations(sqliteMigrations)).not.toThrow();
  });
});
