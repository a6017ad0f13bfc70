// The administration's services on the PostgreSQL store (a real cluster of Debian's
// PostgreSQL, started for this file): they read and write only through the replication store's
// interface, so libraries, imports, exports and reports behave as on SQLite.
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCheckins } from '../../server/admin/checkin-exports.js';
import { importIlsFile } from '../../server/admin/ils-import.js';
import { addLibrary, listLibraries } from '../../server/admin/libraries.js';
import { holdIdFor } from '../../server/admin/index.js';
import { holdFill, lending } from '../../server/admin/reports.js';
import { readByIds, type AdminDeps } from '../../server/admin/server-data.js';
import { openPgReplicationStore } from '../../server/store/pg-replication-store.js';
import { domainCollections, type ReplicationStore } from '../../server/store/index.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { fixture } from './admin-support.js';

let cluster: PostgresCluster;
let store: ReplicationStore;
let deps: AdminDeps;
const NORTH_DESK = ulid();
const SOUTH_DESK = ulid();

beforeAll(async () => {
  cluster = await startPostgres();
  store = await openPgReplicationStore(await cluster.createDatabase());
  for (const registration of domainCollections) store.register(registration);
  deps = { store, now: () => new Date('2026-11-23T15:00:00.000Z') };
});
afterAll(async () => {
  await store.close();
  await cluster.stop();
});

/** A desk's change to a hold, pushed as that desk's library would push it. */
async function deskChange(library: string, deskId: string, id: string, change: object) {
  const master = (await readByIds(deps, 'holds', [id])).get(id);
  if (!master) throw new Error(`no hold ${id}`);
  const { conflicts } = await store.push(
    'holds',
    [
      {
        assumedMasterState: { ...master, _deleted: false },
        newDocumentState: { ...master, ...change, deskId, _deleted: false },
      },
    ],
    { deskId, library },
  );
  expect(conflicts).toEqual([]);
}

describe('administration on PostgreSQL', () => {
  it('adds libraries, imports, re-imports as nothing, exports and reports', async () => {
    for (const [code, prefix] of [
      ['NORTH', '31234'],
      ['SOUTH', '31235'],
      ['WEST', '31236'],
    ] as const) {
      await addLibrary(deps, {
        code,
        name: code,
        timeZone: 'America/Chicago',
        barcodePrefixes: [prefix],
      });
    }
    expect((await listLibraries(deps)).map((library) => library.code)).toEqual([
      'NORTH',
      'SOUTH',
      'WEST',
    ]);

    const items = await importIlsFile(deps, {
      kind: 'items',
      format: 'koha',
      csv: fixture('koha-items.csv'),
    });
    expect(items).toMatchObject({ created: 6, written: true });
    const holds = await importIlsFile(deps, {
      kind: 'holds',
      format: 'koha',
      csv: fixture('koha-holds.csv'),
    });
    expect(holds).toMatchObject({ created: 3, skipped: 1, written: true });
    const latest = await store.latest('items');
    const again = await importIlsFile(deps, {
      kind: 'items',
      format: 'koha',
      csv: fixture('koha-items.csv'),
    });
    expect(again).toMatchObject({ unchanged: 6, written: false });
    expect(await store.latest('items')).toEqual(latest);

    const scannedAt = '2026-11-01T07:10:00.000Z';
    await store.push(
      'checkins',
      [
        {
          assumedMasterState: null,
          newDocumentState: {
            id: ulid(),
            barcode: '31234000000011',
            library: 'NORTH',
            staff: 'jd',
            scannedAt,
            outcome: { route: 'reshelve' },
            updatedAt: scannedAt,
            deskId: NORTH_DESK,
            _deleted: false,
          },
        },
      ],
      { deskId: NORTH_DESK, library: 'NORTH' },
    );
    const koc = await exportCheckins(deps, {
      library: 'NORTH',
      from: '2026-11-01',
      to: '2026-11-01',
      format: 'koc',
    });
    expect(koc.text.split('\n').slice(1)).toEqual([
      '2026-11-01 01:10:00 000\treturn\t31234000000011',
      '',
    ]);

    // SOUTH's patron gets NORTH's copy: NORTH lends, SOUTH borrows.
    await deskChange('NORTH', NORTH_DESK, holdIdFor('501'), {
      status: 'in_transit',
      capturedAt: '2026-11-05T15:00:00.000Z',
      capturedItemBarcode: '31234000000011',
      updatedAt: '2026-11-05T15:00:00.000Z',
    });
    await deskChange('SOUTH', SOUTH_DESK, holdIdFor('501'), {
      status: 'on_shelf',
      shelvedAt: '2026-11-07T15:00:00.000Z',
      updatedAt: '2026-11-07T15:00:00.000Z',
    });
    const range = { from: '2026-11-01', to: '2026-11-30' };
    expect((await lending(deps, range)).libraries).toEqual([
      { library: 'NORTH', lent: 1, borrowed: 0, ownUse: 0, net: 1, netLender: true },
      { library: 'SOUTH', lent: 0, borrowed: 1, ownUse: 0, net: -1, netLender: false },
      { library: 'WEST', lent: 0, borrowed: 0, ownUse: 0, net: 0, netLender: false },
    ]);
    expect((await holdFill(deps, range)).libraries).toEqual([
      { library: 'NORTH', filled: 1, medianDays: 6, p90Days: 6, maxDays: 6 },
      { library: 'SOUTH', filled: 1, medianDays: 5.4, p90Days: 5.4, maxDays: 5.4 },
    ]);
  });
});
