import { describe, expect, it } from 'vitest';
import {
  combineOffset,
  offsetEstimate,
  sampleInterval,
  type ClockSample,
  type OffsetInterval,
} from './clock-offset.js';

const at = (iso: string) => Date.parse(iso);
const sample = (date: string, sentAt: number, receivedAt: number): ClockSample => ({
  dateHeader: new Date(at(date)).toUTCString(),
  sentAt,
  receivedAt,
});

describe('the clock offset from Date headers', () => {
  it('allows the server clock anywhere in the second its header names, over the round trip', () => {
    // Desk clock 10:00:00.200 -> 10:00:00.300; the server said 10:00:05 (whole seconds).
    const interval = sampleInterval(
      sample(
        '2026-11-23T10:00:05Z',
        at('2026-11-23T10:00:00.200Z'),
        at('2026-11-23T10:00:00.300Z'),
      ),
    );
    expect(interval).toEqual({ low: 4_700, high: 5_800 });
    expect(offsetEstimate(interval!)).toBe(5_250);
  });

  it('narrows with more answers and finds a clock that is right to within a second', () => {
    // The desk clock is 3.4 s behind the server; answers every 250 ms, 20 ms round trips.
    const skew = 3_400;
    let interval: OffsetInterval | undefined;
    for (let t = 0; t < 4_000; t += 250) {
      const sentAt = at('2026-11-23T10:00:00.000Z') + t;
      const serverNow = sentAt + 10 + skew;
      const header = new Date(Math.floor(serverNow / 1000) * 1000).toUTCString();
      interval = combineOffset(interval, { dateHeader: header, sentAt, receivedAt: sentAt + 20 });
    }
    if (!interval) throw new Error('no interval');
    expect(interval.high - interval.low).toBeLessThanOrEqual(300);
    expect(Math.abs(offsetEstimate(interval) - skew)).toBeLessThanOrEqual(150);
  });

  it('starts over when the desk clock is set (the intervals stop overlapping)', () => {
    const before = combineOffset(
      undefined,
      sample(
        '2026-11-23T10:00:05Z',
        at('2026-11-23T10:00:00.000Z'),
        at('2026-11-23T10:00:00.050Z'),
      ),
    );
    const after = combineOffset(
      before,
      sample(
        '2026-11-23T10:01:00Z',
        at('2026-11-23T10:01:00.000Z'),
        at('2026-11-23T10:01:00.050Z'),
      ),
    );
    expect(offsetEstimate(before!)).toBeGreaterThan(4_000);
    expect(Math.abs(offsetEstimate(after!))).toBeLessThan(1_000);
  });

  it.each([
    ['no header', ''],
    ['an unreadable header', 'yesterday-ish'],
  ])('ignores %s', (_label, header) => {
    const kept = { low: 1, high: 2 };
    expect(combineOffset(kept, { dateHeader: header, sentAt: 0, receivedAt: 1 })).toBe(kept);
    expect(sampleInterval({ dateHeader: header, sentAt: 0, receivedAt: 1 })).toBeUndefined();
  });
});
