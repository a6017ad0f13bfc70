// What the consortium's check-in export leaves out and corrects: undone scans and re-routings
// are no check-ins for the ILS, and a desk whose clock was wrong by more than a minute has its
// scans dated on the server's clock. Real server, real pushes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WireDocument } from '../../shared/index.js';
import { startAdminTestServer, type AdminTestServer } from './admin-support.js';

let t: AdminTestServer;
let desk: { deskId: string; token: string };

const checkin = (id: string, barcode: string, scannedAt: string, extra: object = {}) =>
  ({
    id,
    barcode,
    library: 'NORTH',
    staff: 'AB',
    scannedAt,
    outcome: { route: 'reshelve' },
    updatedAt: scannedAt,
    deskId: desk.deskId,
    _deleted: false,
    ...extra,
  }) as WireDocument;

beforeAll(async () => {
  t = await startAdminTestServer();
  await t.addMembers();
  desk = await t.enrolDesk('NORTH');
  const rows = [
    checkin('01JS0000000000000000000A01', '31234000000011', '2026-11-10T15:00:00.000Z'),
    checkin('01JS0000000000000000000A02', '31234000000029', '2026-11-10T15:01:00.000Z', {
      voidedAt: '2026-11-10T15:02:00.000Z',
    }),
    checkin('01JS0000000000000000000A03', '31234000000037', '2026-11-10T15:03:00.000Z', {
      rerouteOf: '01JS0000000000000000000A01',
    }),
    // The desk's clock ran two hours slow: the server's clock says 17:04.
    checkin('01JS0000000000000000000A04', '31234000000045', '2026-11-10T15:04:00.000Z', {
      clockOffsetMs: 7_200_000,
    }),
    // A second off is measurement, not a wrong clock: left as the desk said.
    checkin('01JS0000000000000000000A05', '31234000000052', '2026-11-10T15:05:00.000Z', {
      clockOffsetMs: -900,
    }),
  ];
  const pushed = await t.push(
    desk.token,
    'checkins',
    rows.map((row) => ({ assumedMasterState: null, newDocumentState: row })),
  );
  expect(pushed.status).toBe(200);
});
afterAll(async () => {
  await t.close();
});

describe('the check-in export', () => {
  it('leaves out undone scans and re-routings and corrects a wrong desk clock', async () => {
    const file = await t.call(
      'GET',
      '/v1/admin/exports/checkins?library=NORTH&from=2026-11-01&to=2026-11-30&format=koc',
    );
    expect(file.status).toBe(200);
    expect(file.text.split('\n').slice(1)).toEqual([
      '2026-11-10 09:00:00 000\treturn\t31234000000011',
      '2026-11-10 09:05:00 000\treturn\t31234000000052',
      '2026-11-10 11:04:00 000\treturn\t31234000000045',
      '',
    ]);
  });
});
