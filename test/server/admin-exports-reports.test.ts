// Check-in exports and the consortium reports, from data that desks pushed through a real
// server: check-ins around local midnight and the fall-back hour, crates on their trips, holds
// captured at one library and shelved at another.
import { parse } from 'csv-parse/sync';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdIdFor } from '../../server/admin/index.js';
import type { WireDocument } from '../../shared/index.js';
import {
  fixture,
  sealedCrate,
  startAdminTestServer,
  type AdminTestServer,
} from './admin-support.js';

let t: AdminTestServer;
const desks: Record<string, { deskId: string; token: string }> = {};
const desk = (library: string) => desks[library] ?? { deskId: '', token: '' };
const STAMP = '2026-11-23T15:00:00.000Z';

function checkin(library: string, barcode: string, scannedAt: string): WireDocument {
  return {
    id: ulid(),
    barcode,
    library,
    staff: 'jd',
    scannedAt,
    outcome: { route: 'reshelve' },
    updatedAt: scannedAt,
    deskId: desk(library).deskId,
    _deleted: false,
  };
}

async function pushNew(library: string, collection: string, docs: WireDocument[]) {
  const pushed = await t.push(
    desk(library).token,
    collection,
    docs.map((doc) => ({ assumedMasterState: null, newDocumentState: doc })),
  );
  if (pushed.status !== 200 || pushed.body.conflicts.length > 0) throw new Error(pushed.text);
}

/** A desk changes a document it can see: from the server's version to `change` over it. */
async function pushChange(
  library: string,
  collection: string,
  key: string,
  id: string,
  change: Record<string, unknown>,
) {
  const seen = (await t.pull(desk(library).token, collection)).documents;
  const master = seen.find((doc) => doc[key] === id);
  if (!master) throw new Error(`${library} does not see ${id}`);
  const next = { ...master, ...change, updatedAt: STAMP, deskId: desk(library).deskId };
  const pushed = await t.push(desk(library).token, collection, [
    { assumedMasterState: master, newDocumentState: next },
  ]);
  if (pushed.status !== 200 || pushed.body.conflicts.length > 0) throw new Error(pushed.text);
}

const crate = (origin: string, destination: string, sealedAt: string) =>
  sealedCrate(origin, destination, desk(origin).deskId, { at: sealedAt, packed: 3 });

const crates: Record<'fast' | 'slow' | 'onTheRoad' | 'unpacking' | 'beingFilled', WireDocument> = {
  fast: crate('NORTH', 'SOUTH', '2026-11-12T14:00:00.000Z'),
  slow: crate('NORTH', 'SOUTH', '2026-11-10T14:00:00.000Z'),
  onTheRoad: crate('SOUTH', 'NORTH', '2026-11-20T12:00:00.000Z'),
  unpacking: crate('WEST', 'NORTH', '2026-11-18T12:00:00.000Z'),
  beingFilled: { ...crate('NORTH', 'WEST', '2026-11-21T12:00:00.000Z'), status: 'open' },
};

