import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  collectionSchemas,
  createDocumentValidator,
  deskCollectionNames,
} from '../../shared/index.js';
import type { DeskCollectionName } from '../../shared/index.js';
import { sampleDocuments } from '../../shared/schemas/sample-documents.js';
import { domainCollections } from './domain-collections.js';
import type { ReplicationStore, StoredDoc } from './replication-store.js';
import { openSqliteReplicationStore } from './sqlite-replication-store.js';
import { temporaryFolder } from './testing/parcels.js';

const server = { deskId: 'server', library: '*' };
const libraries = ['MAIN', 'EAST', 'WEST'];

let folder: ReturnType<typeof temporaryFolder>;
let store: ReplicationStore;

beforeEach(async () => {
  folder = temporaryFolder();
  store = await openSqliteReplicationStore(join(folder.path, 'consortium.sqlite'));
  for (const registration of domainCollections) store.register(registration);
});

afterEach(async () => {
  await store.close();
  folder.remove();
});

function sample<Name extends DeskCollectionName>(name: Name, changes: object = {}): StoredDoc {
  return { ...sampleDocuments[name], ...changes, _deleted: false };
}

/** Writes `doc` over whatever the server holds, as the ILS import does. */
async function write(collection: DeskCollectionName, doc: StoredDoc): Promise<void> {
  const key = collectionSchemas[collection].primaryKey as string;
  const [master] = await store.get(collection, [String(doc[key])]);
  const rows = [{ assumedMasterState: master ?? null, newDocumentState: doc }];
  expect(await store.push(collection, rows, server)).toEqual({ conflicts: [] });
}

/** What each library's desk holds of a collection after pulling everything. */
async function held(collection: DeskCollectionName): Promise<Record<string, StoredDoc[]>> {
  const result: Record<string, StoredDoc[]> = {};
  for (const library of libraries) {
    result[library] = (
      await store.pull(collection, { library, after: null, limit: 100 })
    ).documents;
  }
  return result;
}

/** Which libraries hold a live copy, and which were told it left. */
async function seenBy(collection: DeskCollectionName) {
  const copies = await held(collection);
  const live = libraries.filter((library) => copies[library]!.some((doc) => !doc._deleted));
  const left = libraries.filter((library) => copies[library]!.some((doc) => doc._deleted));
  return { live, left };
}

describe('the domain registrations', () => {
  it('cover every desk collection, with the schema and primary key of shared/', () => {
    expect(domainCollections.map((registration) => registration.name)).toEqual(deskCollectionNames);
    for (const registration of domainCollections) {
      const name = registration.name as DeskCollectionName;
      expect(registration.schema).toBe(collectionSchemas[name]);
      expect(registration.primaryKey).toBe(collectionSchemas[name].primaryKey);
      if (registration.scopeFrom !== undefined) {
        expect(deskCollectionNames).toContain(registration.scopeFrom.collection);
        expect(collectionSchemas[name].properties).toHaveProperty(registration.scopeFrom.key);
      }
    }
  });

  it('are replicated to desks, each with its write rule', () => {
    // The sync routes serve a registration only when it says so, and judge pushes by its rule
    // (a collection without one is read-only for desks; libraries' rule refuses with a reason).
    for (const registration of domainCollections) {
      expect(registration.replicatedToDesks, registration.name).toBe(true);
      expect(registration.write, registration.name).toBeTypeOf('function');
    }
  });
});

