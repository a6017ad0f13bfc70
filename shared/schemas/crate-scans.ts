// One row per item scan into or out of a crate, or on its receipt. Append-only like
// check-ins (every field `final`, `deskId` is the scanning desk): a crate's manifest and its
// missing/extra lists are replays of these rows, so they never conflict.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import {
  barcodeField,
  instantField,
  staffField,
  stampFields,
  stampRequired,
  ulidField,
} from './fields.js';

/** `add` and `remove` at the origin while the crate is open; `receive` at the destination. */
export const crateScanActions = ['add', 'remove', 'receive'] as const;

const crateScansSchemaLiteral = {
  title: 'crateScans',
  description: 'Item scans into, out of, or on receipt of a crate.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ulidField,
    crateId: { ...ulidField, final: true },
    barcode: { ...barcodeField, final: true },
    action: { type: 'string', enum: crateScanActions, maxLength: 8, final: true },
    scannedAt: { ...instantField, final: true },
    staff: { ...staffField, final: true },
    updatedAt: { ...stampFields.updatedAt, final: true },
    deskId: { ...stampFields.deskId, final: true },
  },
  required: ['id', 'crateId', 'barcode', 'action', 'scannedAt', 'staff', ...stampRequired],
  indexes: [
    ['crateId', 'scannedAt'],
    ['barcode', 'scannedAt'],
  ],
} as const;

export type CrateScan = DocumentOf<typeof crateScansSchemaLiteral>;
export type CrateScanAction = CrateScan['action'];
export const crateScansSchema: RxJsonSchema<CrateScan> = crateScansSchemaLiteral;
