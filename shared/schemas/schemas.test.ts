import { checkSchema } from 'rxdb/plugins/dev-mode';
import type { RxJsonSchema } from 'rxdb';
import { describe, expect, it } from 'vitest';
import {
  checkinsSchemaV0,
  collectionSchemas,
  compileDocumentValidator,
  createDocumentValidator,
  deskCollectionNames,
  notesSchemaV0,
  notesSchemaV1,
} from './index.js';
import type { DeskCollectionName, NoteV0, NoteV1 } from './index.js';
import { sampleDocuments } from './sample-documents.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy of a sample as a plain JSON object, free to mutate. */
function sampleOf(name: DeskCollectionName): JsonObject {
  return structuredClone(sampleDocuments[name]);
}

/** Every sub-schema that describes an object (the root, nested objects, array items). */
function objectSchemas(schema: unknown, path = '$'): { path: string; schema: JsonObject }[] {
  if (!isObject(schema)) return [];
  const found: { path: string; schema: JsonObject }[] = [];
  if (schema['type'] === 'object') found.push({ path, schema });
  const properties = schema['properties'];
  if (isObject(properties)) {
    for (const [key, value] of Object.entries(properties)) {
      found.push(...objectSchemas(value, `${path}.${key}`));
    }
  }
  found.push(...objectSchemas(schema['items'], `${path}[]`));
  return found;
}

/** JSON with keys sorted at every level, so the hash ignores key order only. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** What DESIGN.md's Data table says about keys, and where each collection's versions stand. */
const expected: Record<DeskCollectionName, { primaryKey: string; version: number }> = {
  libraries: { primaryKey: 'code', version: 0 },
  items: { primaryKey: 'barcode', version: 0 },
  holds: { primaryKey: 'id', version: 0 },
  checkins: { primaryKey: 'id', version: 1 },
  crates: { primaryKey: 'id', version: 0 },
  crateScans: { primaryKey: 'id', version: 0 },
  notes: { primaryKey: 'id', version: 2 },
  noteRevisions: { primaryKey: 'id', version: 0 },
};

/**
 * Each schema as released, pinned. A desk that stored data under a schema refuses to open it
 * again if the schema changed without a version bump (RxDB error DB6). If this fails: bump
 * the version, add a numbered migration in main/store/migrations/ with its test, freeze the
 * previous version beside the schema (like notes.v0.ts), then pin the new hash here.
 */
const pinnedSchemaHashes: Record<DeskCollectionName, { version: number; sha256: string }> = {
  libraries: {
    version: 0,
    sha256: '4a4a6091e7db67f315d7c4fd3dd5c274a1dde1573d620369c3be610a47c7c046',
  },
  items: {
    version: 0,
    sha256: 'c98967280938c3be03ec79a9e88518146397a962e71b1c9c93f87c24da78b334',
  },
  holds: {
    version: 0,
    sha256: '812a11f91e9b90780561593344836d96a1a675285614da85151e17aed086cd1a',
  },
  checkins: {
    version: 1,
    sha256: '52b1095ee47b1245f72c36e7b95ec5f8ff1d3dbe53289b5a039233e18da1a680',
  },
  crates: {
    version: 0,
    sha256: '884a6fbc30157519e2fd48fc803b360fa32b65a0560b3fec1e29c0b1908895d4',
  },
  crateScans: {
    version: 0,
    sha256: '2d2841e598c657dfeeca70c85b097b0ed57084834a41545d981fa44eab7ec121',
  },
  notes: {
    version: 2,
    sha256: 'ee9b0f2bdb7ee43ed50d1b2e0a202bcdd7d905dd0a4886cd086076d9f3644943',
  },
  noteRevisions: {
    version: 0,
    sha256: '0bb8b26b92dfd9a20742f250249584ac81c27482991914c519db7ec2a105e3dd',
  },
};

/** Per collection, one field set to a value of the wrong JSON type that coercion would fix. */
const wrongTypes: Record<DeskCollectionName, (doc: JsonObject) => void> = {
  libraries: (doc) => void (doc['holdShelfDays'] = '7'),
  items: (doc) => void (doc['floating'] = 'false'),
  holds: (doc) => void (doc['bibId'] = 1234567),
  checkins: (doc) => void (doc['outcome'] = 'hold_transit'),
  crates: (doc) => void ((doc['counts'] as JsonObject)['packed'] = '0'),
  crateScans: (doc) => void (doc['barcode'] = 33907000517861),
  notes: (doc) => void (doc['revisionNumber'] = '3'),
  noteRevisions: (doc) => void (doc['revisionNumber'] = '3'),
};

