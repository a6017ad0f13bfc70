// The consortium's numbers, from the server's copy of what every desk recorded: crates waiting
// and for how long, courier turnaround per route, lending and borrowing per library (who is a
// net lender), and how long holds take to fill. Days are each library's own days (the
// destination's for crates, the pickup library's for holds), as its staff count them.
import { localDay, type Crate, type Hold, type Library } from '../../shared/index.js';
import { checkRange } from './checkin-exports.js';
import { readAll, readByIds, readLibraries, type AdminDeps } from './server-data.js';

export const reportNames = ['crates-waiting', 'turnaround', 'lending', 'hold-fill'] as const;
export type ReportName = (typeof reportNames)[number];

const HOUR_MS = 3_600_000;

/** Linear-interpolated quantile of ascending values (0 for none). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const at = (sorted.length - 1) * q;
  const low = sorted[Math.floor(at)] ?? 0;
  const high = sorted[Math.ceil(at)] ?? 0;
  return low + (high - low) * (at - Math.floor(at));
}

const oneDecimal = (value: number) => Math.round(value * 10) / 10;

function spread(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: oneDecimal(quantile(sorted, 0.5)),
    p90: oneDecimal(quantile(sorted, 0.9)),
    max: oneDecimal(sorted.at(-1) ?? 0),
  };
}

async function everything(deps: AdminDeps) {
  const libraries = await readLibraries(deps);
  return { libraries, codes: [...libraries.keys()] };
}

function dayIn(
  instant: string | undefined,
  library: Library | undefined,
  from: string,
  to: string,
) {
  if (instant === undefined) return false;
  const day = localDay(instant, library?.timeZone ?? 'UTC');
  return day >= from && day <= to;
}

export interface WaitingCrate {
  readonly id: string;
  readonly labelBarcode: string;
  readonly origin: string;
  readonly destination: string;
  /** sealed: with the courier or waiting at either end; received: being unpacked. */
  readonly status: 'sealed' | 'received';
  readonly since: string;
  readonly ageHours: number;
}

/**
 * Crates that wait on someone: sealed and not yet received (with the courier, or on a dock),
 * and received but not closed (being unpacked), oldest first, with a count and the oldest age
 * per destination. Open crates are still being filled by their own library and are not listed.
 */
export async function cratesWaiting(deps: AdminDeps) {
  const { codes } = await everything(deps);
  const now = deps.now();
  const crates = (await readAll(deps, 'crates', codes)).filter(
    (crate): crate is Crate & { status: 'sealed' | 'received' } =>
      crate.status === 'sealed' || crate.status === 'received',
  );
  const waiting: WaitingCrate[] = crates
    .map((crate) => {
      const since =
        (crate.status === 'sealed' ? crate.sealedAt : crate.receivedAt) ?? crate.openedAt;
      return {
        id: crate.id,
        labelBarcode: crate.labelBarcode,
        origin: crate.origin,
        destination: crate.destination,
        status: crate.status,
        since,
        ageHours: oneDecimal((now.getTime() - Date.parse(since)) / HOUR_MS),
      };
    })
    .sort((a, b) => (a.since === b.since ? a.id.localeCompare(b.id) : a.since < b.since ? -1 : 1));
  const byDestination = new Map<
    string,
    { library: string; sealed: number; received: number; oldestHours: number }
  >();
  for (const crate of waiting) {
    const entry = byDestination.get(crate.destination) ?? {
      library: crate.destination,
      sealed: 0,
      received: 0,
      oldestHours: 0,
    };
    entry[crate.status] += 1;
    entry.oldestHours = Math.max(entry.oldestHours, crate.ageHours);
    byDestination.set(crate.destination, entry);
  }
  return {
    asOf: now.toISOString(),
    crates: waiting,
    byDestination: [...byDestination.values()].sort((a, b) => a.library.localeCompare(b.library)),
  };
}

/**
 * Courier turnaround per route (origin -> destination, with their courier stops): crates
 * received on the destination's days in the range, hours from sealed to received.
 */
