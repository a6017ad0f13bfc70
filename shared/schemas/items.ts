// Physical items, keyed by barcode. The server imports them from the ILS; desks change only
// where an item is and its status, as check-ins, crate scans and hold captures happen.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import {
  barcodeField,
  bibIdField,
  libraryCodeField,
  stampFields,
  stampRequired,
} from './fields.js';

/**
 * Where an item stands for routing. `lost`, `missing`, `damaged` and `withdrawn` block a
 * check-in (the item is set aside); `in_transit` covers an item packed in a crate.
 */
export const itemStatuses = [
  'available',
  'checked_out',
  'in_transit',
  'on_hold_shelf',
  'lost',
  'missing',
  'damaged',
  'withdrawn',
] as const;

const itemsSchemaLiteral = {
  title: 'items',
  description: 'Physical items of the shared collection, keyed by barcode.',
  version: 0,
  primaryKey: 'barcode',
  type: 'object',
  additionalProperties: false,
  properties: {
    barcode: barcodeField,
    bibId: bibIdField,
    title: { type: 'string', minLength: 1, maxLength: 2000 },
    author: { type: 'string', maxLength: 1000 },
    callNumber: { type: 'string', maxLength: 200 },
    owner: { ...libraryCodeField, description: 'The owning library (the ILS item record).' },
    location: {
      ...libraryCodeField,
      description:
        'The library the item belongs on the shelf of now: the owner, or for a floating ' +
        'item the library it last stayed at.',
    },
    floating: {
      description: 'The item itself floats, whatever its library rules say.',
      type: 'boolean',
    },
    status: { type: 'string', enum: itemStatuses, maxLength: 16 },
    ...stampFields,
  },
  required: [
    'barcode',
    'bibId',
    'title',
    'owner',
    'location',
    'floating',
    'status',
    ...stampRequired,
  ],
  indexes: ['owner', 'bibId'],
} as const;

export type Item = DocumentOf<typeof itemsSchemaLiteral>;
export type ItemStatus = Item['status'];
export const itemsSchema: RxJsonSchema<Item> = itemsSchemaLiteral;
