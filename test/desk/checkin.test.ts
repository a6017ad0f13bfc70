// Check-in through the desk API (the handlers the bridges serve), on a real SQLite store.
import { afterEach, describe, expect, it } from 'vitest';
import { pdfPageTexts } from '../../main/testing/index.js';
import { hold, item, itemBarcode, openTestDesk, type TestDesk } from '../support/desk.js';

const mainItem = itemBarcode('33907', 1);
const eastItem = itemBarcode('33908', 2);
const heldItem = itemBarcode('33907', 3);
const shelfItem = itemBarcode('33907', 4);

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

async function countCheckins(): Promise<number> {
  return desk.ctx.store.db.checkins.count().exec();
}

describe('checking items in', () => {
  it('reshelves an item owned here and marks it available', async () => {
    desk = await openTestDesk({ library: 'MAIN', items: [item(mainItem, 'MAIN')] });
    const answer = await desk.api.checkin.scan({ barcode: `${mainItem}\r\n` });
    expect(answer).toMatchObject({
      ok: true,
      value: { barcode: mainItem, outcome: { route: 'reshelve' } },
    });
    expect((await desk.ctx.store.db.items.findOne(mainItem).exec())?.status).toBe('available');
    expect(await countCheckins()).toBe(1);
    expect(desk.events.map((e) => e.name)).toEqual(['checkin.recorded']);
  });

  it('sends an item home in the open crate to its library, opening one if needed', async () => {
    const second = itemBarcode('33908', 5);
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(eastItem, 'EAST'), item(second, 'EAST')],
    });
    const first = await desk.api.checkin.scan({ barcode: eastItem });
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value.outcome).toMatchObject({ route: 'return_home', destination: 'EAST' });
    expect(first.value.destination).toEqual({
      code: 'EAST',
      name: 'East Library',
      courierStop: 'STOP-EAST',
    });
    expect(first.value.crate).toMatchObject({
      status: 'open',
      count: 1,
      destination: { code: 'EAST' },
    });
    expect(first.value.warnings.map((w) => w.code)).toEqual(['crate_opened']);
    expect(first.value.outcome.crateId).toBe(first.value.crate?.crateId);

    desk.advance(1000);
    const next = await desk.api.checkin.scan({ barcode: second });
    if (!next.ok) throw new Error(next.error.message);
    expect(next.value.crate?.crateId).toBe(first.value.crate?.crateId);
    expect(next.value.crate?.count).toBe(2);
    expect(next.value.warnings).toEqual([]);
    expect((await desk.ctx.store.db.items.findOne(eastItem).exec())?.status).toBe('in_transit');
  });

  it('captures a hold picked up elsewhere: hold in transit, item in the crate to the pickup library', async () => {
    const waiting = hold(`bib-${heldItem.slice(-6)}`, 'WEST');
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(heldItem, 'MAIN')],
      holds: [waiting],
    });
    const answer = await desk.api.checkin.scan({ barcode: heldItem });
    if (!answer.ok) throw new Error(answer.error.message);
    expect(answer.value.outcome).toMatchObject({
      route: 'hold_transit',
      holdId: waiting.id,
      destination: 'WEST',
    });
    const stored = await desk.ctx.store.db.holds.findOne(waiting.id).exec();
    expect(stored).toMatchObject({
      status: 'in_transit',
      capturedItemBarcode: heldItem,
      capturedAt: answer.value.scannedAt,
    });
    const crate = await desk.api.crates.get({ crateId: answer.value.crate?.crateId ?? '' });
    expect(crate.ok && crate.value.items).toEqual([
      {
        barcode: heldItem,
        title: `Title ${heldItem.slice(-6)}`,
        callNumber: 'FIC',
        forHoldAt: 'WEST',
      },
    ]);
  });

  it('puts an item for a hold picked up here on the hold shelf, with its slip', async () => {
    const waiting = hold(`bib-${shelfItem.slice(-6)}`, 'MAIN');
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(shelfItem, 'MAIN')],
      holds: [waiting],
    });
    const answer = await desk.api.checkin.scan({ barcode: shelfItem });
    if (!answer.ok) throw new Error(answer.error.message);
    expect(answer.value.outcome).toMatchObject({
      route: 'hold_here',
      shelfExpiresOn: '2026-11-30',
    });
    expect(answer.value.holdSlip).toEqual({
      holdId: waiting.id,
      shelfName: waiting.shelfName,
      expiresOn: '2026-11-30',
    });
    expect(answer.value.crate).toBeUndefined();
    expect(await desk.ctx.store.db.holds.findOne(waiting.id).exec()).toMatchObject({
      status: 'on_shelf',
      expiresOn: '2026-11-30',
      shelvedAt: answer.value.scannedAt,
    });
    expect((await desk.ctx.store.db.items.findOne(shelfItem).exec())?.status).toBe('on_hold_shelf');
    const shelf = await desk.api.holds.holdShelf({});
    expect(shelf.ok && shelf.value.map((h) => h.shelfName)).toEqual([waiting.shelfName]);
    const slip = await desk.api.holds.slip({ holdId: waiting.id });
    expect(slip.ok && Buffer.from(slip.value.base64, 'base64').subarray(0, 5).toString()).toBe(
      '%PDF-',
    );

    // Scanned again a minute later it is already on the shelf: set aside, not captured again.
    desk.advance(60_000);
    const again = await desk.api.checkin.scan({ barcode: shelfItem });
    expect(again.ok && again.value.outcome).toEqual({
      route: 'set_aside',
      reason: 'on_hold_shelf',
    });
  });

  it('sets aside a repeat scan within seconds, and records it as such', async () => {
    desk = await openTestDesk({ library: 'MAIN', items: [item(mainItem, 'MAIN')] });
    await desk.api.checkin.scan({ barcode: mainItem });
    desk.advance(2000);
    const repeat = await desk.api.checkin.scan({ barcode: mainItem });
    expect(repeat.ok && repeat.value.outcome).toEqual({
      route: 'set_aside',
      reason: 'repeat_scan',
    });
    expect(await countCheckins()).toBe(2);
  });

  it('sends an unknown item home by its prefix, and sets aside one no library claims', async () => {
    desk = await openTestDesk({ library: 'MAIN' });
    const unknownEast = itemBarcode('33908', 77);
    const answer = await desk.api.checkin.scan({ barcode: unknownEast });
    expect(answer.ok && answer.value.outcome).toMatchObject({
      route: 'return_home',
      destination: 'EAST',
    });
    const stray = await desk.api.checkin.scan({ barcode: 'X123' });
    expect(stray.ok && stray.value.outcome).toEqual({
      route: 'set_aside',
      reason: 'unknown_barcode',
    });
  });

  it.each([
    ['an empty scan', '\r\n', 'barcode_empty'],
    ['a partial scan', itemBarcode('33907', 9).slice(0, 12), 'barcode_wrong_length'],
    [
      'a wrong check digit',
      `${itemBarcode('33907', 9).slice(0, 13)}0`.replace(/9$/, '0'),
      'barcode_bad_check_digit',
    ],
    ['garbage', '33907\u0000\u00e9', 'barcode_malformed'],
  ])('refuses %s with a clear code and records nothing', async (_name, raw, code) => {
    desk = await openTestDesk({ library: 'MAIN' });
    const valid = itemBarcode('33907', 9);
    const wrong = raw.length === 14 && raw !== valid ? raw : raw;
    const answer = await desk.api.checkin.scan({ barcode: wrong });
    if (raw.length === 14 && raw === valid) return; // the replace did not change the digit
    expect(answer).toMatchObject({ ok: false, error: { code } });
    expect(await countCheckins()).toBe(0);
    expect(desk.events).toEqual([]);
  });

  it('needs a signed-in staff member and a set-up desk', async () => {
    desk = await openTestDesk({ library: 'MAIN', staff: '' });
    expect(await desk.api.checkin.scan({ barcode: mainItem })).toMatchObject({
      ok: false,
      error: { code: 'not_signed_in' },
    });
    desk.becomeLibrary('NOWHERE');
    expect(await desk.api.checkin.scan({ barcode: mainItem })).toMatchObject({
      ok: false,
      error: { code: 'desk_not_set_up' },
    });
    expect(await countCheckins()).toBe(0);
  });

  it('lists the latest check-ins, newest first', async () => {
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(mainItem, 'MAIN'), item(eastItem, 'EAST')],
    });
    await desk.api.checkin.scan({ barcode: mainItem });
    desk.advance(1000);
    await desk.api.checkin.scan({ barcode: eastItem });
    const recent = await desk.api.checkin.recent({ limit: 5 });
    expect(recent.ok && recent.value.map((c) => [c.barcode, c.outcome.route])).toEqual([
      [eastItem, 'return_home'],
      [mainItem, 'reshelve'],
    ]);
  });
});

