// The desk's own numbers, from its local store (offline, as of the last sync): check-ins by
// outcome and day, crates sent and received, how long the courier took, and what is waiting.
// The consortium-wide reports are the server's (issue #4); these are one library's view.
import {
  fail,
  localDay,
  ok,
  type CheckinRoute,
  type CourierTurnaround,
  type CrateTraffic,
  type DeskResult,
  type Library,
  type WaitingCounts,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';

const NOT_SET_UP = 'This desk has no library yet. Set the desk up first.';
const DAY_MS = 86_400_000;

function validRange(args: { from: string; to: string }): boolean {
  return (
    args.from <= args.to &&
    !Number.isNaN(Date.parse(args.from)) &&
    !Number.isNaN(Date.parse(args.to))
  );
}

/** UTC instants safely around the local days [from, to] (time zones are within 14 hours). */
function utcWindow(args: { from: string; to: string }): { lower: string; upper: string } {
  return {
    lower: new Date(Date.parse(`${args.from}T00:00:00.000Z`) - DAY_MS).toISOString(),
    upper: new Date(Date.parse(`${args.to}T00:00:00.000Z`) + 2 * DAY_MS).toISOString(),
  };
}

async function setUp(
  ctx: DeskContext,
  args: { from: string; to: string },
): Promise<DeskResult<Library>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', NOT_SET_UP);
  if (!validRange(args)) {
    return fail('range_invalid', 'The first day must be a real date on or before the last day.');
  }
  return ok(here);
}

/** Check-ins per local day and outcome, days ascending. */
export async function checkinsByDay(
  ctx: DeskContext,
  args: { from: string; to: string },
): Promise<DeskResult<{ day: string; route: CheckinRoute; count: number }[]>> {
  const here = await setUp(ctx, args);
  if (!here.ok) return here;
  const { lower, upper } = utcWindow(args);
  const rows = await ctx.store.data.find('checkins', {
    selector: { scannedAt: { $gte: lower, $lt: upper }, library: here.value.code },
  });
  const counts = new Map<string, number>();
  for (const row of rows) {
    const day = localDay(row.scannedAt, here.value.timeZone);
    if (day < args.from || day > args.to) continue;
    const key = `${day}|${row.outcome.route}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return ok(
    [...counts]
      .map(([key, count]) => {
        const [day = '', route = 'reshelve'] = key.split('|');
        return { day, route: route as CheckinRoute, count };
      })
      .sort((a, b) => (a.day === b.day ? a.route.localeCompare(b.route) : a.day < b.day ? -1 : 1)),
  );
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (at - low);
}

/**
 * Crates this library sealed (sent) and received in the range, per other library, and the
 * courier's turnaround (sealed -> received) per route, in hours.
 */
export async function crateTraffic(
  ctx: DeskContext,
  args: { from: string; to: string },
): Promise<DeskResult<{ traffic: CrateTraffic[]; turnaround: CourierTurnaround[] }>> {
  const here = await setUp(ctx, args);
  if (!here.ok) return here;
  const code = here.value.code;
  const zone = here.value.timeZone;
  const inRange = (instant: string | undefined) => {
    if (instant === undefined) return false;
    const day = localDay(instant, zone);
    return day >= args.from && day <= args.to;
  };
  const [sent, received] = await Promise.all([
    ctx.store.data.find('crates', { selector: { origin: code } }),
    ctx.store.data.find('crates', { selector: { destination: code } }),
  ]);
  const traffic = new Map<string, CrateTraffic>();
  const row = (library: string) => {
    let entry = traffic.get(library);
    if (!entry) {
      entry = { library, sentCrates: 0, sentItems: 0, receivedCrates: 0, receivedItems: 0 };
      traffic.set(library, entry);
    }
    return entry;
  };
  const durations = new Map<string, number[]>();
  for (const crate of sent) {
    if (!inRange(crate.sealedAt)) continue;
    const entry = row(crate.destination);
    entry.sentCrates += 1;
    entry.sentItems += crate.counts.packed;
  }
  for (const crate of received) {
    if (!inRange(crate.receivedAt)) continue;
    const entry = row(crate.origin);
    entry.receivedCrates += 1;
    entry.receivedItems += crate.counts.received;
  }
  for (const crate of [...sent, ...received]) {
    if (crate.sealedAt === undefined || !inRange(crate.receivedAt)) continue;
    const hours = (Date.parse(crate.receivedAt ?? '') - Date.parse(crate.sealedAt)) / 3_600_000;
    const key = `${crate.origin}>${crate.destination}`;
    durations.set(key, [...(durations.get(key) ?? []), hours]);
  }
  const turnaround = [...durations].map(([key, hours]): CourierTurnaround => {
    const [from = '', to = ''] = key.split('>');
    const sorted = [...hours].sort((a, b) => a - b);
    return {
      from,
      to,
      crates: sorted.length,
      medianHours: Math.round(quantile(sorted, 0.5) * 10) / 10,
      p90Hours: Math.round(quantile(sorted, 0.9) * 10) / 10,
    };
  });
  return ok({
    traffic: [...traffic.values()].sort((a, b) => a.library.localeCompare(b.library)),
    turnaround: turnaround.sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`)),
  });
}

/** What is waiting at this library now: crates to fill or to unpack, the hold shelf. */
export async function waiting(ctx: DeskContext): Promise<DeskResult<WaitingCounts>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', NOT_SET_UP);
  const [open, incoming, unpacking, onShelf] = await Promise.all([
    ctx.store.data.find('crates', { selector: { origin: here.code, status: 'open' } }),
    ctx.store.data.find('crates', { selector: { destination: here.code, status: 'sealed' } }),
    ctx.store.data.find('crates', { selector: { destination: here.code, status: 'received' } }),
    ctx.store.data.find('holds', { selector: { status: 'on_shelf', pickupLibrary: here.code } }),
  ]);
  const today = localDay(ctx.now().toISOString(), here.timeZone);
  const oldestSealed = incoming.map((crate) => crate.sealedAt ?? crate.openedAt).sort()[0];
  return ok({
    openCrates: open.length,
    cratesInTransitHere: incoming.length,
    oldestInTransitSince: oldestSealed ?? null,
    cratesBeingUnpacked: unpacking.length,
    onHoldShelf: onShelf.length,
    expiredOnHoldShelf: onShelf.filter((hold) => (hold.expiresOn ?? today) < today).length,
  });
}
