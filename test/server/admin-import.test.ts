// ILS imports through a real server: each ILS's export shape, re-imports that change nothing,
// files with bad rows refused whole, and holds that never move back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport } from '../../server/admin/index.js';
import { holdIdFor } from '../../server/admin/index.js';
import type { WireDocument } from '../../shared/index.js';
import { fixture, startAdminTestServer, type AdminTestServer } from './admin-support.js';

let t: AdminTestServer;
const desks: Record<string, { deskId: string; token: string }> = {};

beforeAll(async () => {
  t = await startAdminTestServer();
  await t.addMembers();
  for (const library of ['NORTH', 'SOUTH', 'WEST']) desks[library] = await t.enrolDesk(library);
});
afterAll(async () => {
  await t.close();
});

const token = (library: string) => desks[library]?.token ?? '';
const importFile = (kind: string, format: string, name: string, query = '') =>
  t.call<ImportReport & { error?: { code: string }; report?: ImportReport }>(
    'POST',
    `/v1/admin/ils-import/${kind}?format=${format}${query}`,
    { csv: fixture(name) },
  );
const byKey = (docs: WireDocument[], key: string) =>
  new Map(docs.map((doc) => [String(doc[key]), doc]));

describe('ILS import', () => {
  it('refuses a file with bad rows whole, naming each line and reason', async () => {
    const refused = await importFile('items', 'koha', 'koha-items-bad.csv');
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe('import_rejected');
    expect(refused.body.report?.rejected).toEqual([
      { line: 3, reason: 'no member library ATLANTIS' },
      { line: 4, reason: 'no title' },
      { line: 5, reason: 'has 4 cells where the header has 9' },
      { line: 6, reason: 'itemlost "maybe" is not a number' },
      { line: 7, reason: 'the same item as line 2' },
    ]);
    expect(refused.body.report?.written).toBe(false);
    const north = await t.pull(token('NORTH'), 'items');
    expect(north.documents.map((doc) => doc['barcode'])).not.toContain('31234000000037');

    // Asked to, it writes the good rows and still lists the bad ones.
    const skipping = await importFile('items', 'koha', 'koha-items-bad.csv', '&skipBadRows=true');
    expect(skipping.status).toBe(200);
    expect(skipping.body).toMatchObject({ created: 1, written: true });
    expect(skipping.body.rejected).toHaveLength(5);
    const after = byKey((await t.pull(token('NORTH'), 'items')).documents, 'barcode');
    expect(after.get('31234000000037')).toMatchObject({ title: 'Good One', owner: 'NORTH' });
  });

  it('names the line a bad row starts on, past quoted line breaks and blank lines', async () => {
    const csv =
      'barcode,biblionumber,title,homebranch\r\n' +
      'B1,1,"two\r\nlines",NORTH\r\n' +
      '\r\n' +
      'B2,2,,NORTH\r\n' +
      'B3,3,"three\nline\ntitle",NOWHERE\r\n';
    const refused = await t.call<{ report: ImportReport }>(
      'POST',
      '/v1/admin/ils-import/items?format=koha',
      { csv },
    );
    expect(refused.body.report.rejected).toEqual([
      { line: 5, reason: 'no title' },
      { line: 6, reason: 'no member library NOWHERE' },
    ]);
  });

  it('refuses text that is not CSV, and a file without the columns of its ILS', async () => {
    const broken = await importFile('items', 'koha', 'koha-items-broken.csv');
    expect(broken.status).toBe(400);
    expect(broken.body.error?.code).toBe('csv_malformed');
    const wrongIls = await importFile('items', 'symphony', 'koha-items.csv');
    expect(wrongIls.status).toBe(400);
    expect(wrongIls.body.error?.code).toBe('csv_columns_missing');
    const unknownFormat = await importFile('items', 'polaris', 'koha-items.csv');
    expect(unknownFormat.status).toBe(400);
    expect(unknownFormat.body.error?.code).toBe('invalid_request');
    const noToken = await t.call(
      'POST',
      '/v1/admin/ils-import/items?format=koha',
      { csv: fixture('koha-items.csv') },
      token('NORTH'),
    );
    expect(noToken.status).toBe(401);
  });

  it('imports Koha items (BOM, CRLF, quotes, a multi-line title) and counts ignored columns', async () => {
    const report = await importFile('items', 'koha', 'koha-items.csv');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      rows: 6,
      created: 6,
      updated: 0,
      unchanged: 0,
      written: true,
    });
    expect(report.body.rejected).toEqual([]);
    expect(report.body.ignoredColumns).toEqual([
      'author',
      'holdingbranch',
      'ccode',
      'itemnotes_nonpublic',
    ]);
    const north = byKey((await t.pull(token('NORTH'), 'items')).documents, 'barcode');
    expect(north.get('31234000000011')).toMatchObject({
      title: 'Snow, Glass, Apples',
      callNumber: 'FIC GAI',
      owner: 'NORTH',
      location: 'NORTH',
      status: 'available',
      floating: false,
      deskId: 'server',
    });
    expect(north.get('31234000000029')).toMatchObject({
      title: 'The "Quoted" Title',
      status: 'checked_out',
    });
    // Ignored columns are never stored: not the author, not a staff note with a phone number.
    expect(north.get('31234000000029')).not.toHaveProperty('author');
    expect(JSON.stringify([...north.values()])).not.toContain('555-0100');
    const south = byKey((await t.pull(token('SOUTH'), 'items')).documents, 'barcode');
    expect(south.get('31235000000012')?.['status']).toBe('lost');
    expect(south.get('31235000000020')?.['status']).toBe('missing');
    expect(south.get('31235000000038')?.['status']).toBe('withdrawn');
    const west = byKey((await t.pull(token('WEST'), 'items')).documents, 'barcode');
    expect(west.get('31236000000013')).toMatchObject({
      title: 'Multi-line\nTitle',
      status: 'damaged',
    });
  });

  it('changes nothing when the same file comes again: no new version reaches any desk', async () => {
    const before = await t.pull(token('NORTH'), 'items');
    const again = await importFile('items', 'koha', 'koha-items.csv');
    expect(again.body).toMatchObject({ created: 0, updated: 0, unchanged: 6, written: false });
    const after = await t.pull(token('NORTH'), 'items');
    expect(after.seq).toBe(before.seq);
    expect(after.documents).toEqual(before.documents);
  });

  it('keeps where a desk put an item, and a desk-made transit over an ILS "available"', async () => {
    const north = byKey((await t.pull(token('NORTH'), 'items')).documents, 'barcode');
    const master = north.get('31234000000011');
    if (!master) throw new Error('not imported');
    const moved = {
      ...master,
      status: 'in_transit',
      updatedAt: '2026-11-23T15:00:00.000Z',
      deskId: desks['NORTH']?.deskId ?? '',
    };
    expect(
      (
        await t.push(token('NORTH'), 'items', [
          { assumedMasterState: master, newDocumentState: moved },
        ])
      ).body.conflicts,
    ).toEqual([]);
    const again = await importFile('items', 'koha', 'koha-items.csv');
    expect(again.body).toMatchObject({ updated: 0, unchanged: 6 });
    const after = byKey((await t.pull(token('NORTH'), 'items')).documents, 'barcode');
    expect(after.get('31234000000011')?.['status']).toBe('in_transit');
  });

  it('imports Koha holds with a patron reference and shelf name only, never names or emails', async () => {
    const report = await importFile('holds', 'koha', 'koha-holds.csv');
    expect(report.status).toBe(200);
    // Hold 504 was cancelled in Koha before Carrel ever had it: nothing to bring.
    expect(report.body).toMatchObject({ rows: 4, created: 3, skipped: 1, written: true });
    expect(report.body.ignoredColumns).toEqual(['surname', 'firstname', 'email', 'phone']);
    const holds = byKey((await t.pull(token('NORTH'), 'holds')).documents, 'id');
    const pending = holds.get(holdIdFor('501'));
    expect(pending).toMatchObject({
      bibId: '1001',
      patronRef: '9001',
      shelfName: 'SMITH J 0101',
      pickupLibrary: 'SOUTH',
      pullLibrary: 'NORTH',
      status: 'pending',
      // Midnight on 2 November in Chicago (CST, UTC-6).
      requestedAt: '2026-11-02T06:00:00.000Z',
    });
    expect(pending).not.toHaveProperty('itemBarcode');
    // Koha's expiry of a request still pending is not a last day on the hold shelf.
    expect(pending).not.toHaveProperty('expiresOn');
    expect(holds.get(holdIdFor('502'))).toMatchObject({
      itemBarcode: '31235000000012',
      requestedAt: '2026-11-03T15:15:00.000Z',
    });
    expect(holds.get(holdIdFor('503'))).toMatchObject({
      status: 'on_shelf',
      capturedItemBarcode: '31234000000029',
      shelvedAt: '2026-11-10T06:00:00.000Z',
      expiresOn: '2026-11-17',
    });
    const everything = JSON.stringify([
      ...(await t.pull(token('NORTH'), 'holds')).documents,
      ...(await t.pull(token('SOUTH'), 'holds')).documents,
      ...(await t.pull(token('WEST'), 'holds')).documents,
    ]);
    for (const secret of ['Smith', 'Jane', 'jane@example.org', '555-0101', 'Green']) {
      expect(everything).not.toContain(secret);
    }
  });

  it('never takes a hold back: a capture made at a desk survives a re-import saying pending', async () => {
    const north = byKey((await t.pull(token('NORTH'), 'holds')).documents, 'id');
    const master = north.get(holdIdFor('501'));
    if (!master) throw new Error('not imported');
    const captured = {
      ...master,
      status: 'in_transit',
      capturedAt: '2026-11-23T15:00:00.000Z',
      capturedItemBarcode: '31234000000037',
      updatedAt: '2026-11-23T15:00:00.000Z',
      deskId: desks['NORTH']?.deskId ?? '',
    };
    const pushed = await t.push(token('NORTH'), 'holds', [
      { assumedMasterState: master, newDocumentState: captured },
    ]);
    expect(pushed.body.conflicts).toEqual([]);
    const before = await t.pull(token('NORTH'), 'holds');
    const again = await importFile('holds', 'koha', 'koha-holds.csv');
    expect(again.body).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 3,
      skipped: 1,
      written: false,
    });
    const after = await t.pull(token('NORTH'), 'holds');
    expect(after.seq).toBe(before.seq);
    expect(byKey(after.documents, 'id').get(holdIdFor('501'))).toMatchObject({
      status: 'in_transit',
      capturedItemBarcode: '31234000000037',
    });
  });

  it('ends a hold the ILS cancelled, dropping its patron fields, and leaves an ended hold alone', async () => {
    const cancelled = fixture('koha-holds.csv').replace(
      '2026-11-02,,,2027-05-02,,SMITH J 0101',
      '2026-11-02,,,2027-05-02,2026-11-24,SMITH J 0101',
    );
    const report = await t.call<ImportReport>('POST', '/v1/admin/ils-import/holds?format=koha', {
      csv: cancelled,
    });
    expect(report.body).toMatchObject({ updated: 1, unchanged: 2 });
    const south = byKey((await t.pull(token('SOUTH'), 'holds')).documents, 'id');
    const ended = south.get(holdIdFor('501'));
    expect(ended).toMatchObject({ status: 'cancelled', capturedItemBarcode: '31234000000037' });
    expect(ended).not.toHaveProperty('patronRef');
    expect(ended).not.toHaveProperty('shelfName');
    // The original file (pending) again: the ended hold stays ended, nothing written.
    const again = await importFile('holds', 'koha', 'koha-holds.csv');
    expect(again.body).toMatchObject({ updated: 0, written: false });
  });

  it('reads Evergreen items and holds: status names, floating groups, times with offsets', async () => {
    const items = await importFile('items', 'evergreen', 'evergreen-items.csv');
    expect(items.body).toMatchObject({ rows: 4, created: 4, written: true });
    expect(items.body.ignoredColumns).toEqual(['circ_lib', 'price', 'create_date']);
    const west = byKey((await t.pull(token('WEST'), 'items')).documents, 'barcode');
    expect(west.get('31236000001003')).toMatchObject({ status: 'available', floating: true });
    expect(west.get('31236000001004')).toMatchObject({ status: 'withdrawn', floating: false });

    const holds = await importFile('holds', 'evergreen', 'evergreen-holds.csv');
    expect(holds.body).toMatchObject({ rows: 3, created: 3, written: true });
    expect(holds.body.ignoredColumns).toEqual([
      'usr_first_given_name',
      'usr_family_name',
      'usr_email',
      'hold_type',
    ]);
    const all = byKey(
      [
        ...(await t.pull(token('NORTH'), 'holds')).documents,
        ...(await t.pull(token('SOUTH'), 'holds')).documents,
        ...(await t.pull(token('WEST'), 'holds')).documents,
      ],
      'id',
    );
    expect(all.get(holdIdFor('7001'))).toMatchObject({
      status: 'pending',
      pullLibrary: 'SOUTH',
      shelfName: 'Reader 42',
      requestedAt: '2026-11-02T16:00:00.000Z',
    });
    expect(all.get(holdIdFor('7002'))).toMatchObject({
      status: 'in_transit',
      capturedItemBarcode: '31235000001002',
      capturedAt: '2026-11-05T18:00:00.000Z',
      requestedAt: '2026-11-01T13:30:00.000Z',
    });
    expect(all.get(holdIdFor('7003'))).toMatchObject({
      status: 'on_shelf',
      itemBarcode: '31236000001003',
      expiresOn: '2026-11-10',
    });
    expect(JSON.stringify([...all.values()])).not.toContain('example.org');
  });

  it('reads Symphony items and holds: current locations, US dates, inactive reasons', async () => {
    const items = await importFile('items', 'symphony', 'symphony-items.csv');
    expect(items.body).toMatchObject({ rows: 4, created: 4, written: true });
    const west = byKey((await t.pull(token('WEST'), 'items')).documents, 'barcode');
    expect(west.get('31236000002003')).toMatchObject({ status: 'on_hold_shelf', floating: true });
    expect(west.get('31236000002004')?.['status']).toBe('lost');
    const south = byKey((await t.pull(token('SOUTH'), 'items')).documents, 'barcode');
    expect(south.get('31235000002002')?.['status']).toBe('checked_out');

    const holds = await importFile('holds', 'symphony', 'symphony-holds.csv');
    // 880003 was filled in Symphony and never reached Carrel: skipped.
    expect(holds.body).toMatchObject({ rows: 3, created: 2, skipped: 1, written: true });
    expect(holds.body.ignoredColumns).toEqual(['User Name', 'User Phone']);
    const westHolds = byKey((await t.pull(token('WEST'), 'holds')).documents, 'id');
    expect(westHolds.get(holdIdFor('880002'))).toMatchObject({
      status: 'on_shelf',
      itemBarcode: '31236000002003',
      capturedItemBarcode: '31236000002003',
      requestedAt: '2026-11-01T05:00:00.000Z',
      // 1 November was still daylight time in Chicago (UTC-5), 4 November standard (UTC-6).
      shelvedAt: '2026-11-04T06:00:00.000Z',
      expiresOn: '2026-11-11',
    });
    const southHolds = byKey((await t.pull(token('SOUTH'), 'holds')).documents, 'id');
    expect(southHolds.get(holdIdFor('880001'))).toMatchObject({
      status: 'pending',
      requestedAt: '2026-11-02T06:00:00.000Z',
    });
    expect(JSON.stringify([...southHolds.values(), ...westHolds.values()])).not.toContain('555-01');
  });

  it('checks but writes nothing on a dry run', async () => {
    const changed = fixture('symphony-items.csv').replace('Symphony No. 9', 'Symphony No. 5');
    const before = await t.pull(token('NORTH'), 'items');
    const dry = await t.call<ImportReport>(
      'POST',
      '/v1/admin/ils-import/items?format=symphony&dryRun=true',
      {
        csv: changed,
      },
    );
    expect(dry.body).toMatchObject({ updated: 1, unchanged: 3, written: false });
    expect((await t.pull(token('NORTH'), 'items')).seq).toBe(before.seq);
  });
});
