// The time of day the list of recent scans shows.
import { describe, expect, it } from 'vitest';
import { formatTime } from './format.js';

describe('formatTime', () => {
  // One formatter made once must say exactly what toLocaleTimeString said per call.
  it.each(['2026-11-23T00:00:00.000Z', '2026-11-23T14:05:09.000Z', '2026-06-30T23:59:59.999Z'])(
    'writes %s as the local time with seconds',
    (iso) => {
      expect(formatTime(iso)).toBe(
        new Date(iso).toLocaleTimeString(undefined, {
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        }),
      );
    },
  );
});
