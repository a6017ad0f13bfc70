import fc from 'fast-check';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Note } from '../../shared/index.js';
import { createDeskDatabase, type DeskDatabase } from './desk-database.js';
import { createNoteSearch, noteSearchExpression, type NoteSearch } from './note-search.js';

describe('noteSearchExpression', () => {
  it.each<[string, string | undefined]>([
    ['', undefined],
    ['   ', undefined],
    ['crate', '"crate"*'],
    ['  Crate   label ', '"Crate" "label"*'],
    ['"', undefined],
    ['" * - ( ) : ^ +', undefined],
    ['say "hi"', '"say" """hi"""*'],
    ['NEAR(a b)', '"NEAR(a" "b)"*'],
    ['AND OR NOT', '"AND" "OR" "NOT"*'],
    ['title:crate', '"title:crate"*'],
    ['crate 🙂', '"crate"*'],
    ['a\u0000b\u0001c', '"a" "b" "c"*'],
    ['Straße 42', '"Straße" "42"*'],
  ])('turns %j into %j', (text, expression) => {
    expect(noteSearchExpression(text)).toBe(expression);
  });

  it('is only quoted strings, the last a prefix, at most 16 of them', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const expression = noteSearchExpression(text);
        if (expression === undefined) return;
        expect(expression).toMatch(/^"(?:[^"]|"")*"(?: "(?:[^"]|"")*")*\*$/u);
        expect(expression.split('" "').length).toBeLessThanOrEqual(16);
      }),
    );
  });
});

describe('createNoteSearch', () => {
  let db: DeskDatabase;
  let search: NoteSearch;
  const notes: Note[] = ['crate label', 'hold shelf', 'courier van', 'koha offline'].map(
    (title, index) => ({
      id: ulid(),
      title,
      body: `Body ${index}`,
      tags: [],
      scope: 'consortium',
      author: 'AB',
      revisionNumber: 1,
      updatedAt: '2026-11-23T15:00:00.000Z',
      deskId: 'server',
    }),
  );

  beforeAll(async () => {
    db = await createDeskDatabase({
      name: `search-${ulid().toLowerCase()}`,
      storage: getRxStorageMemory(),
    });
    await db.notes.bulkInsert(notes);
    search = createNoteSearch(db);
  });
  afterAll(async () => {
    if (!db.closed) await db.remove();
  });

  it('answers any text without throwing, and never every note for text without words', async () => {
    const syntax = fc.constantFrom(
      '"',
      '*',
      '-',
      '(',
      ')',
      ':',
      '^',
      '+',
      'NEAR',
      'AND',
      'OR',
      'NOT',
      '{',
      '}',
      ' ',
      '\u0000',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.array(syntax, { maxLength: 30 }).map((pieces) => pieces.join('')),
          fc
            .array(fc.oneof(syntax, fc.constantFrom('crate', 'van', 'body')), { maxLength: 20 })
            .map((pieces) => pieces.join(' ')),
        ),
        async (text) => {
          const found = await search.search({ text, libraryCode: 'MAIN', limit: 50 });
          if (noteSearchExpression(text) === undefined) expect(found).toEqual([]);
          for (const hit of found) expect(notes.map((note) => note.id)).toContain(hit.noteId);
        },
      ),
      { numRuns: 300 },
    );
  });

  // Last: it closes the database the other tests use (one desk database at a time keeps
  // RxDB's open-collection limit).
  it('closes with the database, and a search after that is refused', async () => {
    expect(await search.search({ text: 'van', libraryCode: null, limit: 1 })).toHaveLength(1);
    await db.remove();
    await expect(search.search({ text: 'van', libraryCode: null, limit: 1 })).rejects.toThrow(
      /closed/,
    );
  });
});
