import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crateStatuses } from '../schemas/crates.js';
import type { Crate, CrateStatus } from '../schemas/crates.js';
import {
  canMoveCrate,
  crateActionAllowed,
  crateActions,
  mergeCrateStates,
  mergeCrateVersions,
  receiptDiff,
} from './crate-state.js';
import type { CrateAction, ReceiptDiff } from './crate-state.js';

describe('canMoveCrate', () => {
  const allowedMoves = ['open>sealed', 'sealed>received', 'received>closed'];
  const everyPair = crateStatuses.flatMap((from) => crateStatuses.map((to) => [from, to] as const));

  it.each(everyPair)('%s -> %s', (from, to) => {
    expect(canMoveCrate(from, to)).toBe(allowedMoves.includes(`${from}>${to}`));
  });
});

describe('crateActionAllowed', () => {
  // One row per status: the actions allowed in it.
  const allowed: Record<CrateStatus, readonly CrateAction[]> = {
    open: ['add', 'remove', 'seal'],
    sealed: ['receive'],
    received: ['receive', 'close'],
    closed: [],
  };
  const everyPair = crateStatuses.flatMap((status) =>
    crateActions.map((action) => [status, action] as const),
  );

  it.each(everyPair)('%s crate, %s', (status, action) => {
    expect(crateActionAllowed(status, action)).toBe(allowed[status].includes(action));
  });
});

