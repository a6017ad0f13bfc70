// Training notes: shared procedures and how-tos, readable, searchable and editable offline.
// Invariants:
// - a desk reads consortium notes and its own library's notes, never another library's
//   (the server sends it no others, and a note that got here anyway is not shown);
// - every save writes the note and its revision record in ONE write group, so the history
//   always holds the state of every revision a note was saved at;
// - an edit never overwrites a revision its editor did not see: when the note moved on
//   since the edit began (another desk's edit arrived by sync), the edit is saved as a
//   conflict copy that links back to the original, and both are kept for staff to merge;
// - consortium notes are created, edited and given attachments by editors only.
import {
  conflictCopyTitle,
  fail,
  noteAttachmentTypes,
  ok,
  type DeskResult,
  type Note,
  type NoteAttachmentDocument,
  type NoteAttachmentInfo,
  type NoteAttachmentType,
  type NoteRevision,
  type NoteRevisionEntry,
  type NoteRevisionSummary,
  type NoteSaveAnswer,
  type NoteScope,
  type NoteSearchHit,
  type NoteSummary,
  type NoteView,
  type StaffSession,
} from '../../shared/index.js';
import { deskLibrary, type DeskContext } from '../context.js';
import { tagListFromText, type NoteSearch, type Stored } from '../store/index.js';
import { attachmentIdFor, readAttachment } from './note-attachments.js';

export interface NoteEdit {
  readonly id?: string;
  readonly title: string;
  readonly body: string;
  readonly tags: readonly string[];
  readonly scope: NoteScope;
  readonly baseRevision?: number;
}

const NOT_FOUND = 'There is no such note at this desk.';

function canRead(note: Note, libraryCode: string | null): boolean {
  return note.scope === 'consortium' || (libraryCode !== null && note.libraryCode === libraryCode);
}

/** A note this desk may read, or note_not_found (for another library's note too). */
async function readableNote(
  ctx: DeskContext,
  noteId: string,
): Promise<DeskResult<Stored<'notes'>>> {
  const note = await ctx.store.data.get('notes', noteId);
  if (!note || !canRead(note, ctx.settings().libraryCode)) return fail('note_not_found', NOT_FOUND);
  return ok(note);
}

function summaryOf(note: Note): NoteSummary {
  return {
    noteId: note.id,
    title: note.title,
    tags: note.tags,
    scope: note.scope,
    ...(note.libraryCode === undefined ? {} : { libraryCode: note.libraryCode }),
    author: note.author,
    revisionNumber: note.revisionNumber,
    updatedAt: note.updatedAt,
    ...(note.conflictOf === undefined ? {} : { conflictOf: note.conflictOf }),
  };
}

function isAttachmentType(type: string): type is NoteAttachmentType {
  return (noteAttachmentTypes as readonly string[]).includes(type);
}

/** A note's files, by id. Files of other types (none are made here) are not offered. */
function attachmentsOf(note: Stored<'notes'>): NoteAttachmentInfo[] {
  return Object.entries(note._attachments)
    .flatMap(([attachmentId, { type, length }]) =>
      isAttachmentType(type) ? [{ attachmentId, mimeType: type, size: length }] : [],
    )
    .sort((a, b) =>
      a.attachmentId < b.attachmentId ? -1 : a.attachmentId > b.attachmentId ? 1 : 0,
    );
}

/**
 * A note's revision records, newest first. Two desks that saved the same revision number
 * offline both have a row of that number, and both show: the history hides no edit.
 */
function revisionsOf(ctx: DeskContext, noteId: string): Promise<Stored<'noteRevisions'>[]> {
  return ctx.store.data.find('noteRevisions', {
    selector: { noteId },
    sort: [{ revisionNumber: 'desc' }],
  });
}

function revisionSummaryOf(revision: NoteRevision): NoteRevisionSummary {
  return {
    revisionId: revision.id,
    revisionNumber: revision.revisionNumber,
    title: revision.title,
    author: revision.author,
    savedAt: revision.savedAt,
  };
}

async function viewOf(ctx: DeskContext, note: Stored<'notes'>): Promise<NoteView> {
  const revisions = await revisionsOf(ctx, note.id);
  return {
    ...summaryOf(note),
    body: note.body,
    revisions: revisions.map(revisionSummaryOf),
    attachments: attachmentsOf(note),
  };
}

