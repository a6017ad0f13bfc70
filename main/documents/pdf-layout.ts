// Text on the desk's printed documents (crate labels, manifests, slips): the fonts, making any
// string drawable, and fitting it into a width. The invariant every document relies on: text
// drawn through `fitText` never runs past the width it was fitted to; it shrinks, wraps within
// its line limit, and only then is cut short with an ellipsis.
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { Color, PDFFont, PDFPage } from 'pdf-lib';

export interface DeskFonts {
  regular: PDFFont;
  bold: PDFFont;
  /** For barcodes in text: fixed width, no confusable letter shapes. */
  mono: PDFFont;
  /** For the arrow of manifest hold markers, which the text fonts cannot encode. */
  symbol: PDFFont;
}

/**
 * A new PDF with the standard fonts. No metadata is written: the same data gives the same bytes
 * (no creation time), and no title can carry a shelf name into a print spool.
 */
export async function newDocument(): Promise<{ doc: PDFDocument; fonts: DeskFonts }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const [regular, bold, mono, symbol] = await Promise.all([
    doc.embedFont(StandardFonts.Helvetica),
    doc.embedFont(StandardFonts.HelveticaBold),
    doc.embedFont(StandardFonts.Courier),
    doc.embedFont(StandardFonts.Symbol),
  ]);
  return { doc, fonts: { regular, bold, mono, symbol } };
}

export const black = rgb(0, 0, 0);
export const white = rgb(1, 1, 1);

// Latin letters whose stroke is not a combining mark, so NFKD leaves them whole.
const unaccented: Readonly<Record<string, string>> = {
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ŧ: 'T',
  ŧ: 't',
  Ŀ: 'L',
  ŀ: 'l',
  ẞ: 'SS',
};

const characterSets = new WeakMap<PDFFont, Set<number>>();

function characterSet(font: PDFFont): Set<number> {
  let set = characterSets.get(font);
  if (set === undefined) {
    set = new Set(font.getCharacterSet());
    characterSets.set(font, set);
  }
  return set;
}

const advanceWidths = new WeakMap<PDFFont, Map<string, number>>();

/**
 * The width `text` takes when drawn. pdf-lib's `widthOfTextAtSize` subtracts kerning, but
 * `drawText` writes no kerning, so a line measured with it can print wider than measured.
 * This sums the advance widths `drawText` really uses.
 */
export function textWidth(font: PDFFont, text: string, size: number): number {
  let widths = advanceWidths.get(font);
  if (widths === undefined) {
    widths = new Map();
    advanceWidths.set(font, widths);
  }
  let total = 0;
  for (const char of text) {
    let width = widths.get(char);
    if (width === undefined) {
      width = font.widthOfTextAtSize(char, 1000);
      widths.set(char, width);
    }
    total += width;
  }
  return (total * size) / 1000;
}

/**
 * `text` as `font` can draw it. The standard fonts encode WinAnsi only (Latin-1 and a few
 * more), and pdf-lib throws on anything else, yet titles and library names come from the ILS
 * in any script. Line breaks and other controls become spaces; a letter the font lacks loses
 * its accents if that makes it drawable (`ĭ` becomes `i`, `ł` becomes `l`); anything else
 * becomes `?` (a CJK title, say), so a slip still prints rather than failing at the desk.
 */
export function drawable(font: PDFFont, text: string): string {
  const set = characterSet(font);
  let out = '';
  for (const char of text.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')) {
    if (set.has(char.codePointAt(0) ?? 0)) {
      out += char;
      continue;
    }
    const base = (unaccented[char] ?? char).normalize('NFKD').replace(/\p{M}/gu, '');
    out += base !== '' && [...base].every((c) => set.has(c.codePointAt(0) ?? 0)) ? base : '?';
  }
  return out.replace(/\s+/g, ' ').trim();
}

export interface FitSpec {
  font: PDFFont;
  /** The size to use when the text fits. */
  size: number;
  /** The smallest size to shrink to before cutting the text short; `size` if absent. */
  minSize?: number;
  /** Lines the text may wrap onto; 1 if absent. */
  maxLines?: number;
  /** Line height as a multiple of the size; 1.2 if absent. */
  leading?: number;
}

/** Text fitted to a width: its lines are drawable in `font` and each fits at `size`. */
export interface Fitted {
  font: PDFFont;
  size: number;
  leading: number;
  lines: string[];
  /** The width the lines were fitted to. */
  width: number;
}

const ellipsis = '\u2026';

/**
 * Fits `text` into `maxWidth`: the largest size from `size` down to `minSize` (in half points)
 * at which it wraps at spaces into `maxLines` lines; failing that, at `minSize`, words are
 * broken where they must be and the last line ends in an ellipsis. Empty text has no lines.
 */
export function fitText(text: string, maxWidth: number, spec: FitSpec): Fitted {
  const { font, size } = spec;
  const clean = drawable(font, text);
  // Even at the smallest size, a line takes at least one character (or the ellipsis): a width
  // narrower than that lowers the smallest size rather than letting a glyph overflow.
  const widest = Math.max(
    textWidth(font, ellipsis, 1),
    ...[...new Set(clean)].map((char) => textWidth(font, char, 1)),
  );
  const minSize = Math.min(spec.minSize ?? size, size, Math.floor((100 * maxWidth) / widest) / 100);
  const maxLines = spec.maxLines ?? 1;
  const leading = spec.leading ?? 1.2;
  const fitted = (lines: string[], at: number): Fitted => ({
    font,
    size: at,
    leading,
    lines,
    width: maxWidth,
  });
  if (clean === '') return fitted([], size);
  const words = clean.split(' ');
  for (let at = size; at >= minSize; at -= 0.5) {
    const lines = wrapAtSpaces(words, font, at, maxWidth, maxLines);
    if (lines !== null) return fitted(lines, at);
  }
  return fitted(wrapBreakingWords(words, font, minSize, maxWidth, maxLines), minSize);
}

