// Training notes through the desk API on a real SQLite store: saving with history, editors
// and consortium notes, conflict copies, full-text search (hostile input included), notes
// arriving as if by sync, what another library's desk may see, and attachments.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../main/api/index.js';
import { handlersNotUnderTest } from '../../main/api/bridge-test-handlers.js';
import { notesHandlers } from '../../main/notes/index.js';
import { loadDeskSettings } from '../../main/store/index.js';
import {
  noteAttachmentMaxBytes,
  type DeskHandlers,
  type DeskResult,
  type Note,
  type NoteView,
} from '../../shared/index.js';
import { T0, openTestDesk, type TestDesk } from '../support/desk.js';

let desk: TestDesk;
let notes: DeskHandlers['notes'];
afterEach(async () => {
  await desk.close();
});

/** A desk at MAIN with JD signed in (no editor) and the notes handlers over its store. */
async function openNotesDesk(options: { editors?: string[] } = {}): Promise<void> {
  desk = await openTestDesk({ library: 'MAIN' });
  if (options.editors) {
    const editors = options.editors;
    desk.ctx.updateSettings((settings) => ({ ...settings, editors }));
  }
  notes = notesHandlers(desk.ctx);
}

async function signIn(initials: string): Promise<void> {
  const signed = await desk.api.staff.signIn({ initials });
  if (!signed.ok) throw new Error(signed.error.message);
}

