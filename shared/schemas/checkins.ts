// One row per check-in scan, append-only: a row is written once, by the desk that scanned,
// and never changed (every field is `final`), so this collection never conflicts. `deskId`
// is therefore the scanning desk.
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import {
  barcodeField,
  dayField,
  instantField,
  libraryCodeField,
  staffField,
  stampFields,
  stampRequired,
  ulidField,
} from './fields.js';

/**
 * Where the desk told staff to put the item: on this library's hold shelf (slip printed), in
 * a crate to the hold's pickup library, in a crate back home, stays here (floating), back on
 * the shelf, or set aside for a person to look at.
 */
export const checkinRoutes = [
  'hold_here',
  'hold_transit',
  'return_home',
  'float_here',
  'reshelve',
  'set_aside',
] as const;

/** Why an item was set aside. */
export const setAsideReasons = [
  'unknown_barcode',
  'lost',
  'missing',
  'damaged',
  'withdrawn',
  'in_crate',
  'recently_sent',
  'on_hold_shelf',
  'repeat_scan',
] as const;

const checkinsSchemaLiteral = {
  title: 'checkins',
  description: 'One row per check-in scan with the routing answer given at the desk.',
  version: 0,
  primaryKey: 'id',
  type: 'object',
  additionalProperties: false,
  properties: {
    id: ulidField,
    barcode: { ...barcodeField, final: true },
    library: { ...libraryCodeField, final: true },
    staff: { ...staffField, final: true },
    scannedAt: { ...instantField, final: true },
    outcome: {
      description: 'The routing answer shown at the desk for this scan.',
      type: 'object',
      final: true,
      additionalProperties: false,
      properties: {
        route: { type: 'string', enum: checkinRoutes, maxLength: 16 },
        destination: {
          ...libraryCodeField,
          description: 'Where the item goes: pickup library, owner, or here.',
        },
        holdId: { ...ulidField, description: 'The hold the item was captured for.' },
        crateId: { ...ulidField, description: 'The crate check-in dropped the item into.' },
        reason: { type: 'string', enum: setAsideReasons, maxLength: 16 },
        transitReceived: {
          description: 'The item was expected here in transit and this scan received it.',
          type: 'boolean',
        },
        shelfExpiresOn: {
          ...dayField,
          description: 'For hold_here: the last day on the hold shelf.',
        },
      },
      required: ['route'],
    },
    updatedAt: { ...stampFields.updatedAt, final: true },
    deskId: { ...stampFields.deskId, final: true },
  },
  required: ['id', 'barcode', 'library', 'staff', 'scannedAt', 'outcome', ...stampRequired],
  indexes: ['scannedAt', ['barcode', 'scannedAt']],
} as const;

export type Checkin = DocumentOf<typeof checkinsSchemaLiteral>;
export type CheckinOutcome = Checkin['outcome'];
export type CheckinRoute = CheckinOutcome['route'];
export type SetAsideReason = NonNullable<CheckinOutcome['reason']>;
export const checkinsSchema: RxJsonSchema<Checkin> = checkinsSchemaLiteral;
