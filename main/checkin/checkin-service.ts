// Check-in: the scan path. Reads the facts routing needs from the local store, decides with
// the pure rule (shared/rules/routing.ts), and records the scan together with everything it
// causes (hold captured, item status, crate packed) in ONE write group: the answer is given
// only after that transaction has committed, so an answered scan is never lost and never
// half-applied.
import {
  fail,
  ok,
  readScan,
  routeCheckin,
  type Checkin,
  type CheckinAnswer,
  type CheckinOutcome,
  type DeskResult,
  type DeskWarning,
  type Hold,
  type Item,
  type Library,
  type LibraryRef,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';
import { crateFactsFor, packForTransit } from '../crates/index.js';
import type { Stored } from '../store/index.js';

export interface ScanOptions {
  /** The item arrives in this crate and was ticked off it already (crate receipt). */
  readonly receivedFromCrate?: string;
  /**
   * Not a scan: the item is routed again because the hold that check-in captured it for was
   * filled by another copy first (sync). Recorded with `rerouteOf`; staff named as before.
   */
  readonly rerouteOf?: string;
  /** Who the record names; the signed-in staff member by default. */
  readonly staff?: string;
}

function libraryRef(library: Library | undefined, code: string): LibraryRef {
  return {
    code,
    name: library?.name ?? code,
    ...(library?.courierStop === undefined ? {} : { courierStop: library.courierStop }),
  };
}

/**
 * The holds on this item's record (item-level holds carry the record's id too). An item the
 * desk does not know has no record to look up; it may still be a copy captured elsewhere for
 * a hold picked up here, on its way to this shelf (read through the status index).
 */
async function holdsFor(
  ctx: DeskContext,
  item: Item | undefined,
  barcode: string,
  here: string,
): Promise<Hold[]> {
  if (item) return ctx.store.data.find('holds', { selector: { bibId: item.bibId } });
  return ctx.store.data.find('holds', {
    selector: {
      status: { $in: ['captured', 'in_transit'] },
      pickupLibrary: here,
      capturedItemBarcode: barcode,
    },
  });
}

/** When this barcode was last scanned here (an undone scan does not count). */
async function lastCheckinHere(
  ctx: DeskContext,
  barcode: string,
  here: string,
): Promise<string | undefined> {
  const recent = await ctx.store.data.find('checkins', {
    selector: { barcode, library: here },
    sort: [{ scannedAt: 'desc' }],
    limit: 5,
  });
  return recent.find((checkin) => checkin.voidedAt === undefined && !checkin.rerouteOf)?.scannedAt;
}

/** The writes a routed check-in causes, besides the check-in record itself. */
async function applyOutcome(
  ctx: DeskContext,
  scan: {
    id: string;
    barcode: string;
    item: Stored<'items'> | undefined;
    outcome: CheckinOutcome;
    here: Library;
    staff: string;
    scannedAt: string;
    expectedInCrate: string | undefined;
    receivedFromCrate: string | undefined;
  },
): Promise<{ outcome: CheckinOutcome; crate?: CheckinAnswer['crate']; warnings: DeskWarning[] }> {
  const { outcome, here } = scan;
  const stamp = { updatedAt: scan.scannedAt, deskId: ctx.settings().deskId };
  const warnings: DeskWarning[] = [];
  let crate: CheckinAnswer['crate'];
  let recorded = outcome;

  // An item expected here in a crate and checked in directly is ticked off that crate too.
  if (outcome.transitReceived && scan.expectedInCrate && !scan.receivedFromCrate) {
    await ctx.store.data.insert('crateScans', [
      {
        id: ctx.newId(),
        crateId: scan.expectedInCrate,
        barcode: scan.barcode,
        action: 'receive',
        scannedAt: scan.scannedAt,
        staff: scan.staff,
        ...stamp,
      },
    ]);
  }

  if (outcome.holdId) {
    const hold = await ctx.store.data.get('holds', outcome.holdId);
    if (hold) {
      // A copy captured earlier (in transit to here) keeps its capture time.
      const captured =
        hold.capturedItemBarcode === scan.barcode && hold.capturedAt !== undefined
          ? stamp
          : { capturedAt: scan.scannedAt, capturedItemBarcode: scan.barcode, ...stamp };
      await ctx.store.data.update(
        'holds',
        hold,
        outcome.route === 'hold_here'
          ? {
              ...captured,
              status: 'on_shelf',
              shelvedAt: scan.scannedAt,
              ...(outcome.shelfExpiresOn === undefined
                ? {}
                : { expiresOn: outcome.shelfExpiresOn }),
            }
          : { ...captured, status: 'in_transit' },
      );
    }
  }

  const travels = outcome.route === 'hold_transit' || outcome.route === 'return_home';
  if (travels && outcome.destination !== undefined) {
    const packed = await packForTransit(ctx, {
      here,
      destination: outcome.destination,
      barcode: scan.barcode,
      staff: scan.staff,
      // The crate scan shares the check-in's id: one check-in packs an item at most once.
      scanId: scan.id,
    });
    crate = packed.crate;
    warnings.push(...packed.warnings);
    recorded = { ...outcome, crateId: packed.crate.crateId };
  }

  if (scan.item) {
    const item = scan.item;
    const status: Item['status'] | undefined =
      outcome.route === 'hold_here'
        ? 'on_hold_shelf'
        : travels
          ? 'in_transit'
          : outcome.route === 'reshelve' || outcome.route === 'float_here'
            ? 'available'
            : undefined;
    if (status !== undefined) {
      await ctx.store.data.update('items', item, {
        status,
        ...(outcome.route === 'float_here' ? { location: here.code } : {}),
        ...stamp,
      });
    }
  }
  return { outcome: recorded, ...(crate ? { crate } : {}), warnings };
}

/**
 * Checks an item in. Nothing is recorded for a scan that fails its checks; everything else
 * is recorded, set-asides included, and answered after the commit.
 */
export async function checkIn(
  ctx: DeskContext,
  args: { barcode: string },
  options: ScanOptions = {},
): Promise<DeskResult<CheckinAnswer>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  const staff = options.staff === undefined ? ctx.staff.current : { initials: options.staff };
  if (!staff) return fail('not_signed_in', 'Sign in with your initials first.');
  const libraries = await ctx.libraries();
  const scan = readScan(args.barcode, [...libraries.values()]);
  if (!scan.ok) return fail(scan.code, scan.message);
  const barcode = scan.barcode;

  const answer = await ctx.store.atomically(async () => {
    const scannedAt = ctx.now().toISOString();
    const item = await ctx.store.data.get('items', barcode);
    const [holds, crates, lastHere] = await Promise.all([
      holdsFor(ctx, item, barcode, here.code),
      crateFactsFor(ctx, barcode, here.code),
      lastCheckinHere(ctx, barcode, here.code),
    ]);
    const expectedInCrate = options.receivedFromCrate ?? crates.expectedInCrate;
    const routed = routeCheckin({
      barcode,
      here: here.code,
      scannedAt,
      libraries,
      item,
      holds,
      expectedInTransit: expectedInCrate !== undefined,
      inOpenCrate: crates.inOpenCrate,
      ...(crates.lastSentFromHereAt === undefined
        ? {}
        : { lastSentFromHereAt: crates.lastSentFromHereAt }),
      // A re-routing is no scan, so never a repeat of one.
      ...(lastHere === undefined || options.rerouteOf !== undefined
        ? {}
        : { lastCheckinHereAt: lastHere }),
    });

    const id = ctx.newId();
    const applied = await applyOutcome(ctx, {
      id,
      barcode,
      item,
      outcome: routed,
      here,
      staff: staff.initials,
      scannedAt,
      expectedInCrate,
      receivedFromCrate: options.receivedFromCrate,
    });
    const clockOffsetMs = ctx.clock.offsetMs;
    const record: Checkin = {
      id,
      barcode,
      library: here.code,
      staff: staff.initials,
      scannedAt,
      outcome: applied.outcome,
      ...(clockOffsetMs === null ? {} : { clockOffsetMs: Math.round(clockOffsetMs) }),
      ...(options.rerouteOf === undefined ? {} : { rerouteOf: options.rerouteOf }),
      updatedAt: scannedAt,
      deskId: ctx.settings().deskId,
    };
    await ctx.store.data.insert('checkins', [record]);

    const hold = routed.holdId ? holds.find((h) => h.id === routed.holdId) : undefined;
    const destination = applied.outcome.destination;
    const result: CheckinAnswer = {
      checkinId: id,
      barcode,
      scannedAt,
      staff: staff.initials,
      outcome: applied.outcome,
      ...(item ? { title: item.title } : {}),
      ...(item?.callNumber === undefined ? {} : { callNumber: item.callNumber }),
      ...(destination === undefined || destination === here.code
        ? {}
        : { destination: libraryRef(libraries.get(destination), destination) }),
      ...(applied.crate ? { crate: applied.crate } : {}),
      ...(routed.route === 'hold_here' && hold?.shelfName !== undefined
        ? {
            holdSlip: {
              holdId: hold.id,
              shelfName: hold.shelfName,
              expiresOn: routed.shelfExpiresOn ?? '',
            },
          }
        : {}),
      warnings: applied.warnings,
      ...(options.rerouteOf === undefined ? {} : { rerouteOf: options.rerouteOf }),
    };
    return result;
  });
  ctx.events.emit('checkin.recorded', answer);
  if (answer.crate) ctx.events.emit('crates.changed', answer.crate);
  return ok(answer);
}