function value<T>(result: DeskResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

function errorCode(result: DeskResult<unknown>): string | undefined {
  return result.ok ? undefined : result.error.code;
}

async function create(
  title: string,
  body: string,
  extra: { tags?: string[]; scope?: 'library' | 'consortium' } = {},
): Promise<NoteView> {
  desk.advance(1000);
  const saved = value(
    await notes.save({ title, body, tags: extra.tags ?? [], scope: extra.scope ?? 'library' }),
  );
  return saved.note;
}

/** A note as another desk of the consortium would have written it, arriving by sync. */
function synced(overrides: Partial<Note>): Note {
  return {
    id: ulid(),
    title: 'Synced note',
    body: '',
    tags: [],
    scope: 'consortium',
    author: 'ZZ',
    revisionNumber: 1,
    updatedAt: T0,
    deskId: '01JP9ZTDE0RPE2RC89KVWB27RG',
    ...overrides,
  };
}

const searchIds = async (text: string) =>
  value(await notes.search({ text })).map((hit) => hit.note.noteId);

describe('saving notes', () => {
  it('creates, edits and keeps every revision, tags normalised', async () => {
    await openNotesDesk();
    const created = value(
      await notes.save({
        title: '  Clearing the hold shelf ',
        body: 'Every morning, pull expired holds.',
        tags: [' Holds ', 'HOLDS', 'Morning routine'],
        scope: 'library',
      }),
    );
    expect(created.conflict).toBeUndefined();
    expect(created.note).toMatchObject({
      title: 'Clearing the hold shelf',
      tags: ['holds', 'morning routine'],
      scope: 'library',
      libraryCode: 'MAIN',
      author: 'JD',
      revisionNumber: 1,
      updatedAt: T0,
      attachments: [],
    });
    expect(created.note.revisions.map((r) => r.revisionNumber)).toEqual([1]);
    const noteId = created.note.noteId;

    desk.advance(60_000);
    await signIn('AB');
    const edited = value(
      await notes.save({
        id: noteId,
        title: 'Clearing the hold shelf',
        body: 'Every morning, pull expired and cancelled holds.',
        tags: ['holds'],
        scope: 'library',
        baseRevision: 1,
      }),
    );
    expect(edited.note).toMatchObject({
      noteId,
      revisionNumber: 2,
      author: 'AB',
      tags: ['holds'],
      updatedAt: '2026-11-23T15:01:00.000Z',
    });
    // An edit without a base revision overwrites (the UI always sends one).
    desk.advance(1000);
    value(
      await notes.save({ id: noteId, title: 'Hold shelf', body: 'v3', tags: [], scope: 'library' }),
    );

    const history = value(await notes.history({ noteId }));
    expect(history.map((r) => [r.revisionNumber, r.author, r.title, r.body, r.tags])).toEqual([
      [3, 'AB', 'Hold shelf', 'v3', []],
      [
        2,
        'AB',
        'Clearing the hold shelf',
        'Every morning, pull expired and cancelled holds.',
        ['holds'],
      ],
      [
        1,
        'JD',
        'Clearing the hold shelf',
        'Every morning, pull expired holds.',
        ['holds', 'morning routine'],
      ],
    ]);
    const view = value(await notes.get({ noteId }));
    expect(view).toMatchObject({ body: 'v3', revisionNumber: 3 });
    expect(view.revisions.map((r) => r.revisionNumber)).toEqual([3, 2, 1]);
    // Revision rows carry the desk's stamp like every other write.
    const rows = await desk.ctx.store.db.noteRevisions.find({ selector: { noteId } }).exec();
    expect(rows.every((row) => row.deskId === desk.ctx.settings().deskId)).toBe(true);

    expect(errorCode(await notes.get({ noteId: ulid() }))).toBe('note_not_found');
    expect(errorCode(await notes.history({ noteId: 'nope' }))).toBe('note_not_found');
    expect(
      errorCode(await notes.save({ id: ulid(), title: 'x', body: '', tags: [], scope: 'library' })),
    ).toBe('note_not_found');
  });

  it('lists notes newest first, by tag and by scope', async () => {
    await openNotesDesk({ editors: ['ED'] });
    const a = await create('Opening the desk', 'Lights, then the self-check machines.', {
      tags: ['Morning'],
    });
    const b = await create('Courier day', 'Tuesdays and Fridays.', { tags: ['courier'] });
    await signIn('ED');
    const c = await create('Koha offline files', 'Upload the .koc file.', {
      tags: ['koha', 'morning'],
      scope: 'consortium',
    });
    const ids = async (args: Parameters<typeof notes.list>[0]) =>
      value(await notes.list(args)).map((note) => note.noteId);
    expect(await ids({})).toEqual([c.noteId, b.noteId, a.noteId]);
    expect(await ids({ tag: ' MORNING ' })).toEqual([c.noteId, a.noteId]);
    expect(await ids({ scope: 'library' })).toEqual([b.noteId, a.noteId]);
    expect(await ids({ scope: 'consortium', tag: 'courier' })).toEqual([]);
    expect(await ids({ limit: 1 })).toEqual([c.noteId]);
  });

  it('refuses what a desk cannot do: not signed in, not set up', async () => {
    await openNotesDesk();
    await desk.api.staff.signOut({});
    const args = { title: 'x', body: '', tags: [], scope: 'library' as const };
    expect(errorCode(await notes.save(args))).toBe('not_signed_in');
    desk.ctx.updateSettings((settings) => ({ ...settings, libraryCode: null }));
    expect(errorCode(await notes.save(args))).toBe('desk_not_set_up');
    expect(await desk.ctx.store.db.notes.count().exec()).toBe(0);
  });
});

describe('consortium notes and editors', () => {
  it('are written only by editors; library notes by anyone', async () => {
    await openNotesDesk({ editors: ['ed'] });
    const consortiumNote = {
      title: 'Receiving a crate',
      body: 'Scan the label first.',
      tags: [],
      scope: 'consortium' as const,
    };
    expect(errorCode(await notes.save(consortiumNote))).toBe('not_editor');
    expect(await desk.ctx.store.db.notes.count().exec()).toBe(0);
    expect(await desk.ctx.store.db.noteRevisions.count().exec()).toBe(0);

    const session = value(await desk.api.staff.signIn({ initials: 'ED' }));
    expect(session.editor).toBe(true);
    const saved = value(await notes.save(consortiumNote)).note;
    expect(saved).toMatchObject({ scope: 'consortium', author: 'ED', revisionNumber: 1 });
    expect(saved).not.toHaveProperty('libraryCode');

    // Back to a non-editor: reading yes, editing or attaching no.
    expect(value(await desk.api.staff.signIn({ initials: 'JD' })).editor).toBe(false);
    expect(value(await notes.get({ noteId: saved.noteId })).title).toBe('Receiving a crate');
    expect(
      errorCode(
        await notes.save({ ...consortiumNote, id: saved.noteId, body: 'Changed', baseRevision: 1 }),
      ),
    ).toBe('not_editor');
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(64)]).toString('base64');
    expect(
      errorCode(
        await notes.attach({
          noteId: saved.noteId,
          fileName: 'a.pdf',
          mimeType: 'application/pdf',
          base64: pdf,
        }),
      ),
    ).toBe('not_editor');
    // Nor can a non-editor move a consortium note into the library to edit it there.
    expect(
      errorCode(
        await notes.save({
          ...consortiumNote,
          id: saved.noteId,
          scope: 'library',
          baseRevision: 1,
        }),
      ),
    ).toBe('note_scope_fixed');
    expect(value(await notes.get({ noteId: saved.noteId }))).toMatchObject({
      body: 'Scan the label first.',
      revisionNumber: 1,
    });

    // Library notes: any staff member.
    const own = await create('Our courier day', 'Tuesday.');
    expect(own).toMatchObject({ scope: 'library', libraryCode: 'MAIN', author: 'JD' });
    await signIn('ED');
    expect(
      errorCode(
        await notes.save({
          id: own.noteId,
          title: own.title,
          body: own.body,
          tags: [],
          scope: 'consortium',
        }),
      ),
    ).toBe('note_scope_fixed');
  });
});

