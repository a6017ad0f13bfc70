// Debian's Chromium driven by playwright-core (never a downloaded browser), a fresh profile per
// launch, and what every end-to-end screen is checked with: axe-core (no serious or critical
// violations), a screenshot under test/artifacts/, and no page errors or CSP refusals.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const chromiumPath = process.env['CARREL_CHROMIUM'] ?? '/usr/bin/chromium';
export const artifactsDir = resolve(import.meta.dirname, '..', 'artifacts');

const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Sounds are made at every scan; there is no audio device on a test machine.
  '--autoplay-policy=no-user-gesture-required',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab that records its errors (see `pageErrors`). */
  newPage(): Promise<Page>;
  /** Uncaught errors, console errors and CSP refusals seen on any page so far. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

/** `name` prefixes the last-state screenshots taken at close (one per open page). */
export async function launchBrowser(name: string): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'carrel-chromium-'));
  // The profile goes to launchPersistentContext, not to --user-data-dir (playwright-core
  // refuses that flag).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    args: flags,
    headless: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const pageErrors: string[] = [];
  const watch = (page: Page): Page => {
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) pageErrors.push(`${response.status()}: ${response.url()}`);
    });
    return page;
  };
  return {
    context,
    pageErrors,
    newPage: async () => watch(await context.newPage()),
    async close() {
      // The last state of every page, for a test that failed half-way.
      const pages = context.pages().filter((page) => page.url() !== 'about:blank');
      for (const [index, page] of pages.entries()) {
        await screenshot(page, `${name}-last-state-${index}`).catch(() => undefined);
      }
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

/**
 * Runs axe-core on the page as it is and answers its serious and critical violations. axe is
 * evaluated through the DevTools protocol rather than added as an inline <script>: the page's
 * content security policy (script-src 'self') rightly refuses inline scripts, and the test
 * must not switch that policy off.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  if ((await page.evaluate("typeof window.axe === 'object'")) !== true) {
    await page.evaluate(axeSource);
  }
  // Page-side code as text: this project's Node types have no DOM.
  const violations = await page.evaluate<AxeViolation[]>(`window.axe.run().then((result) =>
    result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.map(String).join(' ')),
    })))`);
  return violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
}

/** Writes a full-page screenshot of the screen to test/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Presses Tab until the focused element matches `selector` (at most `limit` presses), so a
 * test reaches a control the way a keyboard user does; fails if the control cannot be reached.
 */
export async function tabTo(page: Page, selector: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    // Page-side code as text: this project's Node types have no DOM.
    const found = await page.evaluate(
      `document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`,
    );
    if (found === true) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} cannot be reached with Tab (${limit} presses)`);
}

/** The focused element's id (or tag name), to check where focus is. */
export async function focusedId(page: Page): Promise<string> {
  const id = await page.evaluate(
    "document.activeElement?.id || document.activeElement?.tagName || ''",
  );
  return String(id);
}
