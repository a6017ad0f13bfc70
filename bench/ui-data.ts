/**
 * The data of bench:ui: a desk at library L00 of a 50-member consortium, its items laid out so
 * that the scans route to every outcome the banner can show, 100,000 holds (10,000 quick), and
 * the barcodes scanned. Deterministic, so runs are comparable. Pure: seeding and scanning are
 * in ui.bench.ts.
 */
import fc from 'fast-check';
import {
  codabarCheckDigit,
  type Hold,
  type Item,
  type ItemStatus,
  type Library,
} from '../shared/index.js';

export const LIBRARIES = 50;
export const HERE = 'L00';

export interface UiBenchSizes {
  readonly items: number;
  readonly holds: number;
  /** Untimed scans first (JIT, cold caches), other barcodes than the timed ones. */
  readonly warmup: number;
  readonly scans: number;
}

export const fullSizes: UiBenchSizes = { items: 200_000, holds: 100_000, warmup: 30, scans: 500 };
export const quickSizes: UiBenchSizes = { items: 20_000, holds: 10_000, warmup: 8, scans: 50 };

const code = (n: number) => `L${String(n).padStart(2, '0')}`;
const prefix = (n: number) => `3${String(1000 + n).padStart(4, '0')}`;
/** A prefix no member library has: a scan of it is an unknown barcode (set aside). */
const NO_LIBRARY_PREFIX = '39999';
const stamp = { updatedAt: '2026-11-01T00:00:00.000Z', deskId: 'server' };

function barcode(prefix5: string, serial: number): string {
  const first13 = `${prefix5}${String(serial).padStart(8, '0')}`;
  return `${first13}${codabarCheckDigit(first13)}`;
}

export function libraries(): Library[] {
  return Array.from({ length: LIBRARIES }, (_, n) => ({
    code: code(n),
    name: `Library ${n}`,
    barcodePrefixes: [prefix(n)],
    barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' as const },
    floatingRules: { libraries: [], callNumberPrefixes: [] },
    localPickupFirst: true,
    timeZone: 'America/Chicago',
    crateCapacity: 40,
    holdShelfDays: 7,
    ...stamp,
  }));
}

/**
 * What item n is for, by n mod 10: 0 a hold picked up here (hold shelf), 1-2 a hold picked up
 * elsewhere (crate to it), 3 and 8 owned elsewhere (home), 4 floating (stays here), 5, 6 and 9
 * owned here (reshelve), 7 lost, missing, damaged or withdrawn (set aside).
 */
type Role = 'hold_here' | 'hold_transit' | 'home' | 'float' | 'reshelve' | 'blocked';
const roles: readonly Role[] = [
  'hold_here',
  'hold_transit',
  'hold_transit',
  'home',
  'float',
  'reshelve',
  'reshelve',
  'blocked',
  'home',
  'reshelve',
];
const roleOf = (n: number): Role => roles[n % 10] ?? 'reshelve';
const blockedStatuses: readonly ItemStatus[] = ['lost', 'missing', 'damaged', 'withdrawn'];
/** Owners elsewhere: L01..L49. */
const elsewhere = (n: number) => 1 + (n % (LIBRARIES - 1));

export function itemAt(n: number): Item {
  const role = roleOf(n);
  const owner = role === 'reshelve' ? 0 : elsewhere(n);
  return {
    barcode: barcode(prefix(owner), n),
    bibId: `b${n}`,
    title: `A title of the shared collection, number ${n}`,
    author: 'Author, An',
    callNumber: `FIC ${String.fromCharCode(65 + (n % 26))}`,
    owner: code(owner),
    location: code(owner),
    floating: role === 'float',
    status: role === 'blocked' ? (blockedStatuses[((n / 10) % 4) | 0] ?? 'lost') : 'checked_out',
    ...stamp,
  };
}

/** The items with holds on their record: roles hold_here and hold_transit. */
function holdItem(k: number, items: number): number {
  const withHolds = Math.floor(items / 10) * 3;
  const i = k % withHolds;
  return Math.floor(i / 3) * 10 + (i % 3);
}

/**
 * Hold k, title-level on the record of a hold-bearing item; records get one or more holds. A
 * hold_here item's holds are all picked up here, a hold_transit item's all elsewhere, so the
 * outcome does not depend on which hold wins.
 */
export function holdAt(k: number, items: number): Hold {
  const n = holdItem(k, items);
  return {
    id: `01JR${String(k).padStart(22, '0')}`,
    bibId: `b${n}`,
    patronRef: `p${k}`,
    shelfName: `SHELF${k}`,
    pickupLibrary: roleOf(n) === 'hold_here' ? HERE : code(elsewhere(k)),
    pullLibrary: itemAt(n).owner,
    status: 'pending',
    requestedAt: new Date(Date.UTC(2026, 9, 1) + k * 1000).toISOString(),
    ...stamp,
  };
}

/**
 * The barcodes scanned, warm-up first: random items of the collection (each once: a second
 * scan would be a repeat or an item in a crate), with every 20th an unknown barcode (set aside)
 * and every 50th a misread check digit (the error banner).
 */
export function scanBarcodes(sizes: UiBenchSizes): string[] {
  const count = sizes.warmup + sizes.scans;
  const picked = new Set<number>();
  const candidates = fc.sample(fc.integer({ min: 0, max: sizes.items - 1 }), {
    seed: 42,
    numRuns: count * 2,
  });
  for (const n of candidates) {
    if (picked.size === count) break;
    picked.add(n);
  }
  return [...picked].map((n, i) => {
    if (i % 20 === 19) return barcode(NO_LIBRARY_PREFIX, i);
    const scanned = itemAt(n).barcode;
    if (i % 50 === 24) return `${scanned.slice(0, 13)}${(Number(scanned.at(13)) + 1) % 10}`;
    return scanned;
  });
}