describe('two desks editing one note offline', () => {
  it('keeps the edit that started from an old revision as a conflict copy', async () => {
    await openNotesDesk();
    const original = await create('Clearing the hold shelf', 'Pull expired holds.', {
      tags: ['holds'],
    });

    // Another desk's edit (revision 2) arrives by sync while this desk edits revision 1.
    const stored = await desk.ctx.store.db.notes.findOne(original.noteId).exec();
    await stored!.incrementalPatch({
      body: 'Pull expired holds, then cancelled ones.',
      revisionNumber: 2,
      author: 'ZZ',
      deskId: '01JP9ZTDE0RPE2RC89KVWB27RG',
    });

    desk.advance(1000);
    const answer = value(
      await notes.save({
        id: original.noteId,
        title: 'Clearing the hold shelf',
        body: 'Pull expired holds before opening.',
        tags: ['Holds', 'morning'],
        scope: 'library',
        baseRevision: 1,
      }),
    );
    expect(answer.conflict).toEqual({ originalId: original.noteId });
    expect(answer.note.noteId).not.toBe(original.noteId);
    expect(answer.note).toMatchObject({
      title: 'Clearing the hold shelf (conflict copy)',
      body: 'Pull expired holds before opening.',
      tags: ['holds', 'morning'],
      scope: 'library',
      libraryCode: 'MAIN',
      conflictOf: original.noteId,
      revisionNumber: 1,
      author: 'JD',
    });
    expect(answer.note.revisions.map((r) => r.revisionNumber)).toEqual([1]);

    // The original is exactly what sync brought; its history is untouched.
    expect(value(await notes.get({ noteId: original.noteId }))).toMatchObject({
      body: 'Pull expired holds, then cancelled ones.',
      revisionNumber: 2,
      author: 'ZZ',
    });
    expect(value(await notes.history({ noteId: original.noteId })).map((r) => r.body)).toEqual([
      'Pull expired holds.',
    ]);
    // Both are listed; the copy says what it is a copy of.
    const listed = value(await notes.list({}));
    expect(listed.map((note) => [note.noteId, note.conflictOf])).toEqual([
      [answer.note.noteId, original.noteId],
      [original.noteId, undefined],
    ]);

    // Starting from the revision that is stored is an ordinary edit.
    desk.advance(1000);
    const ordinary = value(
      await notes.save({
        id: original.noteId,
        title: 'Clearing the hold shelf',
        body: 'Merged.',
        tags: ['holds'],
        scope: 'library',
        baseRevision: 2,
      }),
    );
    expect(ordinary.conflict).toBeUndefined();
    expect(ordinary.note).toMatchObject({ noteId: original.noteId, revisionNumber: 3 });
  });

  it('shortens a long title so the copy still fits', async () => {
    await openNotesDesk();
    const title = `${'Ä'.repeat(190)}😀😀`;
    const original = await create(title, 'v1');
    await (await desk.ctx.store.db.notes.findOne(original.noteId).exec())!.incrementalPatch({
      revisionNumber: 5,
    });
    const answer = value(
      await notes.save({
        id: original.noteId,
        title,
        body: 'mine',
        tags: [],
        scope: 'library',
        baseRevision: 4,
      }),
    );
    expect(answer.note.title.endsWith(' (conflict copy)')).toBe(true);
    expect([...answer.note.title]).toHaveLength(200);
    expect(answer.note.title.startsWith('Ä'.repeat(184))).toBe(true);
  });
});

