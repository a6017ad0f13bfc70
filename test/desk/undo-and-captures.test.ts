// Undo of the last scan, lost hold captures routed again, and what a check-in records beside
// its answer (clock offset, live change events): through the desk API on a real SQLite store.
import { afterEach, describe, expect, it } from 'vitest';
import { reconcileCaptures } from '../../main/checkin/index.js';
import type { CheckinAnswer, DeskResult } from '../../shared/index.js';
import { T0, hold, item, itemBarcode, openTestDesk, type TestDesk } from '../support/desk.js';

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

function value<T>(result: DeskResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const eastCopy = itemBarcode('33908', 11);
const otherEastCopy = itemBarcode('33908', 12);
const mainCopy = itemBarcode('33907', 13);

describe('undoing the last scan', () => {
  it('voids the check-in, takes the item out of its crate and lets the hold wait again', async () => {
    const waiting = hold('bib-shared', 'WEST', { requestedAt: '2026-11-01T09:00:00.000Z' });
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(eastCopy, 'EAST', { bibId: 'bib-shared' })],
      holds: [waiting],
    });
    const scanned = value(await desk.api.checkin.scan({ barcode: eastCopy }));
    expect(scanned.outcome).toMatchObject({ route: 'hold_transit', holdId: waiting.id });
    expect(scanned.crate?.count).toBe(1);

    desk.advance(30_000);
    const undone = value(await desk.api.checkin.undo({ checkinId: scanned.checkinId }));
    expect(undone).toMatchObject({ checkinId: scanned.checkinId, voided: true });

    const crate = value(await desk.api.crates.get({ crateId: scanned.crate!.crateId }));
    expect(crate.items).toEqual([]);
    const released = await desk.ctx.store.db.holds.findOne(waiting.id).exec();
    expect(released?.status).toBe('pending');
    expect(released?.capturedItemBarcode).toBeUndefined();
    expect(released?.capturedAt).toBeUndefined();
    expect((await desk.ctx.store.db.items.findOne(eastCopy).exec())?.status).toBe('available');
    const record = await desk.ctx.store.db.checkins.findOne(scanned.checkinId).exec();
    expect(record?.voidedAt).toBe(new Date(Date.parse(T0) + 30_000).toISOString());
    expect(value(await desk.api.checkin.recent({}))[0]).toMatchObject({
      voided: true,
      destination: { code: 'WEST', name: 'West Library' },
    });

    // Undoing twice answers the same; scanning the item again right away is a new scan, not a
    // repeat of the undone one, and captures the hold again.
    expect(value(await desk.api.checkin.undo({ checkinId: scanned.checkinId })).voided).toBe(true);
    desk.advance(1000);
    const again = value(await desk.api.checkin.scan({ barcode: eastCopy }));
    expect(again.outcome).toMatchObject({ route: 'hold_transit', holdId: waiting.id });

    // The undone scan is not exported; the new one is.
    const csv = value(await desk.api.exports.checkinsCsv({ from: '2026-11-23', to: '2026-11-23' }));
    const lines = Buffer.from(csv.base64, 'base64').toString('utf8').trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
  });

  it('undoes only the latest scan of this desk, within ten minutes, while its crate is open', async () => {
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(eastCopy, 'EAST'), item(otherEastCopy, 'EAST'), item(mainCopy, 'MAIN')],
    });
    const first = value(await desk.api.checkin.scan({ barcode: eastCopy }));
    desk.advance(1000);
    const second = value(await desk.api.checkin.scan({ barcode: mainCopy }));
    expect(await desk.api.checkin.undo({ checkinId: first.checkinId })).toMatchObject({
      ok: false,
      error: { code: 'undo_not_latest' },
    });
    expect(await desk.api.checkin.undo({ checkinId: '01JQ0000000000000000999999' })).toMatchObject({
      ok: false,
      error: { code: 'checkin_not_found' },
    });
    desk.advance(10 * 60_000 + 1);
    expect(await desk.api.checkin.undo({ checkinId: second.checkinId })).toMatchObject({
      ok: false,
      error: { code: 'undo_too_late' },
    });

    const third = value(await desk.api.checkin.scan({ barcode: otherEastCopy }));
    value(await desk.api.crates.seal({ crateId: third.crate!.crateId }));
    expect(await desk.api.checkin.undo({ checkinId: third.checkinId })).toMatchObject({
      ok: false,
      error: { code: 'undo_too_late' },
    });
    // Nothing a refused undo touched changed.
    const record = await desk.ctx.store.db.checkins.findOne(third.checkinId).exec();
    expect(record?.voidedAt).toBeUndefined();
  });
});

