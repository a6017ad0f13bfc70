// The collections of a desk database: names, document types and current schemas.
import type { RxJsonSchema } from 'rxdb';
import type { Checkin } from './checkins.js';
import { checkinsSchema } from './checkins.js';
import type { CrateScan } from './crate-scans.js';
import { crateScansSchema } from './crate-scans.js';
import type { Crate } from './crates.js';
import { cratesSchema } from './crates.js';
import type { Hold } from './holds.js';
import { holdsSchema } from './holds.js';
import type { Item } from './items.js';
import { itemsSchema } from './items.js';
import type { Library } from './libraries.js';
import { librariesSchema } from './libraries.js';
import type { NoteRevision } from './note-revisions.js';
import { noteRevisionsSchema } from './note-revisions.js';
import type { Note } from './notes.js';
import { notesSchema } from './notes.js';

/** The document type of each collection. */
export interface DeskDocuments {
  libraries: Library;
  items: Item;
  holds: Hold;
  checkins: Checkin;
  crates: Crate;
  crateScans: CrateScan;
  notes: Note;
  noteRevisions: NoteRevision;
}

export type DeskCollectionName = keyof DeskDocuments;

/** The current schema of every collection, by collection name. */
export const collectionSchemas: {
  readonly [Name in DeskCollectionName]: RxJsonSchema<DeskDocuments[Name]>;
} = {
  libraries: librariesSchema,
  items: itemsSchema,
  holds: holdsSchema,
  checkins: checkinsSchema,
  crates: cratesSchema,
  crateScans: crateScansSchema,
  notes: notesSchema,
  noteRevisions: noteRevisionsSchema,
};

/** Every collection name, in a stable order (for loops and table-driven tests). */
export const deskCollectionNames = Object.keys(collectionSchemas) as DeskCollectionName[];
