// The PostgreSQL store's statements are planned as lookups by key however few rows the tables
// hold when a connection plans them (pg-replication-store.ts, PLAN_SETTINGS): a connection
// keeps its plans for its life, and a plan made on a new consortium's nearly empty tables that
// scans the table (or every document of the collection, for each key) costs more with every
// document stored. Checked on Debian's PostgreSQL, started for this file.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NAMED_STATEMENTS,
  openPgReplicationStore,
  PLAN_SETTINGS,
} from '../../server/store/pg-replication-store.js';
import { parcel, registerParcelCollections, tag } from '../../server/store/testing/parcels.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Index Cond'?: string;
  readonly Plans?: readonly PlanNode[];
}

/**
 * The scans of a plan that read more than the rows they are after: any scan but one by row
 * address or through an index with a condition on more than the collection (a scan of a
 * whole collection through an index that begins with it reads every document of it).
 */
function wideScans(node: PlanNode): string[] {
  const own: string[] = [];
  const table = node['Relation Name'];
  const type = node['Node Type'];
  if (table !== undefined && type.endsWith(' Scan') && type !== 'Tid Scan') {
    const columns = [...(node['Index Cond'] ?? '').matchAll(/\((\w+) (?:=|<|>|IS)/g)].map(
      (match) => match[1],
    );
    const keyed = type.startsWith('Index') && columns.some((column) => column !== 'collection');
    if (!keyed) {
      own.push(
        `${type} on ${table}${node['Index Name'] ? ` using ${node['Index Name']}` : ''} (${node['Index Cond'] ?? 'no condition'})`,
      );
    }
  }
  return [...own, ...(node.Plans ?? []).flatMap(wideScans)];
}

/** Every named statement's plan on a connection set up as the store's are, by statement. */
async function wideScansOfStatements(url: string): Promise<Record<string, string[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(PLAN_SETTINGS);
    const found: Record<string, string[]> = {};
    for (const { name, text } of NAMED_STATEMENTS) {
      await client.query(`PREPARE ${name} AS ${text}`);
      const parameters = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      // The generic plan, the one the store's connections keep: the values do not matter.
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (FORMAT JSON) EXECUTE ${name}(${Array(parameters).fill('NULL').join(', ')})`,
      );
      const plan = rows[0]?.['QUERY PLAN'][0].Plan;
      if (plan === undefined) throw new Error(`no plan for ${name}`);
      found[name] = wideScans(plan);
    }
    return found;
  } finally {
    await client.end();
  }
}

const noWideScans = () =>
  Object.fromEntries(NAMED_STATEMENTS.map(({ name }) => [name, [] as string[]]));

describe('the PostgreSQL store’s plans', () => {
  it('look documents up by key on an empty database', async () => {
    const url = await cluster.createDatabase();
    const store = await openPgReplicationStore(url);
    try {
      expect(await wideScansOfStatements(url)).toEqual(noWideScans());
    } finally {
      await store.close();
      await cluster.dropDatabase(url);
    }
  });

  it('look documents up by key with a handful of rows, statistics taken', async () => {
    // What a new consortium's first connections see: tables whose statistics say they are tiny,
    // where reading all of a table costs less than one index lookup.
    const url = await cluster.createDatabase();
    const store = await openPgReplicationStore(url);
    try {
      registerParcelCollections(store);
      const context = { deskId: 'D1', library: 'MAIN' };
      await store.push(
        'parcels',
        [1, 2, 3].map((n) => ({
          assumedMasterState: null,
          newDocumentState: parcel(`P${n}`, ['MAIN', 'WEST']),
        })),
        context,
      );
      await store.push(
        'parcelTags',
        [{ assumedMasterState: null, newDocumentState: tag('T1', 'P1') }],
        context,
      );
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query('ANALYZE').finally(() => admin.end());
      expect(await wideScansOfStatements(url)).toEqual(noWideScans());
    } finally {
      await store.close();
      await cluster.dropDatabase(url);
    }
  });
});
