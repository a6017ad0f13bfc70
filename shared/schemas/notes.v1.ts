// FROZEN: notes as desks stored them at schema version 1. Do not edit: this is what
// migrations from version 1 start from and what their tests build. It is written out in
// full, without the shared field fragments, so that a later change to a fragment cannot
// rewrite history.
//
// v1 kept tags as a normalised list and a revision number (see
// main/store/migrations/notes-001-tag-list.ts). Version 2 (notes.ts) added `conflictOf`;
// see main/store/migrations/notes-002-conflict-of.ts.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';

const notesSchemaV1Literal = {
  title: 'notes',
  description: 'Training notes and procedures, per consortium or per library.',
  version: 1,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 26, maxLength: 26, pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: { description: 'Markdown.', type: 'string', maxLength: 200_000 },
    tags: {
      description: 'Trimmed, lower-case, without duplicates, in the order first given.',
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 1000 },
    },
    scope: { type: 'string', enum: ['consortium', 'library'], maxLength: 10 },
    libraryCode: {
      type: 'string',
      minLength: 1,
      maxLength: 20,
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'The library a `library`-scope note belongs to; absent for consortium notes.',
    },
    author: {
      description: 'Staff name of the last editor.',
      type: 'string',
      minLength: 1,
      maxLength: 100,
    },
    revisionNumber: {
      description:
        'Starts at 1 and grows by one on every save. (Not `revision`: RxDB reserves that ' +
        'name on documents for its own `_rev`.)',
      type: 'integer',
      minimum: 1,
      maximum: 1_000_000_000,
    },
    updatedAt: {
      type: 'string',
      minLength: 24,
      maxLength: 24,
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    },
    deskId: {
      type: 'string',
      minLength: 6,
      maxLength: 26,
      pattern: '^([0-9A-HJKMNP-TV-Z]{26}|server)$',
    },
  },
  required: [
    'id',
    'title',
    'body',
    'tags',
    'scope',
    'author',
    'revisionNumber',
    'updatedAt',
    'deskId',
  ],
  indexes: [
    ['scope', 'title'],
    ['scope', 'updatedAt'],
  ],
  attachments: {},
} as const;

export type NoteV1 = DocumentOf<typeof notesSchemaV1Literal>;
export const notesSchemaV1: RxJsonSchema<NoteV1> = notesSchemaV1Literal;