describe('receiptDiff', () => {
  it.each<[string, string[], string[], ReceiptDiff]>([
    [
      'everything arrived, scanned in another order',
      ['A', 'B', 'C'],
      ['C', 'A', 'B'],
      { missing: [], extra: [], duplicates: [], received: ['C', 'A', 'B'] },
    ],
    [
      'nothing scanned yet',
      ['A', 'B'],
      [],
      { missing: ['A', 'B'], extra: [], duplicates: [], received: [] },
    ],
    [
      'an empty manifest with items in it',
      [],
      ['X', 'Y', 'X'],
      { missing: [], extra: ['X', 'Y'], duplicates: ['X'], received: [] },
    ],
    [
      'missing items in manifest order, not scan order',
      ['A', 'B', 'C', 'D'],
      ['D', 'B'],
      { missing: ['A', 'C'], extra: [], duplicates: [], received: ['D', 'B'] },
    ],
    [
      'an extra item scanned twice is listed once in each list',
      ['A'],
      ['X', 'A', 'X', 'X'],
      { missing: [], extra: ['X'], duplicates: ['X'], received: ['A'] },
    ],
    [
      'duplicates in the order first scanned, not the order repeated',
      ['A', 'B'],
      ['A', 'B', 'B', 'A'],
      { missing: [], extra: [], duplicates: ['A', 'B'], received: ['A', 'B'] },
    ],
    [
      'a manifest listing a barcode twice still misses it once',
      ['A', 'B', 'A'],
      ['B'],
      { missing: ['A'], extra: [], duplicates: [], received: ['B'] },
    ],
    [
      'barcodes compared exactly',
      ['30234000517861'],
      ['3023400051786', '30234000517861 '],
      {
        missing: ['30234000517861'],
        extra: ['3023400051786', '30234000517861 '],
        duplicates: [],
        received: [],
      },
    ],
  ])('%s', (_case, expected, scanned, diff) => {
    expect(receiptDiff(expected, scanned)).toEqual(diff);
  });

  // A small pool so that manifests and scans overlap and scans repeat.
  const barcode: fc.Arbitrary<string> = fc.constantFrom('A', 'B', 'C', 'D', 'E', 'F', 'G', 'H');
  const manifest = fc.uniqueArray(barcode, { maxLength: 8 });
  const scans = fc.array(barcode, { maxLength: 16 });

  /** Whether `list` keeps the order in which its items first appear in `order`. */
  function inFirstSeenOrder(list: readonly string[], order: readonly string[]): boolean {
    const positions = list.map((item) => order.indexOf(item));
    return positions.every(
      (position, index) => position >= 0 && position > (positions[index - 1] ?? -1),
    );
  }

  it('splits the manifest into missing and received, and the scans into received and extra', () => {
    fc.assert(
      fc.property(manifest, scans, (expected, scanned) => {
        const { missing, extra, duplicates, received } = receiptDiff(expected, scanned);
        for (const list of [missing, extra, duplicates, received]) {
          expect(new Set(list).size).toBe(list.length);
        }
        expect(new Set([...missing, ...received])).toEqual(new Set(expected));
        expect(missing.length + received.length).toBe(expected.length);
        expect(new Set([...received, ...extra])).toEqual(new Set(scanned));
        expect(received.length + extra.length).toBe(new Set(scanned).size);
        expect(extra.filter((item) => expected.includes(item))).toEqual([]);
        expect(missing.filter((item) => scanned.includes(item))).toEqual([]);
        const repeated = scanned.filter((item, index) => scanned.indexOf(item) !== index);
        expect(new Set(duplicates)).toEqual(new Set(repeated));
      }),
    );
  });

  it('lists missing in manifest order and the rest in the order first scanned', () => {
    fc.assert(
      fc.property(manifest, scans, (expected, scanned) => {
        const { missing, extra, duplicates, received } = receiptDiff(expected, scanned);
        expect(inFirstSeenOrder(missing, expected)).toBe(true);
        for (const list of [extra, duplicates, received]) {
          expect(inFirstSeenOrder(list, scanned)).toBe(true);
        }
      }),
    );
  });

  it('scanning an item again changes nothing but the duplicates', () => {
    fc.assert(
      fc.property(
        manifest,
        scans.filter((list) => list.length > 0),
        fc.nat(),
        fc.nat(),
        (expected, scanned, pick, at) => {
          const again = scanned[pick % scanned.length] ?? '';
          const position =
            scanned.indexOf(again) + 1 + (at % (scanned.length - scanned.indexOf(again)));
          const rescanned = [...scanned.slice(0, position), again, ...scanned.slice(position)];
          const before = receiptDiff(expected, scanned);
          const after = receiptDiff(expected, rescanned);
          expect({ ...after, duplicates: [] }).toEqual({ ...before, duplicates: [] });
          expect(after.duplicates).toContain(again);
        },
      ),
    );
  });

  it('finds nothing wrong when the manifest is scanned once each, in any order', () => {
    const manifestAndOrder = manifest.chain((expected) =>
      fc.tuple(
        fc.constant(expected),
        fc.shuffledSubarray(expected, { minLength: expected.length, maxLength: expected.length }),
      ),
    );
    fc.assert(
      fc.property(manifestAndOrder, ([expected, scanned]) => {
        expect(receiptDiff(expected, scanned)).toEqual({
          missing: [],
          extra: [],
          duplicates: [],
          received: scanned,
        });
      }),
    );
  });
});

describe('mergeCrateStates', () => {
  it.each(crateStatuses.flatMap((a) => crateStatuses.map((b) => [a, b] as const)))(
    '%s with %s: the further one',
    (a, b) => {
      const further = crateStatuses.indexOf(a) >= crateStatuses.indexOf(b) ? a : b;
      expect(mergeCrateStates(a, b)).toBe(further);
      expect(mergeCrateStates(b, a)).toBe(further);
    },
  );
});

