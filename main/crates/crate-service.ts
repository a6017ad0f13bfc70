// Courier crates: opened at the origin for one destination, items packed (by hand or by
// check-in), sealed with a frozen manifest, received at the destination item by item, and
// closed with a discrepancy record. Crate scans are append-only; what a crate holds is
// always derived from them, so two desks never fight over a list.
import {
  crateActionAllowed,
  fail,
  ok,
  readScan,
  receiptDiff,
  type Crate,
  type CrateAction,
  type CrateItem,
  type CrateReceipt,
  type CrateScan,
  type CrateSummary,
  type CrateView,
  type DeskResult,
  type DeskWarning,
  type Library,
  type LibraryRef,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';

/** What a crate's scans say it holds: packed items in packing order, and receipt scans. */
export interface CrateContents {
  readonly packed: string[];
  readonly receiptScans: string[];
}

function libraryRef(libraries: ReadonlyMap<string, Library>, code: string): LibraryRef {
  const library = libraries.get(code);
  return {
    code,
    name: library?.name ?? code,
    ...(library?.courierStop === undefined ? {} : { courierStop: library.courierStop }),
  };
}

async function contentsOf(ctx: DeskContext, crateId: string): Promise<CrateContents> {
  const scans = await ctx.store.data.find('crateScans', {
    selector: { crateId },
    sort: [{ scannedAt: 'asc' }, { id: 'asc' }],
  });
  const packed: string[] = [];
  const receiptScans: string[] = [];
  for (const scan of scans) {
    if (scan.action === 'add') {
      if (!packed.includes(scan.barcode)) packed.push(scan.barcode);
    } else if (scan.action === 'remove') {
      const at = packed.indexOf(scan.barcode);
      if (at >= 0) packed.splice(at, 1);
    } else {
      receiptScans.push(scan.barcode);
    }
  }
  return { packed, receiptScans };
}

async function summarize(ctx: DeskContext, crate: Crate, count?: number): Promise<CrateSummary> {
  const libraries = await ctx.libraries();
  const contents = count === undefined ? await contentsOf(ctx, crate.id) : undefined;
  return {
    crateId: crate.id,
    labelBarcode: crate.labelBarcode,
    origin: libraryRef(libraries, crate.origin),
    destination: libraryRef(libraries, crate.destination),
    status: crate.status,
    count: crate.status === 'open' ? (count ?? contents?.packed.length ?? 0) : crate.counts.packed,
    capacity: libraries.get(crate.origin)?.crateCapacity ?? 0,
    openedAt: crate.openedAt,
    ...(crate.sealedAt === undefined ? {} : { sealedAt: crate.sealedAt }),
    ...(crate.receivedAt === undefined ? {} : { receivedAt: crate.receivedAt }),
    ...(crate.closedAt === undefined ? {} : { closedAt: crate.closedAt }),
  };
}

function overCapacity(summary: CrateSummary): DeskWarning[] {
  return summary.capacity > 0 && summary.count > summary.capacity
    ? [
        {
          code: 'crate_over_capacity',
          message: `This crate holds ${summary.count} items, more than its ${summary.capacity}. Start another crate to ${summary.destination.name} so items are not damaged.`,
        },
      ]
    : [];
}

/** A short label barcode for Code 128: the crate id's time part and its last 4 characters. */
function labelBarcodeFor(crateId: string): string {
  return `K${crateId.slice(0, 10)}${crateId.slice(-4)}`;
}

interface Actor {
  readonly here: Library;
  readonly staff: string;
}

/** The desk's library and the signed-in staff member, or why the call cannot go on. */
async function actor(ctx: DeskContext): Promise<DeskResult<Actor>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  const staff = ctx.staff.current;
  if (!staff) return fail('not_signed_in', 'Sign in with your initials first.');
  return ok({ here, staff: staff.initials });
}

async function findCrate(ctx: DeskContext, crateId: string): Promise<DeskResult<Crate>> {
  const crate = await ctx.store.data.get('crates', crateId);
  if (!crate) return fail('crate_not_found', 'There is no such crate at this desk.');
  return ok(crate);
}

