import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dayWithWeekday,
  inTimeOrder,
  instantMs,
  localDate,
  localDateTime,
  localTime,
} from './local-time.js';

const chicago = 'America/Chicago';

// Any instant from 1970 to 2100, with milliseconds.
const instants = fc
  .integer({ min: 0, max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms).toISOString());

describe('localTime', () => {
  it.each([
    // Spring forward, 2025-03-09: 01:59:59.999 CST is followed by 03:00:00.000 CDT.
    ['2025-03-09T07:59:59.999Z', { date: '2025-03-09', time: '01:59:59', millisecond: '999' }],
    ['2025-03-09T08:00:00.000Z', { date: '2025-03-09', time: '03:00:00', millisecond: '000' }],
    // Fall back, 2025-11-02: 01:30 happens twice, first in CDT (-5), then in CST (-6).
    ['2025-11-02T06:30:00.007Z', { date: '2025-11-02', time: '01:30:00', millisecond: '007' }],
    ['2025-11-02T07:30:00.070Z', { date: '2025-11-02', time: '01:30:00', millisecond: '070' }],
    // An evening in UTC's next day is still the library's day.
    ['2025-03-15T04:59:00.000Z', { date: '2025-03-14', time: '23:59:00', millisecond: '000' }],
    // Midnight is hour 00, never 24.
    ['2025-01-01T06:00:00.000Z', { date: '2025-01-01', time: '00:00:00', millisecond: '000' }],
  ])('reads %s in Chicago wall-clock time', (instant, expected) => {
    expect(localTime(instant, chicago)).toEqual(expected);
  });

  it('accepts an instant with an offset and without milliseconds', () => {
    expect(localTime('2025-07-04T12:00:00-05:00', chicago)).toEqual({
      date: '2025-07-04',
      time: '12:00:00',
      millisecond: '000',
    });
  });

  it('agrees with toISOString in UTC and with a fixed offset in a zone without DST', () => {
    fc.assert(
      fc.property(instants, (instant) => {
        const utc = localTime(instant, 'UTC');
        expect(`${utc.date}T${utc.time}.${utc.millisecond}Z`).toBe(instant);
        // India has kept +05:30 all year since 1945.
        const shifted = new Date(Date.parse(instant) + 5.5 * 3_600_000).toISOString();
        const kolkata = localTime(instant, 'Asia/Kolkata');
        expect(`${kolkata.date}T${kolkata.time}.${kolkata.millisecond}Z`).toBe(shifted);
      }),
    );
  });

  it('throws on what is not an instant with a zone, and on an unknown zone', () => {
    expect(() => localTime('2025-03-09 01:00:00', chicago)).toThrow(RangeError);
    expect(() => localTime('2025-03-09T01:00:00', chicago)).toThrow(RangeError);
    expect(() => localTime('2025-02-30T01:00:00Z', chicago)).toThrow(RangeError);
    expect(() => localTime('2025-02-28T24:00:00Z', chicago)).toThrow(RangeError);
    expect(() => localTime('yesterday', chicago)).toThrow(RangeError);
    expect(() => localTime('2025-03-09T01:00:00Z', 'America/Atlantis')).toThrow(RangeError);
  });
});

describe('localDate and localDateTime', () => {
  it('give the library day and minute', () => {
    expect(localDate('2025-03-15T04:59:00.000Z', chicago)).toBe('2025-03-14');
    expect(localDateTime('2025-03-15T04:59:30.000Z', chicago)).toBe('2025-03-14 23:59');
  });
});

describe('dayWithWeekday', () => {
  it('names the weekday of a calendar day', () => {
    expect(dayWithWeekday('2025-03-21')).toBe('Fri 2025-03-21');
    expect(dayWithWeekday('2024-02-29')).toBe('Thu 2024-02-29');
  });

  it('refuses what is not a calendar day', () => {
    for (const day of ['2025-02-29', '2025-13-01', '2025-3-1', '2025-03-21T00:00:00Z', '']) {
      expect(() => dayWithWeekday(day)).toThrow(RangeError);
    }
  });
});

describe('inTimeOrder', () => {
  it('orders by instant, so the repeated fall-back hour stays in the order it happened', () => {
    const rows = [
      { id: 'second 01:10 (CST)', at: '2025-11-02T07:10:00.000Z' },
      { id: 'first 01:30 (CDT)', at: '2025-11-02T06:30:00.000Z' },
    ];
    expect(inTimeOrder(rows, (row) => row.at).map((row) => row.id)).toEqual([
      'first 01:30 (CDT)',
      'second 01:10 (CST)',
    ]);
  });

  it('keeps rows of the same instant in their order and leaves its input alone', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(instants, fc.nat())), (pairs) => {
        const rows = pairs.map(([at], index) => ({ at, index }));
        const copy = [...rows];
        const ordered = inTimeOrder(rows, (row) => row.at);
        expect(rows).toEqual(copy);
        expect(ordered).toHaveLength(rows.length);
        for (let i = 1; i < ordered.length; i += 1) {
          const [a, b] = [ordered[i - 1], ordered[i]];
          if (a === undefined || b === undefined) throw new Error('unreachable');
          const [msA, msB] = [instantMs(a.at), instantMs(b.at)];
          expect(msA < msB || (msA === msB && a.index < b.index)).toBe(true);
        }
      }),
    );
  });
});