/** Greedy wrap at spaces; null when a word is wider than a line or the lines run out. */
function wrapAtSpaces(
  words: readonly string[],
  font: PDFFont,
  size: number,
  maxWidth: number,
  maxLines: number,
): string[] | null {
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (textWidth(font, candidate, size) <= maxWidth) {
      current = candidate;
      continue;
    }
    if (current === '' || lines.length + 1 === maxLines) return null;
    if (textWidth(font, word, size) > maxWidth) return null;
    lines.push(current);
    current = word;
  }
  lines.push(current);
  return lines;
}

/**
 * Greedy wrap that breaks a word too wide for a line wherever it has to; the last allowed line
 * takes all the rest of the text, cut short with an ellipsis.
 */
function wrapBreakingWords(
  words: readonly string[],
  font: PDFFont,
  size: number,
  maxWidth: number,
  maxLines: number,
): string[] {
  const fits = (text: string) => textWidth(font, text, size) <= maxWidth;
  const lines: string[] = [];
  let rest = words.join(' ');
  while (lines.length < maxLines - 1 && !fits(rest)) {
    // The longest prefix ending before a space that fits, else the longest prefix that fits.
    const chars = [...rest];
    const count = longestFitting(chars.length, (n) => fits(chars.slice(0, n).join('')));
    const head = chars.slice(0, count).join('');
    const space = head.lastIndexOf(' ');
    const cut = space > 0 && chars[count] !== ' ' ? space : head.length;
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest !== '') lines.push(withEllipsis(rest, font, size, maxWidth));
  return lines;
}

/** The largest n in 1..max with fits(n) (1 if none: a line always takes something). */
function longestFitting(max: number, fits: (n: number) => boolean): number {
  let low = 1;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** `text` if it fits, else its longest fitting prefix followed by an ellipsis. */
function withEllipsis(text: string, font: PDFFont, size: number, maxWidth: number): string {
  if (textWidth(font, text, size) <= maxWidth) return text;
  const chars = [...text];
  const shortened = (n: number) =>
    `${chars
      .slice(0, n - 1)
      .join('')
      .trimEnd()}${ellipsis}`;
  const count = longestFitting(chars.length, (n) => {
    return textWidth(font, shortened(n), size) <= maxWidth;
  });
  const candidate = shortened(count);
  return textWidth(font, candidate, size) <= maxWidth ? candidate : '';
}

/**
 * Fits text that must stay whole (a barcode, a library code): shrinks from `size` to whatever
 * size makes it fit on one line, never cutting it. Throws if even that size is below `floor`.
 */
export function fitWhole(text: string, maxWidth: number, font: PDFFont, size: number, floor = 4) {
  const clean = drawable(font, text);
  const width = textWidth(font, clean, size);
  const at = width <= maxWidth ? size : Math.floor((size * maxWidth * 100) / width) / 100;
  if (at < floor) {
    throw new RangeError(`Too long to print legibly in ${maxWidth} pt: ${JSON.stringify(text)}`);
  }
  return { font, size: at, leading: 1.2, lines: [clean], width: maxWidth } satisfies Fitted;
}

/** The height a fitted block takes: one line box per line. */
export function fittedHeight(fitted: Fitted): number {
  return fitted.lines.length * fitted.size * fitted.leading;
}

export type Align = 'left' | 'center' | 'right';

/**
 * The baseline of a fitted block's first line drawn with its top at `top`: the glyph box
 * (ascender to descender) sits in the middle of each line box. Text in another font on the same
 * line (the manifest's arrow) shares this baseline.
 */
export function firstBaseline(fitted: Fitted, top: number): number {
  const { font, size, leading } = fitted;
  const ascent = font.heightAtSize(size, { descender: false });
  return top - (size * leading - font.heightAtSize(size)) / 2 - ascent;
}

/**
 * Draws a fitted block with its top at `top`, each line aligned within the fitted width from
 * `x`. Returns the y of the block's bottom.
 */
export function drawFitted(
  page: PDFPage,
  fitted: Fitted,
  at: { x: number; top: number; align?: Align; color?: Color },
): number {
  const { font, size, leading, lines, width } = fitted;
  const lineHeight = size * leading;
  const baseline = firstBaseline(fitted, at.top);
  lines.forEach((line, index) => {
    const free = width - textWidth(font, line, size);
    const offset = at.align === 'center' ? free / 2 : at.align === 'right' ? free : 0;
    page.drawText(line, {
      x: at.x + offset,
      y: baseline - index * lineHeight,
      font,
      size,
      color: at.color ?? black,
    });
  });
  return at.top - lines.length * lineHeight;
}

/** One block of a stack: fitted text, the space above it, its alignment. */
export interface StackBlock {
  text: Fitted;
  gapBefore?: number;
  align?: Align;
}

/** The height of blocks drawn one under another. */
export function stackHeight(blocks: readonly StackBlock[]): number {
  return blocks.reduce((sum, block) => sum + (block.gapBefore ?? 0) + fittedHeight(block.text), 0);
}

/** Draws blocks one under another from `top`; returns the y under the last one. */
export function drawStack(
  page: PDFPage,
  blocks: readonly StackBlock[],
  at: { x: number; top: number },
): number {
  let y = at.top;
  for (const block of blocks) {
    y -= block.gapBefore ?? 0;
    y = drawFitted(page, block.text, { x: at.x, top: y, align: block.align ?? 'left' });
  }
  return y;
}