describe('searching notes', () => {
  /** A small corpus; only one note has "and" and "or" in it. */
  async function corpus() {
    const crate = await create('Receiving a crate', 'Scan the label first. Check each item.', {
      tags: ['courier'],
    });
    const shelf = await create(
      'Hold shelf',
      'Slips go in the crate tray. A crate of slips is a crate of work. Crate crate.',
    );
    const koha = await create('Koha files', 'Upload the offline file to Koha and check or retry.');
    const unicode = await create('Ärger mit der Straße', 'Notizen für İstanbul 🙂 Zweigstelle.');
    const near = await create('Nearby branches', 'Send patrons to the nearest branch.');
    return { crate, shelf, koha, unicode, near, all: 5 };
  }

  it('finds notes by title and body words, title matches first, with a snippet', async () => {
    await openNotesDesk();
    const { crate, shelf, koha } = await corpus();
    expect(await searchIds('crate')).toEqual([crate.noteId, shelf.noteId]);
    expect(await searchIds('label scan')).toEqual([crate.noteId]);
    expect(await searchIds('OFFLINE')).toEqual([koha.noteId]);
    // The last word is a prefix (search as you type); earlier words are whole words.
    expect(await searchIds('upload kox')).toEqual([]);
    expect(await searchIds('upload ko')).toEqual([koha.noteId]);
    expect(await searchIds('recei')).toEqual([crate.noteId]);
    // Tags are searched too.
    expect(await searchIds('courier')).toEqual([crate.noteId]);

    const [hit] = value(await notes.search({ text: 'label' }));
    expect(hit?.note).toMatchObject({ noteId: crate.noteId, title: 'Receiving a crate' });
    expect(hit?.snippet).toContainEqual({ text: 'label', match: true });
    expect(hit?.snippet.map((part) => part.text).join('')).toBe(
      'Scan the label first. Check each item.',
    );
    expect(await searchIds('')).toEqual([]);
    expect(await searchIds('   ')).toEqual([]);
    expect(value(await notes.search({ text: 'crate', limit: 1 }))).toHaveLength(1);
  });

  it('searches hostile input as text: never throws, never matches everything', async () => {
    await openNotesDesk();
    const { crate, shelf, koha, unicode, near, all } = await corpus();
    const cases: [string, string[] | 'some'][] = [
      ['"', []],
      ['""', []],
      ['*', []],
      ['-', []],
      ['- crate', [crate.noteId, shelf.noteId]],
      ['"crate', 'some'],
      ['crate"', 'some'],
      ['cr"ate', []],
      ['crate*', 'some'],
      ['-crate', 'some'],
      ['NEAR(', [near.noteId]],
      ['NEAR(crate label)', []],
      ['AND OR', [koha.noteId]],
      ['crate OR koha', []],
      ['crate NOT hold', []],
      ['title:crate', []],
      ['{title}: crate', []],
      ['^crate', 'some'],
      ['(crate', 'some'],
      ['crate)', 'some'],
      [')(', []],
      ['+', []],
      ["'; DROP TABLE note_text; --", []],
      ['\u0000 \u0002 \u0003', []],
      ['arger', [unicode.noteId]],
      ['STRASSE', []],
      ['straße', [unicode.noteId]],
      ['istanbul', [unicode.noteId]],
      ['İstanbul', [unicode.noteId]],
      ['🙂', []],
      ['Zweigst', [unicode.noteId]],
      ['\u202e\ufeffcrate', 'some'],
      ['a'.repeat(200), []],
      [Array.from({ length: 40 }, () => 'crate').join(' '), 'some'],
    ];
    for (const [text, expected] of cases) {
      const result = await notes.search({ text });
      expect(result.ok, text).toBe(true);
      const found = value(result).map((hit) => hit.note.noteId);
      expect(found.length, text).toBeLessThan(all);
      if (expected === 'some') expect(found.length, text).toBeGreaterThan(0);
      else expect(found, text).toEqual(expected);
    }
    // The index still answers after all that.
    expect(await searchIds('crate')).toContain(crate.noteId);
  });

  it('finds notes that arrive by sync, follows their edits and deletions', async () => {
    await openNotesDesk();
    await create('Local note', 'Nothing about couriers.');
    const arrived = synced({ title: 'Courier schedule', body: 'The van comes at noon.' });
    await desk.ctx.store.db.notes.insert(arrived);
    expect(await searchIds('van')).toEqual([arrived.id]);

    const doc = await desk.ctx.store.db.notes.findOne(arrived.id).exec();
    await doc!.incrementalPatch({ body: 'The truck comes at two.', revisionNumber: 2 });
    expect(await searchIds('van')).toEqual([]);
    expect(await searchIds('truck')).toEqual([arrived.id]);

    await (await desk.ctx.store.db.notes.findOne(arrived.id).exec())!.remove();
    expect(await searchIds('truck')).toEqual([]);
    expect(errorCode(await notes.get({ noteId: arrived.id }))).toBe('note_not_found');
  });

  it('builds the index from the notes already stored when the desk starts', async () => {
    await openNotesDesk();
    const stored = synced({ title: 'Inventory day', body: 'Count the reference shelf.' });
    await desk.ctx.store.db.notes.insert(stored);
    const restarted = notesHandlers(desk.ctx);
    const hits = value(await restarted.search({ text: 'reference' }));
    expect(hits.map((hit) => hit.note.noteId)).toEqual([stored.id]);
  });

  it('drops a note from the index when the write group that saved it rolls back', async () => {
    await openNotesDesk();
    await expect(
      desk.ctx.store.atomically(async () => {
        await desk.ctx.store.db.notes.insert(synced({ title: 'Phantom procedure' }));
        expect(await searchIds('phantom')).toHaveLength(1);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect(await searchIds('phantom')).toEqual([]);
  });
});

describe("another library's notes", () => {
  it('are never shown, listed, found or written here', async () => {
    await openNotesDesk({ editors: ['ED'] });
    const ours = await create('Our opening hours', 'Courier at nine.');
    const theirs = synced({
      title: 'East courier routine',
      body: 'Courier at ten.',
      scope: 'library',
      libraryCode: 'EAST',
      tags: ['courier'],
    });
    const shared = synced({ title: 'Courier for everyone', body: 'Courier rules.' });
    await desk.ctx.store.db.notes.bulkInsert([theirs, shared]);

    expect(value(await notes.list({})).map((n) => n.noteId)).not.toContain(theirs.id);
    expect(value(await notes.list({ tag: 'courier' }))).toEqual([]);
    expect(value(await notes.list({ scope: 'library' })).map((n) => n.noteId)).toEqual([
      ours.noteId,
    ]);
    expect((await searchIds('courier')).sort()).toEqual([ours.noteId, shared.id].sort());
    expect(await searchIds('ten')).toEqual([]);
    expect(errorCode(await notes.get({ noteId: theirs.id }))).toBe('note_not_found');
    expect(errorCode(await notes.history({ noteId: theirs.id }))).toBe('note_not_found');
    expect(errorCode(await notes.attachment({ noteId: theirs.id, attachmentId: 'x.png' }))).toBe(
      'note_not_found',
    );
    await signIn('ED');
    expect(
      errorCode(
        await notes.save({
          id: theirs.id,
          title: 'Taken over',
          body: '',
          tags: [],
          scope: 'library',
          baseRevision: 1,
        }),
      ),
    ).toBe('note_not_found');

    // The same store seen as EAST's desk: the other way round.
    desk.becomeLibrary('EAST');
    expect((await searchIds('courier')).sort()).toEqual([theirs.id, shared.id].sort());
    expect(errorCode(await notes.get({ noteId: ours.noteId }))).toBe('note_not_found');
  });
});

describe('attachments', () => {
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    randomBytes(2000),
  ]);
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(500)]);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3000)]);

  it('round-trips images and PDFs, never replacing a file of the same name', async () => {
    await openNotesDesk();
    const note = await create('Crate labels', 'See the picture.');
    desk.advance(5000);
    const first = value(
      await notes.attach({
        noteId: note.noteId,
        fileName: 'C:\\Users\\desk\\Crate Label (new).PNG',
        mimeType: 'image/png',
        base64: png.toString('base64'),
      }),
    );
    expect(first).toEqual({
      attachmentId: 'Crate-Label-new.png',
      mimeType: 'image/png',
      size: png.length,
    });
    const second = value(
      await notes.attach({
        noteId: note.noteId,
        fileName: 'Crate Label (new).png',
        mimeType: 'image/png',
        base64: Buffer.from([...png.subarray(0, 8), 1, 2, 3]).toString('base64'),
      }),
    );
    expect(second.attachmentId).toBe('Crate-Label-new-2.png');
    const photo = value(
      await notes.attach({
        noteId: note.noteId,
        fileName: '../../étiquette',
        mimeType: 'image/jpeg',
        base64: jpeg.toString('base64'),
      }),
    );
    expect(photo.attachmentId).toBe('etiquette.jpg');
    const manual = value(
      await notes.attach({
        noteId: note.noteId,
        fileName: 'manual.pdf',
        mimeType: 'application/pdf',
        base64: pdf.toString('base64'),
      }),
    );

    const view = value(await notes.get({ noteId: note.noteId }));
    expect(view.attachments).toEqual(
      [first, { ...second, size: 11 }, photo, manual].sort((a, b) =>
        a.attachmentId < b.attachmentId ? -1 : 1,
      ),
    );
    // Attaching is a write of the note, stamped; it is not a new revision of its text.
    expect(view).toMatchObject({ revisionNumber: 1, updatedAt: '2026-11-23T15:00:06.000Z' });

    const file = value(
      await notes.attachment({ noteId: note.noteId, attachmentId: first.attachmentId }),
    );
    expect(file).toEqual({
      fileName: 'Crate-Label-new.png',
      mimeType: 'image/png',
      base64: png.toString('base64'),
    });
    const pdfFile = value(
      await notes.attachment({ noteId: note.noteId, attachmentId: 'manual.pdf' }),
    );
    expect(Buffer.from(pdfFile.base64, 'base64').equals(pdf)).toBe(true);
    expect(
      errorCode(await notes.attachment({ noteId: note.noteId, attachmentId: 'missing.png' })),
    ).toBe('attachment_not_found');

    // Editing the note's text keeps its files.
    value(
      await notes.save({
        id: note.noteId,
        title: 'Crate labels',
        body: 'Changed.',
        tags: [],
        scope: 'library',
        baseRevision: 1,
      }),
    );
    expect(value(await notes.get({ noteId: note.noteId })).attachments).toHaveLength(4);
    expect(
      value(await notes.attachment({ noteId: note.noteId, attachmentId: 'etiquette.jpg' })).base64,
    ).toBe(jpeg.toString('base64'));
  });

  it('refuses bytes of another type, broken base64 and files over 5 MiB, with codes', async () => {
    await openNotesDesk();
    const note = await create('Crate labels', '');
    const attach = (mimeType: 'image/png' | 'image/jpeg' | 'application/pdf', base64: string) =>
      notes.attach({ noteId: note.noteId, fileName: 'file', mimeType, base64 });

    expect(errorCode(await attach('application/pdf', png.toString('base64')))).toBe(
      'attachment_type_mismatch',
    );
    expect(errorCode(await attach('image/png', pdf.toString('base64')))).toBe(
      'attachment_type_mismatch',
    );
    expect(
      errorCode(await attach('image/jpeg', Buffer.from([0xff, 0xd8]).toString('base64'))),
    ).toBe('attachment_type_mismatch');
    const html = Buffer.from('<html><script>alert(1)</script></html>').toString('base64');
    expect(errorCode(await attach('image/png', html))).toBe('attachment_type_mismatch');
    for (const broken of ['', 'not base64!', 'iVBORw0KGgo', 'iVBO RwAA', 'iVBORw==AAAA', 'A===']) {
      expect(errorCode(await attach('image/png', broken)), broken).toBe('attachment_unreadable');
    }
    const tooBig = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(noteAttachmentMaxBytes)]);
    expect(errorCode(await attach('application/pdf', tooBig.toString('base64')))).toBe(
      'attachment_too_large',
    );
    const justFits = Buffer.concat([
      Buffer.from('%PDF-1.7\n'),
      Buffer.alloc(noteAttachmentMaxBytes - 9),
    ]);
    expect(value(await attach('application/pdf', justFits.toString('base64'))).size).toBe(
      noteAttachmentMaxBytes,
    );
    expect(value(await notes.get({ noteId: note.noteId })).attachments).toHaveLength(1);
    expect(
      errorCode(
        await notes.attach({
          noteId: ulid(),
          fileName: 'x.png',
          mimeType: 'image/png',
          base64: png.toString('base64'),
        }),
      ),
    ).toBe('note_not_found');
  });
});

