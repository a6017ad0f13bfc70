// A desk with no server: first run loads the demo consortium (by keyboard), staff sign in, a
// scan finds a patron's hold (hold shelf, slip), and every list screen shows the demo's data:
// pull list, hold shelf, clear-shelf list, crates, notes (search, rendered Markdown, editor,
// history) and reports. Each screen is screenshotted and checked with axe-core.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  focusedId,
  launchBrowser,
  screenshot,
  seriousA11yViolations,
  tabTo,
  type TestBrowser,
} from '../support/browser.js';
import { itemBarcode } from '../support/desk.js';
import {
  expectBanner,
  goTo,
  joinConsortium,
  pressEnterOn,
  saveDocumentVia,
  scan,
  signIn,
  startWebDeskProcess,
  type WebDeskProcess,
} from './harness.js';

const scratch = mkdtempSync(join(tmpdir(), 'carrel-e2e-demo-'));
let desk: WebDeskProcess | undefined;
let standalone: WebDeskProcess | undefined;
let browser: TestBrowser | undefined;
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await desk?.close().catch(() => undefined);
  await standalone?.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

async function checkScreen(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect(await seriousA11yViolations(page), `axe on ${name}`).toEqual([]);
}

describe('a demo desk', () => {
  it(
    'loads the demo consortium and shows its data on every screen',
    { timeout: 120_000 },
    async () => {
      desk = await startWebDeskProcess(join(scratch, 'demo'));
      browser = await launchBrowser('demo-desk');
      const page = await browser.newPage();
      await page.goto(desk.url);

      // First run, keyboard only: Tab to the demo button, Enter.
      await page.getByRole('heading', { name: 'Set up this desk' }).waitFor();
      await tabTo(page, 'section[aria-labelledby="demo-heading"] button');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Sign in at Northfield Public Library' }).waitFor();
      expect(await page.getByTestId('sync-state').textContent()).toContain('Not syncing');
      await checkScreen(page, 'sign-in');

      // A wrong sign-in says why and changes nothing; then the right one.
      expect(await focusedId(page)).toBe('sign-in-initials');
      await page.keyboard.type('J-D');
      await page.keyboard.press('Enter');
      expect(await page.getByRole('heading', { name: /^Sign in/ }).count()).toBe(1);
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('JD');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Check in' }).waitFor();

      // The first NORTH copy of the first title: a patron here is waiting for it.
      const wanted = itemBarcode('31001', 1);
      await scan(page, wanted);
      const banner = await expectBanner(page, 'Hold shelf');
      expect(banner).toContain('Print the slip');
      expect(await page.getByTestId('scan-banner').getAttribute('data-tone')).toBe('hold');
      const slip = await saveDocumentVia(page.getByRole('button', { name: 'Save hold slip' }));
      expect(slip.bytes.subarray(0, 5).toString()).toBe('%PDF-');
      await checkScreen(page, 'scan-station-hold-here');

      // Holds: pull list, hold shelf (with the item just shelved), clear-shelf list.
      await goTo(page, 'holds');
      await expect
        .poll(() => page.getByTestId('pull-list').locator('tbody tr').count())
        .toBeGreaterThan(0);
      await checkScreen(page, 'holds-pull-list');
      const pickupCells = page.getByTestId('pull-list').locator('tbody tr td:nth-child(6)');
      const pickup = (await pickupCells.first().textContent()) ?? '';
      await page.getByLabel('Pickup library').selectOption(pickup);
      await expect
        .poll(async () => [...new Set(await pickupCells.allTextContents())])
        .toEqual([pickup]);
      await page.getByLabel('Pickup library').selectOption('WEST');
      await page.getByText('Nothing to pull.').waitFor();
      await pressEnterOn(page.getByRole('button', { name: 'Hold shelf' }));
      await expect.poll(() => page.getByTestId('hold-shelf').textContent()).toContain(wanted);
      await pressEnterOn(page.getByRole('button', { name: 'Clear shelf' }));
      await page.getByRole('heading', { name: 'Clear-shelf list' }).waitFor();
      await checkScreen(page, 'holds-clear-shelf');

      // Notes: the demo's notes, full-text search with highlighted words, rendered Markdown.
      await goTo(page, 'notes');
      await page.getByRole('button', { name: /Sealing and labelling a crate/ }).waitFor();
      await page.getByLabel('Search notes').fill('manifest');
      const hit = page
        .getByRole('list', { name: 'Search results' })
        .getByRole('button', { name: /Sealing/ });
      await hit.waitFor();
      expect(await page.locator('.snippet mark').first().textContent()).toMatch(/manifest/i);
      await pressEnterOn(hit);
      await page
        .getByRole('heading', { level: 2, name: 'Sealing and labelling a crate' })
        .waitFor();
      expect(await page.locator('.markdown strong').first().textContent()).toBe('Crates');
      await checkScreen(page, 'notes-search');
      // A library note: raw HTML in Markdown is dropped, never run.
      await pressEnterOn(page.getByRole('button', { name: 'New note' }));
      await page.getByLabel('Title').fill('Book drop');
      await page
        .getByLabel('Text (Markdown)')
        .fill('Empty it **twice** a day.\n\n<img src=x onerror="alert(1)">');
      await checkScreen(page, 'notes-editor');
      await pressEnterOn(page.getByRole('button', { name: 'Save' }));
      await page.getByRole('heading', { level: 2, name: 'Book drop' }).waitFor();
      expect(await page.locator('.markdown strong').textContent()).toBe('twice');
      expect(await page.locator('.markdown img').count()).toBe(0);
      await pressEnterOn(page.getByRole('button', { name: 'History' }));
      await page.getByRole('heading', { name: 'History' }).waitFor();
      await expect.poll(() => page.locator('ol.history > li').count()).toBe(1);
      expect(await page.locator('ol.history > li').textContent()).toContain('Revision 1');
      await checkScreen(page, 'notes-history');

      // Crates and reports with the demo's data.
      await goTo(page, 'crates');
      await checkScreen(page, 'crates-outgoing-demo');
      await goTo(page, 'reports');
      await page.getByRole('table', { name: /^Check-ins,/ }).waitFor();
      expect(await page.getByRole('table', { name: /^Check-ins,/ }).textContent()).toContain(
        'Hold shelf1',
      );
      await checkScreen(page, 'reports');

      // Signing out returns to the sign-in; the scans are no longer on screen.
      await pressEnterOn(page.getByRole('button', { name: 'Sign out' }));
      await page.getByRole('heading', { name: /^Sign in/ }).waitFor();
      expect(await page.getByTestId('desk-staff').count()).toBe(0);
      expect(browser.pageErrors).toEqual([]);
    },
  );

  it(
    'says why joining failed, then sets up a standalone library',
    { timeout: 60_000 },
    async () => {
      standalone = await startWebDeskProcess(join(scratch, 'standalone'));
      browser ??= await launchBrowser('demo-desk');
      const page = await browser.newPage();
      await page.goto(standalone.url);
      await page.getByRole('heading', { name: 'Set up this desk' }).waitFor();

      // Nothing answers on port 9 of this machine: the desk says so and stays as it was.
      await joinConsortium(page, 'http://127.0.0.1:9', 'NO-SUCH-CODE', 'Front desk');
      const refused = page.locator('[data-code="server_unreachable"]');
      await refused.waitFor({ timeout: 30_000 });
      expect(await refused.getAttribute('role')).toBe('alert');
      await checkScreen(page, 'first-run-join-failed');

      await tabTo(page, '#standalone-code');
      await page.keyboard.type('TOWN');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Town Library');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Sign in at Town Library' }).waitFor();
      await signIn(page, 'TL');
      expect(await page.getByTestId('desk-library').textContent()).toBe('Town Library (TOWN)');
      expect(await page.getByTestId('sync-state').textContent()).toContain('Not syncing');
    },
  );
});
