import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdStatuses } from '../schemas/holds.js';
import type { Hold, HoldStatus } from '../schemas/holds.js';
import {
  canMoveHold,
  earlierCapture,
  isHoldEnded,
  mergeHoldStates,
  mergeHoldVersions,
} from './hold-state.js';
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

describe('mergeHoldVersions (a desk version against the server version)', () => {
  const DESK = '01JDESK0000000000000000000';
  const OTHER = '01JOTHER000000000000000000';
  const server: Hold = {
    id: '01JH0000000000000000000001',
    bibId: 'bib-1',
    patronRef: 'p-1',
    shelfName: 'SMITH J',
    pickupLibrary: 'EAST',
    pullLibrary: 'MAIN',
    status: 'pending',
    requestedAt: '2026-11-01T10:00:00.000Z',
    updatedAt: '2026-11-20T10:00:00.000Z',
    deskId: 'server',
  };
  const captureA = {
    capturedAt: '2026-11-23T09:00:00.000Z',
    capturedItemBarcode: '33907000000011',
  };
  const captureB = {
    capturedAt: '2026-11-23T11:00:00.000Z',
    capturedItemBarcode: '33907000000029',
  };
  const shelved = { shelvedAt: '2026-11-24T09:00:00.000Z', expiresOn: '2026-12-01' };
  const desk = (extra: Partial<Hold>): Hold => ({
    ...server,
    updatedAt: '2026-11-23T12:00:00.000Z',
    deskId: DESK,
    ...extra,
  });
  const atServer = (extra: Partial<Hold>): Hold => ({
    ...server,
    updatedAt: '2026-11-23T13:00:00.000Z',
    deskId: OTHER,
    ...extra,
  });
  const withoutPatron = (hold: Hold): Hold => {
    const rest = { ...hold };
    delete rest.patronRef;
    delete rest.shelfName;
    return rest;
  };

  it.each<[string, Hold, Hold, Hold | 'server']>([
    ['the same hold: the server version', server, server, 'server'],
    [
      'the desk moved it on: the desk version',
      desk({ status: 'in_transit', ...captureA }),
      server,
      desk({ status: 'in_transit', ...captureA }),
    ],
    [
      'the server moved further: the server version',
      desk({ status: 'in_transit', ...captureA }),
      atServer({ status: 'on_shelf', ...captureA, ...shelved }),
      'server',
    ],
    [
      'two captures, the desk one earlier: the desk capture, never a step back',
      desk({ status: 'captured', ...captureA }),
      atServer({ status: 'in_transit', ...captureB }),
      {
        ...atServer({ status: 'in_transit', ...captureA }),
        deskId: DESK,
      },
    ],
    [
      'two captures, the server one earlier: the server version',
      desk({ status: 'in_transit', ...captureB }),
      atServer({ status: 'in_transit', ...captureA }),
      'server',
    ],
    [
      'two captures at the same instant: the lower desk id (earlierCapture)',
      desk({ status: 'in_transit', ...captureA, capturedItemBarcode: '33907000000037' }),
      atServer({ status: 'in_transit', ...captureA }),
      {
        ...atServer({ status: 'in_transit', ...captureA, capturedItemBarcode: '33907000000037' }),
        deskId: DESK,
      },
    ],
    [
      'the server cancelled a hold the desk shelved: cancelled, the shelf time kept',
      desk({ status: 'on_shelf', ...captureA, ...shelved }),
      atServer({ status: 'cancelled' }),
      { ...atServer({ status: 'cancelled', ...captureA, ...shelved }), deskId: DESK },
    ],
    [
      'the desk ended it and removed the patron: the patron stays removed',
      withoutPatron(desk({ status: 'fulfilled', ...captureA, ...shelved })),
      atServer({ status: 'on_shelf', ...captureA, ...shelved }),
      {
        ...withoutPatron(atServer({ status: 'fulfilled', ...captureA, ...shelved })),
        deskId: DESK,
      },
    ],
    [
      'fulfilled beats expired: the server version',
      desk({ status: 'expired', ...captureA, ...shelved }),
      atServer({ status: 'fulfilled', ...captureA, ...shelved }),
      'server',
    ],
    [
      'fields the server owns are the server ones',
      desk({ status: 'captured', ...captureA, pickupLibrary: 'WEST', bibId: 'bib-old' }),
      atServer({ pickupLibrary: 'EAST' }),
      { ...atServer({ status: 'captured', ...captureA }), deskId: DESK },
    ],
  ])('%s', (_label, deskVersion, serverVersion, expected) => {
    const merged = mergeHoldVersions(deskVersion, serverVersion);
    if (expected === 'server') expect(merged).toBe(serverVersion);
    else expect(merged).toEqual(expected);
  });

  const capture = fc.option(
    fc.record({
      capturedAt: fc.constantFrom(
        '2026-11-23T09:00:00.000Z',
        '2026-11-23T10:00:00.000Z',
        '2026-11-23T11:00:00.000Z',
      ),
      capturedItemBarcode: fc.constantFrom('33907000000011', '33907000000029'),
    }),
    { nil: undefined },
  );
  const version = fc
    .record({ status, capture, deskId: fc.constantFrom(DESK, OTHER, 'server') })
    .map(({ status: s, capture: c, deskId }) => ({ ...server, status: s, deskId, ...c }));

  it('never moves a hold back, keeps the earlier capture, and leaves an agreed hold alone', () => {
    fc.assert(
      fc.property(version, version, (d, srv) => {
        const merged = mergeHoldVersions(d, srv);
        expect(merged.status).toBe(mergeHoldStates(d.status, srv.status));
        const captures = [d, srv].filter((v) => v.capturedAt !== undefined);
        if (captures.length > 0) {
          const earliest = captures.map((v) => v.capturedAt ?? '').sort()[0];
          expect(merged.capturedAt).toBe(earliest);
        }
        expect(mergeHoldVersions(srv, srv)).toBe(srv);
        if (merged !== srv) expect(merged.deskId).toBe(d.deskId);
      }),
    );
  });
});
