// Two desks capture a copy each for the same hold while the server is away. When they sync,
// the earlier capture wins everywhere, and the desk that lost is told and its item routed
// again: out of the crate it was dropped into and back on its own shelf. Real server, two
// desks in their own processes, the order of reconnection chosen to be the hard one (the
// later capture reaches the server first).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import type { DeskEvents } from '../../shared/index.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';
import {
  enrolAndSignIn,
  inSync,
  serverView,
  startDeskProcess,
  syncUntil,
  value,
  type RunningDesk,
} from '../support/sync-desks.js';

const scratch = mkdtempSync(join(tmpdir(), 'carrel-contested-'));
const running: RunningDesk[] = [];
let server: ConsortiumServer | undefined;
afterAll(async () => {
  for (const desk of running) await desk.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

const start = (port?: number) =>
  startConsortiumServer({
    dataDir: join(scratch, 'server'),
    host: '127.0.0.1',
    ...(port === undefined ? {} : { port }),
  });

describe('a hold captured at two desks offline', () => {
  it(
    'keeps the earlier capture and routes the other copy again',
    { timeout: 180_000 },
    async () => {
      server = await start();
      const port = Number(new URL(server.url).port);
      const mainCopy = itemBarcode('33907', 31);
      const eastCopy = itemBarcode('33908', 32);
      // Picked up at EAST, pulled at MAIN: both desks see it, either copy fills it.
      const contested = hold('bib-contested', 'EAST', { pullLibrary: 'MAIN' });
      await server.importDocuments(
        'libraries',
        consortium.filter((library) => library.code !== 'WEST'),
      );
      await server.importDocuments('items', [
        item(mainCopy, 'MAIN', { bibId: 'bib-contested' }),
        item(eastCopy, 'EAST', { bibId: 'bib-contested' }),
      ]);
      await server.importDocuments('holds', [contested]);

      const main = await startDeskProcess(join(scratch, 'main'));
      running.push(main);
      const east = await startDeskProcess(join(scratch, 'east'));
      running.push(east);
      await enrolAndSignIn(main, server, 'MAIN');
      await enrolAndSignIn(east, server, 'EAST');
      const lost: DeskEvents['holds.captureLost'][] = [];
      main.client.on('holds.captureLost', (payload) => lost.push(payload));

      // The server goes away. EAST captures its copy first (hold shelf), MAIN a moment later
      // (in a crate to EAST).
      await server.close();
      server = undefined;
      const atEast = value(await east.client.checkin.scan({ barcode: eastCopy }));
      expect(atEast.outcome).toMatchObject({ route: 'hold_here', holdId: contested.id });
      await new Promise((wait) => setTimeout(wait, 50));
      const atMain = value(await main.client.checkin.scan({ barcode: mainCopy }));
      expect(atMain.outcome).toMatchObject({ route: 'hold_transit', holdId: contested.id });
      expect(atMain.crate?.count).toBe(1);

      // The server returns. MAIN's later capture reaches it first; then EAST's earlier one.
      server = await start(port);
      await syncUntil(main, inSync, 'MAIN pushing its capture');
      await syncUntil(east, inSync, 'EAST pushing its earlier capture');
      await syncUntil(main, () => lost.length > 0, 'MAIN told that its capture was lost');

      // MAIN: told once, its copy routed again (its own item: back on the shelf) and out of the
      // crate to EAST.
      expect(lost).toHaveLength(1);
      expect(lost[0]).toMatchObject({ holdId: contested.id, barcode: mainCopy });
      expect(lost[0]!.checkin).toMatchObject({
        outcome: { route: 'reshelve' },
        rerouteOf: atMain.checkinId,
      });
      const crate = value(await main.client.crates.get({ crateId: atMain.crate!.crateId }));
      expect(crate.items).toEqual([]);

      // Everyone ends with EAST's capture, once.
      await syncUntil(main, inSync, 'MAIN pushing its re-routing');
      for (const desk of [main, east]) {
        const pull = value(await desk.client.holds.pullList({}));
        expect(pull.some((entry) => entry.holdId === contested.id)).toBe(false);
      }
      const shelf = value(await east.client.holds.holdShelf({}));
      expect(shelf.find((entry) => entry.holdId === contested.id)).toMatchObject({
        itemBarcode: eastCopy,
        status: 'on_shelf',
      });
      const settings = JSON.parse(readFileSync(join(main.dataDir, 'desk.json'), 'utf8')) as {
        sync: { token: string };
      };
      const onServer = (await serverView(server.url, settings.sync.token))
        .get('holds')
        ?.find((doc) => doc['id'] === contested.id);
      expect(onServer).toMatchObject({
        status: 'on_shelf',
        capturedItemBarcode: eastCopy,
        pickupLibrary: 'EAST',
      });
    },
  );
});
