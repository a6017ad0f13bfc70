import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { checkinsCsv, checkinsCsvHeader } from './checkins-csv.js';
import type { CheckinsCsvRow } from './checkins-csv.js';

const chicago = 'America/Chicago';

const rows: CheckinsCsvRow[] = [
  {
    barcode: '30234000000003',
    scannedAt: '2025-11-02T07:10:00.999Z',
    library: 'MPL',
    staff: 'lee, ann',
    route: 'hold_transit',
    destination: 'NPL',
  },
  {
    barcode: '30234000000004',
    scannedAt: '2025-11-02T06:30:00.250Z',
    library: 'MPL',
    staff: 'jd',
    route: 'reshelve',
  },
  {
    barcode: '=1+2',
    scannedAt: '2025-03-09T08:00:00.000Z',
    library: 'MPL',
    staff: '@admin',
    route: 'set_aside',
    reason: 'unknown_barcode',
  },
];

describe('checkinsCsv', () => {
  it('writes local and UTC time, oldest first, quoted and formula-guarded, CRLF', () => {
    expect(checkinsCsv({ timeZone: chicago, checkins: rows })).toBe(
      'scanned_at_local,scanned_at_utc,library,barcode,staff,route,destination,reason\r\n' +
        `2025-03-09 03:00:00,2025-03-09T08:00:00.000Z,MPL,'=1+2,'@admin,set_aside,,unknown_barcode\r\n` +
        // The fall-back hour: 01:30 CDT, then 01:10 CST, in the order they happened.
        '2025-11-02 01:30:00,2025-11-02T06:30:00.250Z,MPL,30234000000004,jd,reshelve,,\r\n' +
        '2025-11-02 01:10:00,2025-11-02T07:10:00.999Z,MPL,30234000000003,"lee, ann",hold_transit,NPL,\r\n',
    );
  });

  it('normalises a scan time given with an offset to UTC', () => {
    const [row] = rows;
    if (row === undefined) throw new Error('no row');
    const text = checkinsCsv({
      timeZone: chicago,
      checkins: [{ ...row, scannedAt: '2025-11-02T01:10:00.999-06:00' }],
    });
    expect(text.split('\r\n')[1]).toMatch(/^2025-11-02 01:10:00,2025-11-02T07:10:00\.999Z,/);
  });

  it('reads back through a CSV parser under its header', () => {
    const records: unknown = parse(checkinsCsv({ timeZone: chicago, checkins: rows }), {
      columns: true,
    });
    expect(records).toHaveLength(3);
    expect(records).toContainEqual({
      scanned_at_local: '2025-11-02 01:10:00',
      scanned_at_utc: '2025-11-02T07:10:00.999Z',
      library: 'MPL',
      barcode: '30234000000003',
      staff: 'lee, ann',
      route: 'hold_transit',
      destination: 'NPL',
      reason: '',
    });
  });

  it('is the header alone with no check-ins', () => {
    expect(checkinsCsv({ timeZone: chicago, checkins: [] })).toBe(
      `${checkinsCsvHeader.join(',')}\r\n`,
    );
  });

  it('refuses a scan time that is not an instant', () => {
    const [row] = rows;
    if (row === undefined) throw new Error('no row');
    expect(() =>
      checkinsCsv({ timeZone: chicago, checkins: [{ ...row, scannedAt: '2025-11-02' }] }),
    ).toThrow(RangeError);
  });
});
