// Where an item goes when it is checked in: the decision an ILS makes online (Evergreen's
// order), made here from what the desk holds locally so it works offline. Pure: the check-in
// service gathers the facts, this decides, the service records the answer.
import type { CheckinOutcome, SetAsideReason } from '../schemas/checkins.js';
import type { HoldStatus } from '../schemas/holds.js';
import type { ItemStatus } from '../schemas/items.js';
import { ownerByPrefix } from './barcode.js';

/** What routing needs of a member library. */
export interface LibraryFacts {
  readonly code: string;
  readonly barcodePrefixes: readonly string[];
  readonly floatingRules: {
    readonly libraries: readonly string[];
    readonly callNumberPrefixes: readonly string[];
  };
  readonly localPickupFirst: boolean;
  readonly holdShelfDays: number;
  readonly timeZone: string;
}

/** What routing needs of the item record, when the desk has it. */
export interface ItemFacts {
  readonly barcode: string;
  readonly bibId: string;
  readonly callNumber?: string;
  readonly owner: string;
  /** Where the item belongs on the shelf now: the owner, or where a floating item stayed. */
  readonly location: string;
  readonly floating: boolean;
  readonly status: ItemStatus;
}

/** A hold that might take this item. */
export interface HoldFacts {
  readonly id: string;
  readonly bibId: string;
  /** Set for an item-level hold: only this copy fills it. */
  readonly itemBarcode?: string;
  readonly pickupLibrary: string;
  readonly status: HoldStatus;
  readonly requestedAt: string;
  /** The copy already captured for this hold, if one was. */
  readonly capturedItemBarcode?: string;
}

export interface RoutingFacts {
  /** The barcode as cleaned and checked (see barcode.ts). */
  readonly barcode: string;
  /** The library of the desk scanning. */
  readonly here: string;
  /** When the scan happened (ISO instant). */
  readonly scannedAt: string;
  readonly libraries: ReadonlyMap<string, LibraryFacts>;
  readonly item: ItemFacts | undefined;
  /** Holds on this barcode or on the item's record, in any status. */
  readonly holds: readonly HoldFacts[];
  /** The item is in a crate travelling to this library (sealed, not yet received). */
  readonly expectedInTransit: boolean;
  /** The item was packed into a crate that is still open here. */
  readonly inOpenCrate: boolean;
  /** When a crate holding this item was sealed at this library, if one was, and when. */
  readonly lastSentFromHereAt?: string;
  /** The last check-in of this barcode at this library, if any. */
  readonly lastCheckinHereAt?: string;
}

export interface RoutingPolicy {
  /** A second scan of one barcode within this many ms is a repeat, not a new check-in. */
  readonly repeatScanMs: number;
  /** An item checked in within this many ms of being sealed into a crate is still leaving. */
  readonly stillLeavingMs: number;
}

export const defaultRoutingPolicy: RoutingPolicy = {
  repeatScanMs: 10_000,
  stillLeavingMs: 30 * 60_000,
};

/** The answer, as recorded in the check-in document. */
export type RoutingOutcome = CheckinOutcome;

const BLOCKING_STATUSES: ReadonlyMap<ItemStatus, SetAsideReason> = new Map([
  ['lost', 'lost'],
  ['missing', 'missing'],
  ['damaged', 'damaged'],
  ['withdrawn', 'withdrawn'],
] as const);

function elapsedMs(fromIso: string, toIso: string): number {
  return Date.parse(toIso) - Date.parse(fromIso);
}

