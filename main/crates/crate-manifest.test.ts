import { parse } from 'csv-parse/sync';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { pdfPageTexts, pdfWords } from '../testing/index.js';
import { crateManifestCsv, crateManifestPdf, manifestPageSize } from './crate-manifest.js';
import type { CrateManifestInput, CrateManifestItem } from './crate-manifest.js';

const crate: Omit<CrateManifestInput, 'items'> = {
  labelBarcode: '30234000517861',
  origin: { code: 'EPL', name: 'Eastside Public Library' },
  destination: { code: 'MPL', name: 'Maplewood Public Library', courierStop: 'R3-12' },
  sealedAt: '2025-03-14T22:30:00.000Z',
  timeZone: 'America/Chicago',
};

function itemsOf(count: number): CrateManifestItem[] {
  return Array.from({ length: count }, (_, index) => ({
    barcode: `39999${String(index).padStart(9, '0')}`,
    title: `Title number ${index}`,
    callNumber: index % 3 === 0 ? undefined : `FIC ${index}`,
    forHold: index % 4 === 0 ? { pickup: 'NPL' } : undefined,
  }));
}

/** The item barcodes on each page, in the order printed. */
function barcodesByPage(pages: string[]): string[][] {
  return pages.map((page) => [...page.matchAll(/^\s*(39999\d{9})\b/gm)].map((m) => m[1] ?? ''));
}

describe('crateManifestPdf', () => {
  it('is a PDF of Letter pages', async () => {
    const bytes = await crateManifestPdf({ ...crate, items: itemsOf(3) });
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getPage(0).getSize()).toEqual({ width: 612, height: 792 });
    expect(manifestPageSize).toEqual({ width: 612, height: 792 });
  });

  it('repeats the header on every page, numbers pages and lists every item once, in order', async () => {
    const items = itemsOf(120);
    const bytes = await crateManifestPdf({ ...crate, items });
    const pages = pdfPageTexts(bytes);
    expect(pages.length).toBeGreaterThan(1);
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(pages.length);
    pages.forEach((page, index) => {
      expect(page).toContain('Crate manifest');
      expect(page).toContain('30234000517861');
      expect(page).toContain('To: MPL Maplewood Public Library (courier stop R3-12)');
      expect(page).toContain('From: EPL Eastside Public Library');
      // 22:30 UTC is 17:30 in Chicago (CDT since 9 March).
      expect(page).toContain('Sealed 2025-03-14 17:30');
      expect(page).toContain('Items: 120');
      expect(page).toMatch(/Barcode\s+Call number\s+Title\s+Hold/);
      expect(page).toContain(`Page ${index + 1} of ${pages.length}`);
    });
    expect(barcodesByPage(pages).flat()).toEqual(items.map((item) => item.barcode));
    expect(pages.at(-1)).toContain('End of manifest: 120 items');
    expect(pages.slice(0, -1).join('')).not.toContain('End of manifest');
  });

  it('puts one line per item: barcode, call number, title and the hold marker', async () => {
    const items: CrateManifestItem[] = [
      {
        barcode: '30234000517861',
        title: 'Beloved',
        callNumber: 'FIC MOR',
        forHold: { pickup: 'MPL' },
      },
      { barcode: '30234000517879', title: 'Jazz' },
    ];
    const [page = ''] = pdfPageTexts(await crateManifestPdf({ ...crate, items }));
    expect(page).toMatch(/^\s*30234000517861\s+FIC MOR\s+Beloved\s+HOLD → MPL\s*$/m);
    expect(page).toMatch(/^\s*30234000517879\s+Jazz\s*$/m);
    expect(page).toContain('End of manifest: 2 items');
  });

  it('cuts long titles and codes to their columns, but never a barcode', async () => {
    const items: CrateManifestItem[] = [
      {
        barcode: 'X1234567890123456789012345678901234567890'.slice(0, 40),
        title: `A Title That Goes On ${'and on '.repeat(40)}`,
        callNumber: 'REF 025.04 SMI 2025 v.12 pt.3 copy 2 oversize',
        forHold: { pickup: 'ABCDEFGHIJKLMNOPQRST' },
      },
    ];
    const bytes = await crateManifestPdf({ ...crate, items });
    const { words } = pdfWords(bytes);
    for (const word of words) {
      expect(word.xMin, word.text).toBeGreaterThanOrEqual(40 - 0.01);
      expect(word.xMax, word.text).toBeLessThanOrEqual(612 - 40 + 0.01);
    }
    const [page = ''] = pdfPageTexts(bytes);
    expect(page).toContain(items[0]?.barcode);
    expect(page).toMatch(/A Title That Goes On and on .*…/);
    expect(page).toMatch(/HOLD → ABCDE\S*…/);
  });

  it('has one page with the header and the end line for an empty crate', async () => {
    const pages = pdfPageTexts(await crateManifestPdf({ ...crate, items: [] }));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toContain('Items: 0');
    expect(pages[0]).toContain('End of manifest: 0 items');
    expect(pages[0]).toContain('Page 1 of 1');
  });

  it('starts a page for the end line when the items fill the last one', async () => {
    const full = barcodesByPage(
      pdfPageTexts(await crateManifestPdf({ ...crate, items: itemsOf(120) })),
    );
    const perPage = full[0]?.length ?? 0;
    expect(perPage).toBeGreaterThan(30);

    const fits = pdfPageTexts(await crateManifestPdf({ ...crate, items: itemsOf(perPage - 1) }));
    expect(fits).toHaveLength(1);
    expect(fits[0]).toContain(`End of manifest: ${perPage - 1} items`);

    const spills = pdfPageTexts(await crateManifestPdf({ ...crate, items: itemsOf(perPage) }));
    expect(spills).toHaveLength(2);
    expect(barcodesByPage(spills)[1]).toEqual([]);
    expect(spills[1]).toContain(`End of manifest: ${perPage} items`);
    expect(spills[1]).toContain('Page 2 of 2');
  });
});

