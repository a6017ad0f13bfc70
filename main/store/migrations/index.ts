// Migration strategies for every collection, keyed by the schema version they migrate TO
// (RxDB's `migrationStrategies`). One numbered file per step, each with its own test that
// builds the previous version, stores rows, migrates and checks them. A collection at
// version N has strategies 1..N here; the test in index.test.ts holds that to be true.
import type { MigrationStrategies } from 'rxdb';
import type { DeskCollectionName } from '../../../shared/index.js';
import { migrateCheckinToV1 } from './checkins-001-undo-offset.js';
import { migrateNoteToV1 } from './notes-001-tag-list.js';
import { migrateNoteToV2 } from './notes-002-conflict-of.js';

export const migrationStrategies: { readonly [Name in DeskCollectionName]: MigrationStrategies } = {
  libraries: {},
  items: {},
  holds: {},
  checkins: {
    1: migrateCheckinToV1,
  },
  crates: {},
  crateScans: {},
  notes: {
    1: migrateNoteToV1,
    2: migrateNoteToV2,
  },
  noteRevisions: {},
};
