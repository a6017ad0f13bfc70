// The manifest of a sealed crate: every item packed, one line each, so the receiving desk can
// tell missing from extra items, and hold items are pulled out first. As a PDF that travels in
// the crate (Letter pages) and as CSV for the consortium's counts.
import { grayscale } from 'pdf-lib';
import type { PDFFont, PDFPage } from 'pdf-lib';
import type { Library } from '../../shared/schemas/index.js';
import {
  csvText,
  drawable,
  drawFitted,
  drawStack,
  fitText,
  firstBaseline,
  fitWhole,
  localDateTime,
  newDocument,
  stackHeight,
  textWidth,
} from '../documents/index.js';
import type { DeskFonts, Fitted, StackBlock } from '../documents/index.js';

export interface CrateManifestItem {
  barcode: string;
  title: string;
  callNumber?: string;
  /** Present when the item travels to fill a hold; `pickup` is the pickup library's code. */
  forHold?: { pickup: string };
}

export interface CrateManifestInput {
  labelBarcode: string;
  origin: Pick<Library, 'code' | 'name'>;
  destination: Pick<Library, 'code' | 'name' | 'courierStop'>;
  /** ISO instant the crate was sealed. */
  sealedAt: string;
  /** The origin library's IANA time zone. */
  timeZone: string;
  /** In packing order, which the manifest keeps. */
  items: readonly CrateManifestItem[];
}

/** US Letter, portrait. */
export const manifestPageSize = { width: 612, height: 792 } as const;

const margin = 40;
const contentWidth = manifestPageSize.width - 2 * margin;
const rowPitch = 13;
const cellSize = 9;
const columnGap = 8;
const columns = { barcode: 118, callNumber: 100, hold: 84 } as const;
const holdBand = grayscale(0.88);
const titleWidth =
  contentWidth - columns.barcode - columns.callNumber - columns.hold - 3 * columnGap;
const footerTop = margin;

/**
 * The manifest as PDF: a header on every page (crate, destination, origin, sealed time, item
 * count), one line per item (barcode, call number, title cut to fit, `HOLD → CODE` for hold
 * items), an end line after the last item so a missing last page shows, and `Page x of y`.
 */
export async function crateManifestPdf(input: CrateManifestInput): Promise<Uint8Array> {
  const { doc, fonts } = await newDocument();
  const count = input.items.length;
  const header = headerBlocks(input, fonts);
  const headerBottom = manifestPageSize.height - margin - stackHeight(header);
  const rowsTop = headerBottom - 6 - rowPitch; // the column headings' row, then a rule
  const rowsPerPage = Math.floor((rowsTop - footerTop - 12) / rowPitch);
  // The end line takes a row of its own.
  const pageCount = Math.max(1, Math.ceil((count + 1) / rowsPerPage));

  for (let pageIndex = 0; pageIndex < pageCount; pageIndex += 1) {
    const page = doc.addPage([manifestPageSize.width, manifestPageSize.height]);
    drawStack(page, header, { x: margin, top: manifestPageSize.height - margin });
    drawHeadings(page, headerBottom - 6, fonts.bold);
    page.drawLine({
      start: { x: margin, y: rowsTop + 1 },
      end: { x: margin + contentWidth, y: rowsTop + 1 },
      thickness: 0.75,
    });

    const first = pageIndex * rowsPerPage;
    for (let row = 0; row < rowsPerPage && first + row <= count; row += 1) {
      const top = rowsTop - row * rowPitch;
      const item = input.items[first + row];
      if (item === undefined) {
        const end = `End of manifest: ${count} ${count === 1 ? 'item' : 'items'}`;
        drawFitted(page, fitText(end, contentWidth, { font: fonts.bold, size: cellSize }), {
          x: margin,
          top: top - 4,
        });
      } else {
        drawItem(page, top, fonts, item);
      }
    }
    drawFooter(page, fonts, input, `Page ${pageIndex + 1} of ${pageCount}`);
  }
  return doc.save();
}

function headerBlocks(input: CrateManifestInput, fonts: DeskFonts): StackBlock[] {
  const { origin, destination, items } = input;
  const stop =
    destination.courierStop === undefined ? '' : `  (courier stop ${destination.courierStop})`;
  const line = (text: string, font: PDFFont, size: number): Fitted =>
    fitText(text, contentWidth, { font, size, minSize: Math.min(size, 7) });
  return [
    { text: line('Crate manifest', fonts.bold, 16) },
    { text: fitWhole(input.labelBarcode, contentWidth, fonts.mono, 12), gapBefore: 2 },
    {
      text: line(`To: ${destination.code} ${destination.name}${stop}`, fonts.bold, 13),
      gapBefore: 4,
    },
    { text: line(`From: ${origin.code} ${origin.name}`, fonts.regular, 10) },
    {
      text: line(`Sealed ${localDateTime(input.sealedAt, input.timeZone)}`, fonts.regular, 10),
    },
    {
      text: line(`Items: ${items.length}`, fonts.bold, 10),
      gapBefore: 2,
    },
  ];
}

