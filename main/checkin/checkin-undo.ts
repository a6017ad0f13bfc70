// Undo of the last scan: staff scanned the wrong item. The check-in stays on record, marked
// void (`voidedAt`: exports and reports leave it out), and what it caused is taken back in
// the same write group: the item comes out of the open crate it was dropped into, a hold it
// captured waits for a copy again, and an item it put on the hold shelf or in transit is
// available again. Only this desk's latest check-in, while it is fresh and still here.
import {
  fail,
  ok,
  type CheckinAnswer,
  type DeskResult,
  type Hold,
  type Item,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';
import { removeItem } from '../crates/index.js';
import type { Stored } from '../store/index.js';

/** What a capture wrote on a hold; a released hold has none of it. */
const CAPTURE_FIELDS = ['capturedAt', 'capturedItemBarcode', 'shelvedAt', 'expiresOn'] as const;

/** A stored hold without the storage's own fields. */
function documentOf(stored: Stored<'holds'>): Hold {
  const copy: Partial<Stored<'holds'>> = { ...stored };
  delete copy._deleted;
  delete copy._attachments;
  delete copy._rev;
  delete copy._meta;
  return copy as Hold;
}

/** How long after a scan staff can still undo it. */
export const UNDO_WINDOW_MS = 10 * 60_000;

export async function undoCheckin(
  ctx: DeskContext,
  args: { checkinId: string },
): Promise<DeskResult<CheckinAnswer>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  const staff = ctx.staff.current;
  if (!staff) return fail('not_signed_in', 'Sign in with your initials first.');
  const deskId = ctx.settings().deskId;

  const result = await ctx.store.atomically(async (): Promise<DeskResult<CheckinAnswer>> => {
    const checkin = await ctx.store.data.get('checkins', args.checkinId);
    if (!checkin || checkin.library !== here.code || checkin.deskId !== deskId) {
      return fail('checkin_not_found', 'There is no such check-in at this desk.');
    }
    const [latest] = (
      await ctx.store.data.find('checkins', {
        selector: { library: here.code },
        sort: [{ scannedAt: 'desc' }],
        limit: 20,
      })
    ).filter((row) => row.deskId === deskId && row.rerouteOf === undefined);
    if (latest?.id !== checkin.id) {
      return fail('undo_not_latest', 'Only the last scan at this desk can be undone.');
    }
    const item = await ctx.store.data.get('items', checkin.barcode);
    // The answer of an undo is the check-in as voided, whether voided now or before.
    const voided: CheckinAnswer = {
      checkinId: checkin.id,
      barcode: checkin.barcode,
      scannedAt: checkin.scannedAt,
      staff: checkin.staff,
      outcome: checkin.outcome,
      ...(item ? { title: item.title } : {}),
      ...(item?.callNumber === undefined ? {} : { callNumber: item.callNumber }),
      warnings: [],
      voided: true,
    };
    if (checkin.voidedAt !== undefined) return ok(voided);

    const now = ctx.now();
    if (now.getTime() - Date.parse(checkin.scannedAt) > UNDO_WINDOW_MS) {
      return fail('undo_too_late', 'That scan is more than 10 minutes old; it cannot be undone.');
    }
    const at = now.toISOString();
    const stamp = { updatedAt: at, deskId };

    const { crateId, holdId } = checkin.outcome;
    if (crateId !== undefined) {
      const crate = await ctx.store.data.get('crates', crateId);
      if (crate?.status !== 'open') {
        return fail('undo_too_late', 'The crate this item went into is sealed; take it out there.');
      }
      const removed = await removeItem(ctx, { crateId, barcode: checkin.barcode });
      // Someone took it out by hand already: nothing left to undo there.
      if (!removed.ok && removed.error.code !== 'crate_item_not_in_crate') {
        throw new Error(`undo could not take the item out of its crate: ${removed.error.code}`);
      }
    }

    if (holdId !== undefined) {
      const hold = await ctx.store.data.get('holds', holdId);
      // The hold is released only while this scan's capture is still the hold's capture.
      if (
        hold &&
        hold.capturedItemBarcode === checkin.barcode &&
        (hold.status === 'captured' || hold.status === 'in_transit' || hold.status === 'on_shelf')
      ) {
        const released: Hold = { ...documentOf(hold), ...stamp, status: 'pending' };
        for (const field of CAPTURE_FIELDS) delete released[field];
        await ctx.store.data.replace('holds', hold, released);
      }
    }

    if (item && (item.status === 'in_transit' || item.status === 'on_hold_shelf')) {
      const status: Item['status'] = 'available';
      await ctx.store.data.update('items', item, { status, ...stamp });
    }

    await ctx.store.data.update('checkins', checkin, { voidedAt: at, updatedAt: at });
    return ok(voided);
  });
  return result;
}