/** The calendar day of an instant in a time zone, as YYYY-MM-DD. */
export function localDay(instant: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The last day on the hold shelf: the scan's local day plus the library's shelf days. */
export function shelfExpiry(scannedAt: string, library: LibraryFacts): string {
  const [year, month, day] = localDay(scannedAt, library.timeZone).split('-').map(Number);
  const date = new Date(
    Date.UTC(year ?? 1970, (month ?? 1) - 1, (day ?? 1) + library.holdShelfDays),
  );
  return date.toISOString().slice(0, 10);
}

/**
 * The holds this item can fill, best first: item-level holds on this copy before title-level
 * holds on its record; among those, a pickup here first when the library says so, then the
 * oldest request. Only pending holds take an item.
 */
export function eligibleHolds(
  item: ItemFacts,
  holds: readonly HoldFacts[],
  here: LibraryFacts | undefined,
): HoldFacts[] {
  const candidates = holds.filter(
    (hold) =>
      hold.status === 'pending' &&
      (hold.itemBarcode === undefined
        ? hold.bibId === item.bibId
        : hold.itemBarcode === item.barcode),
  );
  const localFirst = here?.localPickupFirst ?? false;
  return candidates.sort((a, b) => {
    const level = Number(a.itemBarcode === undefined) - Number(b.itemBarcode === undefined);
    if (level !== 0) return level;
    if (localFirst) {
      const local = Number(b.pickupLibrary === here?.code) - Number(a.pickupLibrary === here?.code);
      if (local !== 0) return local;
    }
    if (a.requestedAt !== b.requestedAt) return a.requestedAt < b.requestedAt ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** An item taken by `hold`: on the shelf here, or on to the pickup library. */
function holdRoute(hold: HoldFacts, facts: RoutingFacts): RoutingOutcome {
  const received = facts.expectedInTransit ? { transitReceived: true } : {};
  const here = facts.libraries.get(facts.here);
  if (hold.pickupLibrary === facts.here && here) {
    return {
      route: 'hold_here',
      holdId: hold.id,
      destination: facts.here,
      shelfExpiresOn: shelfExpiry(facts.scannedAt, here),
      ...received,
    };
  }
  return { route: 'hold_transit', holdId: hold.id, destination: hold.pickupLibrary, ...received };
}

/** Whether an item owned elsewhere may stay here instead of going home. */
function floatsHere(item: ItemFacts, facts: RoutingFacts): boolean {
  if (item.floating) return true;
  const owner = facts.libraries.get(item.owner);
  if (!owner || !owner.floatingRules.libraries.includes(facts.here)) return false;
  const prefixes = owner.floatingRules.callNumberPrefixes;
  return (
    prefixes.length === 0 || prefixes.some((prefix) => (item.callNumber ?? '').startsWith(prefix))
  );
}

/**
 * Decides where a checked-in item goes. Order, as an ILS does it online:
 * 1. blocks: a repeat scan, a lost/missing/damaged/withdrawn item, an item packed in an open
 *    crate or still leaving in one, an item already on the hold shelf;
 * 2. an item expected here in transit is received (and then routed on like any other);
 * 3. hold capture: the hold this copy was already captured for, else the best eligible hold
 *    (see eligibleHolds); hold shelf here or transit to the pickup library;
 * 4. not needed for a hold: its home is here -> reshelve; owned elsewhere and floating ->
 *    stays here; otherwise -> home. An unknown item goes to the library its barcode prefix
 *    names, or is set aside when no prefix matches.
 */
export function routeCheckin(
  facts: RoutingFacts,
  policy: RoutingPolicy = defaultRoutingPolicy,
): RoutingOutcome {
  const setAside = (reason: SetAsideReason): RoutingOutcome => ({ route: 'set_aside', reason });

  if (
    facts.lastCheckinHereAt !== undefined &&
    elapsedMs(facts.lastCheckinHereAt, facts.scannedAt) < policy.repeatScanMs
  ) {
    return setAside('repeat_scan');
  }

  const item = facts.item;
  if (!item) {
    // An item this desk has no record of may still be one captured elsewhere for a hold
    // picked up here, arriving (its record stays with its owner): it goes on the shelf.
    const captured = facts.holds.find(
      (hold) =>
        (hold.status === 'captured' || hold.status === 'in_transit') &&
        hold.capturedItemBarcode === facts.barcode,
    );
    if (captured) return holdRoute(captured, facts);
    const owner = ownerByPrefix(facts.barcode, [...facts.libraries.values()]);
    if (owner === undefined) return setAside('unknown_barcode');
    return owner === facts.here
      ? { route: 'reshelve' }
      : { route: 'return_home', destination: owner };
  }

  const blocked = BLOCKING_STATUSES.get(item.status);
  if (blocked) return setAside(blocked);
  if (facts.inOpenCrate) return setAside('in_crate');
  if (
    facts.lastSentFromHereAt !== undefined &&
    elapsedMs(facts.lastSentFromHereAt, facts.scannedAt) < policy.stillLeavingMs
  ) {
    return setAside('recently_sent');
  }
  // On a hold shelf (here, or elsewhere and somehow here now): a person looks at it before
  // it could be captured for another hold.
  if (item.status === 'on_hold_shelf') return setAside('on_hold_shelf');

  const received = facts.expectedInTransit ? { transitReceived: true } : {};
  const here = facts.libraries.get(facts.here);
  // A copy already captured for a hold and on its way keeps that hold: on the shelf when it
  // reaches the pickup library, sent on when it lands anywhere else.
  const travellingFor = facts.holds.find(
    (hold) =>
      (hold.status === 'captured' || hold.status === 'in_transit') &&
      hold.capturedItemBarcode === item.barcode,
  );
  const [hold] = travellingFor ? [travellingFor] : eligibleHolds(item, facts.holds, here);
  if (hold) return holdRoute(hold, facts);

  if (item.location === facts.here) return { route: 'reshelve', ...received };
  if (floatsHere(item, facts)) return { route: 'float_here', destination: facts.here, ...received };
  return { route: 'return_home', destination: item.location, ...received };
}
