import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdStatuses } from '../schemas/holds.js';
import type { HoldStatus } from '../schemas/holds.js';
import { canMoveHold, earlierCapture, isHoldEnded, mergeHoldStates } from './hold-state.js';
import type { CaptureClaim } from './hold-state.js';

/** Every move a desk may make, written out; every other pair of statuses is refused. */
const allowedMoves: readonly (readonly [HoldStatus, HoldStatus])[] = [
  ['pending', 'captured'],
  ['pending', 'cancelled'],
  ['pending', 'expired'],
  ['captured', 'in_transit'],
  ['captured', 'on_shelf'],
  ['captured', 'cancelled'],
  ['captured', 'expired'],
  ['in_transit', 'on_shelf'],
  ['in_transit', 'cancelled'],
  ['in_transit', 'expired'],
  ['on_shelf', 'fulfilled'],
  ['on_shelf', 'cancelled'],
  ['on_shelf', 'expired'],
];

const everyPair = holdStatuses.flatMap((from) => holdStatuses.map((to) => [from, to] as const));

/** The winner of every unordered pair of different statuses; each is tested both ways round. */
const mergeWinners: readonly (readonly [HoldStatus, HoldStatus, HoldStatus])[] = [
  ['pending', 'captured', 'captured'],
  ['pending', 'in_transit', 'in_transit'],
  ['pending', 'on_shelf', 'on_shelf'],
  ['pending', 'fulfilled', 'fulfilled'],
  ['pending', 'cancelled', 'cancelled'],
  ['pending', 'expired', 'expired'],
  ['captured', 'in_transit', 'in_transit'],
  ['captured', 'on_shelf', 'on_shelf'],
  ['captured', 'fulfilled', 'fulfilled'],
  ['captured', 'cancelled', 'cancelled'],
  ['captured', 'expired', 'expired'],
  ['in_transit', 'on_shelf', 'on_shelf'],
  ['in_transit', 'fulfilled', 'fulfilled'],
  ['in_transit', 'cancelled', 'cancelled'],
  ['in_transit', 'expired', 'expired'],
  ['on_shelf', 'fulfilled', 'fulfilled'],
  ['on_shelf', 'cancelled', 'cancelled'],
  ['on_shelf', 'expired', 'expired'],
  // Between ends: the item left with the patron; a decision beats the calendar.
  ['fulfilled', 'cancelled', 'fulfilled'],
  ['fulfilled', 'expired', 'fulfilled'],
  ['cancelled', 'expired', 'cancelled'],
];

const status = fc.constantFrom(...holdStatuses);

