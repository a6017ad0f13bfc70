// The desk's own reports through the API, on a real store.
import { afterEach, describe, expect, it } from 'vitest';
import { hold, item, itemBarcode, openTestDesk, type TestDesk } from '../support/desk.js';

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

describe('desk reports', () => {
  it('counts check-ins by day and outcome, crates each way, courier turnaround, what waits', async () => {
    const toEast = [1, 2, 3].map((n) => itemBarcode('33908', n));
    const own = itemBarcode('33907', 9);
    const shelved = itemBarcode('33907', 10);
    desk = await openTestDesk({
      library: 'MAIN',
      items: [...toEast.map((b) => item(b, 'EAST')), item(own, 'MAIN'), item(shelved, 'MAIN')],
      holds: [
        hold(`bib-${shelved.slice(-6)}`, 'MAIN', {
          status: 'on_shelf',
          capturedItemBarcode: shelved,
          shelvedAt: '2026-11-10T00:00:00.000Z',
          expiresOn: '2026-11-17',
        }),
      ],
    });
    let crateId = '';
    for (const barcode of toEast) {
      desk.advance(60_000);
      const answer = await desk.api.checkin.scan({ barcode });
      if (answer.ok) crateId = answer.value.crate?.crateId ?? crateId;
    }
    desk.advance(60_000);
    await desk.api.checkin.scan({ barcode: own });
    expect(await desk.api.reports.waiting({})).toMatchObject({
      ok: true,
      value: { openCrates: 1, onHoldShelf: 1, expiredOnHoldShelf: 1 },
    });
    const sealed = await desk.api.crates.seal({ crateId });

    desk.becomeLibrary('EAST');
    expect(await desk.api.reports.waiting({})).toMatchObject({
      ok: true,
      value: {
        cratesInTransitHere: 1,
        oldestInTransitSince: sealed.ok ? sealed.value.sealedAt : '',
      },
    });
    desk.advance(26 * 3_600_000);
    await desk.api.crates.receive({ labelBarcode: sealed.ok ? sealed.value.labelBarcode : '' });
    for (const barcode of toEast.slice(0, 2)) {
      desk.advance(1000);
      await desk.api.crates.receiveItem({ crateId, barcode });
    }
    await desk.api.crates.close({ crateId });

    const traffic = await desk.api.reports.crateTraffic({ from: '2026-11-23', to: '2026-11-24' });
    expect(traffic).toEqual({
      ok: true,
      value: {
        traffic: [
          { library: 'MAIN', sentCrates: 0, sentItems: 0, receivedCrates: 1, receivedItems: 2 },
        ],
        turnaround: [{ from: 'MAIN', to: 'EAST', crates: 1, medianHours: 26, p90Hours: 26 }],
      },
    });
    desk.becomeLibrary('MAIN');
    const sent = await desk.api.reports.crateTraffic({ from: '2026-11-23', to: '2026-11-23' });
    expect(sent.ok && sent.value.traffic).toEqual([
      { library: 'EAST', sentCrates: 1, sentItems: 3, receivedCrates: 0, receivedItems: 0 },
    ]);
    const days = await desk.api.reports.checkinsByDay({ from: '2026-11-23', to: '2026-11-24' });
    expect(days).toEqual({
      ok: true,
      value: [
        { day: '2026-11-23', route: 'reshelve', count: 1 },
        { day: '2026-11-23', route: 'return_home', count: 3 },
      ],
    });
    expect(
      await desk.api.reports.checkinsByDay({ from: '2026-11-24', to: '2026-11-23' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'range_invalid' },
    });
  });
});
