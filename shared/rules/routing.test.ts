import { describe, expect, it } from 'vitest';
import {
  eligibleHolds,
  localDay,
  routeCheckin,
  shelfExpiry,
  type HoldFacts,
  type ItemFacts,
  type LibraryFacts,
  type RoutingFacts,
} from './routing.js';

const library = (code: string, extra: Partial<LibraryFacts> = {}): LibraryFacts => ({
  code,
  barcodePrefixes: [],
  floatingRules: { libraries: [], callNumberPrefixes: [] },
  localPickupFirst: false,
  holdShelfDays: 7,
  timeZone: 'America/Chicago',
  ...extra,
});

const libraries = new Map<string, LibraryFacts>([
  ['MAIN', library('MAIN', { barcodePrefixes: ['33907'], localPickupFirst: true })],
  [
    'EAST',
    library('EAST', {
      barcodePrefixes: ['33908'],
      floatingRules: { libraries: ['EAST', 'WEST'], callNumberPrefixes: ['DVD'] },
    }),
  ],
  ['WEST', library('WEST', { barcodePrefixes: ['3390'], holdShelfDays: 10 })],
]);

const item = (extra: Partial<ItemFacts> = {}): ItemFacts => ({
  barcode: '33907000517861',
  bibId: 'b1',
  callNumber: 'SF LEG',
  owner: 'MAIN',
  location: 'MAIN',
  floating: false,
  status: 'available',
  ...extra,
});

const hold = (id: string, extra: Partial<HoldFacts> = {}): HoldFacts => ({
  id,
  bibId: 'b1',
  pickupLibrary: 'EAST',
  status: 'pending',
  requestedAt: '2026-11-01T10:00:00.000Z',
  ...extra,
});

const scannedAt = '2026-11-23T15:30:00.000Z';
const facts = (extra: Partial<RoutingFacts> = {}): RoutingFacts => ({
  barcode: '33907000517861',
  here: 'MAIN',
  scannedAt,
  libraries,
  item: item(),
  holds: [],
  expectedInTransit: false,
  inOpenCrate: false,
  ...extra,
});