describe('the notes contract at the boundary', () => {
  it('refuses arguments over the limits before a handler runs', async () => {
    await openNotesDesk();
    const dispatcher = createDispatcher({ ...handlersNotUnderTest, notes } satisfies DeskHandlers, {
      log: () => undefined,
    });
    const save = { title: 'Title', body: '', tags: [] as string[], scope: 'library' };
    const refused: [string, unknown][] = [
      ['notes.save', { ...save, title: 'x'.repeat(201) }],
      ['notes.save', { ...save, title: '   ' }],
      ['notes.save', { ...save, body: 'x'.repeat(200_001) }],
      ['notes.save', { ...save, tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }],
      ['notes.save', { ...save, tags: ['x'.repeat(101)] }],
      ['notes.save', { ...save, tags: ['two,tags'] }],
      ['notes.save', { ...save, scope: 'everyone' }],
      ['notes.save', { ...save, baseRevision: 0 }],
      ['notes.save', { ...save, libraryCode: 'EAST' }],
      ['notes.search', { text: 'x'.repeat(201) }],
      ['notes.attach', { noteId: 'n', fileName: 'a.gif', mimeType: 'image/gif', base64: 'R0lG' }],
      [
        'notes.attach',
        {
          noteId: 'n',
          fileName: 'a.pdf',
          mimeType: 'application/pdf',
          base64: 'A'.repeat(14_000_000),
        },
      ],
    ];
    for (const [name, args] of refused) {
      expect(
        errorCode(await dispatcher.call(name, args)),
        `${name} ${JSON.stringify(args).slice(0, 80)}`,
      ).toBe('invalid_arguments');
    }
    expect(await desk.ctx.store.db.notes.count().exec()).toBe(0);
    const saved = await dispatcher.call('notes.save', {
      ...save,
      title: 'x'.repeat(200),
      tags: Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(100, 'x')),
    });
    expect(saved.ok).toBe(true);
  });
});

describe('desk settings from before editors existed', () => {
  it('load with no editors', async () => {
    await openNotesDesk();
    const older: Record<string, unknown> = { ...desk.ctx.settings() };
    delete older['editors'];
    writeFileSync(join(desk.dataDir, 'desk.json'), JSON.stringify(older));
    expect(loadDeskSettings(desk.dataDir)).toEqual({ ...older, editors: [] });
  });
});