/** Statuses reachable from `from` in one or more moves. */
function reachableFrom(from: HoldStatus): Set<HoldStatus> {
  const seen = new Set<HoldStatus>();
  const queue = [from];
  for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
    for (const next of holdStatuses) {
      if (canMoveHold(current, next) && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe('canMoveHold', () => {
  it.each(everyPair)('%s -> %s', (from, to) => {
    const allowed = allowedMoves.some(([a, b]) => a === from && b === to);
    expect(canMoveHold(from, to)).toBe(allowed);
  });

  it('reaches fulfilled from pending only through captured and on_shelf', () => {
    expect(reachableFrom('pending')).toEqual(new Set(holdStatuses.slice(1)));
    expect(canMoveHold('pending', 'in_transit')).toBe(false);
    expect(canMoveHold('captured', 'fulfilled')).toBe(false);
  });
});

describe('isHoldEnded', () => {
  it.each<[HoldStatus, boolean]>([
    ['pending', false],
    ['captured', false],
    ['in_transit', false],
    ['on_shelf', false],
    ['fulfilled', true],
    ['cancelled', true],
    ['expired', true],
  ])('%s -> %s', (hold, ended) => {
    expect(isHoldEnded(hold)).toBe(ended);
  });

  it('ends are reachable from every state that has not ended, and lead nowhere', () => {
    for (const from of holdStatuses) {
      for (const end of ['cancelled', 'expired'] as const) {
        expect(canMoveHold(from, end)).toBe(!isHoldEnded(from));
      }
      if (isHoldEnded(from)) expect(reachableFrom(from).size).toBe(0);
    }
  });
});

describe('mergeHoldStates', () => {
  it('has a winner written down for every pair', () => {
    expect(mergeWinners).toHaveLength((holdStatuses.length * (holdStatuses.length - 1)) / 2);
  });

  it.each(mergeWinners)('%s with %s -> %s', (a, b, winner) => {
    expect(mergeHoldStates(a, b)).toBe(winner);
    expect(mergeHoldStates(b, a)).toBe(winner);
  });

  it.each(holdStatuses)('%s with itself stays %s', (same) => {
    expect(mergeHoldStates(same, same)).toBe(same);
  });

  it('is commutative, associative and idempotent: desks converge in any order', () => {
    fc.assert(
      fc.property(status, status, status, (a, b, c) => {
        expect(mergeHoldStates(a, b)).toBe(mergeHoldStates(b, a));
        expect(mergeHoldStates(mergeHoldStates(a, b), c)).toBe(
          mergeHoldStates(a, mergeHoldStates(b, c)),
        );
        expect(mergeHoldStates(a, a)).toBe(a);
        expect([a, b]).toContain(mergeHoldStates(a, b));
      }),
    );
  });

  it('only moves a hold forward: the winner can be reached from the other, unless both ended', () => {
    fc.assert(
      fc.property(status, status, (a, b) => {
        const winner = mergeHoldStates(a, b);
        const loser = winner === a ? b : a;
        if (winner === loser || (isHoldEnded(a) && isHoldEnded(b))) return;
        expect(reachableFrom(loser).has(winner)).toBe(true);
      }),
    );
  });
});

describe('earlierCapture', () => {
  const early = '2025-03-14T09:30:00.000Z';
  const late = '2025-03-14T09:30:00.001Z';
  const deskA = '01JP9ZTDE0RPE2RC89KVWB27RG';
  const deskB = '01JPA0000000000000000000ZZ';

  it.each<[string, CaptureClaim, CaptureClaim, CaptureClaim]>([
    [
      'the earlier time, whichever desk',
      { capturedAt: late, deskId: deskA },
      { capturedAt: early, deskId: deskB },
      { capturedAt: early, deskId: deskB },
    ],
    [
      'the lower desk id on the same time',
      { capturedAt: early, deskId: deskB },
      { capturedAt: early, deskId: deskA },
      { capturedAt: early, deskId: deskA },
    ],
    [
      'a claim with a time over one without',
      { deskId: deskA },
      { capturedAt: late, deskId: deskB },
      { capturedAt: late, deskId: deskB },
    ],
    [
      'the lower desk id when neither has a time',
      { deskId: deskB },
      { deskId: deskA },
      { deskId: deskA },
    ],
    [
      'the earlier time across a day boundary',
      { capturedAt: '2025-03-15T00:00:00.000Z', deskId: deskA },
      { capturedAt: '2025-03-14T23:59:59.999Z', deskId: deskB },
      { capturedAt: '2025-03-14T23:59:59.999Z', deskId: deskB },
    ],
  ])('keeps %s', (_case, a, b, winner) => {
    expect(earlierCapture(a, b)).toEqual(winner);
    expect(earlierCapture(b, a)).toEqual(winner);
  });

  it('returns the claim itself, with whatever else it carries', () => {
    const a = { capturedAt: early, deskId: deskB, itemBarcode: '30234000517861' };
    const b = { capturedAt: late, deskId: deskA, itemBarcode: '33907000123452' };
    expect(earlierCapture(a, b)).toBe(a);
  });

  it('every desk picks the same winner, whatever order the claims arrive in', () => {
    const instant = fc
      .date({
        min: new Date('2020-01-01T00:00:00.000Z'),
        max: new Date('2030-01-01T00:00:00.000Z'),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString());
    const claim = fc.record(
      { capturedAt: fc.oneof(instant, fc.constant(early)), deskId: fc.constantFrom(deskA, deskB) },
      { requiredKeys: ['deskId'] },
    );
    fc.assert(
      fc.property(claim, claim, claim, (a, b, c) => {
        expect(earlierCapture(a, b)).toEqual(earlierCapture(b, a));
        expect(earlierCapture(earlierCapture(a, b), c)).toEqual(
          earlierCapture(a, earlierCapture(b, c)),
        );
        const winner = earlierCapture(a, b);
        expect([a, b]).toContain(winner);
        if (a.capturedAt !== undefined && b.capturedAt !== undefined) {
          const earliest = new Date(a.capturedAt) < new Date(b.capturedAt) ? a : b;
          expect(winner.capturedAt).toBe(earliest.capturedAt);
        }
      }),
    );
  });
});
