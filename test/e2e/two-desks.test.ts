// Two desks (MAIN and EAST), each a desk core in its own process with its own page in
// Chromium, against the real consortium server: a hold item travels MAIN -> crate -> EAST; a
// crate arrives with one item missing and one extra and is closed with both recorded; the
// server goes away and MAIN keeps checking in, its pending count draining to zero when the
// server returns; a note edited on both desks during the outage ends as a visible conflict
// copy. Every screen on the way is screenshotted and checked with axe-core.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsortiumServer } from '../../server/app.js';
import { SYNC_BASE_PATH } from '../../shared/index.js';
import {
  launchBrowser,
  screenshot,
  seriousA11yViolations,
  type TestBrowser,
} from '../support/browser.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';
import {
  expectBanner,
  expectPending,
  goTo,
  joinConsortium,
  pressEnterOn,
  saveDocumentVia,
  scan,
  signIn,
  startServer,
  startWebDeskProcess,
  syncNow,
  typeInto,
  type WebDeskProcess,
} from './harness.js';

const scratch = mkdtempSync(join(tmpdir(), 'carrel-e2e-two-'));
const serverDir = join(scratch, 'server');
let server: ConsortiumServer | undefined;
let serverPort = 0;
const desks: WebDeskProcess[] = [];
let browser: TestBrowser;
let main: Page;
let east: Page;

const wanted = itemBarcode('33907', 21);
const home1 = itemBarcode('33908', 31);
const home2 = itemBarcode('33908', 32);
const extra = itemBarcode('33908', 33);
const offline = [41, 42, 43].map((serial) => itemBarcode('33907', serial));
const waiting = hold(`bib-${wanted.slice(-6)}`, 'EAST');
// One title, a copy at each library, one patron at EAST waiting for any copy.
const mainCopy = itemBarcode('33907', 51);
const eastCopy = itemBarcode('33908', 52);
const contested = hold('bib-contested', 'EAST');

async function checkScreen(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
}

/** A desk whose settings name MA and EA editors of consortium notes (before enrolment). */
async function startDeskWithEditors(name: string): Promise<WebDeskProcess> {
  const dataDir = join(scratch, name);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    join(dataDir, 'desk.json'),
    JSON.stringify({
      deskId: ulid(),
      libraryCode: null,
      requirePin: false,
      staffPins: {},
      editors: ['MA', 'EA'],
    }),
  );
  const desk = await startWebDeskProcess(dataDir);
  desks.push(desk);
  return desk;
}

/** Presses "Sync now" every 2 s until `done` holds (the live stream usually wins first). */
async function until(page: Page, done: () => Promise<boolean>, what: string, timeoutMs = 40_000) {
  const started = Date.now();
  let lastSync = 0;
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) {
      const logs = desks.map((desk) => desk.stderr.join('')).join('\n---\n');
      throw new Error(`timed out: ${what}\n${logs}`);
    }
    if (Date.now() - lastSync > 2_000) {
      lastSync = Date.now();
      await syncNow(page).catch(() => undefined);
    }
    await page.waitForTimeout(250);
  }
}

const statusText = async (page: Page) => (await page.getByTestId('sync-state').textContent()) ?? '';

