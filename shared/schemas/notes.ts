// Training notes: shared procedures and how-tos, readable and searchable offline, per
// consortium or per library, with history. Images and PDFs ride along as RxDB attachments.
// When two desks edit one note offline, the notes service keeps the losing side as a
// separate conflict copy, so a note's `revisionNumber` only ever grows.
//
// Version history (bump `version` and add a numbered migration in main/store/migrations/
// for ANY change to this literal or to a fragment it uses; before changing it, copy it in
// full to notes.v<N>.ts like notes.v0.ts):
//   0  tags as one comma-separated string, no revision number (notes.v0.ts)
//   1  tags as a normalised list of strings; revisionNumber added (notes.v1.ts)
//   2  conflictOf added: a conflict copy names the note it was split from
//
// The fragments below are shared with the noteRevisions collection (note-revisions.ts):
// changing one changes both schemas, so both need a version bump and a migration.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import { libraryCodeField, stampFields, stampRequired, ulidField } from './fields.js';

/** `consortium` notes are edited by consortium editors and seen by every desk. */
export const noteScopes = ['consortium', 'library'] as const;

export const noteTitleField = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const noteBodyField = {
  description: 'Markdown.',
  type: 'string',
  maxLength: 200_000,
} as const;

export const noteTagsField = {
  description: 'Trimmed, lower-case, without duplicates, in the order first given.',
  type: 'array',
  uniqueItems: true,
  // Twice v0's whole tag text: lower-casing can lengthen a string ('İ' becomes 'i̇'),
  // and no v0 note may fail its migration.
  items: { type: 'string', minLength: 1, maxLength: 1000 },
} as const;

export const noteAuthorField = {
  description: 'Staff name of the last editor.',
  type: 'string',
  minLength: 1,
  maxLength: 100,
} as const;

export const noteRevisionNumberField = {
  description:
    'Starts at 1 and grows by one on every save. (Not `revision`: RxDB reserves that ' +
    'name on documents for its own `_rev`.)',
  type: 'integer',
  minimum: 1,
  maximum: 1_000_000_000,
} as const;

const notesSchemaLiteral = {
  title: 'notes',
  description: 'Training notes and procedures, per consortium or per library.',
  version: 2,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ulidField,
    title: noteTitleField,
    body: noteBodyField,
    tags: noteTagsField,
    scope: { type: 'string', enum: noteScopes, maxLength: 10 },
    libraryCode: {
      ...libraryCodeField,
      description: 'The library a `library`-scope note belongs to; absent for consortium notes.',
    },
    author: noteAuthorField,
    revisionNumber: noteRevisionNumberField,
    conflictOf: {
      ...ulidField,
      description:
        'Set on a conflict copy: the note whose edit this one would have overwritten. The ' +
        'copy holds the losing side of two edits of that note; staff merge and delete it.',
    },
    ...stampFields,
  },
  required: ['id', 'title', 'body', 'tags', 'scope', 'author', 'revisionNumber', ...stampRequired],
  indexes: [
    ['scope', 'title'],
    ['scope', 'updatedAt'],
  ],
  attachments: {},
} as const;

export type Note = DocumentOf<typeof notesSchemaLiteral>;
export type NoteScope = Note['scope'];
export const notesSchema: RxJsonSchema<Note> = notesSchemaLiteral;
