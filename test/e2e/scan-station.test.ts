// The scan station on one desk, in Chromium, keyboard only: first-run enrolment with the real
// consortium server, sign-in, wedge and typed scans with their banners (hold transit,
// reshelve, set aside, a bad check digit), undo of the last scan, a scanner burst fired while
// focus is on a button, and every screen screenshotted and checked with axe-core.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConsortiumServer } from '../../server/app.js';
import {
  focusedId,
  launchBrowser,
  screenshot,
  seriousA11yViolations,
  tabTo,
  type TestBrowser,
} from '../support/browser.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';
import {
  expectBanner,
  goTo,
  joinConsortium,
  scan,
  signIn,
  startServer,
  startWebDeskProcess,
  type WebDeskProcess,
} from './harness.js';

const scratch = mkdtempSync(join(tmpdir(), 'carrel-e2e-scan-'));
let server: ConsortiumServer | undefined;
let desk: WebDeskProcess | undefined;
let browser: TestBrowser | undefined;
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await desk?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

async function checkScreen(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
}

describe('the scan station', () => {
  it(
    'checks items in by keyboard with a banner per outcome, and undoes the last',
    { timeout: 180_000 },
    async () => {
      server = await startServer(join(scratch, 'server'));
      const libraries = consortium.filter((library) => library.code !== 'WEST');
      const wanted = itemBarcode('33907', 11);
      const onShelf = itemBarcode('33907', 12);
      const unknown = itemBarcode('33999', 99);
      const badCheckDigit = `${wanted.slice(0, -1)}${(Number(wanted.at(-1)) + 1) % 10}`;
      await server.importDocuments('libraries', libraries);
      await server.importDocuments('items', [item(wanted, 'MAIN'), item(onShelf, 'MAIN')]);
      await server.importDocuments('holds', [hold(`bib-${wanted.slice(-6)}`, 'EAST')]);

      desk = await startWebDeskProcess(join(scratch, 'main'));
      browser = await launchBrowser('scan-station');
      const page = await browser.newPage();
      await page.goto(desk.url);

      // First run: join the consortium with a code, all by keyboard.
      await page.getByRole('heading', { name: 'Set up this desk' }).waitFor();
      await checkScreen(page, 'first-run');
      await joinConsortium(
        page,
        server.url,
        await server.createEnrolmentCode('MAIN'),
        'Main circulation',
      );
      await signIn(page, 'MA');
      await expect
        .poll(() => page.getByTestId('desk-library').textContent())
        .toBe('Main Library (MAIN)');
      await expect.poll(() => page.getByTestId('desk-staff').textContent()).toBe('Staff: MA');
      await expect
        .poll(() => page.getByTestId('sync-state').textContent(), { timeout: 30_000 })
        .toContain('Online');

      // The scan input has focus; a wedge burst answers "crate to EAST".
      expect(await focusedId(page)).toBe('scan-input');
      await checkScreen(page, 'scan-station-empty');
      await scan(page, wanted, 'wedge');
      const transit = await expectBanner(page, 'Crate to East Library (EAST)');
      expect(transit).toContain(wanted);
      expect(transit).toContain('For a hold there.');
      expect(await page.getByTestId('scan-banner').getAttribute('data-tone')).toBe('transit');
      expect(await focusedId(page)).toBe('scan-input');
      await checkScreen(page, 'scan-station-transit');

      // A typed barcode (slow keys) works the same way: reshelve.
      await scan(page, onShelf, 'typed');
      await expectBanner(page, 'Reshelve');
      expect(await page.getByTestId('scan-banner').getAttribute('data-tone')).toBe('reshelve');

      // An item the catalogue does not know is set aside, with what to do.
      await scan(page, unknown);
      const aside = await expectBanner(page, 'Set aside');
      expect(aside).toContain('Barcode not in the catalogue');
      expect(aside).toContain('problem shelf');
      await checkScreen(page, 'scan-station-set-aside');

      // A misread (bad check digit) is not recorded and says to scan again.
      await scan(page, badCheckDigit);
      const misread = await expectBanner(page, 'Not checked in');
      expect(misread).toContain('check digit');
      expect(await page.getByTestId('scan-banner').getAttribute('data-tone')).toBe('error');
      await checkScreen(page, 'scan-station-error');

      // Three scans were recorded, newest first; only the newest can be undone.
      const rows = page.locator('table.recent tbody tr');
      await expect.poll(() => rows.count()).toBe(3);
      expect(await rows.first().textContent()).toContain(unknown);
      expect(await page.getByRole('button', { name: /^Undo check-in/ }).count()).toBe(1);

      // Undo by keyboard: Tab to the button, Enter.
      await tabTo(page, `button[aria-label="Undo check-in of ${unknown}"]`);
      await page.keyboard.press('Enter');
      const undone = await expectBanner(page, 'Undone');
      expect(undone).toContain(`${unknown} is not checked in.`);
      await expect.poll(() => rows.first().getAttribute('class')).toBe('voided');
      expect(await focusedId(page)).toBe('scan-input');

      // A scanner burst while focus sits on a button still lands in the scan input.
      await tabTo(page, 'nav button[aria-current="page"]');
      await scan(page, onShelf, 'wedge');
      await expectBanner(page, onShelf);
      expect(await focusedId(page)).toBe('scan-input');
      await expect.poll(() => rows.count()).toBe(4);

      // After a reload the list comes from the desk's records, destinations named in full.
      await page.reload();
      await page.getByRole('heading', { name: 'Check in' }).waitFor();
      await expect.poll(() => rows.count()).toBe(4);
      expect(await rows.nth(3).textContent()).toContain('Crate to East Library (EAST)');
      expect(await focusedId(page)).toBe('scan-input');

      // Every other screen, reached by its keyboard shortcut.
      for (const screen of ['crates', 'holds', 'notes', 'reports', 'desk'] as const) {
        await goTo(page, screen);
        await checkScreen(page, `screen-${screen}`);
      }
      // This desk: a backup taken on demand shows in the list of backups.
      await page.getByRole('button', { name: 'Back up now' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /Backup desk-.* taken/ })
        .waitFor();
      await expect
        .poll(() =>
          page
            .getByRole('table', { name: /Backups on this computer/ })
            .locator('tbody tr')
            .count(),
        )
        .toBeGreaterThan(0);
      // The transit item sits in an open crate to EAST, with its count.
      await goTo(page, 'crates');
      const card = page.getByTestId('crate-card').filter({ hasText: 'To East Library (EAST)' });
      await expect.poll(() => card.textContent()).toContain('1 / 40');

      expect(browser.pageErrors).toEqual([]);
    },
  );
});
