// One row per check-in scan, append-only: a row is written once, by the desk that scanned,
// and never changed (every field but `voidedAt` is `final`), so this collection never
// conflicts. `deskId` is therefore the scanning desk. The one later change is staff undoing
// their last scan, which sets `voidedAt` on the row, once, at the desk that wrote it.
//
// Version 1 added `clockOffsetMs`, `voidedAt` and `rerouteOf` (checkins.v0.ts is version 0).
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
  version: 1,
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
    clockOffsetMs: {
      description:
        "The server's clock minus the desk's (ms) as last measured when the scan was made: " +
        'a scan time read off a desk clock that was wrong can be corrected on the server.',
      type: 'integer',
      minimum: -1e12,
      maximum: 1e12,
      final: true,
    },
    rerouteOf: {
      ...ulidField,
      description:
        'Not a scan: the item was routed again because sync showed that the hold this ' +
        'earlier check-in captured it for had been filled by another copy first.',
      final: true,
    },
    voidedAt: {
      ...instantField,
      description: 'Staff undid this check-in (their last scan) at this time.',
    },
    updatedAt: stampFields.updatedAt,
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
