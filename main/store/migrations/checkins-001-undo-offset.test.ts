import { addRxPlugin, createRxDatabase } from 'rxdb';
import type { RxCollection, RxDatabase } from 'rxdb';
import { RxDBDevModePlugin, disableWarnings } from 'rxdb/plugins/dev-mode';
import { RxDBMigrationSchemaPlugin } from 'rxdb/plugins/migration-schema';
import { wrappedValidateAjvStorage } from 'rxdb/plugins/validate-ajv';
import { ulid } from 'ulid';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkinsSchemaV0, createDocumentValidator } from '../../../shared/index.js';
import type { CheckinV0 } from '../../../shared/index.js';
import { createDeskDatabase } from '../desk-database.js';
import { getRxStorageSqlite } from '../sqlite/index.js';

disableWarnings();
addRxPlugin(RxDBDevModePlugin);
addRxPlugin(RxDBMigrationSchemaPlugin);

const validateV1 = createDocumentValidator('checkins');
const deskId = '01JP9ZTDE0RPE2RC89KVWB27RG';
const directory = mkdtempSync(join(tmpdir(), 'carrel-checkins-migration-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const storage = () => wrappedValidateAjvStorage({ storage: getRxStorageSqlite({ directory }) });

function checkinV0(index: number): CheckinV0 {
  const at = new Date(Date.UTC(2026, 10, 2, 9, 0, index)).toISOString();
  return {
    id: ulid(),
    barcode: `3900000${String(index).padStart(7, '0')}`,
    library: 'MAIN',
    staff: 'AB',
    scannedAt: at,
    outcome:
      index % 2 === 0
        ? { route: 'reshelve' }
        : { route: 'return_home', destination: 'EAST', crateId: ulid() },
    updatedAt: at,
    deskId,
  };
}

describe('checkins v0 -> v1 on the sqlite storage', () => {
  it('keeps every check-in exactly as it was; migrated rows take the new fields', async () => {
    const name = `checkins-001-${ulid().toLowerCase()}`;
    const rows = Array.from({ length: 250 }, (_, index) => checkinV0(index));
    const v0: RxDatabase<{ checkins: RxCollection<CheckinV0> }> = await createRxDatabase({
      name,
      storage: storage(),
      multiInstance: false,
    });
    await v0.addCollections({ checkins: { schema: checkinsSchemaV0 } });
    await v0.checkins.bulkInsert(rows);
    await v0.close();

    const desk = await createDeskDatabase({ name, storage: storage() });
    try {
      expect(desk.checkins.schema.version).toBe(1);
      const migrated = new Map(
        (await desk.checkins.find().exec()).map((doc) => [doc.id, doc.toJSON()]),
      );
      expect(migrated.size).toBe(rows.length);
      for (const before of rows) {
        const after = migrated.get(before.id);
        expect(after).toEqual(before);
        expect(validateV1(after), JSON.stringify(validateV1.errors)).toBe(true);
      }
      // Undo: the one field a desk sets later; every other field stays final.
      const first = await desk.checkins.findOne(rows[0]!.id).exec();
      await first?.incrementalPatch({
        voidedAt: '2026-11-02T09:05:00.000Z',
        updatedAt: '2026-11-02T09:05:00.000Z',
      });
      expect((await desk.checkins.findOne(rows[0]!.id).exec())?.voidedAt).toBe(
        '2026-11-02T09:05:00.000Z',
      );
      await expect(first?.incrementalPatch({ staff: 'ZZ' })).rejects.toThrow();
    } finally {
      await desk.remove();
    }
  });
});