describe.each(deskCollectionNames)('the %s schema', (name) => {
  const schema = collectionSchemas[name] as RxJsonSchema<unknown>;
  const validate = createDocumentValidator(name);

  it("passes RxDB's dev-mode schema check", () => {
    expect(() => checkSchema(schema)).not.toThrow();
  });

  it('has the primary key and version the design says', () => {
    expect(schema.primaryKey).toBe(expected[name].primaryKey);
    expect(schema.version).toBe(expected[name].version);
    if (expected[name].primaryKey === 'id') {
      expect(schema.properties).toMatchObject({ id: { minLength: 26, maxLength: 26 } });
    }
  });

  it('is unchanged since its version was released', async () => {
    expect({ version: schema.version, sha256: await sha256(canonicalJson(schema)) }).toEqual(
      pinnedSchemaHashes[name],
    );
  });

  it('closes every object to unknown properties and encrypts nothing', () => {
    for (const { path, schema: objectSchema } of objectSchemas(schema)) {
      expect(objectSchema['additionalProperties'], path).toBe(false);
    }
    expect(schema).not.toHaveProperty('encrypted');
  });

  it('stamps every document with updatedAt and the writing desk', () => {
    expect(schema.required).toEqual(expect.arrayContaining(['updatedAt', 'deskId']));
  });

  it('accepts the sample document', () => {
    const doc = sampleOf(name);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects an unknown property', () => {
    const doc = { ...sampleOf(name), shelvingNotes: 'extra' };
    expect(validate(doc)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        keyword: 'additionalProperties',
        params: { additionalProperty: 'shelvingNotes' },
      }),
    );
  });

  it('rejects a value of the wrong type without coercing it', () => {
    const doc = sampleOf(name);
    wrongTypes[name](doc);
    const before = structuredClone(doc);
    expect(validate(doc)).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ keyword: 'type' }));
    expect(doc).toEqual(before);
  });

  it.each(schema.required ?? [])('rejects a document missing %s', (field) => {
    const doc = sampleOf(name);
    delete doc[field];
    expect(validate(doc)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ keyword: 'required', params: { missingProperty: field } }),
    );
  });

  it('takes the deleted flag of replicated rows only when asked, and nothing else internal', () => {
    const validateRow = createDocumentValidator(name, { withDeletedFlag: true });
    expect(validateRow({ ...sampleOf(name), _deleted: false })).toBe(true);
    expect(validateRow(sampleOf(name))).toBe(false);
    expect(validateRow({ ...sampleOf(name), _deleted: 'false' })).toBe(false);
    expect(validateRow({ ...sampleOf(name), _deleted: true, _meta: { lwt: 1 } })).toBe(false);
    expect(validate({ ...sampleOf(name), _deleted: false })).toBe(false);
  });
});

describe('the holds schema and patron privacy', () => {
  it('holds no patron data but an opaque reference and the shelf name', () => {
    expect(Object.keys(collectionSchemas.holds.properties).sort()).toEqual(
      [
        'id',
        'bibId',
        'itemBarcode',
        'patronRef',
        'shelfName',
        'pickupLibrary',
        'pullLibrary',
        'status',
        'requestedAt',
        'capturedAt',
        'shelvedAt',
        'expiresOn',
        'capturedItemBarcode',
        'updatedAt',
        'deskId',
      ].sort(),
    );
  });
});

describe('field formats', () => {
  const validateHold = createDocumentValidator('holds');
  const hold = (changes: JsonObject): JsonObject => ({ ...sampleOf('holds'), ...changes });

  it.each([
    ['an id that is not a ULID', { id: '01JP9ZTED86SJKPHXSJ8VRGD4' }],
    ['a lower-case ULID', { id: '01jp9zted86sjkphxsj8vrgd4t' }],
    ['a ULID with a letter Crockford leaves out', { id: '01JP9ZTED86SJKPHXSJ8VRGD4U' }],
    ['an instant with an offset', { requestedAt: '2025-03-10T14:02:11.000+01:00' }],
    ['an instant without milliseconds', { requestedAt: '2025-03-10T14:02:11Z' }],
    ['a day with a time', { expiresOn: '2025-03-21T00:00:00.000Z' }],
    ['a desk id that is neither a ULID nor the server', { deskId: 'desk-1' }],
    ['a status outside the hold states', { status: 'picked_up' }],
    ['a barcode with a space', { capturedItemBarcode: '33907 000517861' }],
  ])('rejects %s', (_label, changes) => {
    expect(validateHold(hold(changes))).toBe(false);
  });

  it('accepts a title-level hold on the shelf, and one whose patron data was dropped', () => {
    expect(validateHold(hold({ status: 'on_shelf', expiresOn: '2025-03-21' }))).toBe(true);
    const done = hold({ status: 'fulfilled' });
    delete done['patronRef'];
    delete done['shelfName'];
    expect(validateHold(done)).toBe(true);
  });
});

