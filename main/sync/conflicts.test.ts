// The conflict handlers as RxDB calls them: `isEqual` on document states, `resolve` on the
// desk's version (`newDocumentState`) against the server's (`realMasterState`).
import type { RxConflictHandler, WithDeleted } from 'rxdb';
import { describe, expect, it } from 'vitest';
import type { Checkin, Crate, DeskCollectionName, Hold, Item, Note } from '../../shared/index.js';
import { deskConflictHandlers } from './conflicts.js';

const DESK = '01JDESK0000000000000000000';
const OTHER = '01JOTHER000000000000000000';

function recorder() {
  const copies: Note[] = [];
  const faults: string[] = [];
  const handlers = deskConflictHandlers({
    keepNoteConflictCopy: (loser) => {
      copies.push(loser);
      return Promise.resolve();
    },
    unexpected: (collection, id) => faults.push(`${collection}/${id}`),
  });
  return { handlers, copies, faults };
}

const live = <T extends object>(doc: T): WithDeleted<T> => ({ ...doc, _deleted: false });
const gone = <T extends object>(doc: T): WithDeleted<T> => ({ ...doc, _deleted: true });

function resolve<T>(handler: RxConflictHandler<T>, desk: WithDeleted<T>, server: WithDeleted<T>) {
  return handler.resolve(
    { newDocumentState: desk, realMasterState: server, assumedMasterState: server },
    'test',
  );
}

