// FROZEN: check-ins as desks stored them at schema version 0. Do not edit: this is what
// migrations from version 0 start from and what their tests build. It is written out in
// full, without the shared field fragments, so that a later change to a fragment cannot
// rewrite history.
//
// Version 1 (checkins.ts) added `clockOffsetMs`, `voidedAt` and `rerouteOf`; see
// main/store/migrations/checkins-001-undo-offset.ts.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';

const checkinsSchemaV0Literal = {
  title: 'checkins',
  description: 'One row per check-in scan with the routing answer given at the desk.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: {
      type: 'string',
      minLength: 26,
      maxLength: 26,
      pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
    },
    barcode: {
      type: 'string',
      minLength: 1,
      maxLength: 40,
      pattern: '^[!-~]+$',
      final: true,
    },
    library: {
      type: 'string',
      minLength: 1,
      maxLength: 20,
      pattern: '^[A-Za-z0-9_.-]+$',
      final: true,
    },
    staff: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      final: true,
    },
    scannedAt: {
      type: 'string',
      minLength: 24,
      maxLength: 24,
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
      final: true,
    },
    outcome: {
      description: 'The routing answer shown at the desk for this scan.',
      type: 'object',
      final: true,
      additionalProperties: false,
      properties: {
        route: {
          type: 'string',
          enum: ['hold_here', 'hold_transit', 'return_home', 'float_here', 'reshelve', 'set_aside'],
          maxLength: 16,
        },
        destination: {
          type: 'string',
          minLength: 1,
          maxLength: 20,
          pattern: '^[A-Za-z0-9_.-]+$',
          description: 'Where the item goes: pickup library, owner, or here.',
        },
        holdId: {
          type: 'string',
          minLength: 26,
          maxLength: 26,
          pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
          description: 'The hold the item was captured for.',
        },
        crateId: {
          type: 'string',
          minLength: 26,
          maxLength: 26,
          pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
          description: 'The crate check-in dropped the item into.',
        },
        reason: {
          type: 'string',
          enum: [
            'unknown_barcode',
            'lost',
            'missing',
            'damaged',
            'withdrawn',
            'in_crate',
            'recently_sent',
            'on_hold_shelf',
            'repeat_scan',
          ],
          maxLength: 16,
        },
        transitReceived: {
          description: 'The item was expected here in transit and this scan received it.',
          type: 'boolean',
        },
        shelfExpiresOn: {
          type: 'string',
          minLength: 10,
          maxLength: 10,
          pattern: '^\\d{4}-\\d{2}-\\d{2}$',
          description: 'For hold_here: the last day on the hold shelf.',
        },
      },
      required: ['route'],
    },
    updatedAt: {
      type: 'string',
      minLength: 24,
      maxLength: 24,
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
      final: true,
    },
    deskId: {
      type: 'string',
      minLength: 6,
      maxLength: 26,
      pattern: '^([0-9A-HJKMNP-TV-Z]{26}|server)$',
      final: true,
    },
  },
  required: ['id', 'barcode', 'library', 'staff', 'scannedAt', 'outcome', 'updatedAt', 'deskId'],
  indexes: ['scannedAt', ['barcode', 'scannedAt']],
} as const;

export type CheckinV0 = DocumentOf<typeof checkinsSchemaV0Literal>;
export const checkinsSchemaV0: RxJsonSchema<CheckinV0> = checkinsSchemaV0Literal;
