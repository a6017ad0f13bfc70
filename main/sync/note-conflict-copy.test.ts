// The conflict copy on a real desk store: written with its revision in one group, linking
// back, made once however often the same conflict is resolved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Note } from '../../shared/index.js';
import { createDeskContext } from '../context.js';
import { loadDeskSettings, openDeskStore, type DeskStore } from '../store/index.js';
import { conflictCopyIds, keepNoteConflictCopy, ulidFrom } from './note-conflict-copy.js';

let dir: string;
let store: DeskStore | undefined;
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const loser: Note = {
  id: '01JN0000000000000000000001',
  title: 'Opening',
  body: 'My edit.',
  tags: ['open'],
  scope: 'library',
  libraryCode: 'MAIN',
  author: 'JD',
  revisionNumber: 3,
  updatedAt: '2026-11-23T10:00:00.000Z',
  deskId: '01JDESK0000000000000000000',
};

describe('keepNoteConflictCopy', () => {
  it('writes the losing edit as a new note with its first revision, once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-copy-'));
    store = await openDeskStore({ dataDir: dir });
    const ctx = createDeskContext({
      store,
      version: 'test',
      settings: loadDeskSettings(dir),
      saveSettings: () => undefined,
      events: { emit: () => undefined },
      now: () => new Date('2026-11-24T08:00:00.000Z'),
    });
    await keepNoteConflictCopy(ctx, loser);
    await keepNoteConflictCopy(ctx, { ...loser, _deleted: false } as Note);

    const notes = await store.data.find('notes', { selector: {} });
    expect(notes).toHaveLength(1);
    const { noteId, revisionId } = conflictCopyIds(loser);
    expect(notes[0]).toMatchObject({
      id: noteId,
      title: 'Opening (conflict copy)',
      body: 'My edit.',
      tags: ['open'],
      scope: 'library',
      libraryCode: 'MAIN',
      author: 'JD',
      revisionNumber: 1,
      conflictOf: loser.id,
      updatedAt: '2026-11-24T08:00:00.000Z',
      deskId: ctx.settings().deskId,
    });
    const revisions = await store.data.find('noteRevisions', { selector: {} });
    expect(revisions).toEqual([
      expect.objectContaining({ id: revisionId, noteId, revisionNumber: 1, body: 'My edit.' }),
    ]);
  });

  it('makes schema-valid ULIDs, the same for the same losing version only', () => {
    const ids = conflictCopyIds(loser);
    expect(ids.noteId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(ids.noteId.slice(0, 10)).toBe(ulidFrom(Date.parse(loser.updatedAt), '').slice(0, 10));
    expect(conflictCopyIds({ ...loser })).toEqual(ids);
    expect(conflictCopyIds({ ...loser, revisionNumber: 4 }).noteId).not.toBe(ids.noteId);
    expect(ids.revisionId).not.toBe(ids.noteId);
  });
});
