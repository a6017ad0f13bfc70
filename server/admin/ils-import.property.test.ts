// The import as a parser that must not lose or invent anything: any item rows, written as CSV
// the way spreadsheets and ILSes write it (quotes, commas, line breaks, a BOM, CRLF or LF),
// come back as exactly those items, and importing the same file again writes nothing.
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, Library } from '../../shared/index.js';
import {
  domainCollections,
  openSqliteReplicationStore,
  type ReplicationStore,
} from '../store/index.js';
import { importIlsFile } from './ils-import.js';
import { readAll, writeAsServer, type AdminDeps } from './server-data.js';

let dir: string;
let store: ReplicationStore;
let deps: AdminDeps;

const library = (code: string): Library => ({
  code,
  name: code,
  barcodePrefixes: [],
  barcodeRule: { lengths: [], checkDigit: 'none' },
  floatingRules: { libraries: [], callNumberPrefixes: [] },
  localPickupFirst: true,
  timeZone: 'America/Chicago',
  crateCapacity: 40,
  holdShelfDays: 7,
  updatedAt: '2026-11-23T15:00:00.000Z',
  deskId: 'server',
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-import-property-'));
  store = await openSqliteReplicationStore(join(dir, 'consortium.sqlite'));
  for (const registration of domainCollections) store.register(registration);
  deps = { store, now: () => new Date('2026-11-23T15:00:00.000Z') };
  await writeAsServer(deps, 'libraries', [library('NORTH'), library('SOUTH')], new Map());
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Text a title or call number can hold: printable, with the characters CSV must quote. */
const cellText = fc
  .array(fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', 'é', '書', '🙂', "'", '=', '0'), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(''))
  // The import trims cells and reads an empty one as absent: keep the generated ones exact.
  .filter((text) => text.trim() === text && text.length > 0);

const itemRow = fc.record({
  barcode: fc.stringMatching(/^[0-9A-Z]{6,14}$/),
  bibId: fc.stringMatching(/^[0-9]{1,8}$/),
  title: cellText,
  callNumber: fc.option(cellText, { nil: undefined }),
  owner: fc.constantFrom('NORTH', 'SOUTH'),
  lost: fc.constantFrom('0', '1', '4'),
  onLoan: fc.boolean(),
});

let run = 0;

describe('importIlsFile (property)', () => {
  it('reads back every item exactly, names a bad row by its line, and re-imports as nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(itemRow, { selector: (row) => row.barcode, minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom('\r\n', '\n'),
        fc.nat(),
        async (rows, bom, newline, badAt) => {
          // Each run owns its barcodes, so runs do not see each other's items.
          run += 1;
          const prefix = `R${run}-`;
          const header = [
            'barcode',
            'biblionumber',
            'title',
            'itemcallnumber',
            'homebranch',
            'itemlost',
            'onloan',
          ];
          const records = rows.map((row) => [
            prefix + row.barcode,
            row.bibId,
            row.title,
            row.callNumber ?? '',
            row.owner,
            row.lost,
            row.onLoan ? '2026-11-20' : '',
          ]);
          const write = (body: string[][]) =>
            (bom ? '\uFEFF' : '') +
            stringify([header, ...body], {
              record_delimiter: newline === '\n' ? 'unix' : 'windows',
            });
          const csv = write(records);

          // One row of a library that does not exist, anywhere in the file: refused, by its line.
          const at = badAt % (records.length + 1);
          const bad = [prefix + 'BAD', '1', 'Bad', '', 'NOWHERE', '0', ''];
          const linesBefore = records
            .slice(0, at)
            .reduce((sum, cells) => sum + 1 + cells.join('').split(/\r\n|\r|\n/).length - 1, 1);
          const before = await store.latest('items');
          await expect(
            importIlsFile(deps, {
              kind: 'items',
              format: 'koha',
              csv: write([...records.slice(0, at), bad, ...records.slice(at)]),
            }),
          ).rejects.toMatchObject({
            code: 'import_rejected',
            report: { rejected: [{ line: linesBefore + 1, reason: 'no member library NOWHERE' }] },
          });
          expect(await store.latest('items')).toEqual(before);

          const text = csv;
          const first = await importIlsFile(deps, { kind: 'items', format: 'koha', csv: text });
          expect(first).toMatchObject({ rows: rows.length, created: rows.length, rejected: [] });

          const stored = new Map(
            (await readAll(deps, 'items', ['NORTH', 'SOUTH'])).map((item) => [item.barcode, item]),
          );
          for (const row of rows) {
            const expected: Partial<Item> = {
              bibId: row.bibId,
              title: row.title,
              owner: row.owner,
              location: row.owner,
              status:
                row.lost === '4'
                  ? 'missing'
                  : row.lost === '1'
                    ? 'lost'
                    : row.onLoan
                      ? 'checked_out'
                      : 'available',
            };
            const item = stored.get(prefix + row.barcode);
            expect(item).toMatchObject(expected);
            expect(item?.callNumber).toBe(row.callNumber);
          }

          const written = await store.latest('items');
          const again = await importIlsFile(deps, { kind: 'items', format: 'koha', csv: text });
          expect(again).toMatchObject({
            created: 0,
            updated: 0,
            unchanged: rows.length,
            written: false,
          });
          expect(await store.latest('items')).toEqual(written);
        },
      ),
      { numRuns: 40 },
    );
  });
});
