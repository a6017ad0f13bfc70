// Crates (bins, tubs) carried by the courier. The origin desk opens, fills and seals one;
// the destination desk receives it, scans its items and closes it with a discrepancy record.
// Status only moves forward: open -> sealed -> received -> closed.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import {
  barcodeField,
  instantField,
  libraryCodeField,
  stampFields,
  stampRequired,
  ulidField,
} from './fields.js';

export const crateStatuses = ['open', 'sealed', 'received', 'closed'] as const;

/** What receipt found wrong with one item of a crate. */
export const crateDiscrepancyKinds = ['missing', 'extra', 'damaged'] as const;

const countField = { type: 'integer', minimum: 0, maximum: 100_000 } as const;

const cratesSchemaLiteral = {
  title: 'crates',
  description: 'Courier crates between member libraries, with counts and discrepancies.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ulidField,
    labelBarcode: { ...barcodeField, description: 'The barcode on the printed crate label.' },
    origin: libraryCodeField,
    destination: libraryCodeField,
    status: { type: 'string', enum: crateStatuses, maxLength: 10 },
    openedAt: instantField,
    sealedAt: instantField,
    receivedAt: instantField,
    closedAt: instantField,
    counts: {
      description:
        'Item counts kept with the crate so lists need not replay its scans: `packed` when ' +
        'sealed (the manifest), the rest as the destination scans it.',
      type: 'object',
      additionalProperties: false,
      properties: {
        packed: countField,
        received: countField,
        missing: countField,
        extra: countField,
      },
      required: ['packed', 'received', 'missing', 'extra'],
    },
    discrepancies: {
      description: 'Recorded when the crate is closed: items missing, extra or damaged.',
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          barcode: barcodeField,
          kind: { type: 'string', enum: crateDiscrepancyKinds },
          note: { type: 'string', maxLength: 1000 },
        },
        required: ['barcode', 'kind'],
      },
    },
    ...stampFields,
  },
  required: [
    'id',
    'labelBarcode',
    'origin',
    'destination',
    'status',
    'openedAt',
    'counts',
    'discrepancies',
    ...stampRequired,
  ],
  indexes: [['destination', 'status'], ['origin', 'status'], 'labelBarcode'],
} as const;

export type Crate = DocumentOf<typeof cratesSchemaLiteral>;
export type CrateStatus = Crate['status'];
export type CrateDiscrepancy = Crate['discrepancies'][number];
export const cratesSchema: RxJsonSchema<Crate> = cratesSchemaLiteral;
