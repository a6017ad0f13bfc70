import fc from 'fast-check';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import type { RxCollection, RxDatabase, RxStorage } from 'rxdb';
import { RxDBAttachmentsPlugin } from 'rxdb/plugins/attachments';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { ulid } from 'ulid';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compileDocumentValidator,
  createDocumentValidator,
  notesSchemaV1,
} from '../../../shared/index.js';
import type { NoteV1 } from '../../../shared/index.js';
import { createDeskDatabase } from '../desk-database.js';
import { getRxStorageSqlite } from '../sqlite/index.js';
import { migrateNoteToV1 } from './notes-001-tag-list.js';
import { migrateNoteToV2 } from './notes-002-conflict-of.js';

// Dev-mode checks schemas and migration strategies and makes RxDB validate every write
// against the schema (it insists on a validating storage), on top of our own checks below.
disableWarnings();
addRxPlugin(RxDBDevModePlugin);
addRxPlugin(RxDBAttachmentsPlugin);
// A collection above version 0 needs the migration plugin even where nothing is migrated.
addRxPlugin(RxDBMigrationSchemaPlugin);

const validateNoteV1 = compileDocumentValidator(notesSchemaV1);
const validateNoteV2 = createDocumentValidator('notes');

const deskId = '01JP9ZTDE0RPE2RC89KVWB27RG';

function noteV1(overrides: Partial<NoteV1> = {}): NoteV1 {
  return {
    id: ulid(),
    title: 'Receiving a crate',
    body: '# Receiving a crate\n\nScan the label first.',
    tags: ['courier', 'crates'],
    scope: 'consortium',
    author: 'A. Editor',
    revisionNumber: 4,
    updatedAt: '2025-06-02T10:15:00.000Z',
    deskId,
    ...overrides,
  };
}

describe('migrateNoteToV2', () => {
  const arbitraryNoteV1 = fc.record(
    {
      id: fc.ulid().map((id) => id.toUpperCase()),
      title: fc.string({ minLength: 1, maxLength: 200 }),
      body: fc.string({ maxLength: 2000 }),
      tags: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 50 }), { maxLength: 10 }),
      scope: fc.constantFrom('consortium' as const, 'library' as const),
      libraryCode: fc.constantFrom('MAIN', 'EAST'),
      author: fc.string({ minLength: 1, maxLength: 100 }),
      revisionNumber: fc.integer({ min: 1, max: 1_000_000_000 }),
      updatedAt: fc
        .date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
        .map((date) => date.toISOString()),
      deskId: fc.constant(deskId),
    },
    { requiredKeys: ['id', 'title', 'body', 'tags', 'scope', 'author', 'revisionNumber'] },
  );

  it('keeps every valid v1 note exactly as it was, and it is a valid v2 note', () => {
    fc.assert(
      fc.property(arbitraryNoteV1, (generated) => {
        const before = { updatedAt: '2025-01-01T00:00:00.000Z', deskId, ...generated } as NoteV1;
        expect(validateNoteV1(before), JSON.stringify(validateNoteV1.errors)).toBe(true);
        const copy = structuredClone(before);
        const after = migrateNoteToV2(copy);
        expect(after).toEqual(before);
        expect(after).not.toHaveProperty('conflictOf');
        expect(validateNoteV2(after), JSON.stringify(validateNoteV2.errors)).toBe(true);
      }),
    );
  });
});

/**
 * The migration on a real storage: build the v1 database, store notes, close it, reopen it
 * as the desk database (v2) and check every row. One suite per storage, like notes-001.
 */
