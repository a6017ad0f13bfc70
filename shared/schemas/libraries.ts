// Member libraries of the consortium. Written by the server only; every desk gets all of them
// (routing needs every library's prefixes and floating rules, slips need every name).
import type { RxJsonSchema } from 'rxdb';
import type { DocumentOf } from './fields.js';
import { libraryCodeField, stampFields, stampRequired } from './fields.js';

const librariesSchemaLiteral = {
  title: 'libraries',
  description: 'Member libraries of the consortium, keyed by their ILS library code.',
  version: 0,
  primaryKey: 'code',
  type: 'object',
  additionalProperties: false,
  properties: {
    code: libraryCodeField,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    barcodePrefixes: {
      description:
        'Item barcode prefixes assigned to this library (e.g. 33907); a barcode with one of ' +
        'them is owned here unless the item record names another owner (the record wins).',
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[!-~]+$' },
    },
    floatingRules: {
      description:
        "Where this library's items float: checked in at one of `libraries` they stay there " +
        '(their home becomes that library) instead of going home. With `callNumberPrefixes` ' +
        'only items whose call number starts with one of them float (a floating collection); ' +
        'empty means the whole collection. No libraries means nothing floats by library rule ' +
        '(an item can still float on its own `floating` flag).',
      type: 'object',
      additionalProperties: false,
      properties: {
        libraries: { type: 'array', uniqueItems: true, items: libraryCodeField },
        callNumberPrefixes: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 50 },
        },
      },
      required: ['libraries', 'callNumberPrefixes'],
    },
    barcodeRule: {
      description:
        "How this library's item barcodes are checked at a scan: allowed lengths (empty: any) " +
        'and the check digit (14-digit Codabar mod 10, or none). Applied to barcodes carrying ' +
        "one of this library's prefixes.",
      type: 'object',
      additionalProperties: false,
      properties: {
        lengths: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'integer', minimum: 1, maximum: 40 },
        },
        checkDigit: { type: 'string', enum: ['codabar-mod10', 'none'] },
      },
      required: ['lengths', 'checkDigit'],
    },
    localPickupFirst: {
      description:
        'When an item checked in here can fill several holds, a hold picked up here goes ' +
        'first (no courier trip), before older holds elsewhere.',
      type: 'boolean',
    },
    timeZone: {
      description: 'IANA time zone of the library (shelf expiry days, offline files, slips).',
      type: 'string',
      minLength: 1,
      maxLength: 64,
    },
    crateCapacity: {
      description: 'Items a courier crate holds before it is overfilled (the desk warns).',
      type: 'integer',
      minimum: 1,
      maximum: 1000,
    },
    holdShelfDays: {
      description: 'Days an item waits on the hold shelf before the hold expires.',
      type: 'integer',
      minimum: 1,
      maximum: 365,
    },
    courierStop: {
      description: "The courier route's stop code for this library; absent if not on a route.",
      type: 'string',
      minLength: 1,
      maxLength: 32,
    },
    ...stampFields,
  },
  required: [
    'code',
    'name',
    'barcodePrefixes',
    'barcodeRule',
    'floatingRules',
    'localPickupFirst',
    'timeZone',
    'crateCapacity',
    'holdShelfDays',
    ...stampRequired,
  ],
} as const;

export type Library = DocumentOf<typeof librariesSchemaLiteral>;
export const librariesSchema: RxJsonSchema<Library> = librariesSchemaLiteral;