function refuse(action: CrateAction, crate: Crate): DeskResult<never> {
  const what: Record<CrateAction, string> = {
    add: 'Items can only be added to an open crate.',
    remove: 'Items can only be taken out of an open crate.',
    seal: 'Only an open crate can be sealed.',
    receive: 'Only a sealed crate can be received.',
    close: 'Only a crate that has been received can be closed.',
  };
  return fail('crate_wrong_state', `${what[action]} This crate is ${crate.status}.`);
}

function stamp(ctx: DeskContext): { updatedAt: string; deskId: string } {
  return { updatedAt: ctx.now().toISOString(), deskId: ctx.settings().deskId };
}

async function writeCrateScan(
  ctx: DeskContext,
  scan: Omit<CrateScan, 'updatedAt' | 'deskId' | 'id'> & { id?: string },
): Promise<void> {
  await ctx.store.data.insert('crateScans', [
    { id: scan.id ?? ctx.newId(), ...scan, ...stamp(ctx) },
  ]);
}

async function patchCrate(
  ctx: DeskContext,
  crateId: string,
  patch: Partial<Crate>,
): Promise<Crate> {
  const current = await ctx.store.data.get('crates', crateId);
  if (!current) throw new Error(`crate ${crateId} vanished`);
  const changes = { ...patch, ...stamp(ctx) };
  await ctx.store.data.update('crates', current, changes);
  return { ...current, ...changes };
}

/** The open crate from here to `destination`, opened if there is none. */
async function openCrateTo(
  ctx: DeskContext,
  here: Library,
  destination: string,
): Promise<{ crate: Crate; opened: boolean }> {
  // Through the (destination, status) index: this desk holds at most a crate or two open to
  // one destination, but an open crate to each of dozens of libraries.
  const [existing] = await ctx.store.data.find('crates', {
    selector: { destination, status: 'open', origin: here.code },
    sort: [{ openedAt: 'asc' }],
    limit: 1,
    index: ['_deleted', 'destination', 'status'],
  });
  if (existing) return { crate: existing, opened: false };
  const id = ctx.newId();
  const crate: Crate = {
    id,
    labelBarcode: labelBarcodeFor(id),
    origin: here.code,
    destination,
    status: 'open',
    openedAt: ctx.now().toISOString(),
    counts: { packed: 0, received: 0, missing: 0, extra: 0 },
    discrepancies: [],
    ...stamp(ctx),
  };
  await ctx.store.data.insert('crates', [crate]);
  return { crate, opened: true };
}

export async function openCrate(
  ctx: DeskContext,
  args: { destination: string },
): Promise<DeskResult<CrateSummary>> {
  const who = await actor(ctx);
  if (!who.ok) return who;
  const libraries = await ctx.libraries();
  if (!libraries.has(args.destination)) {
    return fail('library_unknown', 'There is no member library with that code.');
  }
  if (args.destination === who.value.here.code) {
    return fail('crate_to_self', 'A crate goes to another library, not to this one.');
  }
  const { crate } = await ctx.store.atomically(() =>
    openCrateTo(ctx, who.value.here, args.destination),
  );
  const summary = await summarize(ctx, crate);
  ctx.events.emit('crates.changed', summary);
  return ok(summary);
}

/**
 * For check-in: packs `barcode` into the open crate from here to `destination` (opening one
 * if needed), recording the crate scan under `scanId` so a replay is idempotent. Runs inside
 * the caller's write group.
 */
export async function packForTransit(
  ctx: DeskContext,
  pack: { here: Library; destination: string; barcode: string; staff: string; scanId: string },
): Promise<{ crate: CrateSummary; warnings: DeskWarning[] }> {
  const { crate, opened } = await openCrateTo(ctx, pack.here, pack.destination);
  await writeCrateScan(ctx, {
    id: pack.scanId,
    crateId: crate.id,
    barcode: pack.barcode,
    action: 'add',
    scannedAt: ctx.now().toISOString(),
    staff: pack.staff,
  });
  const summary = await summarize(ctx, crate);
  const warnings = overCapacity(summary);
  if (opened) {
    warnings.unshift({
      code: 'crate_opened',
      message: `A new crate to ${summary.destination.name} was started.`,
    });
  }
  return { crate: summary, warnings };
}

