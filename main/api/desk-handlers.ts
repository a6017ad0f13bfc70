// The desk API's handlers: each capability's functions bound to the desk context, checked by
// the compiler against the contract (`satisfies DeskHandlers[...]`). Composition that spans
// capabilities lives here (receiving an item = ticking it off its crate + checking it in, in
// one write group), so capabilities never import each other in a circle.
import {
  fail,
  localDay,
  ok,
  readScan,
  type DeskDocument,
  type DeskHandlers,
  type DeskResult,
  type Checkin,
  type Library,
  type ReceiveItemAnswer,
} from '../../shared/index.js';
import { maintenanceWithoutDataFolder } from '../backup/index.js';
import { checkIn, recentCheckins, undoCheckin } from '../checkin/index.js';
import { deskLibrary, type DeskContext } from '../context.js';
import {
  addItem,
  closeCrate,
  crateLabelPdf,
  crateManifestCsv,
  crateManifestPdf,
  getCrate,
  listCrates,
  openCrate,
  receiveCrate,
  removeItem,
  sealCrate,
  tickOff,
} from '../crates/index.js';
import { checkinsCsv, checkinsCsvRow, kocFile, onServerClock } from '../exports/index.js';
import { clearShelf, holdShelf, holdSlipPdf, pullList, transitSlipPdf } from '../holds/index.js';
import { notesHandlers } from '../notes/index.js';
import { checkinsByDay, crateTraffic, waiting } from '../reports/index.js';
import { knownLibraries, loadDemo, setUpStandalone } from '../setup/index.js';
import { deskStatus, signIn, signOut } from '../staff/index.js';
import { createDeskSync, syncHandlers, type DeskSync } from '../sync/index.js';

const NOT_SET_UP = 'This desk has no library yet. Set the desk up first.';

function document(
  fileName: string,
  mimeType: DeskDocument['mimeType'],
  content: Uint8Array | string,
): DeskDocument {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  return { fileName, mimeType, base64: bytes.toString('base64') };
}

/** A sealed (or later) crate of this desk's library, with what its documents need. */
async function sealedCrateDocuments(ctx: DeskContext, crateId: string) {
  const view = await getCrate(ctx, { crateId });
  if (!view.ok) return view;
  if (view.value.status === 'open') {
    return fail<never>('crate_wrong_state', 'Seal the crate first: its manifest is not final yet.');
  }
  const libraries = await ctx.libraries();
  const crate = view.value;
  return ok({
    crate,
    timeZone: libraries.get(crate.origin.code)?.timeZone ?? 'UTC',
    manifest: {
      labelBarcode: crate.labelBarcode,
      origin: crate.origin,
      destination: crate.destination,
      sealedAt: crate.sealedAt ?? crate.openedAt,
      timeZone: libraries.get(crate.origin.code)?.timeZone ?? 'UTC',
      items: crate.items.map((item) => ({
        barcode: item.barcode,
        title: item.title ?? '(not in the local catalogue)',
        ...(item.callNumber === undefined ? {} : { callNumber: item.callNumber }),
        ...(item.forHoldAt === undefined ? {} : { forHold: { pickup: item.forHoldAt } }),
      })),
    },
  });
}

/** Check-ins of this library whose local day lies in [from, to]. */
async function checkinsInRange(
  ctx: DeskContext,
  here: Library,
  from: string,
  to: string,
): Promise<Checkin[]> {
  // Local days are at most 14 hours off UTC, a wrong desk clock corrected (onServerClock) at
  // most a day more: read two days more on each side, then filter.
  const lower = new Date(Date.parse(`${from}T00:00:00.000Z`) - 2 * 86_400_000).toISOString();
  const upper = new Date(Date.parse(`${to}T00:00:00.000Z`) + 3 * 86_400_000).toISOString();
  const docs = await ctx.store.data.find('checkins', {
    selector: { scannedAt: { $gte: lower, $lt: upper }, library: here.code },
  });
  // An undone scan and a re-routing after sync are not check-ins an ILS should see; a scan
  // made on a clock that was plainly wrong is dated by the server's.
  return docs
    .filter((doc) => doc.voidedAt === undefined && doc.rerouteOf === undefined)
    .map((doc) => onServerClock(doc))
    .filter((doc) => {
      const day = localDay(doc.scannedAt, here.timeZone);
      return day >= from && day <= to;
    });
}

