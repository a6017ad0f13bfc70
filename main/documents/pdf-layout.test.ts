import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawable, fitText, fitWhole, fittedHeight, newDocument, textWidth } from './pdf-layout.js';

const { doc, fonts } = await newDocument();
const { regular, bold, mono } = fonts;

describe('drawable', () => {
  it('keeps WinAnsi text, including its typography', () => {
    expect(drawable(regular, 'Café “Noir” – 12€ … Œuvres')).toBe('Café “Noir” – 12€ … Œuvres');
  });

  it('drops accents the font lacks, maps stroked letters, and marks the rest with ?', () => {
    expect(drawable(regular, 'Łódź, Dostoevskiĭ, Đorđe')).toBe('Lódz, Dostoevskii, Dorde');
    expect(drawable(regular, '東京 🙂 Ω')).toBe('?? ? ?');
  });

  it('turns line breaks and other controls into single spaces', () => {
    expect(drawable(regular, '  one\ttwo\r\nthree\u2028four\u0000five  ')).toBe(
      'one two three four five',
    );
  });

  it('always gives text the font can encode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const clean = drawable(bold, text);
        expect(() => bold.encodeText(clean)).not.toThrow();
      }),
    );
  });
});

describe('fitText', () => {
  it('keeps the size when the text fits', () => {
    const fitted = fitText('MPL', 200, { font: bold, size: 40, minSize: 10 });
    expect(fitted).toMatchObject({ size: 40, lines: ['MPL'] });
    expect(fittedHeight(fitted)).toBeCloseTo(48);
  });

  it('wraps onto its lines before it shrinks, and shrinks before it cuts', () => {
    const name = 'Maplewood Public Library Main Branch';
    const twoLines = fitText(name, 200, { font: bold, size: 20, minSize: 8, maxLines: 2 });
    expect(twoLines.size).toBe(20);
    expect(twoLines.lines).toHaveLength(2);
    const oneLine = fitText(name, 200, { font: bold, size: 20, minSize: 8 });
    expect(oneLine.size).toBeLessThan(20);
    expect(oneLine.size).toBeGreaterThanOrEqual(8);
    expect(oneLine.lines).toEqual([name]);
  });

  it('ends the last line with an ellipsis when even the smallest size is too big', () => {
    const title = 'The Very Long Title of a Book About Everything Under the Sun, Volume Two';
    const fitted = fitText(title, 100, { font: regular, size: 9 });
    expect(fitted.lines).toHaveLength(1);
    expect(fitted.lines[0]).toMatch(/^The Very Long.*…$/);
  });

  it('breaks a word wider than the line only at the smallest size', () => {
    const fitted = fitText('X'.repeat(60), 100, {
      font: regular,
      size: 12,
      minSize: 10,
      maxLines: 3,
    });
    expect(fitted.size).toBe(10);
    expect(fitted.lines).toHaveLength(3);
    expect(fitted.lines[2]).toMatch(/^X+…$/);
    expect(fitted.lines.join('').replace('…', '')).toMatch(/^X+$/);
  });

  it('goes below the smallest size rather than let one glyph overflow a narrow width', () => {
    const fitted = fitText('W', 10, { font: bold, size: 24, minSize: 18 });
    expect(fitted.lines).toEqual(['W']);
    expect(textWidth(bold, 'W', fitted.size)).toBeLessThanOrEqual(10);
  });

  it('has no lines for empty text', () => {
    expect(fitText(' \n ', 100, { font: regular, size: 12 }).lines).toEqual([]);
  });

  it('never gives a line wider than the width, nor more lines than allowed', () => {
    const words = fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 25 }), {
      maxLength: 40,
    });
    const spec = fc.record({
      width: fc.integer({ min: 20, max: 500 }),
      size: fc.integer({ min: 6, max: 120 }),
      shrink: fc.integer({ min: 0, max: 60 }),
      maxLines: fc.integer({ min: 1, max: 4 }),
      font: fc.constantFrom(regular, bold, mono),
    });
    fc.assert(
      fc.property(words, spec, (list, { width, size, shrink, maxLines, font }) => {
        // Widths of at least an em at the smallest size (the widest glyphs here are about 1 em).
        const minSize = Math.min(Math.max(4, size - shrink), width / 1.05);
        const fitted = fitText(list.join(' '), width, { font, size, minSize, maxLines });
        expect(fitted.lines.length).toBeLessThanOrEqual(maxLines);
        expect(fitted.size).toBeLessThanOrEqual(size);
        expect(fitted.size).toBeGreaterThanOrEqual(minSize);
        for (const line of fitted.lines) {
          expect(textWidth(font, line, fitted.size)).toBeLessThanOrEqual(width);
        }
      }),
    );
  });
});

describe('textWidth', () => {
  it('measures what drawText draws: advance widths, without the kerning pdf-lib subtracts', () => {
    // Helvetica kerns "A" against "V" by -70/1000 em; drawText draws no kerning.
    expect(regular.widthOfTextAtSize('AV', 10)).toBeCloseTo(12.64);
    expect(textWidth(regular, 'AV', 10)).toBeCloseTo(13.34);
    expect(textWidth(mono, 'ABC', 10)).toBeCloseTo(18);
  });
});

describe('fitWhole', () => {
  it('shrinks a barcode to fit instead of cutting it', () => {
    const barcode = 'CRATE-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456';
    const fitted = fitWhole(barcode, 100, mono, 12);
    expect(fitted.lines).toEqual([barcode]);
    expect(textWidth(mono, barcode, fitted.size)).toBeLessThanOrEqual(100);
  });

  it('refuses to go below a legible size', () => {
    expect(() => fitWhole('X'.repeat(200), 100, mono, 12)).toThrow(RangeError);
  });
});

it('writes no metadata, so the same drawing gives the same bytes', async () => {
  const draw = async () => {
    const made = await newDocument();
    made.doc.addPage([100, 100]).drawText('same', { font: made.fonts.regular, size: 10 });
    return made.doc.save();
  };
  const [first, second] = [await draw(), await draw()];
  expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
  expect(Buffer.from(first).toString('latin1')).not.toMatch(/CreationDate|Producer|Title/);
  expect(doc.getPageCount()).toBe(0);
});