export async function listCrates(
  ctx: DeskContext,
  args: { direction: 'outgoing' | 'incoming'; status?: Crate['status'][] },
): Promise<DeskResult<CrateSummary[]>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  const side = args.direction === 'outgoing' ? { origin: here.code } : { destination: here.code };
  const crates = await ctx.store.data.find('crates', {
    selector: { ...side, ...(args.status ? { status: { $in: args.status } } : {}) },
    sort: [{ openedAt: 'desc' }],
  });
  return ok(await Promise.all(crates.map((crate) => summarize(ctx, crate))));
}

async function describeItems(ctx: DeskContext, barcodes: readonly string[]): Promise<CrateItem[]> {
  const items = await ctx.store.data.getMany('items', barcodes);
  return barcodes.map((barcode) => {
    const item = items.get(barcode);
    return {
      barcode,
      ...(item ? { title: item.title } : {}),
      ...(item?.callNumber === undefined ? {} : { callNumber: item.callNumber }),
    };
  });
}

/** Marks the items travelling for a hold with the hold's pickup library. */
async function withHolds(ctx: DeskContext, items: CrateItem[]): Promise<CrateItem[]> {
  if (items.length === 0) return items;
  const holds = await ctx.store.data.find('holds', {
    selector: {
      status: 'in_transit',
      capturedItemBarcode: { $in: items.map((item) => item.barcode) },
    },
  });
  const pickup = new Map(holds.map((hold) => [hold.capturedItemBarcode, hold.pickupLibrary]));
  return items.map((item) => {
    const forHoldAt = pickup.get(item.barcode);
    return forHoldAt === undefined ? item : { ...item, forHoldAt };
  });
}

export async function getCrate(
  ctx: DeskContext,
  args: { crateId: string },
): Promise<DeskResult<CrateView>> {
  const found = await findCrate(ctx, args.crateId);
  if (!found.ok) return found;
  const contents = await contentsOf(ctx, found.value.id);
  const summary = await summarize(ctx, found.value, contents.packed.length);
  const items = await withHolds(ctx, await describeItems(ctx, contents.packed));
  return ok({ ...summary, items });
}

/** Checks that this desk may do `action` to the crate, from the side `side` of it. */
function permitted(
  crate: Crate,
  here: Library,
  action: CrateAction,
  side: 'origin' | 'destination',
): DeskResult<Crate> {
  if (crate[side] !== here.code) {
    return fail(
      'crate_wrong_library',
      side === 'origin'
        ? 'This crate was packed at another library.'
        : 'This crate is addressed to another library. Send it on.',
    );
  }
  if (!crateActionAllowed(crate.status, action)) return refuse(action, crate);
  return ok(crate);
}

async function changeItem(
  ctx: DeskContext,
  args: { crateId: string; barcode: string },
  action: 'add' | 'remove',
): Promise<DeskResult<{ crate: CrateSummary; barcode: string; warnings: DeskWarning[] }>> {
  const who = await actor(ctx);
  if (!who.ok) return who;
  const libraries = await ctx.libraries();
  const scan = readScan(args.barcode, [...libraries.values()]);
  if (!scan.ok) return fail(scan.code, scan.message);
  const result = await ctx.store.atomically(async () => {
    const found = await findCrate(ctx, args.crateId);
    if (!found.ok) return found;
    const allowed = permitted(found.value, who.value.here, action, 'origin');
    if (!allowed.ok) return allowed;
    const { packed } = await contentsOf(ctx, args.crateId);
    const inside = packed.includes(scan.barcode);
    if (action === 'add' && inside) {
      return fail('crate_item_already_in_crate', 'That item is already in this crate.');
    }
    if (action === 'remove' && !inside) {
      return fail('crate_item_not_in_crate', 'That item is not in this crate.');
    }
    await writeCrateScan(ctx, {
      crateId: args.crateId,
      barcode: scan.barcode,
      action,
      scannedAt: ctx.now().toISOString(),
      staff: who.value.staff,
    });
    return ok(found.value);
  });
  if (!result.ok) return result;
  const summary = await summarize(ctx, result.value);
  ctx.events.emit('crates.changed', summary);
  return ok({ crate: summary, barcode: scan.barcode, warnings: overCapacity(summary) });
}

