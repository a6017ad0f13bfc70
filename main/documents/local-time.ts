// Wall-clock time at a library: dates for slips and manifests. The conversion itself (instant to
// the library's wall clock, through the IANA zone) lives in shared/exports/local-time.ts, which
// the server's exports use too.
import { localTime } from '../../shared/exports/index.js';

export { inTimeOrder, instantMs, localTime } from '../../shared/exports/index.js';
export type { LocalTime } from '../../shared/exports/index.js';

/** `YYYY-MM-DD` at the library. */
export function localDate(instant: string, timeZone: string): string {
  return localTime(instant, timeZone).date;
}

/** `YYYY-MM-DD HH:MM` at the library, for slips and manifests. */
export function localDateTime(instant: string, timeZone: string): string {
  const { date, time } = localTime(instant, timeZone);
  return `${date} ${time.slice(0, 5)}`;
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/**
 * A calendar day (`YYYY-MM-DD`, already the library's day) with its weekday, `Fri 2025-03-21`:
 * staff clearing a hold shelf or a sorting room think in weekdays, but the ISO date stays
 * unambiguous across the consortium.
 */
export function dayWithWeekday(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const date = match
    ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
    : null;
  if (date === null || date.toISOString().slice(0, 10) !== day) {
    throw new RangeError(`Not a calendar day YYYY-MM-DD: ${JSON.stringify(day)}`);
  }
  return `${weekdays[date.getUTCDay()] ?? ''} ${day}`;
}
