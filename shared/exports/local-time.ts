// Wall-clock time at a library. Instants are kept in UTC (`instantField` in shared/schemas), but
// paper and ILS imports speak the library's local time, whose offset moves with daylight
// saving time: the conversion goes through the IANA zone, never a fixed offset.

/** A library's wall-clock reading of one instant. */
export interface LocalTime {
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS`, hours 00-23 */
  time: string;
  /** `000`-`999` */
  millisecond: string;
}

const isoInstant =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Milliseconds since the epoch of an ISO 8601 instant with a zone (`Z` or an offset); throws on
 * anything else, including dates that do not exist (`Date.parse` rolls 02-30 over to March).
 */
export function instantMs(instant: string): number {
  const match = isoInstant.exec(instant);
  const [year, month, day, hour, minute, second] = (match?.slice(1, 7) ?? []).map(Number);
  const written = new Date(Date.UTC(year ?? 0, (month ?? 0) - 1, day, hour, minute, second));
  const exists =
    written.getUTCFullYear() === year &&
    written.getUTCMonth() === (month ?? 0) - 1 &&
    written.getUTCDate() === day &&
    written.getUTCHours() === hour &&
    written.getUTCMinutes() === minute &&
    written.getUTCSeconds() === second;
  const ms = exists ? Date.parse(instant) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new RangeError(`Not an ISO 8601 instant with a time zone: ${JSON.stringify(instant)}`);
  }
  return ms;
}

// One formatter per zone: building one costs far more than using it, and an export formats
// every check-in of a day. An unknown zone throws in the constructor, so it is never cached.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock reading of `instant` (ISO 8601) in `timeZone` (IANA, e.g. America/Chicago). */
export function localTime(instant: string, timeZone: string): LocalTime {
  const ms = instantMs(instant);
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) parts[part.type] = part.value;
  const { year = '', month = '', day = '', hour = '', minute = '', second = '' } = parts;
  // Zone offsets are whole seconds, so the millisecond is the same in every zone.
  const millisecond = new Date(ms).getUTCMilliseconds();
  return {
    date: `${year.padStart(4, '0')}-${month}-${day}`,
    time: `${hour}:${minute}:${second}`,
    millisecond: String(millisecond).padStart(3, '0'),
  };
}

/**
 * A copy of `rows` ordered by the instant `instantOf` gives, oldest first; rows of the same
 * instant keep their order. Ordering by instant rather than by local time keeps the hour that a
 * fall-back repeats in the order it happened.
 */
export function inTimeOrder<Row>(rows: readonly Row[], instantOf: (row: Row) => string): Row[] {
  return rows
    .map((row) => ({ row, ms: instantMs(instantOf(row)) }))
    .sort((a, b) => a.ms - b.ms)
    .map(({ row }) => row);
}