export function addItem(ctx: DeskContext, args: { crateId: string; barcode: string }) {
  return changeItem(ctx, args, 'add');
}

export function removeItem(ctx: DeskContext, args: { crateId: string; barcode: string }) {
  return changeItem(ctx, args, 'remove');
}

/**
 * A crate's state change at one end (seal at the origin, close at the destination): checked
 * against the state machine and the desk's side of the crate, applied in one write group.
 */
async function changeCrate(
  ctx: DeskContext,
  crateId: string,
  action: 'seal' | 'close',
  side: 'origin' | 'destination',
  change: (crate: Crate, contents: CrateContents) => Partial<Crate>,
): Promise<DeskResult<CrateSummary>> {
  const who = await actor(ctx);
  if (!who.ok) return who;
  const result = await ctx.store.atomically(async () => {
    const found = await findCrate(ctx, crateId);
    if (!found.ok) return found;
    const allowed = permitted(found.value, who.value.here, action, side);
    if (!allowed.ok) return allowed;
    const contents = await contentsOf(ctx, crateId);
    return ok(await patchCrate(ctx, crateId, change(found.value, contents)));
  });
  if (!result.ok) return result;
  const summary = await summarize(ctx, result.value);
  ctx.events.emit('crates.changed', summary);
  return ok(summary);
}

export function sealCrate(
  ctx: DeskContext,
  args: { crateId: string },
): Promise<DeskResult<CrateSummary>> {
  return changeCrate(ctx, args.crateId, 'seal', 'origin', (crate, { packed }) => ({
    status: 'sealed',
    sealedAt: ctx.now().toISOString(),
    counts: { ...crate.counts, packed: packed.length },
  }));
}

async function receipt(ctx: DeskContext, crate: Crate): Promise<CrateReceipt> {
  const contents = await contentsOf(ctx, crate.id);
  const diff = receiptDiff(contents.packed, contents.receiptScans);
  return {
    crate: await summarize(ctx, crate, contents.packed.length),
    expected: await withHolds(ctx, await describeItems(ctx, contents.packed)),
    received: diff.received,
    missing: diff.missing,
    extra: diff.extra,
    duplicates: diff.duplicates,
  };
}

/** Scanning a crate's label on arrival: the first scan marks it received. */
export async function receiveCrate(
  ctx: DeskContext,
  args: { labelBarcode: string },
): Promise<DeskResult<CrateReceipt>> {
  const who = await actor(ctx);
  if (!who.ok) return who;
  const label = args.labelBarcode.trim();
  const result = await ctx.store.atomically(async () => {
    const [crate] = await ctx.store.data.find('crates', { selector: { labelBarcode: label } });
    if (!crate) {
      return fail<Crate>(
        'crate_not_found',
        'No crate with that label is known here yet. If it just arrived, sync and scan it again.',
      );
    }
    const allowed = permitted(crate, who.value.here, 'receive', 'destination');
    if (!allowed.ok) return allowed;
    if (crate.status === 'received') return ok(crate);
    return ok(
      await patchCrate(ctx, crate.id, { status: 'received', receivedAt: ctx.now().toISOString() }),
    );
  });
  if (!result.ok) return result;
  const answer = await receipt(ctx, result.value);
  ctx.events.emit('crates.changed', answer.crate);
  return ok(answer);
}

/**
 * Ticks an item off a crate being received here. Runs inside the caller's write group (the
 * received item is then checked in, see main/api). Returns the updated receipt.
 */
