// One row per saved revision of a training note, append-only: a row is written once, by the
// desk that saved the note, in the same write group as the note itself, and never changed
// (every field is `final`), so this collection never conflicts. A note's history is its rows
// by revision number. Two desks that saved the same revision number offline both keep their
// row: the losing edit also lives on as a conflict copy (see notes.ts), and its row stays
// here as the record of what was typed.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import { instantField, stampFields, stampRequired, ulidField } from './fields.js';
import {
  noteAuthorField,
  noteBodyField,
  noteRevisionNumberField,
  noteTagsField,
  noteTitleField,
} from './notes.js';

const noteRevisionsSchemaLiteral = {
  title: 'noteRevisions',
  description: 'Every saved revision of a training note: its text as saved, who and when.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ulidField,
    noteId: { ...ulidField, final: true },
    // multipleOf: RxDB indexes a number only with its range and step.
    revisionNumber: { ...noteRevisionNumberField, multipleOf: 1, final: true },
    title: { ...noteTitleField, final: true },
    body: { ...noteBodyField, final: true },
    tags: { ...noteTagsField, final: true },
    author: { ...noteAuthorField, description: 'Staff who saved this revision.', final: true },
    savedAt: { ...instantField, final: true },
    updatedAt: { ...stampFields.updatedAt, final: true },
    deskId: { ...stampFields.deskId, final: true },
  },
  required: [
    'id',
    'noteId',
    'revisionNumber',
    'title',
    'body',
    'tags',
    'author',
    'savedAt',
    ...stampRequired,
  ],
  indexes: [['noteId', 'revisionNumber']],
} as const;

export type NoteRevision = DocumentOf<typeof noteRevisionsSchemaLiteral>;
export const noteRevisionsSchema: RxJsonSchema<NoteRevision> = noteRevisionsSchemaLiteral;