describe('the transit slip', () => {
  it('prints where a sent item goes, and nothing about a patron', async () => {
    const waiting = hold(`bib-${eastItem.slice(-6)}`, 'WEST', { shelfName: 'SMITH-4821' });
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(eastItem, 'EAST'), item(mainItem, 'MAIN')],
      holds: [waiting],
    });
    const sent = await desk.api.checkin.scan({ barcode: eastItem });
    if (!sent.ok) throw new Error(sent.error.message);
    expect(sent.value.outcome.route).toBe('hold_transit');
    const slip = await desk.api.checkin.transitSlip({ checkinId: sent.value.checkinId });
    if (!slip.ok) throw new Error(slip.error.message);
    const [text] = pdfPageTexts(Buffer.from(slip.value.base64, 'base64'));
    expect(text).toContain('SEND TO');
    expect(text).toContain('WEST');
    expect(text).toContain('For a hold at the destination');
    expect(text).toContain(eastItem);
    expect(text).not.toContain('SMITH-4821');

    desk.advance(20_000);
    const kept = await desk.api.checkin.scan({ barcode: mainItem });
    if (!kept.ok) throw new Error(kept.error.message);
    expect(await desk.api.checkin.transitSlip({ checkinId: kept.value.checkinId })).toMatchObject({
      ok: false,
      error: { code: 'checkin_not_found' },
    });
  });
});
