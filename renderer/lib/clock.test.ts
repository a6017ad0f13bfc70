// The status bar's clock warning and the ages it shows.
import { describe, expect, it } from 'vitest';
import { clockWarning } from './clock.js';
import { formatAge } from './format.js';

describe('clockWarning', () => {
  it.each([
    [null, null],
    [0, null],
    [120_000, null],
    [-120_000, null],
    [120_001, "This computer's clock is 2 min behind the consortium server: fix the clock."],
    [-3 * 3_600_000, "This computer's clock is 3 h ahead of the consortium server: fix the clock."],
  ])('offset %s ms -> %s', (offset, warning) => {
    expect(clockWarning(offset)).toBe(warning);
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0 s'],
    [59, '59 s'],
    [60, '1 min'],
    [3_599, '60 min'],
    [3_600, '1 h'],
    [86_400 * 2, '2 d'],
  ])('%s s -> %s', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});