describe('crateManifestCsv', () => {
  const items: CrateManifestItem[] = [
    {
      barcode: '30234000517861',
      title: 'Beloved',
      callNumber: 'FIC MOR',
      forHold: { pickup: 'MPL' },
    },
    { barcode: '30234000517879', title: 'Cats, "Dogs" and\nOther Pets' },
    {
      barcode: '30234000517887',
      title: '=HYPERLINK("http://evil.example","Open")',
      callNumber: '-5',
    },
  ];

  it('writes the header, one CRLF-ended record per item, quoted and guarded', () => {
    expect(crateManifestCsv({ ...crate, items })).toBe(
      'barcode,title,call_number,hold_pickup\r\n' +
        '30234000517861,Beloved,FIC MOR,MPL\r\n' +
        '30234000517879,"Cats, ""Dogs"" and\nOther Pets",,\r\n' +
        `30234000517887,"'=HYPERLINK(""http://evil.example"",""Open"")",'-5,\r\n`,
    );
  });

  it('reads back through a CSV parser', () => {
    const records: unknown = parse(crateManifestCsv({ ...crate, items }), { columns: true });
    expect(records).toEqual([
      { barcode: '30234000517861', title: 'Beloved', call_number: 'FIC MOR', hold_pickup: 'MPL' },
      {
        barcode: '30234000517879',
        title: 'Cats, "Dogs" and\nOther Pets',
        call_number: '',
        hold_pickup: '',
      },
      {
        barcode: '30234000517887',
        title: `'=HYPERLINK("http://evil.example","Open")`,
        call_number: "'-5",
        hold_pickup: '',
      },
    ]);
  });

  it('is the header alone for an empty crate', () => {
    expect(crateManifestCsv({ ...crate, items: [] })).toBe(
      'barcode,title,call_number,hold_pickup\r\n',
    );
  });
});