describe('mergeCrateVersions (a desk version against the server version)', () => {
  const DESK = '01JDESK0000000000000000000';
  const OTHER = '01JOTHER000000000000000000';
  const counts = { packed: 0, received: 0, missing: 0, extra: 0 };
  const open: Crate = {
    id: '01JC0000000000000000000001',
    labelBarcode: 'C-MAIN-0001',
    origin: 'MAIN',
    destination: 'EAST',
    status: 'open',
    openedAt: '2026-11-23T08:00:00.000Z',
    counts,
    discrepancies: [],
    updatedAt: '2026-11-23T08:00:00.000Z',
    deskId: DESK,
  };
  const sealed = {
    status: 'sealed' as const,
    sealedAt: '2026-11-23T09:00:00.000Z',
    counts: { ...counts, packed: 3 },
  };
  const received = {
    status: 'received' as const,
    sealedAt: sealed.sealedAt,
    receivedAt: '2026-11-24T09:00:00.000Z',
    counts: { packed: 3, received: 2, missing: 0, extra: 0 },
  };
  const closed = {
    ...received,
    status: 'closed' as const,
    closedAt: '2026-11-24T10:00:00.000Z',
    counts: { packed: 3, received: 2, missing: 1, extra: 0 },
    discrepancies: [{ barcode: '33907000000011', kind: 'missing' as const }],
  };
  const at = (updatedAt: string, deskId: string, extra: Partial<Crate>): Crate => ({
    ...open,
    updatedAt,
    deskId,
    ...extra,
  });

  it.each<[string, Crate, Crate, Crate | 'server']>([
    ['the same crate: the server version', open, open, 'server'],
    [
      'the desk sealed it: the desk version',
      at('2026-11-23T09:00:00.000Z', DESK, sealed),
      open,
      at('2026-11-23T09:00:00.000Z', DESK, sealed),
    ],
    [
      'the server has it received: the server version, its counts',
      at('2026-11-23T09:00:00.000Z', DESK, sealed),
      at('2026-11-24T09:00:00.000Z', OTHER, received),
      'server',
    ],
    [
      'the desk closed it: its counts and discrepancies',
      at('2026-11-24T10:00:00.000Z', DESK, closed),
      at('2026-11-24T11:00:00.000Z', OTHER, {
        ...received,
        counts: { ...received.counts, received: 3 },
      }),
      at('2026-11-24T11:00:00.000Z', DESK, closed),
    ],
    [
      'both received, the desk later: the desk counts',
      at('2026-11-24T12:00:00.000Z', DESK, {
        ...received,
        counts: { ...received.counts, received: 3 },
      }),
      at('2026-11-24T11:00:00.000Z', OTHER, received),
      at('2026-11-24T12:00:00.000Z', DESK, {
        ...received,
        counts: { ...received.counts, received: 3 },
      }),
    ],
    [
      'both received, the server later: the server version',
      at('2026-11-24T10:00:00.000Z', DESK, {
        ...received,
        counts: { ...received.counts, received: 3 },
      }),
      at('2026-11-24T11:00:00.000Z', OTHER, received),
      'server',
    ],
    [
      'a step time the winner lacks comes from the other version',
      at('2026-11-24T10:00:00.000Z', DESK, { ...received, sealedAt: undefined }),
      at('2026-11-23T09:00:00.000Z', OTHER, sealed),
      at('2026-11-24T10:00:00.000Z', DESK, received),
    ],
  ])('%s', (_label, desk, server, expected) => {
    const merged = mergeCrateVersions(desk, server);
    if (expected === 'server') expect(merged).toBe(server);
    else expect(merged).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('never moves a crate back and leaves an agreed crate alone', () => {
    const version = fc
      .record({
        step: fc.constantFrom<Partial<Crate>>({}, sealed, received, closed),
        updatedAt: fc.constantFrom('2026-11-24T10:00:00.000Z', '2026-11-24T11:00:00.000Z'),
        deskId: fc.constantFrom(DESK, OTHER),
      })
      .map(({ step, updatedAt, deskId }) => at(updatedAt, deskId, step));
    fc.assert(
      fc.property(version, version, (desk, server) => {
        const merged = mergeCrateVersions(desk, server);
        expect(merged.status).toBe(mergeCrateStates(desk.status, server.status));
        expect(mergeCrateVersions(server, server)).toBe(server);
      }),
    );
  });
});
