// The whole desk, started as the app starts it, used through the loopback WebSocket bridge
// by the same client the browser UI uses: real store, real socket, real handlers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startDesk, type Desk } from '../../main/app.js';
import { connectWebSocketDeskClient, type DeskConnection } from '../../shared/api/client.js';
import type { CheckinAnswer } from '../../shared/index.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';

let dir: string;
let desk: Desk | undefined;
let client: DeskConnection | undefined;
afterEach(async () => {
  await client?.close();
  await desk?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the desk over its WebSocket bridge', () => {
  it('checks items in, pushes events, and refuses what the contract does not allow', async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-ws-desk-'));
    desk = await startDesk({ dataDir: dir, version: '1.2.3', webSocket: {} });
    expect(desk.webSocket?.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/desk$/);
    // What a sync would have brought: the consortium, items and holds; this desk is MAIN.
    const held = itemBarcode('33907', 11);
    const waiting = hold(`bib-${held.slice(-6)}`, 'WEST');
    await desk.store.db.libraries.bulkInsert(consortium);
    await desk.store.db.items.bulkInsert([item(held, 'MAIN')]);
    await desk.store.db.holds.bulkInsert([waiting]);
    desk.context.updateSettings((s) => ({ ...s, libraryCode: 'MAIN' }));

    client = await connectWebSocketDeskClient({
      url: desk.webSocket!.url,
      token: desk.webSocket!.token,
      version: 'test',
      WebSocketImpl: WebSocket,
    });
    const status = await client.desk.status({});
    expect(status).toMatchObject({
      ok: true,
      value: { version: '1.2.3', library: { code: 'MAIN' } },
    });
    expect(await client.checkin.scan({ barcode: held })).toMatchObject({
      ok: false,
      error: { code: 'not_signed_in' },
    });
    await client.staff.signIn({ initials: 'KM' });

    const pushed: CheckinAnswer[] = [];
    client.on('checkin.recorded', (answer) => pushed.push(answer));
    const answer = await client.checkin.scan({ barcode: held });
    expect(answer).toMatchObject({
      ok: true,
      value: {
        outcome: { route: 'hold_transit', holdId: waiting.id, destination: 'WEST' },
        staff: 'KM',
      },
    });
    await expect.poll(() => pushed.length).toBe(1);
    expect(pushed[0]?.barcode).toBe(held);

    // The bridge validates before any handler runs: unknown fields, wrong types.
    const sneaky = client.checkin.scan as (args: unknown) => Promise<unknown>;
    expect(await sneaky({ barcode: held, library: 'EAST' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments' },
    });
    expect(await sneaky({ barcode: 33907 })).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments' },
    });
    expect(await desk.store.db.checkins.count().exec()).toBe(1);
  });
});
