import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './backoff.js';

const policy: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, jitter: 0.5 };

describe('backoffDelay', () => {
  it.each([
    // attempt, ceiling: doubles from 1 s, capped at 60 s
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [6, 32_000],
    [7, 60_000],
    [50, 60_000],
    [10_000, 60_000],
  ])('attempt %i waits between half of %i ms and all of it', (attempt, ceiling) => {
    expect(backoffDelay(attempt, policy, () => 0)).toBe(ceiling);
    expect(backoffDelay(attempt, policy, () => 0.999_999)).toBe(Math.round(ceiling / 2));
  });

  it('stays within [ceiling * (1 - jitter), ceiling] and never above the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, random, jitter) => {
          const bounded = { ...policy, jitter };
          const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** (attempt - 1));
          const delay = backoffDelay(attempt, bounded, () => random);
          expect(delay).toBeLessThanOrEqual(policy.maxMs);
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - jitter)));
        },
      ),
    );
  });

  it('spreads desks out: two draws of one attempt differ with jitter, not without', () => {
    const draws = [0.1, 0.9].map((r) => backoffDelay(4, policy, () => r));
    expect(new Set(draws).size).toBe(2);
    const fixed = [0.1, 0.9].map((r) => backoffDelay(4, { ...policy, jitter: 0 }, () => r));
    expect(fixed).toEqual([8_000, 8_000]);
  });

  it('treats attempt 0 or less as the first, and has a default policy', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(1_000);
    expect(backoffDelay(-3, policy, () => 0)).toBe(1_000);
    expect(backoffDelay(1)).toBeLessThanOrEqual(defaultBackoff.initialMs);
  });
});
