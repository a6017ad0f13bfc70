// The replication store on SQLite against the protocol's model
// (testing/replication-store-model.ts), and its pulls as JSON text against its pulls
// (testing/pull-json-property.ts).
import { describe, it } from 'vitest';
import { checkPullJsonAgainstPull } from './testing/pull-json-property.js';
import { sqliteBackend } from './testing/replication-store-cases.js';
import { checkStoreAgainstModel } from './testing/replication-store-model.js';

describe('the replication store under random pushes and pulls of several desks', () => {
  it('answers as the protocol says and leaves every desk with its scope of the master', async () => {
    await checkStoreAgainstModel(sqliteBackend, 300);
  });
});

describe('a pull as JSON text', () => {
  it("is pull's answer, document for document and byte for byte, page by page", async () => {
    await checkPullJsonAgainstPull(sqliteBackend, 150);
  });
});