describe('routeCheckin', () => {
  const cases: [name: string, input: RoutingFacts, expected: ReturnType<typeof routeCheckin>][] = [
    ['owned here, nothing waiting: reshelve', facts(), { route: 'reshelve' }],
    [
      'owned elsewhere, not floating: home to the owner',
      facts({ item: item({ owner: 'EAST', location: 'EAST', callNumber: 'FIC' }) }),
      { route: 'return_home', destination: 'EAST' },
    ],
    [
      'owned elsewhere, floating by its own flag: stays here',
      facts({ item: item({ owner: 'EAST', location: 'EAST', floating: true }) }),
      { route: 'float_here', destination: 'MAIN' },
    ],
    [
      "owned elsewhere, in the owner's floating collection for this library: stays",
      facts({
        here: 'WEST',
        item: item({ owner: 'EAST', location: 'EAST', callNumber: 'DVD 791.43' }),
      }),
      { route: 'float_here', destination: 'WEST' },
    ],
    [
      "owned elsewhere, outside the owner's floating call numbers: home",
      facts({ here: 'WEST', item: item({ owner: 'EAST', location: 'EAST', callNumber: 'FIC' }) }),
      { route: 'return_home', destination: 'EAST' },
    ],
    [
      'floated earlier to another library: home is where it floated to',
      facts({ item: item({ owner: 'EAST', location: 'WEST', callNumber: 'FIC' }) }),
      { route: 'return_home', destination: 'WEST' },
    ],
    [
      'floated here earlier: reshelve',
      facts({ item: item({ owner: 'EAST', location: 'MAIN' }) }),
      { route: 'reshelve' },
    ],
    [
      'title-level hold picked up elsewhere: transit to the pickup library',
      facts({ holds: [hold('h1')] }),
      { route: 'hold_transit', holdId: 'h1', destination: 'EAST' },
    ],
    [
      'hold picked up here: hold shelf with expiry from the library policy',
      facts({ holds: [hold('h1', { pickupLibrary: 'MAIN' })] }),
      { route: 'hold_here', holdId: 'h1', destination: 'MAIN', shelfExpiresOn: '2026-11-30' },
    ],
    [
      'item-level hold before an older title-level hold',
      facts({
        holds: [
          hold('title', { requestedAt: '2026-01-01T00:00:00.000Z' }),
          hold('copy', { itemBarcode: '33907000517861', pickupLibrary: 'WEST' }),
        ],
      }),
      { route: 'hold_transit', holdId: 'copy', destination: 'WEST' },
    ],
    [
      'an item-level hold on another copy is not filled by this one',
      facts({ holds: [hold('other', { itemBarcode: '33907999999999' })] }),
      { route: 'reshelve' },
    ],
    [
      'oldest request first',
      facts({
        here: 'EAST',
        libraries: new Map([...libraries, ['EAST', library('EAST')]]),
        holds: [
          hold('newer', { pickupLibrary: 'WEST', requestedAt: '2026-11-05T00:00:00.000Z' }),
          hold('older', { pickupLibrary: 'MAIN', requestedAt: '2026-11-02T00:00:00.000Z' }),
        ],
      }),
      { route: 'hold_transit', holdId: 'older', destination: 'MAIN' },
    ],
    [
      'local pickup first when the library says so, even before an older hold',
      facts({
        holds: [
          hold('older-elsewhere', { requestedAt: '2026-10-01T00:00:00.000Z' }),
          hold('local', { pickupLibrary: 'MAIN', requestedAt: '2026-11-20T00:00:00.000Z' }),
        ],
      }),
      { route: 'hold_here', holdId: 'local', destination: 'MAIN', shelfExpiresOn: '2026-11-30' },
    ],
    [
      'captured, cancelled or expired holds take nothing',
      facts({
        holds: [
          hold('a', { status: 'captured' }),
          hold('b', { status: 'cancelled' }),
          hold('c', { status: 'expired' }),
        ],
      }),
      { route: 'reshelve' },
    ],
    [
      'expected in transit: received, then routed on (to a hold elsewhere)',
      facts({ expectedInTransit: true, holds: [hold('h1')] }),
      { route: 'hold_transit', holdId: 'h1', destination: 'EAST', transitReceived: true },
    ],
    [
      'a copy captured elsewhere for a hold picked up here: hold shelf, transit received',
      facts({
        expectedInTransit: true,
        item: item({ status: 'in_transit' }),
        holds: [
          hold('older-pending', { pickupLibrary: 'WEST', requestedAt: '2026-01-01T00:00:00.000Z' }),
          hold('mine', {
            pickupLibrary: 'MAIN',
            status: 'in_transit',
            capturedItemBarcode: '33907000517861',
          }),
        ],
      }),
      {
        route: 'hold_here',
        holdId: 'mine',
        destination: 'MAIN',
        shelfExpiresOn: '2026-11-30',
        transitReceived: true,
      },
    ],
    [
      'a captured copy that lands at the wrong library is sent on to its pickup library',
      facts({
        item: item({ status: 'in_transit' }),
        holds: [
          hold('mine', {
            pickupLibrary: 'EAST',
            status: 'in_transit',
            capturedItemBarcode: '33907000517861',
          }),
        ],
      }),
      { route: 'hold_transit', holdId: 'mine', destination: 'EAST' },
    ],
    [
      'expected in transit and home here: received and reshelved',
      facts({ expectedInTransit: true }),
      { route: 'reshelve', transitReceived: true },
    ],
    [
      'unknown item with a prefix of another library: home by prefix',
      facts({ barcode: '33908000000019', item: undefined }),
      { route: 'return_home', destination: 'EAST' },
    ],
    [
      'unknown item: the longest prefix wins (33907 over 3390)',
      facts({ here: 'WEST', barcode: '33907000000011', item: undefined }),
      { route: 'return_home', destination: 'MAIN' },
    ],
    [
      'unknown item with our own prefix: reshelve',
      facts({ barcode: '33907000000011', item: undefined }),
      { route: 'reshelve' },
    ],
    [
      'unknown item, no prefix rule: set aside',
      facts({ barcode: '12345', item: undefined }),
      { route: 'set_aside', reason: 'unknown_barcode' },
    ],
    ...(['lost', 'missing', 'damaged', 'withdrawn'] as const).map(
      (status): [string, RoutingFacts, ReturnType<typeof routeCheckin>] => [
        `${status} item: set aside, even with a hold waiting`,
        facts({ item: item({ status }), holds: [hold('h1')] }),
        { route: 'set_aside', reason: status },
      ],
    ),
    [
      'packed in an open crate here: set aside',
      facts({ inOpenCrate: true }),
      { route: 'set_aside', reason: 'in_crate' },
    ],
    [
      'sealed into a crate 10 minutes ago: still leaving',
      facts({ lastSentFromHereAt: '2026-11-23T15:20:00.000Z' }),
      { route: 'set_aside', reason: 'recently_sent' },
    ],
    [
      'sealed into a crate two hours ago and back again: routed normally',
      facts({ lastSentFromHereAt: '2026-11-23T13:30:00.000Z' }),
      { route: 'reshelve' },
    ],
    [
      'already on the hold shelf here: set aside',
      facts({ item: item({ status: 'on_hold_shelf' }) }),
      { route: 'set_aside', reason: 'on_hold_shelf' },
    ],
    [
      'scanned again 3 seconds later: a repeat',
      facts({ lastCheckinHereAt: '2026-11-23T15:29:57.000Z' }),
      { route: 'set_aside', reason: 'repeat_scan' },
    ],
    [
      'scanned again a minute later: a new check-in',
      facts({ lastCheckinHereAt: '2026-11-23T15:29:00.000Z' }),
      { route: 'reshelve' },
    ],
    [
      'unknown here, but captured elsewhere for a hold picked up here: hold shelf',
      facts({
        item: undefined,
        barcode: '33908000000017',
        expectedInTransit: true,
        holds: [
          hold('h9', {
            pickupLibrary: 'MAIN',
            status: 'in_transit',
            capturedItemBarcode: '33908000000017',
          }),
        ],
      }),
      {
        route: 'hold_here',
        holdId: 'h9',
        destination: 'MAIN',
        shelfExpiresOn: '2026-11-30',
        transitReceived: true,
      },
    ],
    [
      'unknown here, a hold captured with another copy: home by prefix',
      facts({
        item: undefined,
        barcode: '33908000000017',
        holds: [
          hold('h9', {
            pickupLibrary: 'MAIN',
            status: 'in_transit',
            capturedItemBarcode: '33908000000025',
          }),
        ],
      }),
      { route: 'return_home', destination: 'EAST' },
    ],
  ];

  it.each(cases)('%s', (_name, input, expected) => {
    expect(routeCheckin(input)).toEqual(expected);
  });
});