export async function tickOff(
  ctx: DeskContext,
  tick: { crateId: string; barcode: string; staff: string; here: Library },
): Promise<DeskResult<CrateReceipt>> {
  const found = await findCrate(ctx, tick.crateId);
  if (!found.ok) return found;
  const allowed = permitted(found.value, tick.here, 'receive', 'destination');
  if (!allowed.ok) return allowed;
  let crate = found.value;
  if (crate.status === 'sealed') {
    crate = await patchCrate(ctx, crate.id, {
      status: 'received',
      receivedAt: ctx.now().toISOString(),
    });
  }
  await writeCrateScan(ctx, {
    crateId: crate.id,
    barcode: tick.barcode,
    action: 'receive',
    scannedAt: ctx.now().toISOString(),
    staff: tick.staff,
  });
  return ok(await receipt(ctx, crate));
}

export function closeCrate(
  ctx: DeskContext,
  args: { crateId: string; note?: string },
): Promise<DeskResult<CrateSummary>> {
  const note = args.note?.trim();
  const withNote = note ? { note } : {};
  return changeCrate(ctx, args.crateId, 'close', 'destination', (crate, contents) => {
    const diff = receiptDiff(contents.packed, contents.receiptScans);
    return {
      status: 'closed',
      closedAt: ctx.now().toISOString(),
      counts: {
        packed: crate.counts.packed,
        received: diff.received.length,
        missing: diff.missing.length,
        extra: diff.extra.length,
      },
      discrepancies: [
        ...diff.missing.map((barcode) => ({ barcode, kind: 'missing' as const, ...withNote })),
        ...diff.extra.map((barcode) => ({ barcode, kind: 'extra' as const, ...withNote })),
      ],
    };
  });
}

/**
 * Where an item stands with crates, for routing: packed in an open crate here, travelling
 * here in a sealed crate (not yet ticked off), and when it was last sealed into a crate here.
 */
export async function crateFactsFor(
  ctx: DeskContext,
  barcode: string,
  here: string,
): Promise<{
  inOpenCrate: boolean;
  expectedInCrate: string | undefined;
  lastSentFromHereAt: string | undefined;
}> {
  const scans = await ctx.store.data.find('crateScans', {
    selector: { barcode },
    sort: [{ scannedAt: 'desc' }],
    limit: 20,
  });
  const lastByCrate = new Map<string, string>();
  for (const scan of scans) {
    if (!lastByCrate.has(scan.crateId)) lastByCrate.set(scan.crateId, scan.action);
  }
  const crates = await ctx.store.data.getMany('crates', [...lastByCrate.keys()]);
  let inOpenCrate = false;
  let expectedInCrate: string | undefined;
  let lastSentFromHereAt: string | undefined;
  for (const [crateId, lastAction] of lastByCrate) {
    const crate = crates.get(crateId);
    if (!crate || lastAction !== 'add') continue;
    if (crate.origin === here && crate.status === 'open') inOpenCrate = true;
    if (crate.destination === here && (crate.status === 'sealed' || crate.status === 'received')) {
      expectedInCrate = crateId;
    }
    if (
      crate.origin === here &&
      crate.sealedAt !== undefined &&
      (lastSentFromHereAt === undefined || crate.sealedAt > lastSentFromHereAt)
    ) {
      lastSentFromHereAt = crate.sealedAt;
    }
  }
  return { inOpenCrate, expectedInCrate, lastSentFromHereAt };
}

/**
 * Takes an item out of an open crate of this library on the desk's own account (not a staff
 * action: a check-in re-routed after sync), naming `staff` as the check-in did. Answers
 * whether the item was in the crate and came out; a crate no longer open is left as it is.
 */
export async function unpackForReroute(
  ctx: DeskContext,
  args: { crateId: string; barcode: string; staff: string },
): Promise<boolean> {
  return ctx.store.atomically(async () => {
    const crate = await ctx.store.data.get('crates', args.crateId);
    if (crate?.status !== 'open') return false;
    const { packed } = await contentsOf(ctx, args.crateId);
    if (!packed.includes(args.barcode)) return false;
    await writeCrateScan(ctx, {
      crateId: args.crateId,
      barcode: args.barcode,
      action: 'remove',
      scannedAt: ctx.now().toISOString(),
      staff: args.staff,
    });
    return true;
  });
}