beforeAll(async () => {
  t = await startAdminTestServer();
  await t.addMembers();
  for (const library of ['NORTH', 'SOUTH', 'WEST']) desks[library] = await t.enrolDesk(library);
  for (const crateDoc of Object.values(crates)) {
    crateDoc['deskId'] = desk(String(crateDoc['origin'])).deskId;
  }
  const items = await t.call('POST', '/v1/admin/ils-import/items?format=koha', {
    csv: fixture('koha-items.csv'),
  });
  const holds = await t.call('POST', '/v1/admin/ils-import/holds?format=koha', {
    csv:
      fixture('koha-holds.csv') +
      // A hold for WEST pulled at NORTH, without the optional columns.
      '505,9005,,,,,1001,,0,WEST,NORTH,2026-11-06,,,,,\r\n',
  });
  if (items.status !== 200 || holds.status !== 200) throw new Error(items.text + holds.text);

  await pushNew('NORTH', 'checkins', [
    // 23:30 on 31 October in Chicago: before the range.
    checkin('NORTH', '31234000000011', '2026-11-01T04:30:00.000Z'),
    checkin('NORTH', '31234000000011', '2026-11-01T05:30:00.000Z'),
    // 01:30 CDT, then 01:10 CST an hour later (the fall-back hour repeats).
    checkin('NORTH', '31234000000029', '2026-11-01T06:30:00.000Z'),
    checkin('NORTH', '31234000000029', '2026-11-01T07:10:00.000Z'),
    checkin('NORTH', '31234000000011', '2026-11-30T23:00:00.000Z'),
    // 00:30 on 1 December in Chicago: after the range.
    checkin('NORTH', '31234000000011', '2026-12-01T06:30:00.000Z'),
  ]);
  await pushNew('SOUTH', 'checkins', [
    checkin('SOUTH', '31235000000012', '2026-11-15T15:00:00.000Z'),
  ]);

  await pushNew('NORTH', 'crates', [crates.fast, crates.slow, crates.beingFilled]);
  await pushNew('SOUTH', 'crates', [crates.onTheRoad]);
  await pushNew('WEST', 'crates', [crates.unpacking]);
  const receive = (at: string) => ({ status: 'received', receivedAt: at });
  await pushChange(
    'SOUTH',
    'crates',
    'id',
    String(crates.fast['id']),
    receive('2026-11-12T20:00:00.000Z'),
  );
  await pushChange(
    'SOUTH',
    'crates',
    'id',
    String(crates.slow['id']),
    receive('2026-11-11T16:00:00.000Z'),
  );
  await pushChange('SOUTH', 'crates', 'id', String(crates.slow['id']), {
    status: 'closed',
    closedAt: '2026-11-11T17:00:00.000Z',
  });
  await pushChange(
    'NORTH',
    'crates',
    'id',
    String(crates.unpacking['id']),
    receive('2026-11-19T12:00:00.000Z'),
  );

  const capture = (barcode: string, at: string) => ({
    status: 'in_transit',
    capturedItemBarcode: barcode,
    capturedAt: at,
  });
  const shelve = (at: string) => ({ status: 'on_shelf', shelvedAt: at, expiresOn: '2026-12-01' });
  // 501: SOUTH's patron, NORTH's copy. 502: NORTH's patron, SOUTH's copy. 505: WEST's, NORTH's.
  await pushChange(
    'NORTH',
    'holds',
    'id',
    holdIdFor('501'),
    capture('31234000000011', '2026-11-05T15:00:00.000Z'),
  );
  await pushChange('SOUTH', 'holds', 'id', holdIdFor('501'), shelve('2026-11-07T15:00:00.000Z'));
  await pushChange(
    'SOUTH',
    'holds',
    'id',
    holdIdFor('502'),
    capture('31235000000012', '2026-11-06T15:00:00.000Z'),
  );
  await pushChange('NORTH', 'holds', 'id', holdIdFor('502'), shelve('2026-11-09T15:00:00.000Z'));
  await pushChange(
    'NORTH',
    'holds',
    'id',
    holdIdFor('505'),
    capture('31234000000029', '2026-11-08T15:00:00.000Z'),
  );
});
afterAll(async () => {
  await t.close();
});

const november = 'from=2026-11-01&to=2026-11-30';

