import { describe, expect, it } from 'vitest';
import {
  answerRow,
  ChangeLog,
  childLoansToRefresh,
  isKey,
  judgeRow,
  loanChange,
  PullPage,
  pullJson,
  pullResult,
  visibilityUpdate,
} from './replication-core.js';
import type { PulledRow, Registration, StoredState } from './replication-core.js';
import { defineCollection } from './replication-store.js';
import type { JsonDocument, ScopeGrant } from './replication-store.js';

const holds = defineCollection({
  name: 'holds',
  primaryKey: 'id',
  schema: { version: 0, primaryKey: 'id', type: 'object', properties: {} },
  scope: (hold) => [String(hold['pickup'])],
  departed: ({ patron: _patron, ...hold }) => hold,
});

const stored = (doc: JsonDocument, deleted: StoredState['deleted'] = 0): StoredState => ({
  deleted,
  data: JSON.stringify(doc),
});

describe('judgeRow and answerRow', () => {
  const master = { id: 'h1', patron: 'p1', pickup: 'A' };
  const edited = { ...master, pickup: 'B' };
  it.each([
    ['no master, whatever was assumed', { id: 'h1', pickup: 'C' }, edited, undefined, 'write'],
    ['the assumption holds', master, edited, stored(master), 'write'],
    ['already applied (a retry)', master, edited, stored(edited), 'already there'],
    ['another master', { ...master, pickup: 'C' }, edited, stored(master), 'conflict'],
    ['deleted meanwhile', master, edited, stored(master, 1), 'conflict'],
  ])('%s: %s', (_label, assumed, written, current, expected) => {
    const row = {
      assumedMasterState: { ...assumed, _deleted: false },
      newDocumentState: { ...written, _deleted: false },
    };
    const verdict = judgeRow(row, current);
    const judged =
      verdict === undefined ? 'write' : verdict.alreadyThere ? 'already there' : 'conflict';
    expect(judged).toBe(expected);
  });

  it('answers the master, nothing once applied, and a trimmed deletion to a library it left', () => {
    const master = { id: 'h1', patron: 'p1', pickup: 'B', title: 'server only', _deleted: false };
    // The pushing desk's row: what it holds of the document, and what it claims was stored.
    const row = {
      assumedMasterState: { id: 'h1', patron: 'p9', pickup: 'A', _deleted: false },
      newDocumentState: { id: 'h1', patron: 'p9', pickup: 'A', _deleted: false },
    };
    expect(answerRow(holds, row, { master, alreadyThere: false }, true)).toEqual([master]);
    expect(answerRow(holds, row, { master, alreadyThere: true }, true)).toEqual([]);
    for (const alreadyThere of [false, true]) {
      // Built from the desk's own row: nothing of the server's document reaches a library
      // that does not see it.
      expect(answerRow(holds, row, { master, alreadyThere }, false)).toEqual([
        { id: 'h1', pickup: 'A', _deleted: true },
      ]);
    }
  });
});

describe('visibilityUpdate', () => {
  it.each([
    [['A'], ['B'], '*', { seeing: ['B'], left: ['A'], scopeChanged: true }],
    [['A'], ['A'], 'A', { seeing: ['A'], left: [], scopeChanged: false }],
    [['A'], ['A'], 'C', { seeing: ['A'], left: ['C'], scopeChanged: false }],
    [[], ['A'], 'C', { seeing: ['A'], left: ['C'], scopeChanged: true }],
    [['A', 'B'], ['*'], 'C', { seeing: ['*'], left: [], scopeChanged: true }],
  ])('from %j to %j pushed by %s', (previous, scope, pushedBy, expected) => {
    const update = visibilityUpdate(previous, scope, pushedBy);
    expect(update).toMatchObject(expected);
    expect(update.everyLibrary).toBe(scope.includes('*'));
    expect(update.told).toEqual([...expected.seeing, ...expected.left]);
  });
});

describe('loanChange', () => {
  const grants: ScopeGrant<JsonDocument> = {
    collection: 'items',
    keys: (doc) => doc['items'] as string[],
  };
  it.each([
    [['i1', 'i2'], true, ['i2', 'i3', ''], false, ['i3'], ['i1'], ['i3', 'i1']],
    [['i1', 'i2'], true, ['i2', 'i3'], true, ['i3'], ['i1'], ['i1', 'i2', 'i3']],
    [['i1'], false, ['i1'], false, [], ['i1'], ['i1']],
  ])('from %j (lends: %s) to %j', (before, lends, keys, scopeChanged, gained, lost, affected) => {
    const change = loanChange(grants, { items: keys }, lends, new Set(before), scopeChanged, isKey);
    expect(change).toEqual({ gained, lost, affected });
  });
});