/** The latest check-ins at this desk's library, newest first. */
export async function recentCheckins(
  ctx: DeskContext,
  args: { limit?: number },
): Promise<DeskResult<CheckinAnswer[]>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  const docs = await ctx.store.db.checkins
    .find({
      selector: { library: here.code },
      sort: [{ scannedAt: 'desc' }],
      limit: args.limit ?? 20,
    })
    .exec();
  const items = await ctx.store.db.items.findByIds(docs.map((doc) => doc.barcode)).exec();
  const libraries = await ctx.libraries();
  return ok(
    docs.map((doc) => {
      const item = items.get(doc.barcode);
      const destination = doc.outcome.destination;
      return {
        checkinId: doc.id,
        barcode: doc.barcode,
        scannedAt: doc.scannedAt,
        staff: doc.staff,
        outcome: doc.toMutableJSON().outcome,
        ...(item ? { title: item.title } : {}),
        ...(item?.callNumber === undefined ? {} : { callNumber: item.callNumber }),
        ...(destination === undefined || destination === here.code
          ? {}
          : { destination: libraryRef(libraries.get(destination), destination) }),
        warnings: [],
        ...(doc.voidedAt === undefined ? {} : { voided: true as const }),
        ...(doc.rerouteOf === undefined ? {} : { rerouteOf: doc.rerouteOf }),
      };
    }),
  );
}
