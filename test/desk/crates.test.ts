// A crate's whole journey through the desk API: packed at MAIN by check-in and by hand,
// sealed with its label and manifest, received item by item at EAST (where the received
// items route on like check-ins), and closed with its discrepancies.
import { afterEach, describe, expect, it } from 'vitest';
import {
  consortium,
  hold,
  item,
  itemBarcode,
  library,
  openTestDesk,
  type TestDesk,
} from '../support/desk.js';

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

const pdfBytes = (base64: string) => Buffer.from(base64, 'base64');

describe('a crate from MAIN to EAST', () => {
  it('is packed, sealed, received with missing and extra items, and closed', async () => {
    const a = itemBarcode('33908', 1);
    const b = itemBarcode('33908', 2);
    const forHold = itemBarcode('33907', 3);
    const neverArrives = itemBarcode('33908', 4);
    const stowaway = itemBarcode('33909', 5);
    const waiting = hold(`bib-${forHold.slice(-6)}`, 'EAST');
    desk = await openTestDesk({
      library: 'MAIN',
      items: [
        item(a, 'EAST'),
        item(b, 'EAST'),
        item(forHold, 'MAIN'),
        item(neverArrives, 'EAST'),
        item(stowaway, 'WEST'),
      ],
      holds: [waiting],
    });

    // Check-in drops items for EAST into one open crate; staff add one more by hand.
    const first = await desk.api.checkin.scan({ barcode: a });
    if (!first.ok) throw new Error(first.error.message);
    const crateId = first.value.crate!.crateId;
    desk.advance(1000);
    await desk.api.checkin.scan({ barcode: forHold });
    desk.advance(1000);
    expect(await desk.api.crates.addItem({ crateId, barcode: neverArrives })).toMatchObject({
      ok: true,
      value: { crate: { count: 3 } },
    });
    expect(await desk.api.crates.addItem({ crateId, barcode: neverArrives })).toMatchObject({
      ok: false,
      error: { code: 'crate_item_already_in_crate' },
    });
    desk.advance(1000);
    await desk.api.crates.addItem({ crateId, barcode: b });
    expect(await desk.api.crates.removeItem({ crateId, barcode: b })).toMatchObject({
      ok: true,
      value: { crate: { count: 3 } },
    });

    // An item already packed here is set aside if checked in again.
    desk.advance(30_000);
    const again = await desk.api.checkin.scan({ barcode: a });
    expect(again.ok && again.value.outcome).toEqual({ route: 'set_aside', reason: 'in_crate' });

    // Documents need a sealed crate.
    expect(await desk.api.crates.label({ crateId })).toMatchObject({
      ok: false,
      error: { code: 'crate_wrong_state' },
    });
    const sealed = await desk.api.crates.seal({ crateId });
    expect(sealed).toMatchObject({ ok: true, value: { status: 'sealed', count: 3 } });
    expect(await desk.api.crates.addItem({ crateId, barcode: b })).toMatchObject({
      ok: false,
      error: { code: 'crate_wrong_state' },
    });
    const label = await desk.api.crates.label({ crateId });
    expect(label.ok && pdfBytes(label.value.base64).subarray(0, 5).toString()).toBe('%PDF-');
    const csv = await desk.api.crates.manifest({ crateId, format: 'csv' });
    if (!csv.ok) throw new Error(csv.error.message);
    const lines = pdfBytes(csv.value.base64).toString('utf8').trim().split('\r\n');
    expect(lines[0]).toBe('barcode,title,call_number,hold_pickup');
    expect(lines.slice(1).map((line) => line.split(',')[0])).toEqual([a, forHold, neverArrives]);
    expect(lines[2]?.endsWith(',EAST')).toBe(true);
    const manifestPdf = await desk.api.crates.manifest({ crateId, format: 'pdf' });
    expect(manifestPdf.ok && manifestPdf.value.mimeType).toBe('application/pdf');

    // MAIN cannot receive its own outgoing crate.
    const labelBarcode = sealed.ok ? sealed.value.labelBarcode : '';
    expect(await desk.api.crates.receive({ labelBarcode })).toMatchObject({
      ok: false,
      error: { code: 'crate_wrong_library' },
    });

    // At EAST (the same store stands in for a synced one).
    desk.becomeLibrary('EAST');
    desk.advance(3_600_000);
    const receipt = await desk.api.crates.receive({ labelBarcode });
    if (!receipt.ok) throw new Error(receipt.error.message);
    expect(receipt.value.crate.status).toBe('received');
    expect(receipt.value.expected.map((i) => i.barcode)).toEqual([a, forHold, neverArrives]);
    expect(receipt.value.missing).toEqual([a, forHold, neverArrives]);

    const got = await desk.api.crates.receiveItem({ crateId, barcode: forHold });
    if (!got.ok) throw new Error(got.error.message);
    // The held item routes to EAST's hold shelf as it is received.
    expect(got.value.checkin.outcome).toMatchObject({
      route: 'hold_here',
      holdId: waiting.id,
      transitReceived: true,
    });
    desk.advance(1000);
    await desk.api.crates.receiveItem({ crateId, barcode: a });
    desk.advance(1000);
    const extra = await desk.api.crates.receiveItem({ crateId, barcode: stowaway });
    desk.advance(1000);
    const dup = await desk.api.crates.receiveItem({ crateId, barcode: a });
    if (!dup.ok || !extra.ok) throw new Error('receive failed');
    expect(dup.value.receipt).toMatchObject({
      received: [forHold, a],
      missing: [neverArrives],
      extra: [stowaway],
      duplicates: [a],
    });
    // The stowaway is WEST's: it goes on in a crate to WEST.
    expect(extra.value.checkin.outcome).toMatchObject({
      route: 'return_home',
      destination: 'WEST',
    });

    const closed = await desk.api.crates.close({ crateId, note: 'lid was open' });
    expect(closed).toMatchObject({ ok: true, value: { status: 'closed' } });
    const stored = await desk.ctx.store.db.crates.findOne(crateId).exec();
    expect(stored?.counts).toEqual({ packed: 3, received: 2, missing: 1, extra: 1 });
    expect(stored?.discrepancies).toEqual([
      { barcode: neverArrives, kind: 'missing', note: 'lid was open' },
      { barcode: stowaway, kind: 'extra', note: 'lid was open' },
    ]);
    expect(await desk.api.crates.receiveItem({ crateId, barcode: b })).toMatchObject({
      ok: false,
      error: { code: 'crate_wrong_state' },
    });
  });

  it('warns when a crate passes its capacity', async () => {
    const items = [1, 2, 3].map((n) => item(itemBarcode('33908', n), 'EAST'));
    desk = await openTestDesk({
      library: 'MAIN',
      libraries: [library('MAIN', '33907', { crateCapacity: 2 }), ...consortium.slice(1)],
      items,
    });
    const warnings: string[][] = [];
    for (const it of items) {
      desk.advance(1000);
      const answer = await desk.api.checkin.scan({ barcode: it.barcode });
      warnings.push(answer.ok ? answer.value.warnings.map((w) => w.code) : []);
    }
    expect(warnings).toEqual([['crate_opened'], [], ['crate_over_capacity']]);
  });

  it('refuses crates to unknown libraries and to itself, and reopens the open one', async () => {
    desk = await openTestDesk({ library: 'MAIN' });
    expect(await desk.api.crates.open({ destination: 'NOPE' })).toMatchObject({
      ok: false,
      error: { code: 'library_unknown' },
    });
    expect(await desk.api.crates.open({ destination: 'MAIN' })).toMatchObject({
      ok: false,
      error: { code: 'crate_to_self' },
    });
    const one = await desk.api.crates.open({ destination: 'WEST' });
    const two = await desk.api.crates.open({ destination: 'WEST' });
    expect(one.ok && two.ok && one.value.crateId === two.value.crateId).toBe(true);
    const list = await desk.api.crates.list({ direction: 'outgoing', status: ['open'] });
    expect(list.ok && list.value.map((c) => c.destination.code)).toEqual(['WEST']);
  });
});
