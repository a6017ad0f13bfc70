import fc from 'fast-check';
import { addRxPlugin, createRxDatabase } from 'rxdb';
import type { RxCollection, RxDatabase, RxStorage } from 'rxdb';
import { RxDBAttachmentsPlugin } from 'rxdb/plugins/attachments';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { ulid } from 'ulid';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectionSchemas,
  compileDocumentValidator,
  createDocumentValidator,
  notesSchemaV0,
  notesSchemaV1,
} from '../../../shared/index.js';
import type { NoteV0 } from '../../../shared/index.js';
import { createDeskDatabase } from '../desk-database.js';
import { getRxStorageSqlite } from '../sqlite/index.js';
import { migrateNoteToV1, tagListFromText } from './notes-001-tag-list.js';

// Dev-mode checks schemas and migration strategies and makes RxDB validate every write
// against the schema (it insists on a validating storage), on top of our own checks below.
disableWarnings();
addRxPlugin(RxDBDevModePlugin);
addRxPlugin(RxDBAttachmentsPlugin);

const validateNoteV0 = compileDocumentValidator(notesSchemaV0);
const validateNoteV1 = compileDocumentValidator(notesSchemaV1);
/** The desk opens v0 data at the current notes version: v0 -> v1 here, then later steps. */
const validateNote = createDocumentValidator('notes');

const deskId = '01JP9ZTDE0RPE2RC89KVWB27RG';

function noteV0(overrides: Partial<NoteV0> = {}): NoteV0 {
  return {
    id: ulid(),
    title: 'Receiving a crate',
    body: '# Receiving a crate\n\nScan the label first.',
    tags: 'Courier, crates',
    scope: 'consortium',
    author: 'A. Editor',
    updatedAt: '2025-03-14T09:30:00.000Z',
    deskId,
    ...overrides,
  };
}

describe('tagListFromText', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['   ', []],
    [',,, ,', []],
    ['holds', ['holds']],
    ['Holds, courier ,holds', ['holds', 'courier']],
    ['  Hold Shelf ,  CLEAR-SHELF,hold shelf', ['hold shelf', 'clear-shelf']],
    ['Koha;offline', ['koha;offline']],
    ['Ärger, ärger, Straße', ['ärger', 'straße']],
    ['İstanbul', ['i̇stanbul']],
  ])('turns %j into %j', (text, tags) => {
    expect(tagListFromText(text)).toEqual(tags);
  });
});

