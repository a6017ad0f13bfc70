// Training-note conflicts: when two desks edit one note apart, the losing edit is kept as a
// new note, a conflict copy, titled after the original and linking back to it (`conflictOf`);
// staff merge the two and delete the copy. The notes service makes copies when an edit meets
// a newer revision at the desk; the sync makes them when the server already holds one.
import type { Note } from '../schemas/notes.js';
import { noteTitleField } from '../schemas/notes.js';
import { sameValue } from './same-value.js';

export const conflictCopySuffix = ' (conflict copy)';

/**
 * `title` with the conflict-copy suffix, shortened first if the two would be too long for the
 * schema (which counts characters, so this does too: never half a surrogate pair).
 */
export function conflictCopyTitle(title: string): string {
  const room = noteTitleField.maxLength - [...conflictCopySuffix].length;
  const characters = [...title];
  const kept = characters.length > room ? characters.slice(0, room).join('').trimEnd() : title;
  return `${kept}${conflictCopySuffix}`;
}

/**
 * Whether two versions of a note say the same to a reader: title, body, tags, scope and
 * library. Who saved them and when does not count: two desks that made the same edit did not
 * conflict.
 */
export function sameNoteText(a: Note, b: Note): boolean {
  return (
    a.title === b.title &&
    a.body === b.body &&
    a.scope === b.scope &&
    a.libraryCode === b.libraryCode &&
    sameValue(a.tags, b.tags)
  );
}
