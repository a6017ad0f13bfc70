// Two desks of two libraries against the real consortium server (server/app.ts): enrolled
// with codes, a check-in at one sending an item in a crate to the other, the other desk
// receiving that crate, a desk working through a server outage and catching up, and both
// desks holding exactly what the server holds for them at the end.
//
// Each desk runs in its own process (test/fixtures/sync-desk.ts, startDesk with the WebSocket
// bridge): RxDB's open-source build opens at most 13 collections per process and a desk has 8.
// The test drives the desks through the same WebSocket client the browser UI uses.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeskCollectionName, WireDocument } from '../../shared/index.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';
import {
  deskView,
  expectConverged,
  inSync,
  serverView,
  startDeskProcess,
  syncUntil,
  value,
  type RunningDesk,
} from '../support/sync-desks.js';

/** What this test needs of server/app.ts (the server engineer's signature). */
interface ConsortiumServer {
  readonly url: string;
  readonly adminToken: string;
  createEnrolmentCode(library: string): Promise<string>;
  importDocuments(collection: DeskCollectionName, docs: readonly object[]): Promise<void>;
  close(): Promise<void>;
}
interface ServerModule {
  readonly startConsortiumServer: (options: {
    dataDir: string;
    host?: string;
    port?: number;
    adminToken?: string;
  }) => Promise<ConsortiumServer>;
}

const serverModule = resolve('server/app.ts');

