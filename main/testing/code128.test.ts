import bwipjs from 'bwip-js';
import fc from 'fast-check';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { readCode128 } from './code128.js';
import { darkPixels, embeddedImages } from './pdf-inspect.js';

/** A row of pixels from bar/space widths, `scale` pixels a module, with light margins. */
function rowOf(widths: readonly number[], scale: number): boolean[] {
  const row: boolean[] = Array<boolean>(5 * scale).fill(false);
  widths.forEach((width, index) =>
    row.push(...Array<boolean>(width * scale).fill(index % 2 === 0)),
  );
  return [...row, ...Array<boolean>(5 * scale).fill(false)];
}

function barWidths(text: string): number[] {
  const [symbol] = bwipjs.raw('code128', text, '');
  if (symbol === undefined || !('sbs' in symbol)) throw new Error('bwip-js gave no bars');
  return symbol.sbs;
}

describe('readCode128', () => {
  it('reads what bwip-js encodes, in every code set it picks', () => {
    const text = fc.string({
      unit: fc.integer({ min: 32, max: 126 }).map(String.fromCharCode),
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 5 }), (value, scale) => {
        expect(readCode128(rowOf(barWidths(value), scale))).toBe(value);
      }),
    );
  });

  it('reads a bwip-js PNG back out of a PDF', async () => {
    const doc = await PDFDocument.create();
    const png = await bwipjs.toBuffer({
      bcid: 'code128',
      text: 'CRATE-0042',
      scaleX: 3,
      backgroundcolor: 'FFFFFF',
    });
    doc.addPage().drawImage(await doc.embedPng(png), { x: 10, y: 10 });
    const [image] = await embeddedImages(await doc.save());
    if (image === undefined) throw new Error('no image');
    expect(readCode128(darkPixels(image, Math.floor(image.height / 2)))).toBe('CRATE-0042');
  });

  it('refuses a damaged symbol', () => {
    const widths = barWidths('30234000517861');
    const damaged = [...widths];
    damaged[8] = (damaged[8] ?? 1) + 1;
    expect(() => readCode128(rowOf(damaged, 2))).toThrow();
    expect(() => readCode128(rowOf([], 2))).toThrow();
  });
});
