// Lost hold captures. Two desks offline can each capture a copy for the same hold; when sync
// brings them together the earlier capture wins (shared/rules/hold-state.ts) and the hold on
// this desk then names another copy. This finds the check-ins of this desk whose capture was
// lost that way and routes their items again: out of the open crate they were dropped into,
// off this hold shelf, and on to wherever they go now, recorded as a check-in with
// `rerouteOf`, and staff are told (`holds.captureLost`).
//
// It works from what is stored, not from the moment of the conflict: it runs after every
// change to holds and once at start, so a desk that stopped between the conflict and the
// re-routing does it at its next start. A re-routed check-in is superseded by its re-routing
// (a later check-in of the same barcode), so nothing is re-routed twice.
import type { Checkin } from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';
import { unpackForReroute } from '../crates/index.js';
import type { Stored } from '../store/index.js';
import { checkIn } from './checkin-service.js';

/** Captures older than this are not looked at again (the item has long moved on). */
const LOOKBACK_MS = 14 * 86_400_000;

/** This desk's latest check-in per barcode in the look-back window, hold captures only. */
async function captureCandidates(ctx: DeskContext, here: string): Promise<Stored<'checkins'>[]> {
  const since = new Date(ctx.now().getTime() - LOOKBACK_MS).toISOString();
  const rows = await ctx.store.data.find('checkins', {
    selector: { scannedAt: { $gte: since }, library: here },
    sort: [{ scannedAt: 'desc' }],
  });
  const latest = new Map<string, Stored<'checkins'>>();
  for (const row of rows) {
    if (row.voidedAt !== undefined) continue;
    if (!latest.has(row.barcode)) latest.set(row.barcode, row);
  }
  const deskId = ctx.settings().deskId;
  return [...latest.values()].filter(
    (row) =>
      row.deskId === deskId &&
      row.outcome.holdId !== undefined &&
      (row.outcome.route === 'hold_here' || row.outcome.route === 'hold_transit'),
  );
}

/** Routes one item again whose capture for `checkin.outcome.holdId` was lost. */
async function reroute(ctx: DeskContext, checkin: Checkin, notified: Set<string>): Promise<void> {
  const holdId = checkin.outcome.holdId!;
  const crateId = checkin.outcome.crateId;
  const item = await ctx.store.data.get('items', checkin.barcode);
  const title = item?.title;
  const crate = crateId === undefined ? undefined : await ctx.store.data.get('crates', crateId);
  if (crateId !== undefined && crate?.status !== 'open') {
    // The item left in a sealed crate: the library it reaches routes it. Say so once.
    if (!notified.has(checkin.id)) {
      notified.add(checkin.id);
      ctx.events.emit('holds.captureLost', {
        holdId,
        barcode: checkin.barcode,
        ...(title === undefined ? {} : { title }),
      });
    }
    return;
  }
  const answer = await ctx.store.atomically(async () => {
    if (crateId !== undefined) {
      await unpackForReroute(ctx, { crateId, barcode: checkin.barcode, staff: checkin.staff });
    }
    const current = await ctx.store.data.get('items', checkin.barcode);
    if (current?.status === 'on_hold_shelf' || current?.status === 'in_transit') {
      await ctx.store.data.update('items', current, {
        status: 'available',
        updatedAt: ctx.now().toISOString(),
        deskId: ctx.settings().deskId,
      });
    }
    const routed = await checkIn(
      ctx,
      { barcode: checkin.barcode },
      { rerouteOf: checkin.id, staff: checkin.staff },
    );
    if (!routed.ok) throw new Error(`re-routing ${checkin.id} failed: ${routed.error.code}`);
    return routed.value;
  });
  ctx.events.emit('holds.captureLost', {
    holdId,
    barcode: checkin.barcode,
    ...(title === undefined ? {} : { title }),
    checkin: answer,
  });
}

/** Finds this desk's lost captures and routes their items again; answers how many. */
export async function reconcileCaptures(
  ctx: DeskContext,
  notified: Set<string> = new Set(),
): Promise<number> {
  const here = await deskLibrary(ctx);
  if (!here) return 0;
  const candidates = await captureCandidates(ctx, here.code);
  if (candidates.length === 0) return 0;
  const holds = await ctx.store.data.getMany(
    'holds',
    candidates.map((row) => row.outcome.holdId!),
  );
  let lost = 0;
  for (const checkin of candidates) {
    const hold = holds.get(checkin.outcome.holdId!);
    const other = hold?.capturedItemBarcode;
    if (other === undefined || other === checkin.barcode) continue;
    lost++;
    await reroute(ctx, checkin, notified);
  }
  return lost;
}

/**
 * Runs `reconcileCaptures` once now and again shortly after every change to holds, one run
 * at a time. Answers a function that stops it and resolves once a running pass has ended.
 */
export function watchCaptures(
  ctx: DeskContext,
  log: (line: string) => void,
  delayMs = 300,
): () => Promise<void> {
  const notified = new Set<string>();
  let running: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const run = () => {
    timer = undefined;
    running = running
      .then(() => (stopped ? 0 : reconcileCaptures(ctx, notified)))
      .then(
        () => undefined,
        (error: unknown) => log(`holds: re-routing lost captures failed: ${String(error)}`),
      );
  };
  const subscription = ctx.store.db.holds.$.subscribe(() => {
    if (!stopped) timer ??= setTimeout(run, delayMs);
  });
  run();
  return async () => {
    stopped = true;
    subscription.unsubscribe();
    if (timer) clearTimeout(timer);
    await running;
  };
}
