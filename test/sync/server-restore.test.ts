// The consortium server restored from last night's backup, with a desk that synced past it:
// the desk's check-ins since the backup are on the desk only, and its checkpoints point past
// the restored database's end. The server notices (its mark of the highest seq it served is
// above the database's), starts a new history, and the desk, seeing the new history id on its
// next answer, syncs everything again: the server gets the lost check-ins back, and the desk
// holds exactly what the server holds for it. Real server (SQLite), a desk in its own
// process, sqlite3's online backup as docs/admin/backups.md describes it.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { DESK_DATABASE_NAME, databaseFilePath } from '../../main/store/index.js';
import { replicatedCollections } from '../../shared/index.js';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import { consortium, item, itemBarcode } from '../support/desk.js';
import {
  deskView,
  enrolAndSignIn,
  expectConverged,
  inSync,
  serverView,
  startDeskProcess,
  syncUntil,
  value,
  type RunningDesk,
} from '../support/sync-desks.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'carrel-restore-'));
const ADMIN = 'admin-token-for-the-restore-test';
let server: ConsortiumServer | undefined;
let desk: RunningDesk | undefined;
afterAll(async () => {
  await desk?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

const start = (dataDir: string, port?: number) =>
  startConsortiumServer({
    dataDir,
    host: '127.0.0.1',
    adminToken: ADMIN,
    ...(port === undefined ? {} : { port }),
  });

/** Rows pushed per collection and conflicts answered, from the server's /metrics. */
async function pushCounters(
  on: ConsortiumServer,
): Promise<{ rows: Record<string, number>; conflicts: number }> {
  const text = await (
    await fetch(`${on.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })
  ).text();
  const rows: Record<string, number> = {};
  let conflicts = 0;
  for (const line of text.split('\n')) {
    const row = /^carrel_sync_pushed_rows_total\{collection="(\w+)"\} (\d+)$/.exec(line);
    if (row) rows[row[1]!] = Number(row[2]);
    const conflict = /^carrel_sync_conflicts_total\{collection="\w+"\} (\d+)$/.exec(line);
    if (conflict) conflicts += Number(conflict[1]);
  }
  return { rows, conflicts };
}

// Into the data folder the server ran on, the server's mark of what it served tells; into a
// new folder (a new machine) there is no mark, and the desk's pull past the database's end
// tells.
describe.each([
  { into: 'the same data folder', newFolder: false },
  { into: 'a new data folder', newFolder: true },
])('a server restored from a backup into $into', ({ newFolder }) => {
  it(
    'gets back from the desk what the backup lacks, and the desk converges',
    { timeout: 180_000 },
    async () => {
      const caseDir = join(scratch, newFolder ? 'new-folder' : 'same-folder');
      const dataDir = join(caseDir, 'server');
      const restoredDir = newFolder ? join(caseDir, 'restored') : dataDir;
      const backup = join(caseDir, 'backup');
      server = await start(dataDir);
      const port = Number(new URL(server.url).port);
      const barcodes = Array.from({ length: 6 }, (_, n) => itemBarcode('33907', 100 + n));
      await server.importDocuments('libraries', consortium);
      await server.importDocuments(
        'items',
        barcodes.map((barcode) => item(barcode, 'MAIN')),
      );

      desk = await startDeskProcess(join(caseDir, 'desk'));
      await enrolAndSignIn(desk, server, 'MAIN');
      const scan = async (barcode: string) =>
        value(await desk!.client.checkin.scan({ barcode })).checkinId;
      const before = [await scan(barcodes[0]!), await scan(barcodes[1]!)];
      await syncUntil(desk, inSync, 'the first check-ins pushed');

      // Last night's backup, taken while the server runs.
      await run('mkdir', ['-p', backup]);
      for (const file of ['consortium.sqlite', 'desks.sqlite']) {
        await run('sqlite3', [join(dataDir, file), `.backup '${join(backup, file)}'`]);
      }

      // A morning of work, synced.
      const after = [await scan(barcodes[2]!), await scan(barcodes[3]!), await scan(barcodes[4]!)];
      await syncUntil(desk, inSync, 'the morning pushed');
      const settings = () =>
        (
          JSON.parse(readFileSync(join(desk!.dataDir, 'desk.json'), 'utf8')) as {
            sync: { token: string; deskId: string; history?: string; resyncedFor?: string };
          }
        ).sync;
      const { token, deskId, history } = settings();
      expect(history).toMatch(/^[0-9a-f-]{36}$/);

      // The disk is lost; the administrator restores the backup into the data folder.
      await server.close();
      server = undefined;
      await run('mkdir', ['-p', restoredDir]);
      for (const file of ['consortium.sqlite', 'desks.sqlite']) {
        rmSync(join(restoredDir, `${file}-wal`), { force: true });
        rmSync(join(restoredDir, `${file}-shm`), { force: true });
        copyFileSync(join(backup, file), join(restoredDir, file));
      }
      server = await start(restoredDir, port);
      const restoredView = await serverView(server.url, token);
      const restoredCheckins = (restoredView.get('checkins') ?? []).map((doc) => doc['id']);
      expect(restoredCheckins.sort()).toEqual([...before].sort()); // the morning is gone

      // The desk notices at its next answer and sends everything again.
      await syncUntil(
        desk,
        (status) => inSync(status) && settings().resyncedFor !== undefined,
        'the desk syncing everything again',
        60_000,
      );
      expect(settings().resyncedFor).not.toBe(history);
      await syncUntil(
        desk,
        async () => {
          const view = await serverView(server!.url, token);
          const ids = (view.get('checkins') ?? []).map((doc) => String(doc['id']));
          return [...before, ...after].every((id) => ids.includes(id));
        },
        'the lost check-ins back on the server',
        60_000,
      );
      // What the resync sent: the lost check-ins and the items they changed (the server's
      // restored states differ; each comes back as a conflict for the items' handler), and
      // none of the documents the server still had, which the desk matched with its pull.
      const sent = await pushCounters(server);
      const told = JSON.stringify(sent);
      expect(sent.rows['checkins'], told).toBe(after.length);
      expect(sent.rows['items'], told).toBe(after.length);
      expect(sent.rows['libraries'] ?? 0, told).toBe(0);
      expect(sent.conflicts, told).toBe(after.length);

      // Work goes on in the new history, and the desk ends with what the server holds for it.
      await scan(barcodes[5]!);
      await syncUntil(desk, inSync, 'in sync after the restore');
      const serverSide = await serverView(server.url, token);
      const stderrOf = desk.stderr;
      await desk.close();
      desk = undefined;
      expectConverged(await deskView(join(caseDir, 'desk')), serverSide, deskId);
      expect((serverSide.get('checkins') ?? []).length).toBe(6);
      // The replication records kept before the restore (a copy of every document) are gone:
      // one set of meta tables, the new one.
      const file = new Database(databaseFilePath(join(caseDir, 'desk'), DESK_DATABASE_NAME), {
        readonly: true,
      });
      const metaTables = file
        .prepare("SELECT count(*) FROM carrel_tables WHERE name LIKE 'rx-replication-meta-%'")
        .pluck()
        .get();
      file.close();
      expect(metaTables, stderrOf.join('')).toBe(replicatedCollections.length);
    },
  );
});