describe('who sees what', () => {
  it('libraries: every library', async () => {
    await write('libraries', sample('libraries'));
    expect(await seenBy('libraries')).toEqual({ live: libraries, left: [] });
  });

  it('items: the owner and the library the item stands at, told when it moves on', async () => {
    await write('items', sample('items'));
    expect(await seenBy('items')).toEqual({ live: ['MAIN'], left: [] });
    await write('items', sample('items', { location: 'EAST', floating: true }));
    expect(await seenBy('items')).toEqual({ live: ['MAIN', 'EAST'], left: [] });
    await write('items', sample('items', { location: 'WEST', floating: true }));
    expect(await seenBy('items')).toEqual({ live: ['MAIN', 'WEST'], left: ['EAST'] });
  });

  it('items: also both ends of an open hold naming the copy, until the hold ends', async () => {
    await write('items', sample('items', { owner: 'WEST', location: 'WEST' }));
    await write('holds', sample('holds')); // picked up at EAST, pulled at MAIN, captured
    expect(await seenBy('items')).toEqual({ live: ['MAIN', 'EAST', 'WEST'], left: [] });
    await write('holds', sample('holds', { status: 'fulfilled' }));
    expect(await seenBy('items')).toEqual({ live: ['WEST'], left: ['MAIN', 'EAST'] });
  });

  it('items: also both ends of a crate the copy was scanned into, until it is closed', async () => {
    await write('crateScans', sample('crateScans'));
    await write('items', sample('items', { owner: 'WEST', location: 'WEST' }));
    expect(await seenBy('items')).toEqual({ live: ['WEST'], left: [] });
    await write('crates', sample('crates')); // MAIN to EAST
    expect(await seenBy('items')).toEqual({ live: ['MAIN', 'EAST', 'WEST'], left: [] });
    await write('crates', sample('crates', { status: 'closed' }));
    expect(await seenBy('items')).toEqual({ live: ['WEST'], left: ['MAIN', 'EAST'] });
  });

  it('holds: pickup and pull library; a library a hold leaves keeps no patron data', async () => {
    await write('holds', sample('holds'));
    expect(await seenBy('holds')).toEqual({ live: ['MAIN', 'EAST'], left: [] });
    await write('holds', sample('holds', { pickupLibrary: 'WEST' }));
    expect(await seenBy('holds')).toEqual({ live: ['MAIN', 'WEST'], left: ['EAST'] });
    const [departed] = (await held('holds'))['EAST']!;
    expect(departed).not.toHaveProperty('patronRef');
    expect(departed).not.toHaveProperty('shelfName');
    // The desk's RxDB stores it as a deleted document: it must still fit the schema.
    const validate = createDocumentValidator('holds', { withDeletedFlag: true });
    expect(validate(departed), JSON.stringify(validate.errors)).toBe(true);
  });

  it('checkins: the library that scanned', async () => {
    await write('checkins', sample('checkins'));
    expect(await seenBy('checkins')).toEqual({ live: ['MAIN'], left: [] });
  });

  it('crates and their scans: both ends, even when a scan arrives before its crate', async () => {
    await write('crateScans', sample('crateScans'));
    expect(await seenBy('crateScans')).toEqual({ live: [], left: [] });
    await write('crates', sample('crates'));
    expect(await seenBy('crates')).toEqual({ live: ['MAIN', 'EAST'], left: [] });
    expect(await seenBy('crateScans')).toEqual({ live: ['MAIN', 'EAST'], left: [] });
    // Receiving the crate changes its status, not who sees it: the scans are left alone.
    const before = await store.latest('crateScans');
    await write(
      'crates',
      sample('crates', { status: 'sealed', sealedAt: '2025-03-14T10:00:00.000Z' }),
    );
    expect(await store.latest('crateScans')).toEqual(before);
  });

  it('notes and their history: consortium notes everywhere, library notes at home', async () => {
    await write('notes', sample('notes'));
    await write('noteRevisions', sample('noteRevisions'));
    expect(await seenBy('notes')).toEqual({ live: libraries, left: [] });
    expect(await seenBy('noteRevisions')).toEqual({ live: libraries, left: [] });

    await write('notes', sample('notes', { scope: 'library', libraryCode: 'WEST' }));
    const others = ['MAIN', 'EAST'];
    expect(await seenBy('notes')).toEqual({ live: ['WEST'], left: others });
    expect(await seenBy('noteRevisions')).toEqual({ live: ['WEST'], left: others });
  });
});