function notesMigrationSuite<Internals, InstanceCreationOptions>(
  label: string,
  makeStorage: () => RxStorage<Internals, InstanceCreationOptions>,
): void {
  describe(`notes v1 -> v2 on the ${label} storage`, () => {
    const storage = (): RxStorage<Internals, InstanceCreationOptions> =>
      wrappedValidateAjvStorage({ storage: makeStorage() });

    /** The database as a desk released with notes v1 had it (only the notes collection). */
    async function openVersion1(
      name: string,
    ): Promise<RxDatabase<{ notes: RxCollection<NoteV1> }>> {
      const database = await createRxDatabase<{ notes: RxCollection<NoteV1> }>({
        name,
        storage: storage(),
        multiInstance: false,
      });
      // A collection at version 1 names its strategy to version 1, as that release did.
      await database.addCollections({
        notes: { schema: notesSchemaV1, migrationStrategies: { 1: migrateNoteToV1 } },
      });
      return database;
    }

    it('keeps every note, its attachments and deletions exactly as they were', async () => {
      const name = `notes-002-${label}-${ulid().toLowerCase()}`;
      // 450 notes span more than two of RxDB's migration batches (200).
      const notes: NoteV1[] = Array.from({ length: 450 }, (_, index) =>
        noteV1({
          title: `Procedure ${index}`,
          tags: index % 3 === 0 ? [] : [`step ${index % 7}`, 'all'],
          revisionNumber: 1 + (index % 5),
        }),
      );
      const libraryNote = noteV1({
        title: 'Our courier day',
        tags: ['courier', 'tuesday'],
        scope: 'library',
        libraryCode: 'MAIN',
      });
      const withAttachment = noteV1({ title: 'Crate label', tags: ['labels'] });
      notes.push(libraryNote, withAttachment);
      const deletedNote = noteV1({ title: 'Withdrawn procedure', tags: ['old'] });
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);

      const v1 = await openVersion1(name);
      try {
        await v1.notes.bulkInsert([
          ...notes.filter((note) => note !== withAttachment),
          deletedNote,
        ]);
        const stored = await v1.notes.insert(withAttachment);
        await stored.putAttachment({
          id: 'crate-label.png',
          data: new Blob([png], { type: 'image/png' }),
          type: 'image/png',
        });
        const toDelete = await v1.notes.findOne(deletedNote.id).exec();
        await toDelete?.remove();
        expect(await v1.notes.count().exec()).toBe(notes.length);
      } finally {
        await v1.close();
      }

      const desk = await createDeskDatabase({ name, storage: storage() });
      try {
        expect(desk.notes.schema.version).toBe(2);
        const migrated = await desk.notes.find().exec();
        expect(migrated).toHaveLength(notes.length);
        const byId = new Map(migrated.map((doc) => [doc.id, doc.toJSON()]));
        for (const before of notes) {
          // Everything as it was, updatedAt and deskId too (not an edit), and no link.
          const after = byId.get(before.id);
          expect(after).toEqual(before);
          expect(validateNoteV2(after), JSON.stringify(validateNoteV2.errors)).toBe(true);
        }

        const noteWithPng = migrated.find((doc) => doc.id === withAttachment.id);
        const attachment = noteWithPng?.getAttachment('crate-label.png') ?? null;
        if (attachment === null) throw new Error('the attachment did not survive the migration');
        expect(attachment.type).toBe('image/png');
        const data = await attachment.getData();
        expect(new Uint8Array(await data.arrayBuffer())).toEqual(png);

        // A deletion not yet pushed to the server must still reach it: the tombstone stays.
        expect(await desk.notes.findOne(deletedNote.id).exec()).toBeNull();
        const [tombstone] = await desk.notes.storageInstance.findDocumentsById(
          [deletedNote.id],
          true,
        );
        expect(tombstone).toMatchObject({ _deleted: true, title: 'Withdrawn procedure' });

        // The migrated collection takes a conflict copy, which v1 could not hold.
        const copy = noteV1({
          title: 'Receiving a crate (conflict copy)',
          revisionNumber: 1,
          conflictOf: notes[0]!.id,
        } as Partial<NoteV1>);
        await desk.notes.insert(copy);
        expect((await desk.notes.findOne(copy.id).exec())?.conflictOf).toBe(notes[0]!.id);
      } finally {
        await desk.close();
      }

      // Opening again finds nothing left to migrate and the same notes.
      const again = await createDeskDatabase({ name, storage: storage() });
      try {
        expect(await again.notes.migrationNeeded()).toBe(false);
        expect(await again.notes.count().exec()).toBe(notes.length + 1);
      } finally {
        await again.remove();
      }
    });

    it('opens an empty v1 database as v2', async () => {
      const name = `notes-002-empty-${label}-${ulid().toLowerCase()}`;
      const v1 = await openVersion1(name);
      await v1.close();
      const desk = await createDeskDatabase({ name, storage: storage() });
      try {
        expect(await desk.notes.count().exec()).toBe(0);
        expect(desk.notes.schema.version).toBe(2);
      } finally {
        await desk.remove();
      }
    });
  });
}

notesMigrationSuite('memory', () => getRxStorageMemory());

const sqliteDirectory = mkdtempSync(join(tmpdir(), 'carrel-migration-'));
afterAll(() => rmSync(sqliteDirectory, { recursive: true, force: true }));
notesMigrationSuite('sqlite', () => getRxStorageSqlite({ directory: sqliteDirectory }));
