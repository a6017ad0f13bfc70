// Dates and times as ILS report exports write them. An ILS writes its own local time, mostly
// without an offset (Koha `2026-11-01 14:05:00`, Symphony `11/1/2026` or `20261101`), or with
// one (Evergreen `2026-11-01 14:05:00-06`): a time without an offset is the library's wall
// clock, converted through its IANA zone, never a fixed offset.
import { localTime } from '../../shared/exports/index.js';

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Minutes east of UTC when the text says so. */
  offset?: number;
}

const isoLike =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const compact = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$/;
const american =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i;

function offsetMinutes(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text.toUpperCase() === 'Z') return 0;
  const [, sign, hours, minutes] = /^([+-])(\d{2}):?(\d{2})?$/.exec(text) ?? [];
  const value = Number(hours) * 60 + Number(minutes ?? 0);
  return sign === '-' ? -value : value;
}

function parts(text: string): Parts | undefined {
  const trimmed = text.trim();
  let match = isoLike.exec(trimmed);
  if (match) {
    const [, y, mo, d, h, mi, s, zone] = match;
    const offset = offsetMinutes(zone);
    return {
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h ?? 0),
      minute: Number(mi ?? 0),
      second: Number(s ?? 0),
      ...(offset === undefined ? {} : { offset }),
    };
  }
  match = compact.exec(trimmed);
  if (match) {
    const [, y, mo, d, h, mi, s] = match;
    return {
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour: Number(h ?? 0),
      minute: Number(mi ?? 0),
      second: Number(s ?? 0),
    };
  }
  match = american.exec(trimmed);
  if (match) {
    const [, mo, d, y, h, mi, s, meridiem] = match;
    let hour = Number(h ?? 0);
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) return undefined;
      hour = (hour % 12) + (meridiem.toUpperCase() === 'PM' ? 12 : 0);
    }
    return {
      year: Number(y),
      month: Number(mo),
      day: Number(d),
      hour,
      minute: Number(mi ?? 0),
      second: Number(s ?? 0),
    };
  }
  return undefined;
}

/** Whether the parts name a real calendar day and clock time (no 31 November, no 25:00). */
function exists(p: Parts): boolean {
  const date = new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second));
  return (
    date.getUTCFullYear() === p.year &&
    date.getUTCMonth() === p.month - 1 &&
    date.getUTCDate() === p.day &&
    date.getUTCHours() === p.hour &&
    date.getUTCMinutes() === p.minute &&
    date.getUTCSeconds() === p.second
  );
}

/** How far `timeZone`'s wall clock is ahead of UTC at the instant `ms`. */
function offsetAt(ms: number, timeZone: string): number {
  const shown = localTime(new Date(ms).toISOString(), timeZone);
  return Date.parse(`${shown.date}T${shown.time}.000Z`) - Math.floor(ms / 1000) * 1000;
}

/**
 * The UTC milliseconds of a wall-clock reading in `timeZone`, as Temporal's "compatible"
 * disambiguation does: zones change their offset at most once in a day, so the reading is
 * tried with the offsets a day before and a day after. In the hour a fall-back repeats, the
 * earlier instant; in the hour a spring change skips, the offset from before it (02:30 that
 * never was becomes 03:30).
 */
function zonedToUtc(p: Parts, timeZone: string): number {
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const fits = [wall - before, wall - after]
    .filter((ms) => offsetAt(ms, timeZone) === wall - ms)
    .sort((a, b) => a - b);
  return fits[0] ?? wall - before;
}

/**
 * An ILS date or date-time as an instant (`Date.prototype.toISOString()`), reading a time
 * without an offset (or a bare day, as midnight) as wall-clock time in `timeZone`; undefined
 * if it is none of the shapes above or not a real date.
 */
export function ilsInstant(text: string, timeZone: string): string | undefined {
  const p = parts(text);
  if (!p || !exists(p)) return undefined;
  const ms =
    p.offset === undefined
      ? zonedToUtc(p, timeZone)
      : Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - p.offset * 60_000;
  const instant = new Date(ms);
  return Number.isNaN(instant.getTime()) ? undefined : instant.toISOString();
}

/** An ILS date (any shape above; a time of day is dropped) as `YYYY-MM-DD`, or undefined. */
export function ilsDay(text: string): string | undefined {
  const p = parts(text);
  if (!p || !exists(p)) return undefined;
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
