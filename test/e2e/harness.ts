// The end-to-end rig: a real consortium server (server/app.ts) on a loopback port, desk cores
// each in its own process serving its own UI page (main/web), and the steps staff take in the
// page, done with the keyboard.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import { focusedId, tabTo } from '../support/browser.js';

export function startServer(dataDir: string, port?: number): Promise<ConsortiumServer> {
  return startConsortiumServer({
    dataDir,
    host: '127.0.0.1',
    ...(port === undefined ? {} : { port }),
    adminToken: 'admin-token-for-the-e2e-tests',
  });
}

export interface WebDeskProcess {
  readonly url: string;
  readonly stderr: string[];
  close(): Promise<void>;
}

/** A desk with its page, in a child process (fixtures/web-desk-process.ts). */
export async function startWebDeskProcess(dataDir: string): Promise<WebDeskProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'web-desk-process.ts'), dataDir],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  const first = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', done);
    child.once('close', () => fail(new Error(`desk process ended: ${stderr.join('')}`)));
  });
  const { url } = JSON.parse(first) as { url: string };
  return {
    url,
    stderr,
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

/** The banner's words as the DOM has them (CSS upper-cases the headline on screen only). */
export async function bannerText(page: Page): Promise<string> {
  return (await page.getByTestId('scan-banner').textContent()) ?? '';
}

/** Waits until the banner's words contain `words`; answers them. */
export async function expectBanner(page: Page, words: string): Promise<string> {
  try {
    await page.getByTestId('scan-banner').filter({ hasText: words }).waitFor({ timeout: 15_000 });
  } catch (error) {
    throw new Error(`The banner never said "${words}"; it says "${await bannerText(page)}"`, {
      cause: error,
    });
  }
  return bannerText(page);
}

/**
 * A scan as a keyboard-wedge scanner makes it (a burst of keys, then Enter: `wedge`) or as
 * staff type it (a key every 80 ms). Keys go wherever focus is: the page must have it on the
 * scan input or bring it there.
 */
export async function scan(page: Page, barcode: string, how: 'wedge' | 'typed' = 'wedge') {
  await page.keyboard.type(barcode, { delay: how === 'wedge' ? 2 : 80 });
  await page.keyboard.press('Enter');
}

/** First run, by keyboard: joins the consortium with the server's address and a code. */
export async function joinConsortium(
  page: Page,
  serverUrl: string,
  code: string,
  deskName: string,
) {
  await page.getByRole('heading', { name: 'Set up this desk' }).waitFor();
  await tabTo(page, '#join-url');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(serverUrl);
  await page.keyboard.press('Tab');
  await page.keyboard.type(code);
  await page.keyboard.press('Tab');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(deskName);
  await page.keyboard.press('Enter');
}

/** Sign-in, by keyboard: the initials field has focus when the screen shows. */
export async function signIn(page: Page, initials: string) {
  await page.getByRole('heading', { name: /^Sign in/ }).waitFor({ timeout: 20_000 });
  expect(await focusedId(page)).toBe('sign-in-initials');
  await page.keyboard.type(initials);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Check in' }).waitFor();
}

/** Alt+n: the screens' keyboard shortcuts (1 check in, 2 crates, 3 holds, 4 notes, 5 reports). */
export async function goTo(
  page: Page,
  screen: 'scan' | 'crates' | 'holds' | 'notes' | 'reports' | 'desk',
) {
  const keys = { scan: '1', crates: '2', holds: '3', notes: '4', reports: '5', desk: '6' } as const;
  await page.keyboard.press(`Alt+${keys[screen]}`);
  const headings = {
    scan: 'Check in',
    crates: 'Crates',
    holds: 'Holds',
    notes: 'Training notes',
    reports: 'Reports',
    desk: 'This desk',
  } as const;
  await page.getByRole('heading', { level: 1, name: headings[screen] }).waitFor();
}

/** Waits until the status bar shows `pending` changes waiting. */
export async function expectPending(page: Page, pending: number, timeoutMs = 30_000) {
  await page
    .getByTestId('sync-pending')
    .filter({ hasText: new RegExp(`^Pending: ${pending}$`) })
    .waitFor({ timeout: timeoutMs });
}

/** Activates a control from the keyboard: focus, then Enter (buttons, links, submits). */
export async function pressEnterOn(locator: Locator): Promise<void> {
  await locator.focus();
  await locator.page().keyboard.press('Enter');
}

/** Fills a field by keyboard: focus, select what is there, type. */
export async function typeInto(locator: Locator, text: string): Promise<void> {
  await locator.focus();
  await locator.page().keyboard.press('ControlOrMeta+A');
  await locator.page().keyboard.type(text);
}

/** Saves a document through its "Save ..." button; answers the file's bytes. */
export async function saveDocumentVia(button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const page = button.page();
  const [download] = await Promise.all([page.waitForEvent('download'), pressEnterOn(button)]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

/** Asks the desk to sync now (the status bar's button). */
export async function syncNow(page: Page): Promise<void> {
  await pressEnterOn(page.getByRole('button', { name: 'Sync now' }));
}