describe('migrateNoteToV1', () => {
  const arbitraryNoteV0 = fc.record({
    id: fc.ulid().map((id) => id.toUpperCase()),
    title: fc.string({ minLength: 1, maxLength: 200 }),
    body: fc.string({ maxLength: 2000 }),
    tags: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc.constant('İ'.repeat(500)),
      fc
        .array(fc.oneof(fc.constantFrom('Holds', ' holds ', 'COURIER', ''), fc.string()), {
          maxLength: 20,
        })
        .map((pieces) => pieces.join(',').slice(0, 500)),
    ),
    scope: fc.constantFrom('consortium' as const, 'library' as const),
    author: fc.string({ minLength: 1, maxLength: 100 }),
    updatedAt: fc
      .date({ min: new Date('2020-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString()),
    deskId: fc.constant(deskId),
  });

  it('turns every valid v0 note into a valid v1 note with the same content', () => {
    fc.assert(
      fc.property(arbitraryNoteV0, (before) => {
        expect(validateNoteV0(before), JSON.stringify(validateNoteV0.errors)).toBe(true);
        const after = migrateNoteToV1(before);
        expect(validateNoteV1(after), JSON.stringify(validateNoteV1.errors)).toBe(true);
        const { tags, revisionNumber, ...restAfter } = after;
        expect(restAfter).toEqual({ ...before, tags: undefined });
        expect(revisionNumber).toBe(1);
        // Normalised: migrating the list again as text changes nothing.
        expect(tagListFromText(tags.join(','))).toEqual(tags);
        // Nothing typed is lost but case, spaces around commas and repeats.
        for (const piece of before.tags.split(',')) {
          if (piece.trim() !== '') expect(tags).toContain(piece.trim().toLowerCase());
        }
      }),
    );
  });
});

/**
 * The migration on a real storage: build the v0 database, store notes, close it, reopen it
 * as the desk database (the current version, through every later step too) and check every
 * row. One suite per storage; the app's storage
 * is added with one more call at the bottom.
 */
function notesMigrationSuite<Internals, InstanceCreationOptions>(
  label: string,
  makeStorage: () => RxStorage<Internals, InstanceCreationOptions>,
): void {
  describe(`notes v0 -> v1 (-> current) on the ${label} storage`, () => {
    const storage = (): RxStorage<Internals, InstanceCreationOptions> =>
      wrappedValidateAjvStorage({ storage: makeStorage() });

    /** The database as a desk released with notes v0 had it (only the notes collection). */
    async function openVersion0(
      name: string,
    ): Promise<RxDatabase<{ notes: RxCollection<NoteV0> }>> {
      const database = await createRxDatabase<{ notes: RxCollection<NoteV0> }>({
        name,
        storage: storage(),
        multiInstance: false,
      });
      await database.addCollections({ notes: { schema: notesSchemaV0 } });
      return database;
    }

    it('keeps, converts and re-validates every note, with its attachments', async () => {
      const name = `notes-001-${label}-${ulid().toLowerCase()}`;
      // Each v0 note with the tags it must have after the migration, stated independently of
      // the migration code. 450 notes span more than two of RxDB's migration batches (200).
      const cases: [NoteV0, string[]][] = Array.from({ length: 450 }, (_, index) =>
        index % 3 === 0
          ? [noteV0({ title: `Procedure ${index}`, tags: '' }), []]
          : [
              noteV0({ title: `Procedure ${index}`, tags: `Step ${index % 7}, ALL,all ` }),
              [`step ${index % 7}`, 'all'],
            ],
      );
      const withAttachment = noteV0({ title: 'Crate label', tags: 'Labels,labels' });
      const libraryNote = noteV0({
        title: 'Our courier day',
        tags: ' Courier ,  Tuesday ',
        scope: 'library',
        libraryCode: 'MAIN',
      });
      cases.push([withAttachment, ['labels']], [libraryNote, ['courier', 'tuesday']]);
      const deletedNote = noteV0({ title: 'Withdrawn procedure', tags: 'old' });
      const pdf = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0, 255]);

      const v0 = await openVersion0(name);
      try {
        await v0.notes.bulkInsert(
          [...cases.map(([note]) => note), deletedNote].filter((note) => note !== withAttachment),
        );
        const stored = await v0.notes.insert(withAttachment);
        await stored.putAttachment({
          id: 'crate-label.pdf',
          data: new Blob([pdf], { type: 'application/pdf' }),
          type: 'application/pdf',
        });
        const toDelete = await v0.notes.findOne(deletedNote.id).exec();
        await toDelete?.remove();
        expect(await v0.notes.count().exec()).toBe(cases.length);
      } finally {
        await v0.close();
      }

      const desk = await createDeskDatabase({ name, storage: storage() });
      try {
        const migrated = await desk.notes.find().exec();
        expect(migrated).toHaveLength(cases.length);
        const byId = new Map(migrated.map((doc) => [doc.id, doc.toJSON()]));
        for (const [before, tags] of cases) {
          const after = byId.get(before.id);
          // Everything but the tags as it was (updatedAt and deskId too: not an edit).
          expect(after).toEqual({ ...before, tags, revisionNumber: 1 });
          expect(validateNote(after), JSON.stringify(validateNote.errors)).toBe(true);
        }

        const noteWithPdf = migrated.find((doc) => doc.id === withAttachment.id);
        const attachment = noteWithPdf?.getAttachment('crate-label.pdf') ?? null;
        if (attachment === null) throw new Error('the attachment did not survive the migration');
        expect(attachment.type).toBe('application/pdf');
        const data = await attachment.getData();
        expect(new Uint8Array(await data.arrayBuffer())).toEqual(pdf);

        // A note deleted before the upgrade stays deleted, and its tombstone is migrated too:
        // a deletion not yet pushed to the server must still reach it.
        expect(await desk.notes.findOne(deletedNote.id).exec()).toBeNull();
        const [tombstone] = await desk.notes.storageInstance.findDocumentsById(
          [deletedNote.id],
          true,
        );
        expect(tombstone).toMatchObject({ _deleted: true, tags: ['old'], revisionNumber: 1 });

        // The migrated collection takes writes of v1 shape, and the other collections are there.
        await desk.notes.insert({
          id: ulid(),
          title: 'Clearing the hold shelf',
          body: '',
          tags: ['holds'],
          scope: 'library',
          libraryCode: 'MAIN',
          author: 'B. Staff',
          revisionNumber: 1,
          updatedAt: '2025-03-15T08:00:00.000Z',
          deskId,
        });
        expect(await desk.notes.count().exec()).toBe(cases.length + 1);
        expect(await desk.holds.count().exec()).toBe(0);
      } finally {
        await desk.close();
      }

      // Opening again finds nothing left to migrate and the same notes.
      const again = await createDeskDatabase({ name, storage: storage() });
      try {
        expect(await again.notes.migrationNeeded()).toBe(false);
        expect(await again.notes.count().exec()).toBe(cases.length + 1);
      } finally {
        await again.remove();
      }
    });

    it('opens an empty v0 database at the current version', async () => {
      const name = `notes-001-empty-${label}-${ulid().toLowerCase()}`;
      const v0 = await openVersion0(name);
      await v0.close();
      const desk = await createDeskDatabase({ name, storage: storage() });
      try {
        expect(await desk.notes.count().exec()).toBe(0);
        expect(desk.notes.schema.version).toBe(collectionSchemas.notes.version);
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
