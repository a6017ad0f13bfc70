// notes v1 -> v2: a note may name the note it is a conflict copy of (`conflictOf`).
//
// When an edit would overwrite a revision the editing desk never saw (another desk's edit
// arrived by sync first), the notes service saves the edit as a separate note that links
// back to the original, instead of losing either side. v1 had no such link.
//
// The new field is optional and no v1 note is a conflict copy (v1 desks had no way to make
// one), so every v1 document is a valid v2 document as it stands: this step changes nothing,
// not even `updatedAt` or `deskId`, because migrating is not an edit. Attachments are carried
// over by RxDB untouched.
//
// This file is frozen once released, like notes-001.
import type { WithAttachments } from 'rxdb';
import type { Note, NoteV1 } from '../../../shared/index.js';

/** RxDB migration strategy to notes schema version 2 (registered under key 2). */
export function migrateNoteToV2(note: WithAttachments<NoteV1>): WithAttachments<Note> {
  return note;
}
