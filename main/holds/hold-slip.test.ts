import { PDFDocument } from 'pdf-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pdfPageTexts, pdfWords } from '../testing/index.js';
import { holdSlipPdf, slipWidth, transitSlipPdf } from './hold-slip.js';
import type { HoldSlipInput, TransitSlipInput } from './hold-slip.js';

const hold: HoldSlipInput = {
  shelfName: 'SMITH J 4821',
  pickup: { code: 'MPL', name: 'Maplewood Public Library' },
  itemBarcode: '30234000517861',
  callNumber: 'FIC MOR',
  title: 'Beloved',
  // 21:04 on Saturday 1 March in Chicago, already Sunday in UTC.
  requestedAt: '2025-03-02T03:04:05.000Z',
  shelfExpiresOn: '2025-03-21',
  timeZone: 'America/Chicago',
};

const transit: TransitSlipInput = {
  destination: { code: 'MPL', name: 'Maplewood Public Library', courierStop: 'R3-12' },
  itemBarcode: '30234000517861',
  title: 'Beloved',
  reason: 'hold',
  sentAt: '2025-03-14T22:30:00.000Z',
  timeZone: 'America/Chicago',
  origin: { code: 'EPL', name: 'Eastside Public Library' },
};

function linesOf(page: string | undefined): string[] {
  return (page ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Every word sits inside the slip's margins, and the slip ends one margin under the last. */
function expectFitted(bytes: Uint8Array, margin = 12): void {
  const { pages, words } = pdfWords(bytes);
  expect(pages).toHaveLength(1);
  const { width, height } = pages[0] ?? { width: 0, height: 0 };
  expect(width).toBeCloseTo(226.77, 1);
  for (const word of words) {
    expect(word.xMin, word.text).toBeGreaterThanOrEqual(margin - 0.01);
    expect(word.xMax, word.text).toBeLessThanOrEqual(width - margin + 0.01);
    expect(word.yMin, word.text).toBeGreaterThanOrEqual(margin - 0.01);
    expect(word.yMax, word.text).toBeLessThanOrEqual(height - margin + 0.01);
  }
  const lowest = Math.max(...words.map((word) => word.yMax));
  expect(height - lowest).toBeLessThan(margin + 6);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('holdSlipPdf', () => {
  it('is one page 80 mm wide, as tall as its content', async () => {
    const bytes = await holdSlipPdf(hold);
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBe(1);
    const { width, height } = doc.getPage(0).getSize();
    expect(width).toBeCloseTo(226.77, 1);
    expect(slipWidth).toBeCloseTo(226.77, 1);
    expect(height).toBeGreaterThan(120);
    expect(height).toBeLessThan(300);
    expectFitted(bytes);
  });

  it('puts the shelf name first, then pickup, title, call number, barcode and dates', async () => {
    expect(linesOf(pdfPageTexts(await holdSlipPdf(hold))[0])).toEqual([
      'SMITH J 4821',
      'Pickup at',
      'MPL Maplewood Public Library',
      'Beloved',
      'FIC MOR',
      '30234000517861',
      'Requested Sat 2025-03-01',
      'Hold until Fri 2025-03-21',
    ]);
  });

  it('sets the shelf name in the largest type on the slip', async () => {
    const { words } = pdfWords(await holdSlipPdf(hold));
    const heights = words.map((word) => ({ text: word.text, height: word.yMax - word.yMin }));
    const shelf = heights.find((word) => word.text === 'SMITH');
    expect(shelf?.height).toBeGreaterThan(20);
    for (const word of heights) {
      if (!['SMITH', 'J', '4821'].includes(word.text)) {
        expect(word.height, word.text).toBeLessThan(shelf?.height ?? 0);
      }
    }
  });

  it('grows to fit long text and still keeps inside the paper', async () => {
    const long: HoldSlipInput = {
      ...hold,
      shelfName: 'Alexandra-Konstantina Papadopoulou-Vasilopoulou-Worthington the Third',
      pickup: {
        code: 'NORTHBRANCH',
        name: 'North Branch of the Maplewood Public Library District',
      },
      title: `A Title That Goes On ${'and on '.repeat(60)}`,
      callNumber: 'REF 025.04 SMI 2025 v.12 pt.3 copy 2 oversize folio shelved by the desk',
    };
    const bytes = await holdSlipPdf(long);
    expectFitted(bytes);
    const [page] = pdfPageTexts(bytes);
    expect(page).toContain('Hold until Fri 2025-03-21');
    expect(page).toMatch(/…/);
    const short = (await PDFDocument.load(await holdSlipPdf(hold))).getPage(0).getHeight();
    expect((await PDFDocument.load(bytes)).getPage(0).getHeight()).toBeGreaterThan(short);
  });

  it('prints no patron data but the shelf name, and logs nothing', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(() => undefined),
    );
    // A caller handing over a whole hold record must not get its other fields printed.
    const record = { ...hold, patronRef: 'PATRON-REF-0042', patronName: 'Jane Q. Smith' };
    const [page = ''] = pdfPageTexts(await holdSlipPdf(record));
    expect(page).not.toContain('PATRON-REF-0042');
    expect(page).not.toContain('Jane');
    await transitSlipPdf(transit);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('leaves out a call number the item does not have', async () => {
    const lines = linesOf(pdfPageTexts(await holdSlipPdf({ ...hold, callNumber: undefined }))[0]);
    expect(lines).not.toContain('FIC MOR');
    expect(lines[4]).toBe('30234000517861');
  });

  it('refuses dates that are not dates', async () => {
    await expect(holdSlipPdf({ ...hold, shelfExpiresOn: '21/03/2025' })).rejects.toThrow(
      RangeError,
    );
    await expect(holdSlipPdf({ ...hold, requestedAt: 'last week' })).rejects.toThrow(RangeError);
  });
});

describe('transitSlipPdf', () => {
  it('is one page 80 mm wide that leads with the destination in large type', async () => {
    const bytes = await transitSlipPdf(transit);
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(1);
    expectFitted(bytes);
    expect(linesOf(pdfPageTexts(bytes)[0])).toEqual([
      'SEND TO',
      'MPL',
      'Maplewood Public',
      'Library',
      'Courier stop R3-12',
      'For a hold at the destination',
      'Beloved',
      '30234000517861',
      'Sent 2025-03-14 17:30',
      'From: EPL Eastside Public Library',
    ]);
    const { words } = pdfWords(bytes);
    const height = (text: string) => {
      const word = words.find((candidate) => candidate.text === text);
      return (word?.yMax ?? 0) - (word?.yMin ?? 0);
    };
    expect(height('MPL')).toBeGreaterThan(40);
    expect(height('Maplewood')).toBeGreaterThan(16);
    expect(height('Beloved')).toBeLessThan(12);
  });

  it('says why the item travels', async () => {
    const reasons = { return: 'Returning to its owning library', transfer: 'Transfer' } as const;
    for (const [reason, text] of Object.entries(reasons)) {
      const [page = ''] = pdfPageTexts(
        await transitSlipPdf({ ...transit, reason: reason as TransitSlipInput['reason'] }),
      );
      expect(page).toContain(text);
      expect(page).not.toContain('For a hold');
    }
  });

  it('keeps long destination names and codes inside the paper', async () => {
    const bytes = await transitSlipPdf({
      ...transit,
      destination: {
        code: 'WWWWWWWWWWWWWWWWWWWW',
        name: 'Supercalifragilisticexpialidocious Memorial Library of the Greater Metropolitan Area',
      },
      title: 'x'.repeat(300),
    });
    expectFitted(bytes);
    const [page = ''] = pdfPageTexts(bytes);
    expect(page).toContain('WWWWWWWWWWWWWWWWWWWW');
    expect(page).not.toContain('Courier stop');
  });
});