interface RowCells {
  barcode: Fitted;
  callNumber: Fitted;
  title: Fitted;
}

const columnX = {
  barcode: margin,
  callNumber: margin + columns.barcode + columnGap,
  title: margin + columns.barcode + columns.callNumber + 2 * columnGap,
  hold: margin + contentWidth - columns.hold,
} as const;

function drawRow(page: PDFPage, top: number, cells: RowCells): void {
  drawFitted(page, cells.barcode, { x: columnX.barcode, top });
  drawFitted(page, cells.callNumber, { x: columnX.callNumber, top });
  drawFitted(page, cells.title, { x: columnX.title, top });
}

function drawHeadings(page: PDFPage, top: number, font: PDFFont): void {
  const heading = (text: string, width: number) => fitText(text, width, { font, size: cellSize });
  drawRow(page, top, {
    barcode: heading('Barcode', columns.barcode),
    callNumber: heading('Call number', columns.callNumber),
    title: heading('Title', titleWidth),
  });
  drawFitted(page, heading('Hold', columns.hold), { x: columnX.hold, top });
}

function drawItem(page: PDFPage, top: number, fonts: DeskFonts, item: CrateManifestItem): void {
  if (item.forHold !== undefined) {
    page.drawRectangle({
      x: margin - 2,
      y: top - rowPitch + 1.5,
      width: contentWidth + 4,
      height: rowPitch,
      color: holdBand,
    });
  }
  drawRow(page, top, {
    // A barcode is never cut: it shrinks to fit its column instead.
    barcode: fitWhole(item.barcode, columns.barcode, fonts.mono, cellSize),
    callNumber: fitText(item.callNumber ?? '', columns.callNumber, {
      font: fonts.regular,
      size: cellSize,
      minSize: 6,
    }),
    title: fitText(item.title, titleWidth, { font: fonts.regular, size: cellSize }),
  });
  if (item.forHold !== undefined) drawHoldMarker(page, top, fonts, item.forHold.pickup);
}

/**
 * `HOLD → CODE`, on the light band `drawItem` lays across the row so hold items stand out to
 * whoever unpacks. The arrow comes from the Symbol font (the text fonts cannot encode it), on
 * the row's baseline. The marker shrinks as one to fit its column; a pickup code too long even
 * then is cut short.
 */
function drawHoldMarker(page: PDFPage, top: number, fonts: DeskFonts, pickup: string): void {
  const { bold, symbol } = fonts;
  const arrow = '\u2192';
  const code = drawable(bold, pickup);
  const widthAt = (size: number) =>
    textWidth(bold, 'HOLD ', size) +
    textWidth(symbol, arrow, size) +
    textWidth(bold, ` ${code}`, size);
  const size = Math.max(6, Math.min(cellSize, (cellSize * columns.hold) / widthAt(cellSize)));
  const y = firstBaseline(fitText('HOLD', columns.hold, { font: bold, size: cellSize }), top);
  let x = columnX.hold;
  page.drawText('HOLD ', { x, y, font: bold, size });
  x += textWidth(bold, 'HOLD ', size);
  page.drawText(arrow, { x, y, font: symbol, size });
  x += textWidth(symbol, arrow, size) + textWidth(bold, ' ', size);
  const [rest = ''] = fitText(code, columnX.hold + columns.hold - x, { font: bold, size }).lines;
  page.drawText(rest, { x, y, font: bold, size });
}

function drawFooter(page: PDFPage, fonts: DeskFonts, input: CrateManifestInput, pageText: string) {
  const crate = `Crate ${input.labelBarcode} to ${input.destination.code}`;
  const pageWidth = 90;
  drawFitted(page, fitText(crate, contentWidth - pageWidth, { font: fonts.regular, size: 8 }), {
    x: margin,
    top: footerTop,
  });
  drawFitted(page, fitText(pageText, pageWidth, { font: fonts.regular, size: 9 }), {
    x: margin + contentWidth - pageWidth,
    top: footerTop,
    align: 'right',
  });
}

/**
 * The manifest as CSV: `barcode,title,call_number,hold_pickup`, one record per item in packing
 * order, through the desk's one CSV writer (RFC 4180, CRLF, formula guard).
 */
export function crateManifestCsv(input: CrateManifestInput): string {
  return csvText(
    ['barcode', 'title', 'call_number', 'hold_pickup'],
    input.items.map((item) => [item.barcode, item.title, item.callNumber, item.forHold?.pickup]),
  );
}
