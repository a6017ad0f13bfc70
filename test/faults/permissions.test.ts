// Every cell of docs/permissions.md (collection x operation x own/other library x role)
// against a real server: no mismatch.
import { describe, expect, it } from 'vitest';
import { checkPermissions, readPermissionTable } from './permissions.js';

describe('the permission table in the docs', () => {
  it('covers every collection and operation a desk can attempt', () => {
    const rows = readPermissionTable();
    const collections = new Set(rows.map((row) => row.collection));
    expect(collections.size).toBe(8);
    for (const collection of collections) {
      const operations = new Set(
        rows.filter((row) => row.collection === collection).map((row) => row.operation),
      );
      expect([...operations].sort(), collection).toEqual(['create', 'probe', 'read', 'update']);
    }
  });

  it('matches the server in every cell', { timeout: 60_000 }, async () => {
    const report = await checkPermissions();
    expect(report.mismatches).toEqual([]);
    expect(report.cases).toBe(readPermissionTable().length * 2);
  });

  it(
    'finds every cell wrong in a table with every verdict flipped',
    { timeout: 60_000 },
    async () => {
      // A check that cannot fail proves nothing: each cell must be decided by the server.
      const flipped = readPermissionTable().map((row) => ({
        ...row,
        expected: {
          desk: row.expected.desk === 'allowed' ? ('refused' as const) : ('allowed' as const),
          editor: row.expected.editor === 'allowed' ? ('refused' as const) : ('allowed' as const),
        },
      }));
      const report = await checkPermissions(flipped);
      expect(report.mismatches).toHaveLength(report.cases);
    },
  );
});