beforeAll(async () => {
  server = await startServer(serverDir);
  serverPort = Number(new URL(server.url).port);
  const libraries = consortium.filter((library) => library.code !== 'WEST');
  await server.importDocuments('libraries', libraries);
  await server.importDocuments('items', [
    item(wanted, 'MAIN'),
    // EAST's items checked out to patrons who return them at MAIN.
    item(home1, 'EAST'),
    item(home2, 'EAST'),
    item(extra, 'EAST'),
    ...offline.map((barcode) => item(barcode, 'MAIN')),
    item(mainCopy, 'MAIN', { bibId: 'bib-contested' }),
    item(eastCopy, 'EAST', { bibId: 'bib-contested' }),
  ]);
  await server.importDocuments('holds', [waiting, contested]);

  const [mainDesk, eastDesk] = [
    await startDeskWithEditors('main'),
    await startDeskWithEditors('east'),
  ];
  browser = await launchBrowser('two-desks');
  main = await browser.newPage();
  east = await browser.newPage();
  await main.goto(mainDesk.url);
  await east.goto(eastDesk.url);
  // Editor desks: both may edit consortium notes (the server checks the role, the desk its list).
  await joinConsortium(
    main,
    server.url,
    await server.createEnrolmentCode('MAIN', 'editor'),
    'Main desk',
  );
  await joinConsortium(
    east,
    server.url,
    await server.createEnrolmentCode('EAST', 'editor'),
    'East desk',
  );
  try {
    await signIn(main, 'MA');
    await signIn(east, 'EA');
  } catch (error) {
    throw new Error(`${String(error)}\npage errors: ${browser.pageErrors.join('\n')}`, {
      cause: error,
    });
  }
  for (const page of [main, east]) {
    await page.getByTestId('sync-state').filter({ hasText: 'Online' }).waitFor({ timeout: 30_000 });
  }
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  for (const desk of desks) await desk.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

describe('two desks and the consortium server, in the browser', () => {
  it(
    'sends a hold item from MAIN to EAST in a crate, received with nothing missing',
    { timeout: 120_000 },
    async () => {
      // MAIN checks the item in: the banner says crate to EAST.
      await scan(main, wanted);
      await expectBanner(main, 'Crate to East Library (EAST)');

      // MAIN seals the crate and prints its label and manifest.
      await goTo(main, 'crates');
      const card = main.getByTestId('crate-card').filter({ hasText: 'To East Library (EAST)' });
      const label = await card.getAttribute('data-crate');
      expect(label).toBeTruthy();
      await pressEnterOn(card.getByRole('button', { name: `Seal crate ${label}` }));
      await expect.poll(() => card.textContent()).toContain('Sealed');
      const labelPdf = await saveDocumentVia(
        card.getByRole('button', { name: `Save label of crate ${label}` }),
      );
      expect(labelPdf.bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const manifest = await saveDocumentVia(
        card.getByRole('button', { name: `Save manifest of crate ${label}` }),
      );
      expect(manifest.bytes.subarray(0, 5).toString()).toBe('%PDF-');
      await checkScreen(main, 'crates-sealed');

      // EAST sees it coming and receives it: scan the label, scan the item.
      await goTo(east, 'crates');
      await pressEnterOn(east.getByRole('button', { name: 'Receive', exact: true }));
      const row = east.getByRole('button', { name: `Receive crate ${label}` });
      await until(east, async () => (await row.count()) > 0, 'the crate reaching EAST');
      await checkScreen(east, 'crates-incoming');
      await typeInto(east.getByLabel('Scan the crate label'), label!);
      await east.keyboard.press('Enter');
      await east
        .getByRole('heading', { name: `Receiving crate ${label} from Main Library` })
        .waitFor();
      await scan(east, wanted);
      const routing = east.getByTestId('receive-routing');
      await routing.waitFor();
      expect(await east.getByText('Nothing missing.').count()).toBe(1);
      expect(await east.getByText('No extra items.').count()).toBe(1);
      // The item is for a patron waiting here: hold shelf, and a slip prints.
      expect(await routing.textContent()).toContain('Hold shelf');
      const slip = await saveDocumentVia(
        east.getByRole('button', { name: `Save hold slip of ${wanted}` }),
      );
      expect(slip.bytes.subarray(0, 5).toString()).toBe('%PDF-');
      await checkScreen(east, 'crate-receiving');
      await pressEnterOn(east.getByRole('button', { name: 'Close crate' }));
      await east.getByText(`Crate ${label} closed`).waitFor();

      // The hold shelf lists it.
      await goTo(east, 'holds');
      await pressEnterOn(east.getByRole('button', { name: 'Hold shelf' }));
      await expect.poll(() => east.getByTestId('hold-shelf').textContent()).toContain(wanted);
      await checkScreen(east, 'holds-shelf');
    },
  );

  it(
    'records a crate that arrives with one item missing and one extra, and syncs it',
    { timeout: 120_000 },
    async () => {
      await goTo(main, 'scan');
      await scan(main, home1);
      await expectBanner(main, 'Home to East Library (EAST)');
      await scan(main, home2);
      await expectBanner(main, home2);
      await goTo(main, 'crates');
      const packing = main.getByTestId('crate-card').filter({ hasText: 'Packing' });
      await expect.poll(() => packing.textContent()).toContain('2 / 40');
      const label = (await packing.getAttribute('data-crate'))!;
      const card = main.locator(`[data-crate="${label}"]`);
      await pressEnterOn(card.getByRole('button', { name: `Seal crate ${label}` }));
      await expect.poll(() => card.textContent()).toContain('Sealed');

      await goTo(east, 'crates');
      await pressEnterOn(east.getByRole('button', { name: 'Receive', exact: true }));
      const row = east.getByRole('button', { name: `Receive crate ${label}` });
      await until(east, async () => (await row.count()) > 0, 'the second crate reaching EAST');
      await pressEnterOn(row);
      await east
        .getByRole('heading', { name: `Receiving crate ${label} from Main Library` })
        .waitFor();
      await scan(east, home1);
      await east.getByText(`${home1}:`, { exact: false }).waitFor();
      await scan(east, extra);
      await expect.poll(() => east.getByTestId('receipt-extra').textContent()).toBe(extra);
      await expect.poll(() => east.getByTestId('receipt-missing').textContent()).toBe(home2);
      await checkScreen(east, 'crate-receiving-discrepancies');
      await typeInto(
        east.getByLabel('Note for the sending library (optional)'),
        'One item short, one extra.',
      );
      await pressEnterOn(east.getByRole('button', { name: 'Close crate with discrepancies' }));
      await east.getByText(`Crate ${label} closed`).waitFor();

      // MAIN's history shows its crate closed once the record synced.
      await pressEnterOn(main.getByRole('button', { name: 'History' }));
      const sent = main.getByRole('row').filter({ hasText: label });
      await until(
        main,
        async () => ((await sent.textContent().catch(() => '')) ?? '').includes('closed'),
        'MAIN seeing the crate closed',
      );
      await checkScreen(main, 'crates-history');
    },
  );

  it(
    'keeps checking in through an outage, drains its pending changes, and keeps both sides of a note edited twice',
    { timeout: 180_000 },
    async () => {
      // A consortium note written at MAIN reaches EAST.
      await goTo(main, 'notes');
      await pressEnterOn(main.getByRole('button', { name: 'New note' }));
      await typeInto(main.getByLabel('Title'), 'Opening checklist');
      await typeInto(
        main.getByLabel('Text (Markdown)'),
        '# Opening\n\n1. Unlock the book drop\n2. Empty it',
      );
      await typeInto(main.getByLabel('Tags, separated by commas'), 'opening, daily');
      await main.getByLabel('Who reads it').selectOption('consortium');
      await pressEnterOn(main.getByRole('button', { name: 'Save' }));
      await main.getByRole('heading', { level: 2, name: 'Opening checklist' }).waitFor();
      await checkScreen(main, 'notes-view');
      await goTo(east, 'notes');
      const eastLink = east.getByRole('button', { name: /Opening checklist/ });
      await until(east, async () => (await eastLink.count()) > 0, 'the note reaching EAST');
      await expect.poll(() => statusText(main)).toContain('Online');

      // The server goes away.
      await server!.close();
      server = undefined;

      // MAIN keeps checking in with routing answers; the status bar says offline, work waiting.
      await goTo(main, 'scan');
      for (const barcode of offline) {
        await scan(main, barcode);
        await expectBanner(main, barcode);
        expect(await main.getByTestId('scan-banner').textContent()).toContain('Reshelve');
      }
      await expect.poll(() => statusText(main), { timeout: 30_000 }).toMatch(/Offline/);
      const pendingText = (await main.getByTestId('sync-pending').textContent()) ?? '';
      expect(Number(pendingText.replace('Pending: ', ''))).toBeGreaterThan(0);
      await checkScreen(main, 'scan-station-offline');

      // Both desks edit the note while they cannot reach each other.
      for (const [page, words] of [
        [main, 'Unlock the book drop before 9:00'],
        [east, 'Unlock the staff door first'],
      ] as const) {
        await goTo(page, 'notes');
        await pressEnterOn(page.getByRole('button', { name: /Opening checklist/ }).first());
        await pressEnterOn(page.getByRole('button', { name: 'Edit' }));
        await typeInto(page.getByLabel('Text (Markdown)'), `# Opening\n\n1. ${words}`);
        await pressEnterOn(page.getByRole('button', { name: 'Save' }));
        await page.getByText(words).first().waitFor();
      }

      // The server returns on its port with its data; MAIN's pending count drains to zero.
      server = await startServer(serverDir, serverPort);
      await syncNow(main);
      await expectPending(main, 0, 60_000);
      await expect.poll(() => statusText(main), { timeout: 30_000 }).toContain('Online');

      // The server holds every scan made offline exactly once.
      const settings = JSON.parse(readFileSync(join(scratch, 'main', 'desk.json'), 'utf8')) as {
        sync: { token: string };
      };
      const response = await fetch(`${server.url}${SYNC_BASE_PATH}/sync/checkins/pull?limit=1000`, {
        headers: { authorization: `Bearer ${settings.sync.token}` },
      });
      expect(response.status).toBe(200);
      const page = (await response.json()) as { documents: { barcode: string }[] };
      for (const barcode of offline) {
        expect(
          page.documents.filter((doc) => doc.barcode === barcode),
          barcode,
        ).toHaveLength(1);
      }

      // The note ends with a conflict copy, shown beside its original, at both desks.
      for (const page of [main, east]) {
        await goTo(page, 'notes');
        const copy = page.getByRole('button', { name: /Conflict copy/ });
        await until(page, async () => (await copy.count()) > 0, 'a conflict copy in the note list');
        await pressEnterOn(copy.first());
        const sides = page.getByTestId('conflict-side-by-side');
        await sides.waitFor();
        const text = (await sides.textContent()) ?? '';
        expect(text).toContain('Unlock the book drop before 9:00');
        expect(text).toContain('Unlock the staff door first');
      }
      await checkScreen(east, 'notes-conflict');
      expect(browser.pageErrors.filter((line) => !line.includes('net::ERR'))).toEqual([]);
    },
  );

  it(
    'tells EAST at once when MAIN captured the same hold first while both were offline',
    { timeout: 120_000 },
    async () => {
      await server!.close();
      server = undefined;
      // MAIN captures its copy first (crate to EAST), then EAST its own (hold shelf).
      await goTo(main, 'scan');
      await scan(main, mainCopy);
      await expectBanner(main, 'Crate to East Library (EAST)');
      await goTo(east, 'scan');
      await scan(east, eastCopy);
      await expectBanner(east, 'Hold shelf');

      // Together again: the earlier capture wins, and EAST is told where its copy goes now.
      server = await startServer(serverDir, serverPort);
      const alert = east.getByRole('alert', { name: 'Holds filled elsewhere' });
      await until(east, async () => (await alert.count()) > 0, 'EAST told its capture was lost');
      const text = (await alert.textContent()) ?? '';
      expect(text).toContain(`Hold filled elsewhere first: ${eastCopy}`);
      expect(text).toContain('Now: Reshelve');
      await checkScreen(east, 'scan-station-capture-lost');
      await pressEnterOn(alert.getByRole('button', { name: 'Done: item moved' }));
      await expect.poll(() => alert.count()).toBe(0);
    },
  );
});
