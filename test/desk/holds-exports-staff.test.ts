// Hold lists, the .koc/CSV exports and staff sign-in through the desk API, on a real store.
import { afterEach, describe, expect, it } from 'vitest';
import { hold, item, itemBarcode, openTestDesk, type TestDesk } from '../support/desk.js';

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

const text = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');

describe('hold lists', () => {
  it('lists holds to pull here, oldest first, with a copy on the shelf here', async () => {
    const onShelf = itemBarcode('33907', 1);
    const older = hold(`bib-${onShelf.slice(-6)}`, 'EAST', {
      requestedAt: '2026-11-02T00:00:00.000Z',
    });
    const newer = hold('bib-none', 'WEST', { requestedAt: '2026-11-05T00:00:00.000Z' });
    const elsewhere = hold('bib-other', 'EAST', { pullLibrary: 'WEST' });
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(onShelf, 'MAIN', { status: 'available', callNumber: 'SF LEG' })],
      holds: [newer, older, elsewhere],
    });
    const list = await desk.api.holds.pullList({});
    expect(list.ok && list.value.map((h) => [h.holdId, h.itemBarcode, h.callNumber])).toEqual([
      [older.id, onShelf, 'SF LEG'],
      [newer.id, undefined, undefined],
    ]);
    const forWest = await desk.api.holds.pullList({ pickupLibrary: 'WEST' });
    expect(forWest.ok && forWest.value.map((h) => h.holdId)).toEqual([newer.id]);
  });

  it('lists expired and cancelled holds whose items are still on the shelf', async () => {
    const expired = itemBarcode('33907', 2);
    const cancelled = itemBarcode('33907', 3);
    const current = itemBarcode('33907', 4);
    const shelved = {
      status: 'on_shelf' as const,
      pickupLibrary: 'MAIN',
      shelvedAt: '2026-11-10T00:00:00.000Z',
    };
    const holds = [
      hold('b2', 'MAIN', {
        ...shelved,
        shelfName: 'ZED',
        capturedItemBarcode: expired,
        expiresOn: '2026-11-17',
      }),
      hold('b3', 'MAIN', {
        ...shelved,
        status: 'cancelled',
        shelfName: 'ABLE',
        capturedItemBarcode: cancelled,
        expiresOn: '2026-12-01',
      }),
      hold('b4', 'MAIN', {
        ...shelved,
        shelfName: 'MID',
        capturedItemBarcode: current,
        expiresOn: '2026-11-30',
      }),
    ];
    desk = await openTestDesk({
      library: 'MAIN',
      items: [expired, cancelled, current].map((b) => item(b, 'MAIN', { status: 'on_hold_shelf' })),
      holds,
    });
    const shelf = await desk.api.holds.holdShelf({});
    expect(shelf.ok && shelf.value.map((h) => h.shelfName)).toEqual(['MID', 'ZED']);
    const clear = await desk.api.holds.clearShelf({});
    expect(clear.ok && clear.value.map((h) => [h.shelfName, h.clearReason])).toEqual([
      ['ABLE', 'cancelled'],
      ['ZED', 'expired'],
    ]);
    expect(await desk.api.holds.slip({ holdId: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'hold_not_found' },
    });
  });
});

describe('exports', () => {
  it("writes this library's check-ins of a local date range as .koc and CSV", async () => {
    const barcodes = [1, 2, 3].map((n) => itemBarcode('33907', n));
    desk = await openTestDesk({ library: 'MAIN', items: barcodes.map((b) => item(b, 'MAIN')) });
    // T0 is 09:00 in Chicago on the 23rd; the second scan is the 24th locally, the third the 25th.
    await desk.api.checkin.scan({ barcode: barcodes[0]! });
    desk.advance(24 * 3_600_000);
    await desk.api.checkin.scan({ barcode: barcodes[1]! });
    desk.advance(24 * 3_600_000);
    await desk.api.checkin.scan({ barcode: barcodes[2]! });

    const koc = await desk.api.exports.checkinsKoc({ from: '2026-11-23', to: '2026-11-24' });
    if (!koc.ok) throw new Error(koc.error.message);
    expect(koc.value.fileName).toBe('MAIN-2026-11-23-2026-11-24.koc');
    const lines = text(koc.value.base64)
      .split('\n')
      .filter((line) => line !== '');
    expect(lines[0]).toBe('Version=1.0\tGenerator=Carrel\tGeneratorVersion=0.0.0-test');
    expect(lines.slice(1)).toEqual([
      `2026-11-23 09:00:00 000\treturn\t${barcodes[0]}`,
      `2026-11-24 09:00:00 000\treturn\t${barcodes[1]}`,
    ]);
    const csv = await desk.api.exports.checkinsCsv({ from: '2026-11-25', to: '2026-11-25' });
    if (!csv.ok) throw new Error(csv.error.message);
    const rows = text(csv.value.base64).trim().split('\r\n');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain(barcodes[2]);
    expect(
      await desk.api.exports.checkinsKoc({ from: '2026-11-25', to: '2026-11-23' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'range_invalid' },
    });
  });
});

describe('staff at the desk', () => {
  it('signs in with initials, and with a PIN where the desk asks for one', async () => {
    desk = await openTestDesk({ library: 'MAIN', staff: '' });
    expect(await desk.api.staff.signIn({ initials: 'ab' })).toMatchObject({
      ok: true,
      value: { initials: 'AB' },
    });
    const status = await desk.api.desk.status({});
    expect(status).toMatchObject({
      ok: true,
      value: { library: { code: 'MAIN' }, staff: { initials: 'AB' } },
    });
    await desk.api.staff.signOut({});

    desk.ctx.updateSettings((s) => ({ ...s, requirePin: true }));
    expect(await desk.api.staff.signIn({ initials: 'AB' })).toMatchObject({
      ok: false,
      error: { code: 'pin_required' },
    });
    expect(await desk.api.staff.signIn({ initials: 'AB', pin: '4821' })).toMatchObject({
      ok: true,
    });
    expect(await desk.api.staff.signIn({ initials: 'AB', pin: '1111' })).toMatchObject({
      ok: false,
      error: { code: 'pin_wrong' },
    });
    expect(await desk.api.staff.signIn({ initials: 'AB', pin: '4821' })).toMatchObject({
      ok: true,
    });
    expect(JSON.stringify(desk.ctx.settings())).not.toContain('4821');
  });
});