function stamp(ctx: DeskContext): { updatedAt: string; deskId: string } {
  return { updatedAt: ctx.now().toISOString(), deskId: ctx.settings().deskId };
}

/** Staff signed in at a set-up desk, who may write notes of `scope`; or why not. */
async function writer(
  ctx: DeskContext,
  scope: NoteScope,
): Promise<DeskResult<{ staff: StaffSession; libraryCode: string }>> {
  const here = await deskLibrary(ctx);
  if (!here) return fail('desk_not_set_up', 'This desk has no library yet. Set the desk up first.');
  const staff = ctx.staff.current;
  if (!staff) return fail('not_signed_in', 'Sign in with your initials first.');
  if (scope === 'consortium' && !staff.editor) {
    return fail(
      'not_editor',
      'Only consortium editors change notes for the whole consortium. Save it as a note for your library, or ask an editor.',
    );
  }
  return ok({ staff, libraryCode: here.code });
}

export async function listNotes(
  ctx: DeskContext,
  args: { tag?: string; scope?: NoteScope; limit?: number },
): Promise<DeskResult<NoteSummary[]>> {
  const libraryCode = ctx.settings().libraryCode;
  const [tag] = args.tag === undefined ? [] : tagListFromText(args.tag);
  const notes = await ctx.store.data.find('notes', {
    selector: args.scope === undefined ? {} : { scope: args.scope },
    sort: [{ updatedAt: 'desc' }],
  });
  return ok(
    notes
      .filter((note) => canRead(note, libraryCode))
      .filter((note) => args.tag === undefined || (tag !== undefined && note.tags.includes(tag)))
      .slice(0, args.limit)
      .map(summaryOf),
  );
}

export async function getNote(
  ctx: DeskContext,
  args: { noteId: string },
): Promise<DeskResult<NoteView>> {
  const found = await readableNote(ctx, args.noteId);
  if (!found.ok) return found;
  return ok(await viewOf(ctx, found.value));
}

export async function noteHistory(
  ctx: DeskContext,
  args: { noteId: string },
): Promise<DeskResult<NoteRevisionEntry[]>> {
  const found = await readableNote(ctx, args.noteId);
  if (!found.ok) return found;
  const revisions = await revisionsOf(ctx, found.value.id);
  return ok(
    revisions.map((revision) => ({
      ...revisionSummaryOf(revision),
      body: revision.body,
      tags: revision.tags,
    })),
  );
}

/**
 * Creates or edits a note (see the contract's `notes.save`). The note and its revision
 * record commit together; the answer is given after they have.
 */
export async function saveNote(
  ctx: DeskContext,
  edit: NoteEdit,
): Promise<DeskResult<NoteSaveAnswer>> {
  const who = await writer(ctx, edit.scope);
  if (!who.ok) return who;
  const { staff, libraryCode } = who.value;
  const title = edit.title.trim();
  if (title === '') return fail('invalid_arguments', 'A note needs a title.');
  // Tags cannot hold a comma (the contract refuses one), so joining and splitting is exact.
  const tags = tagListFromText(edit.tags.join(','));

  const saved = await ctx.store.atomically(
    async (): Promise<DeskResult<{ noteId: string; conflictOf?: string }>> => {
      const savedAt = ctx.now().toISOString();
      const record = async (note: Note): Promise<void> => {
        const revision: NoteRevision = {
          id: ctx.newId(),
          noteId: note.id,
          revisionNumber: note.revisionNumber,
          title: note.title,
          body: note.body,
          tags: note.tags,
          author: note.author,
          savedAt,
          ...stamp(ctx),
        };
        await ctx.store.data.insert('noteRevisions', [revision]);
      };
      const create = async (extra: Partial<Note> = {}): Promise<string> => {
        const note: Note = {
          id: ctx.newId(),
          title,
          body: edit.body,
          tags,
          scope: edit.scope,
          ...(edit.scope === 'library' ? { libraryCode } : {}),
          author: staff.initials,
          revisionNumber: 1,
          ...extra,
          ...stamp(ctx),
        };
        await ctx.store.data.insert('notes', [note]);
        await record(note);
        return note.id;
      };

      if (edit.id === undefined) return ok({ noteId: await create() });

      const found = await readableNote(ctx, edit.id);
      if (!found.ok) return found;
      const current = found.value;
      if (current.scope !== edit.scope) {
        return fail(
          'note_scope_fixed',
          `This note is for ${current.scope === 'consortium' ? 'the whole consortium' : 'one library'}; that cannot change. Save a new note instead.`,
        );
      }
      if (edit.baseRevision !== undefined && edit.baseRevision !== current.revisionNumber) {
        // Someone else's revision arrived since this edit began: keep both sides.
        const copy = await create({ title: conflictCopyTitle(title), conflictOf: current.id });
        return ok({ noteId: copy, conflictOf: current.id });
      }
      const changes = {
        title,
        body: edit.body,
        tags,
        author: staff.initials,
        revisionNumber: current.revisionNumber + 1,
        ...stamp(ctx),
      };
      await ctx.store.data.update('notes', current, changes);
      await record({ ...current, ...changes });
      return ok({ noteId: current.id });
    },
  );
  if (!saved.ok) return saved;
  const note = await ctx.store.data.get('notes', saved.value.noteId);
  if (!note) throw new Error(`note ${saved.value.noteId} vanished after its save`);
  const view = await viewOf(ctx, note);
  return ok(
    saved.value.conflictOf === undefined
      ? { note: view }
      : { note: view, conflict: { originalId: saved.value.conflictOf } },
  );
}

