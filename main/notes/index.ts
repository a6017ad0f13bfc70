// Training notes: the capability's handlers, bound to the desk context. The search index
// is built here, once per desk, and lives as long as the desk database (see
// main/store/note-search.ts).
import type { DeskHandlers } from '../../shared/index.js';
import type { DeskContext } from '../context.js';
import { createNoteSearch } from '../store/index.js';
import {
  attachToNote,
  getNote,
  listNotes,
  noteAttachment,
  noteHistory,
  saveNote,
  searchNotes,
} from './note-service.js';

export function notesHandlers(ctx: DeskContext) {
  const search = createNoteSearch(ctx.store.db);
  return {
    list: (args) => listNotes(ctx, args),
    get: (args) => getNote(ctx, args),
    save: (args) => saveNote(ctx, args),
    history: (args) => noteHistory(ctx, args),
    search: (args) => searchNotes(ctx, search, args),
    attach: (args) => attachToNote(ctx, args),
    attachment: (args) => noteAttachment(ctx, args),
  } satisfies DeskHandlers['notes'];
}

export type { NoteEdit } from './note-service.js';
