// notes v0 -> v1: tags become a list, and every note gets a revision number.
//
// v0 stored tags as the text staff typed into one box ("Holds, courier ,holds"), so search
// and the tag filter had to re-split it everywhere and "Holds" and "holds" were two tags.
// v1 stores the list itself: split on commas, trimmed, lower-cased (locale-independent, so
// every desk and the server agree), empty pieces dropped, duplicates dropped keeping the
// first occurrence. v0 kept no history, so the stored state of each note is revision 1.
//
// Nothing else changes: `updatedAt` and `deskId` stay as they were, because migrating is not
// an edit (the note was last written by the same desk at the same time). Attachments are
// carried over by RxDB untouched.
//
// This file is frozen once released: it must keep turning v0 documents into v1 documents
// even after the notes service's own tag rules move on, so it uses no shared helper.
import type { WithAttachments } from 'rxdb';
import type { NoteV0, NoteV1 } from '../../../shared/index.js';

/** The v1 tag list for a v0 tag text. */
export function tagListFromText(text: string): string[] {
  const tags: string[] = [];
  for (const piece of text.split(',')) {
    const tag = piece.trim().toLowerCase();
    if (tag !== '' && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** RxDB migration strategy to notes schema version 1 (registered under key 1). */
export function migrateNoteToV1(note: WithAttachments<NoteV0>): WithAttachments<NoteV1> {
  const { tags, ...unchanged } = note;
  return { ...unchanged, tags: tagListFromText(tags), revisionNumber: 1 };
}
