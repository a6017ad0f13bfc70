import { describe, expect, it } from 'vitest';
import type { Note } from '../schemas/notes.js';
import { noteTitleField } from '../schemas/notes.js';
import { conflictCopySuffix, conflictCopyTitle, sameNoteText } from './note-conflict.js';
import { sameValue } from './same-value.js';

describe('conflictCopyTitle', () => {
  it.each([
    ['Opening the building', 'Opening the building (conflict copy)'],
    ['x'.repeat(200), `${'x'.repeat(200 - conflictCopySuffix.length)}${conflictCopySuffix}`],
    // Characters, not UTF-16 units: an emoji is never cut in half.
    ['😀'.repeat(199), `${'😀'.repeat(200 - conflictCopySuffix.length)}${conflictCopySuffix}`],
  ])('%s', (title, expected) => {
    const copy = conflictCopyTitle(title);
    expect(copy).toBe(expected);
    expect([...copy].length).toBeLessThanOrEqual(noteTitleField.maxLength);
  });
});

describe('sameNoteText', () => {
  const note: Note = {
    id: '01JN0000000000000000000001',
    title: 'Opening',
    body: 'Unlock the door.',
    tags: ['open', 'door'],
    scope: 'library',
    libraryCode: 'MAIN',
    author: 'JD',
    revisionNumber: 3,
    updatedAt: '2026-11-23T10:00:00.000Z',
    deskId: '01JDESK0000000000000000000',
  };
  it.each<[string, Partial<Note>, boolean]>([
    [
      'the same text by someone else later',
      { author: 'KM', revisionNumber: 4, updatedAt: '2026-11-24T10:00:00.000Z' },
      true,
    ],
    ['another body', { body: 'Unlock both doors.' }, false],
    ['another title', { title: 'Opening up' }, false],
    ['tags in another order', { tags: ['door', 'open'] }, false],
    ['another scope', { scope: 'consortium' }, false],
  ])('%s: %s', (_label, change, same) => {
    expect(sameNoteText(note, { ...note, ...change })).toBe(same);
  });
});

describe('sameValue', () => {
  it.each<[unknown, unknown, boolean]>([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, true],
    [{ a: 1 }, { a: 1, b: null }, false],
    [[1, 2], [2, 1], false],
    [[], {}, false],
    [null, null, true],
    [null, {}, false],
    ['1', 1, false],
  ])('%j and %j: %s', (a, b, same) => {
    expect(sameValue(a, b)).toBe(same);
    expect(sameValue(b, a)).toBe(same);
  });
});
