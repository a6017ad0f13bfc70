import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteReplicationStore } from './sqlite-replication-store.js';
import { temporaryFolder } from './testing/parcels.js';
import { replicationStoreCases, sqliteBackend } from './testing/replication-store-cases.js';

describe('the replication store on SQLite', () => replicationStoreCases(sqliteBackend));

describe('an SQLite file', () => {
  it('from a newer server is refused and left as it was', async () => {
    const folder = temporaryFolder();
    const path = join(folder.path, 'newer.sqlite');
    const newer = new Database(path);
    newer.pragma('user_version = 9');
    newer.close();
    await expect(openSqliteReplicationStore(path)).rejects.toMatchObject({ code: 'store_too_new' });
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(9);
    expect(check.prepare('SELECT count(*) AS n FROM sqlite_master').get()).toEqual({ n: 0 });
    check.close();
    folder.remove();
  });
});
