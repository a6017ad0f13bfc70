// Field fragments shared by the collection schemas, and the helper that derives a document's
// TypeScript type from its schema literal. Every fragment is `as const` so that spreading it
// into a schema literal keeps its literal types (enums become unions, `required` stays a tuple).
//
// Limits matter twice: RxDB needs `maxLength` on every string it indexes, and the server
// validates pushed rows with the same schema, so a limit here is also the wire contract.
//
// Changing a fragment changes every schema that spreads it. RxDB refuses to open a collection
// whose schema changed under the same version (error DB6 on every desk that has data), so a
// change here means a version bump and a migration for each schema affected; the pinned
// schema hashes in schemas.test.ts fail until that is done. Frozen past versions
// (notes.v0.ts) spell their fields out and do not use these fragments.
import type { ExtractDocumentTypeFromTypedRxJsonSchema, toTypedRxJsonSchema } from 'rxdb';

/** What `toTypedRxJsonSchema` accepts: a deep-readonly RxJsonSchema literal. */
export type SchemaLiteral = Parameters<typeof toTypedRxJsonSchema>[0];

/**
 * The document type a schema literal describes, derived with rxdb's own helpers at the type
 * level only, so shared/ carries no runtime rxdb code into the renderer.
 */
export type DocumentOf<Schema extends SchemaLiteral> = ExtractDocumentTypeFromTypedRxJsonSchema<
  ReturnType<typeof toTypedRxJsonSchema<Schema>>
>;

/** A ULID: 26 characters of Crockford base32, upper case (what the `ulid` package makes). */
export const ulidField = {
  type: 'string',
  minLength: 26,
  maxLength: 26,
  pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
} as const;

/**
 * An instant as `Date.prototype.toISOString()` writes it, always UTC with milliseconds
 * (`2025-03-14T09:30:00.000Z`). The fixed width makes string order equal time order, which
 * the indexes and the sync checkpoint rely on; the pattern rejects offsets and short forms
 * that would break that.
 */
export const instantField = {
  type: 'string',
  minLength: 24,
  maxLength: 24,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
} as const;

/** A calendar day at the library (`2025-03-14`), for things that end on a day, not an instant. */
export const dayField = {
  type: 'string',
  minLength: 10,
  maxLength: 10,
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
} as const;

/** A member library's code as the ILS knows it (Symphony library, Koha branch code). */
export const libraryCodeField = {
  type: 'string',
  minLength: 1,
  maxLength: 20,
  pattern: '^[A-Za-z0-9_.-]+$',
} as const;

/**
 * An item or crate-label barcode: printable ASCII without spaces. Not every library uses
 * 14-digit Codabar, so the check-digit rule is applied by the desk per library, not here.
 */
export const barcodeField = {
  type: 'string',
  minLength: 1,
  maxLength: 40,
  pattern: '^[!-~]+$',
} as const;

/** A bibliographic record id in the ILS (title-level holds and pull lists group by it). */
export const bibIdField = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** Who was at the desk: the staff login or initials the library uses, never a patron. */
export const staffField = { type: 'string', minLength: 1, maxLength: 64 } as const;

/** The desk id for rows the consortium server writes itself (ILS import, hold creation). */
export const SERVER_DESK_ID = 'server';

/**
 * Every document says when and by whom it was last written. `deskId` is the ULID the desk
 * got at enrolment, or `server` for rows the consortium server wrote (ILS imports).
 * `updatedAt` is the writer's clock at the write: informative, not an ordering authority
 * (RxDB orders its own changes by `_meta.lwt`).
 */
export const stampFields = {
  updatedAt: instantField,
  deskId: {
    type: 'string',
    minLength: 6,
    maxLength: 26,
    pattern: '^([0-9A-HJKMNP-TV-Z]{26}|server)$',
  },
} as const;

/** The `required` entries for {@link stampFields}. */
export const stampRequired = ['updatedAt', 'deskId'] as const;
