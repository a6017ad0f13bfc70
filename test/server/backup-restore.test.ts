// The backup and restore procedures of docs/admin/backups.md, run as written: SQLite's online
// backup (`sqlite3 .backup`, and `VACUUM INTO`) of a server that keeps taking pushes, restored
// into a new data folder that a new server opens; and pg_dump / pg_restore of the PostgreSQL
// store into a new database.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer } from '../../server/app.js';
import { openPgReplicationStore } from '../../server/store/pg-replication-store.js';
import { domainCollections } from '../../server/store/index.js';
import type { WireDocument } from '../../shared/index.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import {
  ADMIN_TOKEN,
  sealedCrate,
  startAdminTestServer,
  type AdminTestServer,
} from './admin-support.js';

const run = promisify(execFile);

describe('SQLite: online backup of a running server, restored into a new data folder', () => {
  let t: AdminTestServer;
  let north: { deskId: string; token: string };
  /** Crates whose push was answered (committed on the server). */
  let committed = 0;
  const backups = mkdtempSync(join(tmpdir(), 'carrel-backup-'));

  beforeAll(async () => {
    t = await startAdminTestServer();
    await t.addMembers();
    north = await t.enrolDesk('NORTH');
  });
  afterAll(async () => {
    await t.close();
    rmSync(backups, { recursive: true, force: true });
  });

  const pushCrate = async () => {
    const answer = await t.push(north.token, 'crates', [
      { assumedMasterState: null, newDocumentState: sealedCrate('NORTH', 'SOUTH', north.deskId) },
    ]);
    if (answer.status !== 200) throw new Error(answer.text);
    committed += 1;
  };

  for (const [method, command] of [
    ['.backup', (from: string, to: string) => [from, `.backup '${to}'`]],
    ['VACUUM INTO', (from: string, to: string) => [from, `VACUUM INTO '${to}'`]],
  ] as const) {
    it(`${method} while desks push: the copy is whole, and a server on it has every desk and document it held`, async () => {
      for (let i = 0; i < 20; i++) await pushCrate();
      const target = mkdtempSync(join(backups, 'data-'));
      const beforeBackup = committed;
      // The documented commands, both files, while pushes keep arriving.
      const writing = Promise.all(Array.from({ length: 20 }, () => pushCrate()));
      for (const file of ['consortium.sqlite', 'desks.sqlite']) {
        await run('sqlite3', command(join(t.dir, file), join(target, file)));
      }
      await writing;
      for (const file of ['consortium.sqlite', 'desks.sqlite']) {
        const { stdout } = await run('sqlite3', [join(target, file), 'PRAGMA integrity_check']);
        expect(stdout.trim()).toBe('ok');
      }

      const restored = await startConsortiumServer({ dataDir: target, adminToken: ADMIN_TOKEN });
      try {
        // The desk's token still works: the registry came along.
        const response = await fetch(`${restored.url}/v1/sync/crates/pull?limit=1000`, {
          headers: { authorization: `Bearer ${north.token}` },
        });
        expect(response.status).toBe(200);
        const { documents } = (await response.json()) as { documents: WireDocument[] };
        const live = (await t.pull(north.token, 'crates')).documents;
        // Everything pushed before the backup started, at most what the live server has now.
        expect(documents.length).toBeGreaterThanOrEqual(beforeBackup);
        expect(documents.length).toBeLessThanOrEqual(live.length);
        const liveIds = new Set(live.map((doc) => doc['id']));
        for (const doc of documents) expect(liveIds.has(doc['id'])).toBe(true);
      } finally {
        await restored.close();
      }
    });
  }

  it('deploy/carrel-backup.sh makes a dated, checked copy while desks push, and prunes old ones', async () => {
    const dest = mkdtempSync(join(backups, 'nightly-'));
    const old = join(dest, '20200101T000000Z');
    await run('mkdir', [old]);
    await run('touch', ['-d', '2020-01-01', old]);
    const beforeBackup = committed;
    const writing = Promise.all(Array.from({ length: 20 }, () => pushCrate()));
    const script = join(import.meta.dirname, '..', '..', 'deploy', 'carrel-backup.sh');
    const { stdout } = await run('sh', [script, t.dir, dest, '14']);
    await writing;
    const made = /carrel-backup: (.+)$/m.exec(stdout)?.[1] ?? '';
    expect(made).toMatch(/\/\d{8}T\d{6}Z$/);
    expect(readdirSync(dest).sort()).toEqual([made.slice(dest.length + 1)]); // old one pruned
    expect(readdirSync(made).sort()).toEqual(['consortium.sqlite', 'desks.sqlite']);

    const restored = await startConsortiumServer({ dataDir: made, adminToken: ADMIN_TOKEN });
    try {
      const response = await fetch(`${restored.url}/v1/sync/crates/pull?limit=1000`, {
        headers: { authorization: `Bearer ${north.token}` },
      });
      const { documents } = (await response.json()) as { documents: WireDocument[] };
      expect(documents.length).toBeGreaterThanOrEqual(beforeBackup);
    } finally {
      await restored.close();
    }
  });

  it('after a restore the seq counter must pass every checkpoint a desk already holds', async () => {
    const backup = mkdtempSync(join(backups, 'older-'));
    for (const file of ['consortium.sqlite', 'desks.sqlite']) {
      await run('sqlite3', [join(t.dir, file), `.backup '${join(backup, file)}'`]);
    }
    // The live server goes on; the desk pulls past what the backup holds, then the server is lost.
    for (let i = 0; i < 5; i++) await pushCrate();
    const deskCheckpoint = (await t.pull(north.token, 'crates')).seq;

    const restoreAndPush = async (bump: boolean) => {
      const target = mkdtempSync(join(backups, bump ? 'bumped-' : 'plain-'));
      for (const file of ['consortium.sqlite', 'desks.sqlite']) {
        await run('sqlite3', [join(backup, file), `.backup '${join(target, file)}'`]);
      }
      if (bump) {
        // docs/admin/backups.md, "After a restore": before the server starts.
        await run('sqlite3', [
          join(target, 'consortium.sqlite'),
          'UPDATE replication_seq SET value = value + 1000000000',
        ]);
      }
      const restored = await startConsortiumServer({ dataDir: target, adminToken: ADMIN_TOKEN });
      try {
        const fresh = sealedCrate('NORTH', 'SOUTH', north.deskId);
        const headers = {
          authorization: `Bearer ${north.token}`,
          'content-type': 'application/json',
        };
        const pushed = await fetch(`${restored.url}/v1/sync/crates/push`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ rows: [{ assumedMasterState: null, newDocumentState: fresh }] }),
        });
        expect(pushed.status).toBe(200);
        const pulled = await fetch(
          `${restored.url}/v1/sync/crates/pull?after=${deskCheckpoint}&limit=100`,
          { headers },
        );
        const { documents } = (await pulled.json()) as { documents: WireDocument[] };
        return documents.map((doc) => doc['id']).includes(fresh['id']);
      } finally {
        await restored.close();
      }
    };
    // Without the step, a crate written after the restore never reaches this desk.
    expect(await restoreAndPush(false)).toBe(false);
    expect(await restoreAndPush(true)).toBe(true);
  });
});

