import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import {
  darkPixels,
  embeddedImages,
  pdfPageTexts,
  pdfWords,
  readCode128,
} from '../testing/index.js';
import { crateLabelPdf, crateLabelSize } from './crate-label.js';
import type { CrateLabelInput } from './crate-label.js';

const label: CrateLabelInput = {
  labelBarcode: '30234000517861',
  origin: { code: 'EPL', name: 'Eastside Public Library' },
  destination: { code: 'MPL', name: 'Maplewood Public Library', courierStop: 'R3-12' },
  itemCount: 37,
  // 22:30 in Chicago on Friday 14 March, already Saturday in UTC.
  sealedAt: '2025-03-15T03:30:00.000Z',
  timeZone: 'America/Chicago',
};

const longest: CrateLabelInput = {
  labelBarcode: 'CRATE-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456',
  origin: {
    code: 'ORIGINLIBRARYCODE123',
    name: 'The Consolidated Municipal and County Library District of Somewhere Far Away',
  },
  destination: {
    code: 'WWWWWWWWWWWWWWWWWWWW',
    name:
      'Supercalifragilisticexpialidocious Memorial Library of the Greater Metropolitan Area ' +
      'and Surrounding Townships, Branch Number Seventeen',
    courierStop: 'ROUTE-NORTHWEST-STOP-0000000000017',
  },
  itemCount: 100_000,
  sealedAt: '2025-03-15T03:30:00.000Z',
  timeZone: 'America/Chicago',
};

/** The text a scanner reads from the middle row of the label's one embedded image. */
async function scannedBarcode(bytes: Uint8Array): Promise<string> {
  const images = await embeddedImages(bytes);
  expect(images).toHaveLength(1);
  const [image] = images;
  if (image === undefined) throw new Error('no image');
  return readCode128(darkPixels(image, Math.floor(image.height / 2)));
}

describe('crateLabelPdf', () => {
  it('is one 4x6 inch PDF page', async () => {
    const bytes = await crateLabelPdf(label);
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBe(1);
    expect(doc.getPage(0).getSize()).toEqual({ width: 288, height: 432 });
    expect(crateLabelSize).toEqual({ width: 288, height: 432 });
  });

  it('prints the destination, stop, barcode text, count, sealed day and origin', async () => {
    const [page = ''] = pdfPageTexts(await crateLabelPdf(label));
    const lines = page
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    expect(lines).toEqual([
      'TO',
      'MPL',
      // 24 pt bold wraps the name onto two lines before it would shrink.
      'Maplewood Public',
      'Library',
      'COURIER STOP R3-12',
      '30234000517861',
      'Items: 37',
      'Sealed Fri 2025-03-14',
      'From: EPL Eastside Public Library',
    ]);
  });

  it('sets the destination code in very large type', async () => {
    const { words } = pdfWords(await crateLabelPdf(label));
    const code = words.find((word) => word.text === 'MPL');
    expect(code).toBeDefined();
    // pdftotext's box is the font size high: about 100 pt, a third of the label's width wide.
    expect((code?.yMax ?? 0) - (code?.yMin ?? 0)).toBeGreaterThan(90);
    expect((code?.xMax ?? 0) - (code?.xMin ?? 0)).toBeGreaterThan(200);
  });

  it('embeds a Code 128 symbol that scans as the crate barcode', async () => {
    expect(await scannedBarcode(await crateLabelPdf(label))).toBe('30234000517861');
  });

  it('keeps the longest names, codes and barcodes inside the label, whole where they must be', async () => {
    const bytes = await crateLabelPdf(longest);
    const { pages, words } = pdfWords(bytes);
    expect(pages).toEqual([{ width: 288, height: 432 }]);
    for (const word of words) {
      expect(word.xMin, word.text).toBeGreaterThanOrEqual(14 - 0.01);
      expect(word.xMax, word.text).toBeLessThanOrEqual(288 - 14 + 0.01);
      expect(word.yMin, word.text).toBeGreaterThanOrEqual(14 - 0.01);
      expect(word.yMax, word.text).toBeLessThanOrEqual(432 - 14 + 0.01);
    }
    const texts = words.map((word) => word.text);
    expect(texts).toContain('WWWWWWWWWWWWWWWWWWWW');
    expect(texts).toContain('CRATE-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456');
    expect(texts).toContain('100000');
    // A name too long even when shrunk is cut short, visibly.
    expect(texts.some((text) => text.endsWith('…'))).toBe(true);
    expect(await scannedBarcode(bytes)).toBe(longest.labelBarcode);
  });

  it('leaves the courier stop out when the destination has none', async () => {
    const destination = { code: 'MPL', name: 'Maplewood Public Library' };
    const [page = ''] = pdfPageTexts(await crateLabelPdf({ ...label, destination }));
    expect(page).not.toContain('COURIER STOP');
    expect(page).toContain('Maplewood Public');
  });

  it('gives the same bytes for the same crate', async () => {
    const [first, second] = [await crateLabelPdf(label), await crateLabelPdf(label)];
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  });

  it('refuses a barcode a label cannot carry, and a count that is not one', async () => {
    for (const labelBarcode of ['', 'has space', 'tab\there', 'é', 'X'.repeat(41)]) {
      await expect(crateLabelPdf({ ...label, labelBarcode })).rejects.toThrow(RangeError);
    }
    for (const itemCount of [-1, 2.5, Number.NaN]) {
      await expect(crateLabelPdf({ ...label, itemCount })).rejects.toThrow(RangeError);
    }
    await expect(crateLabelPdf({ ...label, sealedAt: 'today' })).rejects.toThrow(RangeError);
  });
});
