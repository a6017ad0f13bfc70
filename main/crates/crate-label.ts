// The label on a sealed courier crate: a 4x6 inch thermal label. It is read from across a
// sorting room, so the destination code is as large as the width allows; the crate's barcode
// is what the receiving desk scans to open the crate's manifest.
import bwipjs from 'bwip-js';
import type { PDFFont, PDFPage } from 'pdf-lib';
import type { Library } from '../../shared/schemas/index.js';
import {
  black,
  dayWithWeekday,
  drawFitted,
  drawStack,
  fitText,
  fitWhole,
  fittedHeight,
  localDate,
  newDocument,
  stackHeight,
  white,
} from '../documents/index.js';
import type { StackBlock } from '../documents/index.js';

export interface CrateLabelInput {
  labelBarcode: string;
  origin: Pick<Library, 'code' | 'name'>;
  destination: Pick<Library, 'code' | 'name' | 'courierStop'>;
  itemCount: number;
  /** ISO instant the crate was sealed. */
  sealedAt: string;
  /** The origin library's IANA time zone: the sealed date is its local date. */
  timeZone: string;
}

/** 4 x 6 inches, portrait. */
export const crateLabelSize = { width: 288, height: 432 } as const;

const margin = 14;
const contentWidth = crateLabelSize.width - 2 * margin;

/**
 * The crate label as a one-page PDF. Throws a RangeError for a barcode Code 128 cannot carry as
 * a crate label (anything but 1-40 printable ASCII characters without spaces) or an item count
 * that is not a whole number.
 */
export async function crateLabelPdf(input: CrateLabelInput): Promise<Uint8Array> {
  const { labelBarcode, origin, destination, itemCount } = input;
  if (!/^[!-~]{1,40}$/.test(labelBarcode)) {
    throw new RangeError('A crate label barcode is 1-40 printable ASCII characters, no spaces.');
  }
  if (!Number.isSafeInteger(itemCount) || itemCount < 0) {
    throw new RangeError(`Not an item count: ${itemCount}`);
  }
  const sealedOn = dayWithWeekday(localDate(input.sealedAt, input.timeZone));

  const { doc, fonts } = await newDocument();
  const page = doc.addPage([crateLabelSize.width, crateLabelSize.height]);
  const { regular, bold, mono } = fonts;

  // From the top: where the crate goes. The largest sizes here are bounded so that this part
  // and the bottom part below never meet, whatever the names.
  const top: StackBlock[] = [
    { text: fitText('TO', contentWidth, { font: bold, size: 10 }) },
    {
      text: { ...fitWhole(destination.code, contentWidth, bold, 110), leading: 1 },
      align: 'center',
    },
    {
      text: fitText(destination.name, contentWidth, {
        font: bold,
        size: 24,
        minSize: 12,
        maxLines: 2,
      }),
      gapBefore: 2,
      align: 'center',
    },
  ];
  const topBottom = drawStack(page, top, { x: margin, top: crateLabelSize.height - margin });
  if (destination.courierStop !== undefined) {
    drawCourierStop(page, destination.courierStop, topBottom - 8, fonts.bold);
  }

  // From the bottom up: origin, count and date, then the barcode above them.
  const bottom: StackBlock[] = [
    { text: fitText(`Items: ${itemCount}`, contentWidth, { font: bold, size: 18 }) },
    { text: fitText(`Sealed ${sealedOn}`, contentWidth, { font: regular, size: 12 }) },
    {
      text: fitText(`From: ${origin.code} ${origin.name}`, contentWidth, {
        font: regular,
        size: 11,
        minSize: 7,
      }),
      gapBefore: 6,
    },
  ];
  const bottomTop = margin + stackHeight(bottom);
  drawStack(page, bottom, { x: margin, top: bottomTop });

  const humanReadable = fitWhole(labelBarcode, contentWidth, mono, 12);
  const textTop = bottomTop + 10 + fittedHeight(humanReadable);
  drawFitted(page, humanReadable, { x: margin, top: textTop, align: 'center' });
  await drawCode128(page, labelBarcode, { bottom: textTop + 2, height: 72 });

  return doc.save();
}

/** The courier stop, white on a black band so it stands apart from the library name. */
function drawCourierStop(page: PDFPage, stop: string, top: number, font: PDFFont): void {
  const padding = 4;
  const text = fitText(`COURIER STOP ${stop}`, contentWidth - 2 * padding, {
    font,
    size: 16,
    minSize: 8,
  });
  const height = fittedHeight(text) + 2 * padding;
  page.drawRectangle({ x: margin, y: top - height, width: contentWidth, height, color: black });
  drawFitted(page, text, {
    x: margin + padding,
    top: top - padding,
    align: 'center',
    color: white,
  });
}

// Code 128 wants a quiet zone of 10 modules each side. 2 pt modules (0.028 in, about 5.6 dots
// on a 203 dpi label printer) scan easily; long barcodes get narrower modules to fit the width.
const quietModules = 10;
const widestModule = 2;
// Pixels per module in the PNG: each module edge falls on a pixel edge, and a viewer that
// smooths scaled images blurs only a quarter module.
const pixelsPerModule = 4;

/** The barcode as a bwip-js PNG, centred, its bottom at `bottom`. */
async function drawCode128(
  page: PDFPage,
  text: string,
  at: { bottom: number; height: number },
): Promise<void> {
  const png = await bwipjs.toBuffer({
    bcid: 'code128',
    text,
    scaleX: pixelsPerModule,
    scaleY: 1,
    height: 8,
    backgroundcolor: 'FFFFFF',
  });
  const image = await page.doc.embedPng(png);
  const modules = image.width / pixelsPerModule;
  const moduleWidth = Math.min(widestModule, contentWidth / (modules + 2 * quietModules));
  const width = modules * moduleWidth;
  page.drawImage(image, {
    x: (crateLabelSize.width - width) / 2,
    y: at.bottom,
    width,
    height: at.height,
  });
}
