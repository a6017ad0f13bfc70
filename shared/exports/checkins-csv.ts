// Check-ins as CSV, for a library's own records and the consortium's counts. Each scan carries
// its time twice: the library's wall-clock time for people reading it, and UTC, which stays
// unambiguous in the hour a fall-back repeats.
import type { Checkin, CheckinRoute, SetAsideReason } from '../schemas/index.js';
import { csvText } from './csv.js';
import { inTimeOrder, instantMs, localTime } from './local-time.js';

export interface CheckinsCsvRow {
  barcode: string;
  /** ISO instant of the scan. */
  scannedAt: string;
  /** The scanning library's code. */
  library: string;
  /** The staff login or initials at the desk. */
  staff: string;
  route: CheckinRoute;
  /** Where the item was sent, if anywhere. */
  destination?: string;
  /** Why the item was set aside, for `set_aside`. */
  reason?: SetAsideReason;
}

export interface CheckinsCsvInput {
  /** The IANA time zone of the local-time column. */
  timeZone: string;
  /** In any order: rows are written oldest first. */
  checkins: readonly CheckinsCsvRow[];
}

export const checkinsCsvHeader = [
  'scanned_at_local',
  'scanned_at_utc',
  'library',
  'barcode',
  'staff',
  'route',
  'destination',
  'reason',
] as const;

/**
 * RFC 4180 CSV through the desk's one CSV writer: the header row, then one record per scan,
 * oldest first; local time as `YYYY-MM-DD HH:MM:SS`, UTC as ISO 8601 with milliseconds.
 */
export function checkinsCsv(input: CheckinsCsvInput): string {
  const rows = inTimeOrder(input.checkins, (row) => row.scannedAt).map((row) => {
    const { date, time } = localTime(row.scannedAt, input.timeZone);
    return [
      `${date} ${time}`,
      new Date(instantMs(row.scannedAt)).toISOString(),
      row.library,
      row.barcode,
      row.staff,
      row.route,
      row.destination,
      row.reason,
    ];
  });
  return csvText(checkinsCsvHeader, rows);
}

/** The CSV row of a stored check-in (the columns above, taken from the document). */
export function checkinsCsvRow(checkin: Checkin): CheckinsCsvRow {
  const { destination, reason } = checkin.outcome;
  return {
    barcode: checkin.barcode,
    scannedAt: checkin.scannedAt,
    library: checkin.library,
    staff: checkin.staff,
    route: checkin.outcome.route,
    ...(destination === undefined ? {} : { destination }),
    ...(reason === undefined ? {} : { reason }),
  };
}