describe('PostgreSQL: pg_dump and pg_restore of the store', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);
  afterAll(() => cluster.stop());

  it('deploy/carrel-backup.sh with DATABASE_URL dumps the database (no SQLite files needed)', async () => {
    const database = await cluster.createDatabase('carrel_nightly');
    const store = await openPgReplicationStore(database);
    await store.close();
    const folder = mkdtempSync(join(tmpdir(), 'carrel-pg-nightly-'));
    try {
      const script = join(import.meta.dirname, '..', '..', 'deploy', 'carrel-backup.sh');
      const dest = join(folder, 'backups');
      const { stdout } = await run('sh', [script, join(folder, 'empty-data'), dest, '14'], {
        env: { ...process.env, DATABASE_URL: database },
      });
      const made = /carrel-backup: (.+)$/m.exec(stdout)?.[1] ?? '';
      expect(readdirSync(made)).toEqual(['carrel.dump']);
      const listing = await run('pg_restore', ['--list', join(made, 'carrel.dump')]);
      expect(listing.stdout).toContain('TABLE public replication_seq');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('a custom-format dump restored into a new database serves the same documents and checkpoints', async () => {
    const source = await cluster.createDatabase('carrel_live');
    const store = await openPgReplicationStore(source);
    for (const registration of domainCollections) store.register(registration);
    const deskId = ulid();
    const rows = Array.from({ length: 50 }, () => ({
      assumedMasterState: null,
      newDocumentState: sealedCrate('NORTH', 'SOUTH', deskId),
    }));
    expect(await store.push('crates', rows, { deskId, library: 'NORTH' })).toEqual({
      conflicts: [],
    });
    const before = await store.pull('crates', { library: 'SOUTH', after: null, limit: 1000 });

    const dump = join(mkdtempSync(join(tmpdir(), 'carrel-pgdump-')), 'carrel.dump');
    try {
      // While the store is open: pg_dump reads one consistent snapshot.
      await run('pg_dump', ['--format=custom', `--file=${dump}`, source]);
      await store.close();
      const target = await cluster.createDatabase('carrel_restored');
      await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target}`, dump]);

      const restored = await openPgReplicationStore(target);
      try {
        for (const registration of domainCollections) restored.register(registration);
        expect(
          await restored.pull('crates', { library: 'SOUTH', after: null, limit: 1000 }),
        ).toEqual(before);
        // New writes continue after the restored seq: a desk's checkpoint stays valid.
        const next = sealedCrate('NORTH', 'SOUTH', deskId);
        await restored.push('crates', [{ assumedMasterState: null, newDocumentState: next }], {
          deskId,
          library: 'NORTH',
        });
        const after = await restored.pull('crates', {
          library: 'SOUTH',
          after: before.checkpoint,
          limit: 10,
        });
        expect(after.documents.map((doc) => doc['id'])).toEqual([next['id']]);
        expect(after.checkpoint.seq).toBeGreaterThan(before.checkpoint.seq);
      } finally {
        await restored.close();
      }
    } finally {
      rmSync(join(dump, '..'), { recursive: true, force: true });
    }
  }, 60_000);
});