export async function turnaround(deps: AdminDeps, range: { from: string; to: string }) {
  checkRange(range.from, range.to);
  const { libraries, codes } = await everything(deps);
  const hours = new Map<string, number[]>();
  for (const crate of await readAll(deps, 'crates', codes)) {
    if (crate.sealedAt === undefined || crate.receivedAt === undefined) continue;
    if (!dayIn(crate.receivedAt, libraries.get(crate.destination), range.from, range.to)) continue;
    const key = `${crate.origin}\u0000${crate.destination}`;
    const trip = (Date.parse(crate.receivedAt) - Date.parse(crate.sealedAt)) / HOUR_MS;
    hours.set(key, [...(hours.get(key) ?? []), trip]);
  }
  const routes = [...hours].map(([key, trips]) => {
    const [from = '', to = ''] = key.split('\u0000');
    const { median, p90, max } = spread(trips);
    return {
      from,
      to,
      fromStop: libraries.get(from)?.courierStop ?? null,
      toStop: libraries.get(to)?.courierStop ?? null,
      crates: trips.length,
      medianHours: median,
      p90Hours: p90,
      maxHours: max,
    };
  });
  return {
    ...range,
    routes: routes.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  };
}

/**
 * Lending and borrowing per library: a hold filled with another library's item is a loan by
 * the item's owner (the pull library if the item is unknown here) to the pickup library,
 * counted on the pickup library's day the copy was captured. Net = lent - borrowed; a net
 * lender ships more of its collection away than it receives.
 */
export async function lending(deps: AdminDeps, range: { from: string; to: string }) {
  checkRange(range.from, range.to);
  const { libraries, codes } = await everything(deps);
  const holds = (await readAll(deps, 'holds', codes)).filter(
    (hold): hold is Hold & { capturedItemBarcode: string } =>
      hold.capturedItemBarcode !== undefined &&
      dayIn(hold.capturedAt, libraries.get(hold.pickupLibrary), range.from, range.to),
  );
  const items = new Map<string, { owner: string }>();
  const barcodes = [...new Set(holds.map((hold) => hold.capturedItemBarcode))];
  for (let start = 0; start < barcodes.length; start += 1000) {
    for (const [barcode, item] of await readByIds(
      deps,
      'items',
      barcodes.slice(start, start + 1000),
    )) {
      items.set(barcode, item);
    }
  }
  const rows = new Map(
    codes.map((code) => [code, { library: code, lent: 0, borrowed: 0, ownUse: 0 }]),
  );
  const row = (code: string) => {
    const entry = rows.get(code) ?? { library: code, lent: 0, borrowed: 0, ownUse: 0 };
    rows.set(code, entry);
    return entry;
  };
  for (const hold of holds) {
    const lender = items.get(hold.capturedItemBarcode)?.owner ?? hold.pullLibrary;
    if (lender === hold.pickupLibrary) {
      row(lender).ownUse += 1;
      continue;
    }
    row(lender).lent += 1;
    row(hold.pickupLibrary).borrowed += 1;
  }
  return {
    ...range,
    libraries: [...rows.values()]
      .map((entry) => ({
        ...entry,
        net: entry.lent - entry.borrowed,
        netLender: entry.lent > entry.borrowed,
      }))
      .sort((a, b) => a.library.localeCompare(b.library)),
  };
}

/**
 * Hold fill times per pickup library: holds put on the hold shelf on the pickup library's days
 * in the range, days from the request to the shelf; and the consortium's as a whole.
 */
export async function holdFill(deps: AdminDeps, range: { from: string; to: string }) {
  checkRange(range.from, range.to);
  const { libraries, codes } = await everything(deps);
  const days = new Map<string, number[]>();
  for (const hold of await readAll(deps, 'holds', codes)) {
    if (hold.shelvedAt === undefined) continue;
    if (!dayIn(hold.shelvedAt, libraries.get(hold.pickupLibrary), range.from, range.to)) continue;
    const waited = (Date.parse(hold.shelvedAt) - Date.parse(hold.requestedAt)) / (24 * HOUR_MS);
    days.set(hold.pickupLibrary, [...(days.get(hold.pickupLibrary) ?? []), waited]);
  }
  const line = (library: string, waits: readonly number[]) => {
    const { median, p90, max } = spread(waits);
    return { library, filled: waits.length, medianDays: median, p90Days: p90, maxDays: max };
  };
  return {
    ...range,
    libraries: [...days]
      .map(([library, waits]) => line(library, waits))
      .sort((a, b) => a.library.localeCompare(b.library)),
    consortium: line('*', [...days.values()].flat()),
  };
}
