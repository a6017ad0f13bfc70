// Slips for an 80 mm receipt printer, as long as their content. The hold slip goes in the item
// on the hold shelf, which is ordered by shelf name, so the shelf name comes first and largest.
// The transit slip rides with an item in a crate to another library.
//
// Patron privacy: the hold slip carries the shelf name it is given and nothing else about the
// patron; the transit slip carries nothing about a patron at all, since it passes through other
// libraries and the courier. Neither writes anything to a log.
import type { Library } from '../../shared/schemas/index.js';
import {
  dayWithWeekday,
  drawStack,
  fitText,
  fitWhole,
  localDate,
  localDateTime,
  newDocument,
  stackHeight,
} from '../documents/index.js';
import type { DeskFonts, StackBlock } from '../documents/index.js';

/** 80 mm paper. */
export const slipWidth = (80 / 25.4) * 72;

const margin = 12;
const contentWidth = slipWidth - 2 * margin;

export interface HoldSlipInput {
  /** The patron's shelf name or alias, exactly as the hold carries it. */
  shelfName: string;
  pickup: Pick<Library, 'code' | 'name'>;
  itemBarcode: string;
  callNumber?: string;
  title: string;
  /** ISO instant the hold was placed. */
  requestedAt: string;
  /** Last day on the hold shelf, `YYYY-MM-DD`, already the pickup library's day. */
  shelfExpiresOn: string;
  /** The pickup library's IANA time zone. */
  timeZone: string;
}

/** The hold slip: shelf name, pickup library, title, call number, barcode, dates. */
export async function holdSlipPdf(input: HoldSlipInput): Promise<Uint8Array> {
  return slipPdf((fonts) => {
    const { regular, bold, mono } = fonts;
    const text = (value: string, size = 11, maxLines = 1) =>
      fitText(value, contentWidth, { font: regular, size, minSize: 8, maxLines });
    const blocks: StackBlock[] = [
      {
        text: fitText(input.shelfName, contentWidth, {
          font: bold,
          size: 26,
          minSize: 12,
          maxLines: 2,
        }),
      },
      { text: text('Pickup at', 8), gapBefore: 10 },
      {
        text: fitText(`${input.pickup.code} ${input.pickup.name}`, contentWidth, {
          font: bold,
          size: 13,
          minSize: 9,
          maxLines: 2,
        }),
      },
      { text: text(input.title, 11, 3), gapBefore: 8 },
    ];
    if (input.callNumber !== undefined) {
      blocks.push({ text: text(input.callNumber), gapBefore: 2 });
    }
    blocks.push(
      { text: fitWhole(input.itemBarcode, contentWidth, mono, 11), gapBefore: 2 },
      {
        text: text(`Requested ${dayWithWeekday(localDate(input.requestedAt, input.timeZone))}`, 10),
        gapBefore: 8,
      },
      {
        text: fitText(`Hold until ${dayWithWeekday(input.shelfExpiresOn)}`, contentWidth, {
          font: bold,
          size: 14,
          minSize: 9,
        }),
        gapBefore: 2,
      },
    );
    return blocks;
  });
}

export interface TransitSlipInput {
  destination: Pick<Library, 'code' | 'name' | 'courierStop'>;
  itemBarcode: string;
  title: string;
  /** Why the item travels: to fill a hold at the destination, home to its owner, or moved. */
  reason: 'hold' | 'return' | 'transfer';
  /** ISO instant the item was sent. */
  sentAt: string;
  /** The sending library's IANA time zone. */
  timeZone: string;
  origin: Pick<Library, 'code' | 'name'>;
}

const reasons: Record<TransitSlipInput['reason'], string> = {
  hold: 'For a hold at the destination',
  return: 'Returning to its owning library',
  transfer: 'Transfer',
};

/** The transit slip: destination code and name in large type, then the item and the sender. */
export async function transitSlipPdf(input: TransitSlipInput): Promise<Uint8Array> {
  const { destination } = input;
  return slipPdf((fonts) => {
    const { regular, bold, mono } = fonts;
    const blocks: StackBlock[] = [
      { text: fitText('SEND TO', contentWidth, { font: bold, size: 9 }) },
      { text: { ...fitWhole(destination.code, contentWidth, bold, 44), leading: 1 } },
      {
        text: fitText(destination.name, contentWidth, {
          font: bold,
          size: 18,
          minSize: 10,
          maxLines: 2,
        }),
      },
    ];
    if (destination.courierStop !== undefined) {
      blocks.push({
        text: fitText(`Courier stop ${destination.courierStop}`, contentWidth, {
          font: bold,
          size: 12,
          minSize: 8,
        }),
        gapBefore: 2,
      });
    }
    blocks.push(
      {
        text: fitText(reasons[input.reason], contentWidth, { font: bold, size: 11, minSize: 8 }),
        gapBefore: 10,
      },
      {
        text: fitText(input.title, contentWidth, {
          font: regular,
          size: 10,
          minSize: 8,
          maxLines: 2,
        }),
        gapBefore: 4,
      },
      { text: fitWhole(input.itemBarcode, contentWidth, mono, 10) },
      {
        text: fitText(`Sent ${localDateTime(input.sentAt, input.timeZone)}`, contentWidth, {
          font: regular,
          size: 10,
        }),
        gapBefore: 6,
      },
      {
        text: fitText(`From: ${input.origin.code} ${input.origin.name}`, contentWidth, {
          font: regular,
          size: 10,
          minSize: 8,
          maxLines: 2,
        }),
      },
    );
    return blocks;
  });
}

/** A one-page slip exactly as tall as its blocks and margins. */
async function slipPdf(blocksFor: (fonts: DeskFonts) => StackBlock[]): Promise<Uint8Array> {
  const { doc, fonts } = await newDocument();
  const blocks = blocksFor(fonts);
  const height = Math.ceil(stackHeight(blocks) + 2 * margin);
  const page = doc.addPage([slipWidth, height]);
  drawStack(page, blocks, { x: margin, top: height - margin });
  return doc.save();
}
