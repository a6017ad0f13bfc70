// Setting a desk up without a server: the demo consortium and a standalone library.
import { afterEach, describe, expect, it } from 'vitest';
import { demoConsortium } from '../../main/setup/index.js';
import { readScan, type DeskResult } from '../../shared/index.js';
import { openTestDesk, type TestDesk } from '../support/desk.js';

let desk: TestDesk;
afterEach(async () => {
  await desk.close();
});

function value<T>(result: DeskResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

describe('the demo consortium', () => {
  it('makes the desk a desk of a demo library, with data to scan, once however often loaded', async () => {
    desk = await openTestDesk({ library: 'MAIN', libraries: [], staff: '' });
    const status = value(await desk.api.desk.loadDemo({ libraryCode: 'EAST' }));
    expect(status.library).toMatchObject({ code: 'EAST', name: 'Eastbrook Library' });
    value(await desk.api.staff.signIn({ initials: 'JD' }));
    expect(value(await desk.api.desk.libraries({})).map((library) => library.code)).toEqual([
      'EAST',
      'NORTH',
      'RIVER',
      'WEST',
    ]);
    const counts = async () =>
      Promise.all(
        (['libraries', 'items', 'holds', 'notes'] as const).map((name) =>
          desk.ctx.store.db[name].count().exec(),
        ),
      );
    const first = await counts();
    expect(first[1]).toBeGreaterThan(500);
    expect(first[2]).toBeGreaterThan(20);
    value(await desk.api.desk.loadDemo({}));
    expect(await counts()).toEqual(first);
    expect(value(await desk.api.desk.status({})).library?.code).toBe('NORTH');

    // Every demo barcode passes its library's check-digit rule, and a scan routes.
    const demo = demoConsortium(new Date());
    for (const item of demo.items.slice(0, 50)) {
      expect(readScan(item.barcode, demo.libraries)).toMatchObject({ ok: true });
    }
    const eastItem = demo.items.find((item) => item.owner === 'EAST')!;
    const scanned = value(await desk.api.checkin.scan({ barcode: eastItem.barcode }));
    expect(scanned.outcome.route).not.toBe('set_aside');
    // No demo hold carries anything that looks like real patron data.
    for (const hold of demo.holds) {
      expect(hold.patronRef).toMatch(/^DEMO-P\d{4}$/);
      expect(hold.shelfName).toMatch(/^DEMO-\d+$/);
    }
  });

  it('refuses an unknown library, and any desk enrolled with a server', async () => {
    desk = await openTestDesk({ library: 'MAIN', libraries: [], staff: '' });
    expect(await desk.api.desk.loadDemo({ libraryCode: 'MAIN' })).toMatchObject({
      ok: false,
      error: { code: 'library_unknown' },
    });
    expect(await desk.ctx.store.db.items.count().exec()).toBe(0);
    desk.ctx.updateSettings((settings) => ({
      ...settings,
      sync: {
        serverUrl: 'http://127.0.0.1:9',
        token: 't'.repeat(43),
        deskId: settings.deskId,
        library: 'EAST',
        enrolledAt: '2026-11-23T15:00:00.000Z',
      },
    }));
    expect(await desk.api.desk.loadDemo({})).toMatchObject({
      ok: false,
      error: { code: 'desk_enrolled' },
    });
    expect(
      await desk.api.desk.setUpStandalone({ libraryCode: 'SOLO', libraryName: 'Solo' }),
    ).toMatchObject({ ok: false, error: { code: 'desk_enrolled' } });
    expect(await desk.ctx.store.db.items.count().exec()).toBe(0);
  });
});

describe('a standalone desk', () => {
  it('works for the one library it was given', async () => {
    desk = await openTestDesk({ library: 'MAIN', libraries: [], staff: '' });
    const status = value(
      await desk.api.desk.setUpStandalone({ libraryCode: 'solo', libraryName: ' Solo Town ' }),
    );
    expect(status.library).toEqual({ code: 'SOLO', name: 'Solo Town' });
    value(await desk.api.staff.signIn({ initials: 'JD' }));
    const scanned = value(await desk.api.checkin.scan({ barcode: '12345' }));
    expect(scanned.outcome).toEqual({ route: 'set_aside', reason: 'unknown_barcode' });
    value(await desk.api.desk.setUpStandalone({ libraryCode: 'SOLO', libraryName: 'Solo City' }));
    expect(value(await desk.api.desk.libraries({}))).toEqual([{ code: 'SOLO', name: 'Solo City' }]);
  });
});
