import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localTime } from '../../shared/exports/index.js';
import { ilsDay, ilsInstant } from './ils-dates.js';

const chicago = 'America/Chicago';

describe('ilsInstant', () => {
  it.each([
    // Koha: local date-times and bare days.
    ['2026-11-03 09:15:00', '2026-11-03T15:15:00.000Z'],
    ['2026-11-02', '2026-11-02T06:00:00.000Z'],
    ['2026-07-02', '2026-07-02T05:00:00.000Z'],
    // Evergreen: offsets, short and long; ISO with Z.
    ['2026-11-02 10:00:00-06', '2026-11-02T16:00:00.000Z'],
    ['2026-11-02 10:00:00.123456-06:00', '2026-11-02T16:00:00.000Z'],
    ['2026-11-02T10:00:00+0100', '2026-11-02T09:00:00.000Z'],
    ['2026-11-02T10:00:00Z', '2026-11-02T10:00:00.000Z'],
    // Symphony: compact and US dates, with a 12-hour clock.
    ['20261101', '2026-11-01T05:00:00.000Z'],
    ['20261104143000', '2026-11-04T20:30:00.000Z'],
    ['11/3/2026 2:30 PM', '2026-11-03T20:30:00.000Z'],
    ['11/3/2026 12:05 AM', '2026-11-03T06:05:00.000Z'],
    ['1/15/2026', '2026-01-15T06:00:00.000Z'],
    // The fall-back hour happens twice: the earlier (daylight) one is meant.
    ['2026-11-01 01:30:00', '2026-11-01T06:30:00.000Z'],
    // Across the spring change: 02:30 does not exist in Chicago and lands an hour later.
    ['2026-03-08 01:59:59', '2026-03-08T07:59:59.000Z'],
    ['2026-03-08 03:00:00', '2026-03-08T08:00:00.000Z'],
    ['2026-03-08 02:30:00', '2026-03-08T08:30:00.000Z'],
  ])('%s is %s', (text, instant) => {
    expect(ilsInstant(text, chicago)).toBe(instant);
  });

  it.each([
    '',
    'yesterday',
    '2026-02-30',
    '2026-11-02 25:00',
    '13/1/2026',
    '11/3/2026 13:00 PM',
    '2026-11-02T10:00:00+2',
  ])('refuses %j', (text) => {
    expect(ilsInstant(text, chicago)).toBeUndefined();
  });

  it('reads back every wall-clock time a library shows (outside the repeated fall-back hour)', () => {
    const zone = fc.constantFrom(
      chicago,
      'America/New_York',
      'Europe/London',
      'Australia/Sydney',
      'UTC',
    );
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
        zone,
        (ms, timeZone) => {
          const instant = new Date(Math.floor(ms / 1000) * 1000).toISOString();
          const { date, time } = localTime(instant, timeZone);
          const back = ilsInstant(`${date} ${time}`, timeZone);
          // In the hour a fall-back repeats, one wall-clock reading names two instants.
          const hourLater = localTime(
            new Date(Date.parse(instant) + 3_600_000).toISOString(),
            timeZone,
          );
          const hourEarlier = localTime(
            new Date(Date.parse(instant) - 3_600_000).toISOString(),
            timeZone,
          );
          const ambiguous =
            `${hourLater.date} ${hourLater.time}` === `${date} ${time}` ||
            `${hourEarlier.date} ${hourEarlier.time}` === `${date} ${time}`;
          if (!ambiguous) expect(back).toBe(instant);
        },
      ),
    );
  });
});

describe('ilsDay', () => {
  it.each([
    ['2026-11-17', '2026-11-17'],
    ['2026-11-10 23:59:59-06', '2026-11-10'],
    ['20261111', '2026-11-11'],
    ['11/1/2026', '2026-11-01'],
  ])('%s is %s', (text, day) => {
    expect(ilsDay(text)).toBe(day);
  });

  it('refuses a day that does not exist', () => {
    expect(ilsDay('2026-02-29')).toBeUndefined();
    expect(ilsDay('2/30/2026')).toBeUndefined();
  });
});
