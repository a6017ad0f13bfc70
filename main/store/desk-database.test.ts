import { addRxPlugin, createRxDatabase } from 'rxdb';
import type { RxJsonSchema } from 'rxdb';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { collectionSchemas, deskCollectionNames } from '../../shared/index.js';
import type { Item } from '../../shared/index.js';
import { sampleDocuments } from '../../shared/schemas/sample-documents.js';
import { createDeskDatabase } from './index.js';

// Dev-mode re-checks every schema and validates every write against it.
disableWarnings();
addRxPlugin(RxDBDevModePlugin);

/** RxDB's memory storage, validating every write as dev-mode requires. */
const memoryStorage = () => wrappedValidateAjvStorage({ storage: getRxStorageMemory() });

function databaseName(): string {
  return `desk-${ulid().toLowerCase()}`;
}

describe('createDeskDatabase', () => {
  it('opens every collection at its current schema and stores a document in each', async () => {
    const desk = await createDeskDatabase({ name: databaseName(), storage: memoryStorage() });
    try {
      expect(Object.keys(desk.collections).sort()).toEqual([...deskCollectionNames].sort());
      for (const name of deskCollectionNames) {
        expect(desk.collections[name].schema.version).toBe(collectionSchemas[name].version);
      }
      await desk.libraries.insert(sampleDocuments.libraries);
      await desk.items.insert(sampleDocuments.items);
      await desk.holds.insert(sampleDocuments.holds);
      await desk.checkins.insert(sampleDocuments.checkins);
      await desk.crates.insert(sampleDocuments.crates);
      await desk.crateScans.insert(sampleDocuments.crateScans);
      await desk.notes.insert(sampleDocuments.notes);

      // The desk's own queries, on the indexes made for them.
      const captured = await desk.holds
        .find({ selector: { status: 'captured', pickupLibrary: 'EAST' } })
        .exec();
      expect(captured.map((hold) => hold.id)).toEqual([sampleDocuments.holds.id]);
      const inCrate = await desk.crateScans
        .find({ selector: { crateId: sampleDocuments.crates.id }, sort: [{ scannedAt: 'asc' }] })
        .exec();
      expect(inCrate).toHaveLength(1);
      const owned = await desk.items.find({ selector: { owner: 'MAIN' } }).exec();
      expect(owned.map((item) => item.barcode)).toEqual([sampleDocuments.items.barcode]);
    } finally {
      await desk.remove();
    }
  });

  it('refuses a document its schema does not allow', async () => {
    const desk = await createDeskDatabase({ name: databaseName(), storage: memoryStorage() });
    try {
      const item = { ...sampleDocuments.items, status: 'borrowed' } as unknown as Item;
      await expect(desk.items.insert(item)).rejects.toThrow();
    } finally {
      await desk.remove();
    }
  });

  it('keeps data across close and reopen', async () => {
    const name = databaseName();
    const first = await createDeskDatabase({ name, storage: memoryStorage() });
    try {
      await first.checkins.insert(sampleDocuments.checkins);
    } finally {
      await first.close();
    }
    const second = await createDeskDatabase({ name, storage: memoryStorage() });
    try {
      const checkin = await second.checkins.findOne(sampleDocuments.checkins.id).exec();
      expect(checkin?.toJSON()).toEqual(sampleDocuments.checkins);
    } finally {
      await second.remove();
    }
  });

  it('fails on a second open of the same database unless asked to close the first', async () => {
    const name = databaseName();
    const first = await createDeskDatabase({ name, storage: memoryStorage() });
    try {
      await expect(createDeskDatabase({ name, storage: memoryStorage() })).rejects.toMatchObject({
        code: 'DB8',
      });
      const second = await createDeskDatabase({
        name,
        storage: memoryStorage(),
        closeDuplicates: true,
      });
      try {
        expect(first.closed).toBe(true);
        expect(second.closed).toBe(false);
      } finally {
        await second.remove();
      }
    } finally {
      await first.close();
    }
  });

  it('rejects, closed again, when stored data has a schema changed without a version bump', async () => {
    const name = databaseName();
    const changedItems = {
      ...collectionSchemas.items,
      properties: { ...collectionSchemas.items.properties, shelf: { type: 'string' } },
    } as RxJsonSchema<unknown>;
    const older = await createRxDatabase({ name, storage: memoryStorage(), multiInstance: false });
    await older.addCollections({ items: { schema: changedItems } });
    await older.close();

    await expect(createDeskDatabase({ name, storage: memoryStorage() })).rejects.toMatchObject({
      code: 'DB6',
    });
    // Not DB8 the second time: the failed attempt did not leave its database open.
    await expect(createDeskDatabase({ name, storage: memoryStorage() })).rejects.toMatchObject({
      code: 'DB6',
    });
  });
});
