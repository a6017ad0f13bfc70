// Holds: the server creates them from the ILS; desks move them forward
// (pending -> captured -> in_transit -> on_shelf -> fulfilled, with cancelled and expired as
// ends). Patron data is limited to what a slip needs, by design: see `patronRef`.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import {
  barcodeField,
  bibIdField,
  dayField,
  instantField,
  libraryCodeField,
  stampFields,
  stampRequired,
  ulidField,
} from './fields.js';

export const holdStatuses = [
  'pending',
  'captured',
  'in_transit',
  'on_shelf',
  'fulfilled',
  'cancelled',
  'expired',
] as const;

const holdsSchemaLiteral = {
  title: 'holds',
  description: 'Patron holds on a title or an item, filled by any member library.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ulidField,
    bibId: bibIdField,
    itemBarcode: {
      ...barcodeField,
      description: 'The requested item of an item-level hold; absent for a title-level hold.',
    },
    patronRef: {
      description:
        'Opaque reference to the patron in the ILS, never a name or card number in clear. ' +
        'Removed with `shelfName` once the hold is fulfilled, cancelled or expired; never ' +
        'logged.',
      type: 'string',
      minLength: 1,
      maxLength: 64,
    },
    shelfName: {
      description: 'The name or alias printed on the hold slip and shelved under.',
      type: 'string',
      minLength: 1,
      maxLength: 100,
    },
    pickupLibrary: libraryCodeField,
    pullLibrary: {
      ...libraryCodeField,
      description: 'The library asked to pull a copy for this hold (its pull list).',
    },
    status: { type: 'string', enum: holdStatuses, maxLength: 16 },
    requestedAt: instantField,
    capturedAt: {
      ...instantField,
      description: 'When a copy was captured; of two offline captures the earlier one wins.',
    },
    shelvedAt: instantField,
    expiresOn: {
      ...dayField,
      description: 'Last day on the hold shelf, in the pickup library (shelvedAt + holdShelfDays).',
    },
    capturedItemBarcode: { ...barcodeField, description: 'The copy captured for this hold.' },
    ...stampFields,
  },
  required: [
    'id',
    'bibId',
    'pickupLibrary',
    'pullLibrary',
    'status',
    'requestedAt',
    ...stampRequired,
  ],
  indexes: [['status', 'pickupLibrary'], ['pullLibrary', 'status'], 'bibId'],
} as const;

export type Hold = DocumentOf<typeof holdsSchemaLiteral>;
export type HoldStatus = Hold['status'];
export const holdsSchema: RxJsonSchema<Hold> = holdsSchemaLiteral;