async function exportRange(
  ctx: DeskContext,
  args: { from: string; to: string },
): Promise<DeskResult<{ here: Library; rows: Awaited<ReturnType<typeof checkinsInRange>> }>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', NOT_SET_UP);
  if (
    args.from > args.to ||
    Number.isNaN(Date.parse(args.from)) ||
    Number.isNaN(Date.parse(args.to))
  ) {
    return fail('range_invalid', 'The first day must be a real date on or before the last day.');
  }
  return ok({ here, rows: await checkinsInRange(ctx, here, args.from, args.to) });
}

/**
 * The desk API over `ctx`. `parts.sync` is the desk's sync (startDesk makes it, to resume and
 * stop it); without one, a sync is made that runs only once the desk is enrolled.
 */
export function createDeskHandlers(
  ctx: DeskContext,
  parts: { sync?: DeskSync; maintenance?: DeskHandlers['maintenance'] } = {},
): DeskHandlers {
  return {
    desk: {
      status: () => deskStatus(ctx),
      libraries: () => knownLibraries(ctx),
      loadDemo: (args) => loadDemo(ctx, args),
      setUpStandalone: (args) => setUpStandalone(ctx, args),
    } satisfies DeskHandlers['desk'],

    staff: {
      signIn: (args) => signIn(ctx, args),
      signOut: () => signOut(ctx),
    } satisfies DeskHandlers['staff'],

    checkin: {
      scan: (args) => checkIn(ctx, args),
      undo: (args) => undoCheckin(ctx, args),
      transitSlip: async ({ checkinId }) => {
        const here = await deskLibrary(ctx);
        if (!here) return fail('desk_not_set_up', NOT_SET_UP);
        const checkin = await ctx.store.data.get('checkins', checkinId);
        const { route, destination } = checkin?.outcome ?? {};
        if (
          !checkin ||
          checkin.library !== here.code ||
          (route !== 'hold_transit' && route !== 'return_home') ||
          destination === undefined
        ) {
          return fail('checkin_not_found', 'No check-in here sent that item to another library.');
        }
        const libraries = await ctx.libraries();
        const to = libraries.get(destination);
        const item = await ctx.store.data.get('items', checkin.barcode);
        const pdf = await transitSlipPdf({
          destination: {
            code: destination,
            name: to?.name ?? destination,
            ...(to?.courierStop === undefined ? {} : { courierStop: to.courierStop }),
          },
          itemBarcode: checkin.barcode,
          title: item?.title ?? '(not in the local catalogue)',
          reason: route === 'hold_transit' ? 'hold' : 'return',
          sentAt: checkin.scannedAt,
          timeZone: here.timeZone,
          origin: { code: here.code, name: here.name },
        });
        return ok(document(`transit-slip-${checkin.barcode}.pdf`, 'application/pdf', pdf));
      },
      recent: (args) => recentCheckins(ctx, args),
    } satisfies DeskHandlers['checkin'],

    crates: {
      open: (args) => openCrate(ctx, args),
      list: (args) => listCrates(ctx, args),
      get: (args) => getCrate(ctx, args),
      addItem: (args) => addItem(ctx, args),
      removeItem: (args) => removeItem(ctx, args),
      seal: (args) => sealCrate(ctx, args),
      label: async ({ crateId }) => {
        const found = await sealedCrateDocuments(ctx, crateId);
        if (!found.ok) return found;
        const { crate, timeZone } = found.value;
        const pdf = await crateLabelPdf({
          labelBarcode: crate.labelBarcode,
          origin: crate.origin,
          destination: crate.destination,
          itemCount: crate.count,
          sealedAt: crate.sealedAt ?? crate.openedAt,
          timeZone,
        });
        return ok(document(`crate-${crate.labelBarcode}-label.pdf`, 'application/pdf', pdf));
      },
      manifest: async ({ crateId, format }) => {
        const found = await sealedCrateDocuments(ctx, crateId);
        if (!found.ok) return found;
        const { crate, manifest } = found.value;
        const name = `crate-${crate.labelBarcode}-manifest`;
        return ok(
          format === 'csv'
            ? document(`${name}.csv`, 'text/csv', crateManifestCsv(manifest))
            : document(`${name}.pdf`, 'application/pdf', await crateManifestPdf(manifest)),
        );
      },
      receive: (args) => receiveCrate(ctx, args),
      receiveItem: async ({ crateId, barcode }): Promise<DeskResult<ReceiveItemAnswer>> => {
        const here = await deskLibrary(ctx);
        if (!here) return fail('desk_not_set_up', NOT_SET_UP);
        const staff = ctx.staff.current;
        if (!staff) return fail('not_signed_in', 'Sign in with your initials first.');
        const scan = readScan(barcode, [...(await ctx.libraries()).values()]);
        if (!scan.ok) return fail(scan.code, scan.message);
        // Ticking off and checking in commit together: a received item is never left
        // ticked off but not routed, or routed but not ticked off.
        return ctx.store.atomically(async () => {
          const ticked = await tickOff(ctx, {
            crateId,
            barcode: scan.barcode,
            staff: staff.initials,
            here,
          });
          if (!ticked.ok) return ticked;
          const checkin = await checkIn(
            ctx,
            { barcode: scan.barcode },
            { receivedFromCrate: crateId },
          );
          if (!checkin.ok) throw new Error(`check-in after receipt failed: ${checkin.error.code}`);
          return ok({ receipt: ticked.value, checkin: checkin.value });
        });
      },
      close: (args) => closeCrate(ctx, args),
    } satisfies DeskHandlers['crates'],

    holds: {
      pullList: (args) => pullList(ctx, args),
      holdShelf: () => holdShelf(ctx),
      clearShelf: () => clearShelf(ctx),
      slip: async ({ holdId }) => {
        const here = await deskLibrary(ctx);
        if (!here) return fail('desk_not_set_up', NOT_SET_UP);
        const hold = await ctx.store.db.holds.findOne(holdId).exec();
        if (
          !hold ||
          hold.pickupLibrary !== here.code ||
          hold.status !== 'on_shelf' ||
          hold.capturedItemBarcode === undefined
        ) {
          return fail('hold_not_found', 'There is no hold with that id on this hold shelf.');
        }
        const item = await ctx.store.db.items.findOne(hold.capturedItemBarcode).exec();
        const pdf = await holdSlipPdf({
          shelfName: hold.shelfName ?? '',
          pickup: { code: here.code, name: here.name },
          itemBarcode: hold.capturedItemBarcode,
          ...(item?.callNumber === undefined ? {} : { callNumber: item.callNumber }),
          title: item?.title ?? '(not in the local catalogue)',
          requestedAt: hold.requestedAt,
          shelfExpiresOn: hold.expiresOn ?? '',
          timeZone: here.timeZone,
        });
        return ok(document(`hold-slip-${hold.id}.pdf`, 'application/pdf', pdf));
      },
    } satisfies DeskHandlers['holds'],

    exports: {
      checkinsKoc: async (args) => {
        const range = await exportRange(ctx, args);
        if (!range.ok) return range;
        const { here, rows } = range.value;
        const text = kocFile({
          generatorVersion: ctx.version,
          timeZone: here.timeZone,
          checkins: rows.map((row) => ({ barcode: row.barcode, scannedAt: row.scannedAt })),
        });
        return ok(document(`${here.code}-${args.from}-${args.to}.koc`, 'text/plain', text));
      },
      checkinsCsv: async (args) => {
        const range = await exportRange(ctx, args);
        if (!range.ok) return range;
        const { here, rows } = range.value;
        const text = checkinsCsv({ timeZone: here.timeZone, checkins: rows.map(checkinsCsvRow) });
        return ok(document(`${here.code}-${args.from}-${args.to}-checkins.csv`, 'text/csv', text));
      },
    } satisfies DeskHandlers['exports'],

    notes: notesHandlers(ctx),

    sync: syncHandlers(parts.sync ?? createDeskSync(ctx)),

    reports: {
      checkinsByDay: (args) => checkinsByDay(ctx, args),
      crateTraffic: (args) => crateTraffic(ctx, args),
      waiting: () => waiting(ctx),
    } satisfies DeskHandlers['reports'],

    // Backups, profile and support bundle need the data folder: startDesk hands them in.
    maintenance: parts.maintenance ?? maintenanceWithoutDataFolder,
  };
}