describe('check-in exports', () => {
  it("writes one library's check-ins of its own days as a Koha .koc file", async () => {
    const file = await t.call(
      'GET',
      `/v1/admin/exports/checkins?library=NORTH&${november}&format=koc`,
    );
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toBe(
      'attachment; filename="NORTH-2026-11-01-2026-11-30.koc"',
    );
    expect(file.headers.get('x-carrel-checkins')).toBe('4');
    expect(file.text).toBe(
      'Version=1.0\tGenerator=Carrel\tGeneratorVersion=0.1.0-server\n' +
        '2026-11-01 00:30:00 000\treturn\t31234000000011\n' +
        '2026-11-01 01:30:00 000\treturn\t31234000000029\n' +
        '2026-11-01 01:10:00 000\treturn\t31234000000029\n' +
        '2026-11-30 17:00:00 000\treturn\t31234000000011\n',
    );
  });

  it('writes the same check-ins as CSV', async () => {
    const file = await t.call(
      'GET',
      `/v1/admin/exports/checkins?library=NORTH&${november}&format=csv`,
    );
    expect(file.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parse<Record<string, string>>(file.text, { columns: true });
    expect(rows.map((row) => [row['scanned_at_local'], row['library'], row['route']])).toEqual([
      ['2026-11-01 00:30:00', 'NORTH', 'reshelve'],
      ['2026-11-01 01:30:00', 'NORTH', 'reshelve'],
      ['2026-11-01 01:10:00', 'NORTH', 'reshelve'],
      ['2026-11-30 17:00:00', 'NORTH', 'reshelve'],
    ]);
  });

  it('refuses an unknown library and a range that is not two real days in order', async () => {
    const cases: [string, number, string][] = [
      [`library=NOWHERE&${november}&format=koc`, 404, 'unknown_library'],
      ['library=NORTH&from=2026-11-30&to=2026-11-01&format=koc', 400, 'invalid_range'],
      ['library=NORTH&from=2026-02-30&to=2026-03-01&format=koc', 400, 'invalid_range'],
      ['library=NORTH&from=yesterday&to=2026-03-01&format=koc', 400, 'invalid_request'],
      [`library=NORTH&${november}&format=pdf`, 400, 'invalid_request'],
      [`library=NORTH&${november}&format=koc&extra=1`, 400, 'invalid_request'],
    ];
    for (const [query, status, code] of cases) {
      const refused = await t.call<{ error: { code: string } }>(
        'GET',
        `/v1/admin/exports/checkins?${query}`,
      );
      expect([query, refused.status, refused.body.error.code]).toEqual([query, status, code]);
    }
  });
});

describe('reports', () => {
  it('lists crates waiting on someone, oldest first, with their age', async () => {
    const before = Date.now();
    const report = await t.call<{
      crates: { id: string; status: string; since: string; ageHours: number }[];
      byDestination: unknown[];
    }>('GET', '/v1/admin/reports/crates-waiting');
    const after = Date.now();
    // The slow crate is closed and the open one is still being filled: neither waits.
    expect(report.body.crates.map((c) => [c.id, c.status, c.since])).toEqual([
      [crates.fast['id'], 'received', '2026-11-12T20:00:00.000Z'],
      [crates.unpacking['id'], 'received', '2026-11-19T12:00:00.000Z'],
      [crates.onTheRoad['id'], 'sealed', '2026-11-20T12:00:00.000Z'],
    ]);
    for (const waiting of report.body.crates) {
      const since = Date.parse(waiting.since);
      expect(waiting.ageHours).toBeGreaterThanOrEqual(Math.floor((before - since) / 3_600_000));
      expect(waiting.ageHours).toBeLessThanOrEqual(Math.ceil((after - since) / 3_600_000));
    }
    const [fast, unpacking] = report.body.crates;
    expect(report.body.byDestination).toEqual([
      { library: 'NORTH', sealed: 1, received: 1, oldestHours: unpacking?.ageHours },
      { library: 'SOUTH', sealed: 0, received: 1, oldestHours: fast?.ageHours },
    ]);
  });

  it('gives courier turnaround per route', async () => {
    const report = await t.call<{ routes: unknown[] }>(
      'GET',
      `/v1/admin/reports/turnaround?${november}`,
    );
    expect(report.body.routes).toEqual([
      {
        from: 'NORTH',
        to: 'SOUTH',
        fromStop: 'STOP-NORTH',
        toStop: 'STOP-SOUTH',
        crates: 2,
        medianHours: 16,
        p90Hours: 24,
        maxHours: 26,
      },
      {
        from: 'WEST',
        to: 'NORTH',
        fromStop: 'STOP-WEST',
        toStop: 'STOP-NORTH',
        crates: 1,
        medianHours: 24,
        p90Hours: 24,
        maxHours: 24,
      },
    ]);
    const october = await t.call<{ routes: unknown[] }>(
      'GET',
      '/v1/admin/reports/turnaround?from=2026-10-01&to=2026-10-31',
    );
    expect(october.body.routes).toEqual([]);
  });

  it('counts lending and borrowing per library and names the net lender', async () => {
    const report = await t.call<{ libraries: unknown[] }>(
      'GET',
      `/v1/admin/reports/lending?${november}`,
    );
    expect(report.body.libraries).toEqual([
      { library: 'NORTH', lent: 2, borrowed: 1, ownUse: 0, net: 1, netLender: true },
      { library: 'SOUTH', lent: 1, borrowed: 1, ownUse: 0, net: 0, netLender: false },
      { library: 'WEST', lent: 0, borrowed: 1, ownUse: 0, net: -1, netLender: false },
    ]);
  });

  it('gives hold fill times per pickup library and for the consortium', async () => {
    const report = await t.call<{ libraries: unknown[]; consortium: unknown }>(
      'GET',
      `/v1/admin/reports/hold-fill?${november}`,
    );
    expect(report.body.libraries).toEqual([
      // 502: 3 Nov 09:15 CST to 9 Nov 15:00 UTC; 503 (shelved in Koha): 4 to 10 November.
      { library: 'NORTH', filled: 2, medianDays: 6, p90Days: 6, maxDays: 6 },
      // 501: 2 Nov 00:00 CST to 7 Nov 15:00 UTC, 5.375 days.
      { library: 'SOUTH', filled: 1, medianDays: 5.4, p90Days: 5.4, maxDays: 5.4 },
    ]);
    expect(report.body.consortium).toEqual({
      library: '*',
      filled: 3,
      medianDays: 6,
      p90Days: 6,
      maxDays: 6,
    });
  });

  it('refuses unknown reports and bad ranges', async () => {
    expect((await t.call('GET', '/v1/admin/reports/everything')).status).toBe(400);
    const range = await t.call<{ error: { code: string } }>(
      'GET',
      '/v1/admin/reports/lending?from=2026-12-01&to=2026-11-01',
    );
    expect([range.status, range.body.error.code]).toEqual([400, 'invalid_range']);
    expect((await t.call('GET', '/v1/admin/reports/lending', undefined, null)).status).toBe(401);
  });
});