describe('shelf expiry and local days', () => {
  it("counts days from the scan's local day in the pickup library's time zone", () => {
    // 02:30 UTC on the 24th is still the 23rd in Chicago.
    expect(localDay('2026-11-24T02:30:00.000Z', 'America/Chicago')).toBe('2026-11-23');
    expect(shelfExpiry('2026-11-24T02:30:00.000Z', library('MAIN'))).toBe('2026-11-30');
    expect(shelfExpiry('2026-12-28T12:00:00.000Z', library('WEST', { holdShelfDays: 10 }))).toBe(
      '2027-01-07',
    );
  });

  it('orders eligible holds: copy-level, local pickup, age, id', () => {
    const here = library('MAIN', { localPickupFirst: true });
    const order = eligibleHolds(
      item(),
      [
        hold('d', { requestedAt: '2026-11-03T00:00:00.000Z' }),
        hold('c', { requestedAt: '2026-11-02T00:00:00.000Z' }),
        hold('b', { pickupLibrary: 'MAIN', requestedAt: '2026-11-09T00:00:00.000Z' }),
        hold('a', { itemBarcode: '33907000517861', requestedAt: '2026-11-10T00:00:00.000Z' }),
        hold('e', { requestedAt: '2026-11-02T00:00:00.000Z' }),
      ],
      here,
    ).map((h) => h.id);
    expect(order).toEqual(['a', 'b', 'c', 'e', 'd']);
  });
});
