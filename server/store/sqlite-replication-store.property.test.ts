// The replication store on SQLite against the protocol's model (testing/replication-store-model.ts).
import { describe, it } from 'vitest';
import { sqliteBackend } from './testing/replication-store-cases.js';
import { checkStoreAgainstModel } from './testing/replication-store-model.js';

describe('the replication store under random pushes and pulls of several desks', () => {
  it('answers as the protocol says and leaves every desk with its scope of the master', async () => {
    await checkStoreAgainstModel(sqliteBackend, 300);
  });
});