const hold: Hold = {
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
const early = { capturedAt: '2026-11-23T09:00:00.000Z', capturedItemBarcode: '33907000000011' };
const late = { capturedAt: '2026-11-23T11:00:00.000Z', capturedItemBarcode: '33907000000029' };

const crate: Crate = {
  id: '01JC0000000000000000000001',
  labelBarcode: 'C-1',
  origin: 'MAIN',
  destination: 'EAST',
  status: 'sealed',
  openedAt: '2026-11-23T08:00:00.000Z',
  sealedAt: '2026-11-23T09:00:00.000Z',
  counts: { packed: 2, received: 0, missing: 0, extra: 0 },
  discrepancies: [],
  updatedAt: '2026-11-23T09:00:00.000Z',
  deskId: DESK,
};

const note: Note = {
  id: '01JN0000000000000000000001',
  title: 'Opening',
  body: 'Unlock the door.',
  tags: ['open'],
  scope: 'library',
  libraryCode: 'MAIN',
  author: 'JD',
  revisionNumber: 2,
  updatedAt: '2026-11-23T10:00:00.000Z',
  deskId: DESK,
};

const checkin: Checkin = {
  id: '01JK0000000000000000000001',
  barcode: '33907000000011',
  library: 'MAIN',
  staff: 'JD',
  scannedAt: '2026-11-23T10:00:00.000Z',
  outcome: { route: 'reshelve' },
  updatedAt: '2026-11-23T10:00:00.000Z',
  deskId: DESK,
};

const item: Item = {
  barcode: '33907000000011',
  bibId: 'bib-1',
  title: 'A title',
  owner: 'MAIN',
  location: 'MAIN',
  floating: false,
  status: 'available',
  updatedAt: '2026-11-23T10:00:00.000Z',
  deskId: DESK,
};

describe('holds: forward only, the earlier capture wins', () => {
  const { handlers } = recorder();
  it.each<[string, Hold, Hold, Partial<Hold> | 'server']>([
    [
      'desk moved on from pending',
      { ...hold, status: 'in_transit', ...early, deskId: DESK },
      hold,
      { status: 'in_transit', ...early, deskId: DESK },
    ],
    [
      'server further on',
      { ...hold, status: 'captured', ...early, deskId: DESK },
      { ...hold, status: 'on_shelf', ...early, deskId: OTHER },
      'server',
    ],
    [
      'desk capture earlier',
      { ...hold, status: 'in_transit', ...early, deskId: DESK },
      { ...hold, status: 'in_transit', ...late, deskId: OTHER },
      { status: 'in_transit', ...early, deskId: DESK },
    ],
    [
      'server capture earlier',
      { ...hold, status: 'in_transit', ...late, deskId: DESK },
      { ...hold, status: 'in_transit', ...early, deskId: OTHER },
      'server',
    ],
    [
      'server cancelled it',
      { ...hold, status: 'in_transit', ...early, deskId: DESK },
      { ...hold, status: 'cancelled', deskId: OTHER },
      { status: 'cancelled', ...early, deskId: DESK },
    ],
  ])('%s', async (_label, desk, server, expected) => {
    const resolved = await resolve(handlers.holds, live(desk), live(server));
    if (expected === 'server') expect(resolved).toEqual(live(server));
    else expect(resolved).toMatchObject({ ...expected, _deleted: false });
  });

  it('leaves a hold the server deleted deleted', async () => {
    const server = gone({ ...hold, deskId: OTHER });
    expect(
      await resolve(handlers.holds, live({ ...hold, status: 'captured', ...early }), server),
    ).toEqual(server);
  });
});

describe('crates: the further state wins with its counts', () => {
  const { handlers } = recorder();
  const received = {
    ...crate,
    status: 'received' as const,
    receivedAt: '2026-11-24T09:00:00.000Z',
    counts: { packed: 2, received: 1, missing: 0, extra: 0 },
    deskId: OTHER,
    updatedAt: '2026-11-24T09:00:00.000Z',
  };
  it.each<[string, Crate, Crate, Crate | 'server']>([
    ['server received it', crate, received, 'server'],
    [
      'desk sealed it, server still open',
      crate,
      {
        ...crate,
        status: 'open',
        sealedAt: undefined,
        counts: { ...crate.counts, packed: 0 },
        deskId: OTHER,
      },
      crate,
    ],
    [
      'desk closed it',
      {
        ...received,
        status: 'closed',
        closedAt: '2026-11-24T10:00:00.000Z',
        deskId: DESK,
        updatedAt: '2026-11-24T10:00:00.000Z',
      },
      received,
      {
        ...received,
        status: 'closed',
        closedAt: '2026-11-24T10:00:00.000Z',
        deskId: DESK,
        updatedAt: '2026-11-24T10:00:00.000Z',
      },
    ],
  ])('%s', async (_label, desk, server, expected) => {
    const resolved = await resolve(
      handlers.crates,
      live(desk),
      live(JSON.parse(JSON.stringify(server)) as Crate),
    );
    expect(resolved).toEqual(
      live(JSON.parse(JSON.stringify(expected === 'server' ? server : expected)) as Crate),
    );
  });
});

describe('notes: the server version stays, the desk edit becomes a conflict copy', () => {
  it.each<[string, WithDeleted<Note>, WithDeleted<Note>, boolean]>([
    [
      'two different edits',
      live({ ...note, body: 'Mine.' }),
      live({ ...note, body: 'Theirs.', revisionNumber: 3, deskId: OTHER }),
      true,
    ],
    [
      'the same edit made twice',
      live({ ...note, revisionNumber: 3 }),
      live({ ...note, revisionNumber: 3, author: 'KM', deskId: OTHER }),
      false,
    ],
    [
      'the server deleted the note the desk edited',
      live({ ...note, body: 'Mine.' }),
      gone({ ...note, deskId: OTHER }),
      true,
    ],
    [
      'the desk deleted a note edited elsewhere',
      gone(note),
      live({ ...note, body: 'Theirs.', deskId: OTHER }),
      false,
    ],
  ])('%s (copy: %s)', async (_label, desk, server, copied) => {
    const { handlers, copies } = recorder();
    const attachments = {
      ...desk,
      _attachments: { 'a.png': { type: 'image/png', length: 1, digest: 'x' } },
    };
    const resolved = await resolve(handlers.notes, attachments as WithDeleted<Note>, server);
    expect(resolved).toEqual(server);
    // Without `_attachments`, RxDB keeps the attachments the desk has (they do not replicate).
    expect(resolved).not.toHaveProperty('_attachments');
    expect(copies).toEqual(
      copied ? [expect.objectContaining({ id: note.id, body: desk.body })] : [],
    );
  });
});

describe('append-only collections never conflict', () => {
  it.each(['checkins', 'crateScans', 'noteRevisions'] as const)(
    '%s: takes the equal server row',
    async (name) => {
      const { handlers, faults } = recorder();
      const handler = handlers[name] as unknown as RxConflictHandler<Checkin>;
      expect(await resolve(handler, live(checkin), live(checkin))).toEqual(live(checkin));
      expect(faults).toEqual([]);
    },
  );

  it('reports a differing server row as a fault and takes it', async () => {
    const { handlers, faults } = recorder();
    const server = live({ ...checkin, staff: 'ZZ' });
    expect(await resolve(handlers.checkins, live(checkin), server)).toEqual(server);
    expect(faults).toEqual([`checkins/${checkin.id}`]);
  });
});

describe('libraries and items: the server wins', () => {
  it('items', async () => {
    const { handlers } = recorder();
    const server = live({ ...item, status: 'in_transit' as const, deskId: 'server' });
    expect(await resolve(handlers.items, live({ ...item, status: 'available' }), server)).toEqual(
      server,
    );
  });
});

describe('isEqual: the wire fields and _deleted, never RxDB bookkeeping', () => {
  const names = [
    'libraries',
    'items',
    'holds',
    'checkins',
    'crates',
    'crateScans',
    'notes',
    'noteRevisions',
  ] as const satisfies readonly DeskCollectionName[];
  const { handlers } = recorder();
  it.each(names)('%s', (name) => {
    const isEqual = (handlers[name] as unknown as RxConflictHandler<Record<string, unknown>>)
      .isEqual;
    const doc = live({ id: 'x', tags: ['a', 'b'], nested: { a: 1 } });
    expect(isEqual(doc, { ...doc, _rev: '1-a', _meta: { lwt: 1 }, _attachments: {} }, 't')).toBe(
      true,
    );
    expect(
      isEqual(doc, { nested: { a: 1 }, _deleted: false, tags: ['a', 'b'], id: 'x' }, 't'),
    ).toBe(true);
    expect(isEqual(doc, { ...doc, _deleted: true }, 't')).toBe(false);
    expect(isEqual(doc, { ...doc, tags: ['b', 'a'] }, 't')).toBe(false);
    expect(isEqual(doc, { ...doc, extra: 1 }, 't')).toBe(false);
  });
});