/** Imported at run time, so this file typechecks whether or not the server exists yet. */
async function startServer(dataDir: string, port?: number): Promise<ConsortiumServer> {
  const { startConsortiumServer } = (await import(
    pathToFileURL(serverModule).href
  )) as ServerModule;
  return startConsortiumServer({
    dataDir,
    host: '127.0.0.1',
    ...(port === undefined ? {} : { port }),
    adminToken: 'admin-token-for-the-two-desk-test',
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'carrel-two-desks-'));
const running: RunningDesk[] = [];
let server: ConsortiumServer | undefined;
afterAll(async () => {
  for (const desk of running) await desk.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!existsSync('server/app.ts'))('two desks and the consortium server', () => {
  it(
    'moves a crate between libraries, survives an outage, and converges',
    { timeout: 180_000 },
    async () => {
      const serverDir = join(scratch, 'server');
      server = await startServer(serverDir);
      const port = Number(new URL(server.url).port);

      // The consortium: MAIN and EAST; an item of MAIN wanted by a patron picking up at EAST.
      const libraries = consortium.filter((library) => library.code !== 'WEST');
      const wanted = itemBarcode('33907', 11);
      const goingHome = itemBarcode('33908', 21);
      const waiting = hold(`bib-${wanted.slice(-6)}`, 'EAST');
      await server.importDocuments('libraries', libraries);
      await server.importDocuments('items', [item(wanted, 'MAIN'), item(goingHome, 'EAST')]);
      await server.importDocuments('holds', [waiting]);

      const main = await startDeskProcess(join(scratch, 'main'));
      running.push(main);
      const east = await startDeskProcess(join(scratch, 'east'));
      running.push(east);
      const enrolled = {
        main: value(
          await main.client.sync.enrol({
            serverUrl: server.url,
            code: await server.createEnrolmentCode('MAIN'),
            deskName: 'Main circulation',
          }),
        ),
        east: value(
          await east.client.sync.enrol({
            serverUrl: server.url,
            code: await server.createEnrolmentCode('EAST'),
            deskName: 'East circulation',
          }),
        ),
      };
      expect(enrolled.main).toMatchObject({ libraryCode: 'MAIN' });
      expect(enrolled.east).toMatchObject({ libraryCode: 'EAST' });
      expect(enrolled.main.deskId).not.toBe(enrolled.east.deskId);
      await syncUntil(main, inSync, 'MAIN desk first sync');
      await syncUntil(east, inSync, 'EAST desk first sync');
      expect(value(await main.client.desk.status({}))).toMatchObject({ library: { code: 'MAIN' } });
      value(await main.client.staff.signIn({ initials: 'MA' }));
      value(await east.client.staff.signIn({ initials: 'EA' }));

      // MAIN checks the wanted item in: it goes in a crate to EAST for the hold.
      const scanned = value(await main.client.checkin.scan({ barcode: wanted }));
      expect(scanned.outcome).toMatchObject({
        route: 'hold_transit',
        destination: 'EAST',
        holdId: waiting.id,
      });
      const crate = scanned.crate;
      expect(crate).toBeDefined();
      value(await main.client.crates.seal({ crateId: crate!.crateId }));
      await syncUntil(main, inSync, 'MAIN desk pushing the crate');

      // EAST sees the crate coming, with the item on its manifest, and receives it.
      await syncUntil(
        east,
        async () =>
          value(await east.client.crates.list({ direction: 'incoming' })).some(
            (incoming) => incoming.crateId === crate!.crateId && incoming.status === 'sealed',
          ),
        'the crate reaching EAST',
      );
      // MAIN's item reaches EAST too, lent by the hold and the crate it is on: the receipt
      // list shows its title, not just a barcode.
      await syncUntil(east, inSync, 'EAST desk pulling the crate and its item');
      const receipt = value(
        await east.client.crates.receive({ labelBarcode: crate!.labelBarcode }),
      );
      expect(receipt.expected).toEqual([
        expect.objectContaining({ barcode: wanted, title: `Title ${wanted.slice(-6)}` }),
      ]);
      const received = value(
        await east.client.crates.receiveItem({ crateId: crate!.crateId, barcode: wanted }),
      );
      // The item was captured for EAST's hold: it goes on EAST's hold shelf, and EAST's
      // change to it (on the hold shelf) is a write the server takes from EAST.
      expect(received.checkin.outcome).toMatchObject({
        route: 'hold_here',
        destination: 'EAST',
        holdId: waiting.id,
        transitReceived: true,
      });
      expect(received.checkin.holdSlip?.holdId).toBe(waiting.id);
      await syncUntil(east, inSync, 'EAST desk pushing the receipt');
      await syncUntil(
        main,
        async () =>
          value(await main.client.crates.list({ direction: 'outgoing' })).some(
            (outgoing) => outgoing.crateId === crate!.crateId && outgoing.status === 'received',
          ),
        'MAIN seeing its crate received',
      );

      // The server goes away; MAIN keeps checking in, and says it is offline with work waiting.
      await server.close();
      server = undefined;
      const offline = value(await main.client.checkin.scan({ barcode: goingHome }));
      expect(offline.outcome).toMatchObject({ route: 'return_home', destination: 'EAST' });
      const waitingStatus = await syncUntil(
        main,
        (status) => status.state === 'offline' && status.pending > 0,
        'MAIN offline with pending changes',
      );
      expect(waitingStatus.error).toMatchObject({ code: 'server_unreachable' });

      // The server is back on its port and data; MAIN catches up and EAST gets the new crate.
      server = await startServer(serverDir, port);
      const caughtUp = await syncUntil(main, inSync, 'MAIN catching up after the outage');
      expect(caughtUp.lastSuccessAt).not.toBeNull();
      await syncUntil(
        east,
        async () =>
          value(await east.client.crates.list({ direction: 'incoming' })).some(
            (incoming) => incoming.crateId === offline.crate?.crateId,
          ),
        'the crate packed offline reaching EAST',
      );
      await syncUntil(east, inSync, 'EAST in sync');
      await syncUntil(main, inSync, 'MAIN in sync');

      // Both desks hold what the server holds for them.
      const tokens = Object.fromEntries(
        running.map((desk) => {
          const settings = JSON.parse(readFileSync(join(desk.dataDir, 'desk.json'), 'utf8')) as {
            sync: { token: string; deskId: string };
          };
          return [desk.dataDir, settings.sync];
        }),
      );
      const views = new Map<string, Map<DeskCollectionName, WireDocument[]>>();
      for (const desk of running) {
        const settings = tokens[desk.dataDir];
        if (!settings) throw new Error('no sync settings');
        views.set(desk.dataDir, await serverView(server.url, settings.token));
      }
      for (const desk of running.splice(0)) {
        await desk.close();
        const settings = tokens[desk.dataDir];
        const serverSide = views.get(desk.dataDir);
        if (!settings || !serverSide) throw new Error('no view');
        expectConverged(await deskView(desk.dataDir), serverSide, settings.deskId);
      }
    },
  );
});
