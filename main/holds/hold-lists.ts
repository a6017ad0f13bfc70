// The hold screens of a desk: the pull list (holds this library is asked to fill from its
// shelves), the hold shelf (captured items waiting for their patrons), and the clear-shelf
// list (what to take off it). Read-only views over the local store, so they work offline as
// of the last sync. Shelf names reach the screen; they are never logged.
import {
  fail,
  localDay,
  ok,
  type DeskResult,
  type Hold,
  type HoldShelfEntry,
  type PullListEntry,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';

const NOT_SET_UP = 'This desk has no library yet. Set the desk up first.';

export async function pullList(
  ctx: DeskContext,
  args: { pickupLibrary?: string },
): Promise<DeskResult<PullListEntry[]>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', NOT_SET_UP);
  const holds = await ctx.store.db.holds
    .find({
      selector: {
        pullLibrary: here.code,
        status: 'pending',
        ...(args.pickupLibrary === undefined ? {} : { pickupLibrary: args.pickupLibrary }),
      },
    })
    .exec();
  // The copy to pull: the requested one for an item-level hold, else one on the shelf here.
  const bibIds = [...new Set(holds.map((hold) => hold.bibId))];
  const copies = await ctx.store.db.items
    .find({ selector: { bibId: { $in: bibIds }, location: here.code, status: 'available' } })
    .exec();
  const byBarcode = new Map(copies.map((item) => [item.barcode, item]));
  const byBib = new Map<string, (typeof copies)[number]>();
  for (const item of copies) if (!byBib.has(item.bibId)) byBib.set(item.bibId, item);
  const entries = holds.map((hold): PullListEntry => {
    const copy =
      hold.itemBarcode === undefined ? byBib.get(hold.bibId) : byBarcode.get(hold.itemBarcode);
    const barcode = hold.itemBarcode ?? copy?.barcode;
    return {
      holdId: hold.id,
      holdType: hold.itemBarcode === undefined ? 'title' : 'item',
      bibId: hold.bibId,
      pickupLibrary: hold.pickupLibrary,
      requestedAt: hold.requestedAt,
      ...(copy ? { title: copy.title } : {}),
      ...(copy?.author === undefined ? {} : { author: copy.author }),
      ...(copy?.callNumber === undefined ? {} : { callNumber: copy.callNumber }),
      ...(barcode === undefined ? {} : { itemBarcode: barcode }),
    };
  });
  return ok(entries.sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : 1)));
}

async function shelfEntries(ctx: DeskContext, holds: Hold[]): Promise<HoldShelfEntry[]> {
  const barcodes = holds.flatMap((hold) =>
    hold.capturedItemBarcode === undefined ? [] : [hold.capturedItemBarcode],
  );
  const items = await ctx.store.db.items.findByIds(barcodes).exec();
  return holds.map((hold) => {
    const item = hold.capturedItemBarcode ? items.get(hold.capturedItemBarcode) : undefined;
    return {
      holdId: hold.id,
      shelfName: hold.shelfName ?? '',
      status: hold.status,
      ...(hold.capturedItemBarcode === undefined ? {} : { itemBarcode: hold.capturedItemBarcode }),
      ...(item ? { title: item.title } : {}),
      ...(item?.callNumber === undefined ? {} : { callNumber: item.callNumber }),
      ...(hold.expiresOn === undefined ? {} : { expiresOn: hold.expiresOn }),
    };
  });
}

export async function holdShelf(ctx: DeskContext): Promise<DeskResult<HoldShelfEntry[]>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', NOT_SET_UP);
  const holds = await ctx.store.db.holds
    .find({ selector: { status: 'on_shelf', pickupLibrary: here.code } })
    .exec();
  const entries = await shelfEntries(
    ctx,
    holds.map((doc) => doc.toMutableJSON()),
  );
  return ok(entries.sort((a, b) => a.shelfName.localeCompare(b.shelfName)));
}

/**
 * What to take off the hold shelf: holds whose shelf time ran out (their last day is before
 * today, in the library's time zone) and holds cancelled while their item sat on the shelf.
 */
export async function clearShelf(ctx: DeskContext): Promise<DeskResult<HoldShelfEntry[]>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', NOT_SET_UP);
  const today = localDay(ctx.now().toISOString(), here.timeZone);
  const holds = await ctx.store.db.holds
    .find({
      selector: { status: { $in: ['on_shelf', 'cancelled', 'expired'] }, pickupLibrary: here.code },
    })
    .exec();
  const toClear: { hold: Hold; reason: 'expired' | 'cancelled' }[] = [];
  for (const doc of holds) {
    const hold = doc.toMutableJSON();
    if (hold.shelvedAt === undefined) continue;
    if (hold.status === 'on_shelf' && hold.expiresOn !== undefined && hold.expiresOn < today) {
      toClear.push({ hold, reason: 'expired' });
    } else if (hold.status !== 'on_shelf') {
      toClear.push({ hold, reason: hold.status === 'cancelled' ? 'cancelled' : 'expired' });
    }
  }
  // Only holds whose item is still on this shelf: one already cleared needs no action.
  const items = await ctx.store.db.items
    .findByIds(toClear.flatMap(({ hold }) => hold.capturedItemBarcode ?? []))
    .exec();
  const still = toClear.filter(({ hold }) => {
    const item = hold.capturedItemBarcode ? items.get(hold.capturedItemBarcode) : undefined;
    return item?.status === 'on_hold_shelf';
  });
  const entries = await shelfEntries(
    ctx,
    still.map(({ hold }) => hold),
  );
  return ok(
    entries
      .map((entry, i) => ({ ...entry, clearReason: still[i]?.reason ?? 'expired' }))
      .sort((a, b) => a.shelfName.localeCompare(b.shelfName)),
  );
}
