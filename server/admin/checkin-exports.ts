// One library's check-ins for a range of its own days, as Koha's offline circulation file
// (.koc) or as CSV, written by the same code as a desk's exports (shared/exports/). One file
// per library: Koha takes the branch from whoever uploads the file, not from the file.
import { readFileSync } from 'node:fs';
import { checkinsCsv, checkinsCsvRow, kocFile, onServerClock } from '../../shared/exports/index.js';
import { localDay, type Checkin } from '../../shared/index.js';
import { HttpError } from '../sync/sync-routes.js';
import { readAll, readLibraries, type AdminDeps } from './server-data.js';

export const exportFormats = ['koc', 'csv'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface CheckinExport {
  readonly filename: string;
  readonly contentType: string;
  readonly text: string;
  readonly checkins: number;
}

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** A `YYYY-MM-DD` that is a real day. */
export function isDay(text: string): boolean {
  const date = new Date(`${text}T00:00:00.000Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && date.toISOString().slice(0, 10) === text;
}

/** Refuses a range that is not two real days in order. `invalid_range`. */
export function checkRange(from: string, to: string): void {
  if (!isDay(from) || !isDay(to) || from > to) {
    throw new HttpError(
      400,
      'invalid_range',
      'The range must be two real days, the first not after the last.',
    );
  }
}

/** `unknown_library`, `invalid_range`. */
export async function exportCheckins(
  deps: AdminDeps,
  args: { library: string; from: string; to: string; format: ExportFormat },
): Promise<CheckinExport> {
  checkRange(args.from, args.to);
  const library = (await readLibraries(deps)).get(args.library);
  if (!library) throw new HttpError(404, 'unknown_library', `There is no library ${args.library}.`);
  const inRange = (checkin: Checkin) => {
    const day = localDay(checkin.scannedAt, library.timeZone);
    return checkin.library === library.code && day >= args.from && day <= args.to;
  };
  // Undone scans and re-routings after sync are no check-ins for the ILS.
  const checkins = (await readAll(deps, 'checkins', [library.code]))
    .filter((checkin) => checkin.voidedAt === undefined && checkin.rerouteOf === undefined)
    .map(onServerClock)
    .filter(inRange);
  const name = `${library.code}-${args.from}-${args.to}`;
  if (args.format === 'koc') {
    const text = kocFile({
      generatorVersion: `${version}-server`,
      timeZone: library.timeZone,
      checkins: checkins.map(({ barcode, scannedAt }) => ({ barcode, scannedAt })),
    });
    return {
      filename: `${name}.koc`,
      contentType: 'text/plain; charset=utf-8',
      text,
      checkins: checkins.length,
    };
  }
  const text = checkinsCsv({ timeZone: library.timeZone, checkins: checkins.map(checkinsCsvRow) });
  return {
    filename: `${name}-checkins.csv`,
    contentType: 'text/csv; charset=utf-8',
    text,
    checkins: checkins.length,
  };
}
