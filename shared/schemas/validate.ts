// Ajv validators built from the collection schemas exactly as RxDB uses them, for the server
// (every pushed row) and for any boundary that receives documents. The schemas are not
// copied or stripped: Ajv is taught RxDB's own keywords as annotations instead.
//
// Validation is strict: unknown properties are rejected (`additionalProperties: false` in
// every schema), types are never coerced ("5" is not a number), defaults are never filled
// in and nothing is removed, so a document either is valid as sent or is refused.
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { RxJsonSchema } from 'rxdb';
import { collectionSchemas } from './collections.js';
import type { DeskCollectionName, DeskDocuments } from './collections.js';

/**
 * Keywords RxDB adds to JSON Schema. They carry no validation rule for a single document
 * (`final` is about changes, `indexes` about storage), so Ajv treats them as annotations.
 */
export const rxdbSchemaKeywords = [
  'version',
  'primaryKey',
  'indexes',
  'internalIndexes',
  'keyCompression',
  'attachments',
  'encrypted',
  'final',
  'ref',
  'sharding',
  'crdt',
] as const;

/** A row as RxDB's replication protocol carries it: the document and its deleted flag. */
export type WithDeletedFlag<Doc> = Doc & { _deleted: boolean };

export interface DocumentValidatorOptions {
  /**
   * Also require RxDB's `_deleted` boolean, as documents arrive in a replication push
   * (`newDocumentState`, `assumedMasterState`). Nothing else RxDB-internal is accepted.
   */
  withDeletedFlag?: boolean;
}

let sharedAjv: Ajv | undefined;

function ajv(): Ajv {
  sharedAjv ??= new Ajv({
    strict: true,
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
  }).addVocabulary([...rxdbSchemaKeywords]);
  return sharedAjv;
}

/** Compiled validators by schema (and by whether `_deleted` is expected): compile once. */
const compiled = new WeakMap<
  object,
  { plain?: ValidateFunction; withDeleted?: ValidateFunction }
>();

function withDeletedFlag(schema: RxJsonSchema<unknown>): object {
  return {
    ...schema,
    properties: { ...schema.properties, _deleted: { type: 'boolean' } },
    required: [...(schema.required ?? []), '_deleted'],
  };
}

/** Compiles (once per schema) a validator for documents of any RxDB schema. */
export function compileDocumentValidator<Doc>(schema: RxJsonSchema<Doc>): ValidateFunction<Doc>;
export function compileDocumentValidator<Doc>(
  schema: RxJsonSchema<Doc>,
  options: DocumentValidatorOptions & { withDeletedFlag: true },
): ValidateFunction<WithDeletedFlag<Doc>>;
export function compileDocumentValidator<Doc>(
  schema: RxJsonSchema<Doc>,
  options: DocumentValidatorOptions = {},
): ValidateFunction<Doc> | ValidateFunction<WithDeletedFlag<Doc>> {
  const cached = compiled.get(schema) ?? {};
  compiled.set(schema, cached);
  if (options.withDeletedFlag === true) {
    cached.withDeleted ??= ajv().compile(withDeletedFlag(schema as RxJsonSchema<unknown>));
    return cached.withDeleted as ValidateFunction<WithDeletedFlag<Doc>>;
  }
  cached.plain ??= ajv().compile(schema);
  return cached.plain as ValidateFunction<Doc>;
}

/**
 * A validator for documents of one collection at its current schema. The function is a type
 * guard; after a `false` answer its `errors` say what is wrong (Ajv's `ErrorObject`s).
 */
export function createDocumentValidator<Name extends DeskCollectionName>(
  collection: Name,
): ValidateFunction<DeskDocuments[Name]>;
export function createDocumentValidator<Name extends DeskCollectionName>(
  collection: Name,
  options: DocumentValidatorOptions & { withDeletedFlag: true },
): ValidateFunction<WithDeletedFlag<DeskDocuments[Name]>>;
export function createDocumentValidator<Name extends DeskCollectionName>(
  collection: Name,
  options: DocumentValidatorOptions = {},
): ValidateFunction<DeskDocuments[Name]> | ValidateFunction<WithDeletedFlag<DeskDocuments[Name]>> {
  const schema: RxJsonSchema<DeskDocuments[Name]> = collectionSchemas[collection];
  return options.withDeletedFlag === true
    ? compileDocumentValidator(schema, { withDeletedFlag: true })
    : compileDocumentValidator(schema);
}