describe('childLoansToRefresh', () => {
  const parent = (name: string, whileParent?: (crate: JsonDocument) => boolean): Registration =>
    defineCollection({
      name,
      primaryKey: 'id',
      schema: { version: 0, primaryKey: 'id', type: 'object', properties: {} },
      scopeFrom: { collection: 'crates', key: 'crate' },
      ...(whileParent && { grants: { collection: 'items', keys: () => [], whileParent } }),
    });
  const registrations = new Map([
    ['scans', parent('scans', (crate) => crate['open'] === true)],
    ['labels', parent('labels')],
  ]);
  it.each([
    ['a crate closed', stored({ open: true }), stored({ open: false }), ['scans']],
    ['a crate deleted', stored({ open: true }), stored({ open: true }, true), ['scans']],
    ['a crate opened', undefined, stored({ open: true }), ['scans']],
    ['a crate edited, still open', stored({ open: true }), stored({ open: true }), []],
  ])('%s', (_label, previous, version, expected) => {
    const children = childLoansToRefresh(registrations, 'crates', previous, version);
    expect(children.map((child) => child.name)).toEqual(expected);
  });
});

describe('PullPage', () => {
  it('keeps each document at its latest row and tops up a page its duplicates shortened', () => {
    const page = new PullPage<{ id: string; seq: number }>(2);
    expect(
      page.add([
        { id: 'a', seq: 1 },
        { id: 'a', seq: 2 },
      ]),
    ).toBe(2);
    expect(
      page.add([
        { id: 'b', seq: 3 },
        { id: 'c', seq: 4 },
      ]),
    ).toBeUndefined();
    expect(page.rows()).toEqual([
      { id: 'a', seq: 2 },
      { id: 'b', seq: 3 },
    ]);
  });

  it('stops at a short query', () => {
    const page = new PullPage<{ id: string; seq: number }>(3);
    expect(page.add([{ id: 'a', seq: 1 }])).toBeUndefined();
    expect(page.add([])).toBeUndefined();
  });
});

describe('pullJson', () => {
  const row = (data: string, deleted: 0 | 1 = 0, leaving: 0 | 1 = 0): PulledRow => ({
    id: 'h1',
    seq: 7,
    data,
    deleted,
    leaving,
  });
  const page = (rows: PulledRow[]) => ({ registration: holds, rows, after: { seq: 3 } });

  it.each([
    ['a document', row('{"id":"h1","pickup":"A"}'), '{"id":"h1","pickup":"A","_deleted":false}'],
    ['a deleted one', row('{"id":"h1"}', 1), '{"id":"h1","_deleted":true}'],
    ['no fields', row('{}'), '{"_deleted":false}'],
    ['no fields, deleted', row('{}', 1), '{"_deleted":true}'],
    [
      'one whose text ends in a nested object',
      row('{"a":{"b":{}},"c":"}"}'),
      '{"a":{"b":{}},"c":"}","_deleted":false}',
    ],
    [
      'one the library left, trimmed',
      row('{"id":"h1","patron":"p1","pickup":"B"}', 0, 1),
      '{"id":"h1","pickup":"B","_deleted":true}',
    ],
    // Texts no store writes: taken the long way, never spliced into something not JSON.
    ['text with spaces', row('{ "a": 1 }'), '{"a":1,"_deleted":false}'],
    ['an empty object with a space', row('{ }', 1), '{"_deleted":true}'],
    ['text after the object', row('{"a":1}\n'), '{"a":1,"_deleted":false}'],
    ['not an object', row('[1]'), '{"0":1,"_deleted":false}'],
    ['null', row('null'), '{"_deleted":false}'],
  ])("serves %s as pull's document, in JSON", (_label, pulled, expected) => {
    const answer = pullJson(page([pulled]));
    expect(answer.documents).toBe(`[${expected}]`);
    expect(answer.documents).toBe(JSON.stringify(pullResult(page([pulled])).documents));
    expect(answer.checkpoint).toEqual({ seq: 7 });
  });

  it("answers no rows as [] at the request's checkpoint, several in order at the last", () => {
    expect(pullJson(page([]))).toEqual({ documents: '[]', count: 0, checkpoint: { seq: 3 } });
    const rows = [row('{"id":"a"}'), { ...row('{"id":"b"}', 1), seq: 9 }];
    expect(pullJson(page(rows))).toEqual({
      documents: '[{"id":"a","_deleted":false},{"id":"b","_deleted":true}]',
      count: 2,
      checkpoint: { seq: 9 },
    });
  });
});

describe('ChangeLog', () => {
  it('keeps the pushing desk of a collection only while every version it wrote agrees', () => {
    const log = new ChangeLog();
    log.record('holds', 1, ['A'], 'd1');
    log.record('holds', 2, ['A'], 'd1');
    log.record('items', 3, ['A'], 'd1');
    log.record('items', 4, ['A']);
    log.record('notes', 5, ['A']);
    log.record('notes', 6, ['A'], 'd1');
    expect(log.list().map((change) => change.pushedBy)).toEqual(['d1', undefined, undefined]);
  });

  it('keeps collections in the order first written, their last position, libraries sorted', () => {
    const log = new ChangeLog();
    log.record('notes', 1, ['B']);
    log.record('holds', 2, ['A']);
    log.record('notes', 3, ['A', 'B']);
    expect(log.list()).toEqual([
      { collection: 'notes', last: 3, libraries: ['A', 'B'] },
      { collection: 'holds', last: 2, libraries: ['A'] },
    ]);
  });
});