describe('a hold capture lost to another desk', () => {
  it('routes the item again, out of its crate, and tells staff', async () => {
    const waiting = hold('bib-contested', 'WEST', { requestedAt: '2026-11-01T09:00:00.000Z' });
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(eastCopy, 'EAST', { bibId: 'bib-contested' })],
      holds: [waiting],
    });
    const scanned = value(await desk.api.checkin.scan({ barcode: eastCopy }));
    expect(scanned.outcome).toMatchObject({ route: 'hold_transit', destination: 'WEST' });
    expect(await reconcileCaptures(desk.ctx)).toBe(0);

    // Sync brings the server's version: another desk captured another copy a minute earlier.
    const local = await desk.ctx.store.db.holds.findOne(waiting.id).exec();
    await local!.incrementalPatch({
      status: 'in_transit',
      capturedAt: new Date(Date.parse(T0) - 60_000).toISOString(),
      capturedItemBarcode: otherEastCopy,
      deskId: '01JQ000000000000000000DESK',
    });

    desk.advance(5000);
    expect(await reconcileCaptures(desk.ctx)).toBe(1);
    const lost = desk.events.filter((event) => event.name === 'holds.captureLost');
    expect(lost).toHaveLength(1);
    const payload = lost[0]!.payload as { holdId: string; checkin?: CheckinAnswer };
    expect(payload.holdId).toBe(waiting.id);
    // Now it simply goes home to EAST, in the crate to EAST; the crate to WEST is empty.
    expect(payload.checkin?.outcome).toMatchObject({ route: 'return_home', destination: 'EAST' });
    expect(payload.checkin?.rerouteOf).toBe(scanned.checkinId);
    const toWest = value(await desk.api.crates.get({ crateId: scanned.crate!.crateId }));
    expect(toWest.items).toEqual([]);
    const record = await desk.ctx.store.db.checkins.findOne(payload.checkin!.checkinId).exec();
    expect(record?.rerouteOf).toBe(scanned.checkinId);

    // Done once: another pass finds nothing, and the re-routing is not exported as a scan.
    expect(await reconcileCaptures(desk.ctx)).toBe(0);
    const koc = value(await desk.api.exports.checkinsKoc({ from: '2026-11-23', to: '2026-11-23' }));
    const rows = Buffer.from(koc.base64, 'base64').toString('utf8').trim().split('\n');
    expect(rows.filter((row) => row.includes(eastCopy))).toHaveLength(1);
  });
});

describe('what a check-in records besides its answer', () => {
  it("carries the desk's clock offset once sync has measured it", async () => {
    desk = await openTestDesk({
      library: 'MAIN',
      items: [item(mainCopy, 'MAIN'), item(eastCopy, 'EAST')],
    });
    const before = value(await desk.api.checkin.scan({ barcode: mainCopy }));
    desk.ctx.clock.offsetMs = -93_500.4;
    desk.advance(1000);
    const after = value(await desk.api.checkin.scan({ barcode: eastCopy }));
    const rows = await desk.ctx.store.db.checkins
      .findByIds([before.checkinId, after.checkinId])
      .exec();
    expect(rows.get(before.checkinId)?.clockOffsetMs).toBeUndefined();
    expect(rows.get(after.checkinId)?.clockOffsetMs).toBe(-93_500);
    // The desk's clock ran 93.5 s fast: its export dates that scan by the server's clock.
    const koc = value(await desk.api.exports.checkinsKoc({ from: '2026-11-23', to: '2026-11-23' }));
    const lines = Buffer.from(koc.base64, 'base64').toString('utf8').trim().split('\n').slice(1);
    expect(lines).toEqual([
      `2026-11-23 08:58:27 500\treturn\t${eastCopy}`,
      `2026-11-23 09:00:00 000\treturn\t${mainCopy}`,
    ]);
  });

  it('tells the UI which collections changed, a few times a second at most', async () => {
    desk = await openTestDesk({ library: 'MAIN', items: [item(eastCopy, 'EAST')] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    desk.changes.length = 0;
    value(await desk.api.checkin.scan({ barcode: eastCopy }));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(desk.changes).toHaveLength(1);
    expect(desk.changes[0]!.collections).toEqual(['checkins', 'crateScans', 'crates', 'items']);
  });
});
