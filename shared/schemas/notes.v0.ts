// FROZEN: notes as desks stored them at schema version 0. Do not edit: this is what
// migrations start from and what their tests build. It is written out in full, without the
// shared field fragments, so that a later change to a fragment cannot rewrite history.
//
// v0 kept tags as the comma-separated text staff typed ("Holds, courier ,holds") and had no
// revision number. Version 1 (notes.ts) replaced both; see
// main/store/migrations/notes-001-tag-list.ts.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';

const notesSchemaV0Literal = {
  title: 'notes',
  description: 'Training notes and procedures, per consortium or per library.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 26, maxLength: 26, pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: { type: 'string', maxLength: 200_000 },
    tags: { type: 'string', maxLength: 500 },
    scope: { type: 'string', enum: ['consortium', 'library'], maxLength: 10 },
    libraryCode: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_.-]+$' },
    author: { type: 'string', minLength: 1, maxLength: 100 },
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
  required: ['id', 'title', 'body', 'tags', 'scope', 'author', 'updatedAt', 'deskId'],
  indexes: ['scope'],
  attachments: {},
} as const;

export type NoteV0 = DocumentOf<typeof notesSchemaV0Literal>;
export const notesSchemaV0: RxJsonSchema<NoteV0> = notesSchemaV0Literal;