export async function searchNotes(
  ctx: DeskContext,
  search: NoteSearch,
  args: { text: string; limit?: number },
): Promise<DeskResult<NoteSearchHit[]>> {
  const libraryCode = ctx.settings().libraryCode;
  const matches = await search.search({ text: args.text, libraryCode, limit: args.limit ?? 20 });
  const notes = await ctx.store.data.getMany(
    'notes',
    matches.map((match) => match.noteId),
  );
  return ok(
    matches.flatMap((match) => {
      const note = notes.get(match.noteId);
      // The index follows the collection; a note deleted a moment ago is simply left out.
      return note && canRead(note, libraryCode)
        ? [{ note: summaryOf(note), snippet: match.snippet }]
        : [];
    }),
  );
}

export async function attachToNote(
  ctx: DeskContext,
  args: { noteId: string; fileName: string; mimeType: NoteAttachmentType; base64: string },
): Promise<DeskResult<NoteAttachmentInfo>> {
  const found = await readableNote(ctx, args.noteId);
  if (!found.ok) return found;
  const who = await writer(ctx, found.value.scope);
  if (!who.ok) return who;
  const bytes = readAttachment(args.base64, args.mimeType);
  if (!bytes.ok) return bytes;
  return ctx.store.atomically(async () => {
    const note = await ctx.store.db.notes.findOne(args.noteId).exec();
    if (!note) return fail('note_not_found', NOT_FOUND);
    const attachmentId = attachmentIdFor(
      args.fileName,
      args.mimeType,
      new Set(note.allAttachments().map((attachment) => attachment.id)),
    );
    await note.putAttachment({
      id: attachmentId,
      data: new Blob([bytes.value], { type: args.mimeType }),
      type: args.mimeType,
    });
    // The note was written: it says by which desk and when, like every other write.
    const latest = await ctx.store.data.get('notes', args.noteId);
    if (!latest) throw new Error(`note ${args.noteId} vanished while a file was attached`);
    await ctx.store.data.update('notes', latest, stamp(ctx));
    return ok({ attachmentId, mimeType: args.mimeType, size: bytes.value.length });
  });
}

export async function noteAttachment(
  ctx: DeskContext,
  args: { noteId: string; attachmentId: string },
): Promise<DeskResult<NoteAttachmentDocument>> {
  const found = await readableNote(ctx, args.noteId);
  if (!found.ok) return found;
  const note = await ctx.store.db.notes.findOne(args.noteId).exec();
  const attachment = note?.getAttachment(args.attachmentId) ?? null;
  if (attachment === null || !isAttachmentType(attachment.type)) {
    return fail('attachment_not_found', 'This note has no such file.');
  }
  const data = await attachment.getData();
  return ok({
    fileName: attachment.id,
    mimeType: attachment.type,
    base64: Buffer.from(await data.arrayBuffer()).toString('base64'),
  });
}