describe('the frozen notes v0 schema', () => {
  const noteV0: NoteV0 = {
    id: '01JP9ZTJA87S9FZ0CF48FFAD7Y',
    title: 'Receiving a crate',
    body: 'Scan the label first.',
    tags: 'Courier, crates',
    scope: 'library',
    libraryCode: 'MAIN',
    author: 'A. Editor',
    updatedAt: '2025-03-14T09:30:00.000Z',
    deskId: '01JP9ZTDE0RPE2RC89KVWB27RG',
  };

  it("passes RxDB's dev-mode schema check and is exactly what desks stored at version 0", async () => {
    expect(() => checkSchema(notesSchemaV0 as RxJsonSchema<unknown>)).not.toThrow();
    expect({
      version: notesSchemaV0.version,
      sha256: await sha256(canonicalJson(notesSchemaV0)),
    }).toEqual({
      version: 0,
      sha256: '73940dc9e9e15e6efb2555f56518d3f6ff9fcfb400b49783fdda2f59683ba5b8',
    });
  });

  it('validates v0 documents, which the current schema refuses', () => {
    expect(compileDocumentValidator(notesSchemaV0)(noteV0)).toBe(true);
    expect(createDocumentValidator('notes')(noteV0)).toBe(false);
  });
});

describe('the frozen notes v1 schema', () => {
  const noteV1: NoteV1 = {
    id: '01JP9ZTJA87S9FZ0CF48FFAD7Y',
    title: 'Receiving a crate',
    body: 'Scan the label first.',
    tags: ['courier', 'crates'],
    scope: 'library',
    libraryCode: 'MAIN',
    author: 'A. Editor',
    revisionNumber: 2,
    updatedAt: '2025-03-14T09:30:00.000Z',
    deskId: '01JP9ZTDE0RPE2RC89KVWB27RG',
  };

  it("passes RxDB's dev-mode schema check and is exactly what desks stored at version 1", async () => {
    expect(() => checkSchema(notesSchemaV1 as RxJsonSchema<unknown>)).not.toThrow();
    expect({
      version: notesSchemaV1.version,
      sha256: await sha256(canonicalJson(notesSchemaV1)),
    }).toEqual({
      // The hash pinned for notes while version 1 was current.
      version: 1,
      sha256: 'f0036d43826a23c45239e2b888dc21113089f6ba2f417f86a14ed0abaec6e3d1',
    });
  });

  it('validates v1 documents, which stay valid under the current schema, and no conflictOf', () => {
    const validateV1 = compileDocumentValidator(notesSchemaV1);
    expect(validateV1(noteV1)).toBe(true);
    expect(createDocumentValidator('notes')(noteV1)).toBe(true);
    expect(validateV1({ ...noteV1, conflictOf: '01JP9ZTJA87S9FZ0CF48FFAD7Z' })).toBe(false);
  });
});

describe('the noteRevisions schema', () => {
  it('makes every field final: a saved revision is never changed', () => {
    for (const [field, definition] of Object.entries(collectionSchemas.noteRevisions.properties)) {
      if (field === 'id') continue; // the primary key is final by nature
      expect(definition, field).toMatchObject({ final: true });
    }
  });

  it('takes a conflict copy link on notes only as a ULID', () => {
    const validate = createDocumentValidator('notes');
    const note = { ...sampleDocuments.notes, conflictOf: '01JP9ZTJA87S9FZ0CF48FFAD7Z' };
    expect(validate(note)).toBe(true);
    expect(validate({ ...note, conflictOf: 'not-a-note' })).toBe(false);
  });
});

describe('the frozen checkins v0 schema', () => {
  it("passes RxDB's dev-mode schema check and is exactly what desks stored at version 0", async () => {
    expect(() => checkSchema(checkinsSchemaV0 as RxJsonSchema<unknown>)).not.toThrow();
    expect({
      version: checkinsSchemaV0.version,
      sha256: await sha256(canonicalJson(checkinsSchemaV0)),
    }).toEqual({
      // The hash pinned for checkins while version 0 was current.
      version: 0,
      sha256: 'ffbe8518272053f3f51629965a25cf569294f89bfda57f15aec68e494fdecac8',
    });
  });

  it('its documents stay valid under the current schema', () => {
    const sample = sampleDocuments.checkins;
    expect(compileDocumentValidator(checkinsSchemaV0)(sample)).toBe(true);
    expect(createDocumentValidator('checkins')(sample)).toBe(true);
  });
});
