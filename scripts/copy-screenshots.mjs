// Copies the screenshots the end-to-end run made (test/artifacts/, not committed) into
// docs/images/, where the staff and admin guides link them. Run after the end-to-end tests:
//
//   npx vitest run test/e2e && node scripts/copy-screenshots.mjs
//
// Only the images the docs use are copied (the list below), so docs/images/ stays small and a
// renamed screen shows up as "missing" here instead of as a broken image in the guides.
// Exit status 1 if any is missing; the others are still copied.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'test', 'artifacts');
const to = join(root, 'docs', 'images');

/** The screenshots the docs reference (docs/desk/*.md). */
const used = [
  'first-run.png',
  'sign-in.png',
  'scan-station-transit.png',
  'scan-station-set-aside.png',
  'scan-station-offline.png',
  'crates-sealed.png',
  'crate-receiving-discrepancies.png',
  'holds-pull-list.png',
  'holds-shelf.png',
  'holds-clear-shelf.png',
  'notes-view.png',
  'notes-history.png',
];

mkdirSync(to, { recursive: true });
const missing = [];
let bytes = 0;
for (const name of used) {
  const source = join(from, name);
  if (!existsSync(source)) {
    missing.push(name);
    continue;
  }
  copyFileSync(source, join(to, name));
  bytes += statSync(source).size;
}
console.log(
  `Copied ${used.length - missing.length} screenshots (${Math.round(bytes / 1024)} KB) to docs/images/.`,
);
if (missing.length > 0) {
  console.error(
    `Missing in test/artifacts/ (run the end-to-end tests first): ${missing.join(', ')}`,
  );
  process.exitCode = 1;
}
