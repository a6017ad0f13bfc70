// A collection's first sync through the store's page writer (first-sync.ts), end to end: the
// whole desk against the scripted wire server (main/testing/wire-server.ts), real fetch, real
// SQLite. What is checked is what RxDB's replication relies on afterwards: every pulled
// document has its meta row (the assumed master state a later push is based on; carried by
// the document's own row until either changes, sqlite/assumed-meta.ts), the stored
// checkpoints never run ahead of the committed documents, and a collection that stops being
// in its first sync (a local write, a document pulled twice) is handed back to RxDB intact.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Item } from '../../shared/index.js';
import { startDesk, type Desk } from '../app.js';
import {
  startScriptedWireServer,
  type ScriptedWireServer,
  wireItem as item,
  wireLibrary,
} from '../testing/index.js';
import { DESK_DATABASE_NAME } from './desk-store.js';
import { databaseFilePath } from './sqlite/index.js';

const TOKEN = 'desk-token-0123456789abcdef';
const fast = {
  backoff: { initialMs: 20, maxMs: 200, jitter: 0.5 },
  requestTimeoutMs: 5_000,
  streamIdleTimeoutMs: 5_000,
};

const library = wireLibrary('MAIN', '33907');

/** Three pages of items (the pull limit is 1,000). */
const ITEMS = 2_500;

let dir: string;
let desk: Desk | undefined;
/** The desk's sync log of the current test. */
let logged: string[] = [];
const handedOver = () => logged.filter((line) => line.includes('first sync handed to RxDB'));
let server: ScriptedWireServer | undefined;

afterEach(async () => {
  await desk?.close();
  await server?.close();
  desk = undefined;
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function until(probe: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A scripted server holding the library and its items; `onItemsPage` runs before it reads each
 * page of items it serves (a first sync takes many in one answer, see replication.ts).
 */
async function startServer(
  onItemsPage: () => Promise<void> | void,
  order: 'ascending' | 'descending' = 'ascending',
): Promise<ScriptedWireServer> {
  dir = mkdtempSync(join(tmpdir(), 'carrel-first-sync-'));
  const started = await startScriptedWireServer({
    token: TOKEN,
    hook: (request) => {
      if (request.path !== '/enrol') return undefined;
      return {
        status: 200,
        body: { deskId: '01JDESKSYNC000000000000002', token: TOKEN, library: 'MAIN' },
      };
    },
    onPage: async (collection) => {
      if (collection === 'items') await onItemsPage();
    },
  });
  started.put('libraries', [library]);
  const items = Array.from({ length: ITEMS }, (_, i) => item(i + 1));
  started.put('items', order === 'ascending' ? items : items.reverse());
  server = started;
  return started;
}

async function onlineWithNothingPending(d: Desk, what = 'online with nothing pending') {
  await until(() => {
    const status = d.sync.status();
    return status.state === 'online' && status.pending === 0;
  }, what);
}

/** Changes item `n` at the desk and waits for the change on the server. */
async function changeAtDesk(d: Desk, n: number, status: Item['status']): Promise<void> {
  const barcode = item(n).barcode;
  const stored = await d.store.data.get('items', barcode);
  if (!stored) throw new Error(`item ${n} was not pulled`);
  await d.store.data.update('items', stored, { status });
  await until(
    () =>
      server?.documents('items').find((doc) => doc['barcode'] === barcode)?.['status'] === status,
    'the local change on the server',
  );
}

/** An enrolled desk syncing with a scripted server holding the items (see startServer). */
async function firstSync(
  onItemsPage: (d: Desk) => Promise<void> | void,
  order: 'ascending' | 'descending' = 'ascending',
) {
  const started = await startServer(async () => {
    if (desk) await onItemsPage(desk);
  }, order);
  logged = [];
  desk = await startDesk({ dataDir: dir, sync: { ...fast, log: (line) => logged.push(line) } });
  const enrolled = await desk.api.sync.enrol({
    serverUrl: started.url,
    code: 'GOOD-CODE',
    deskName: 'Front desk',
  });
  expect(enrolled.ok).toBe(true);
  await onlineWithNothingPending(desk);
  return desk;
}

/** Items whose row carries their meta row (sqlite/assumed-meta.ts). */
function carriedItems(): number {
  const db = new Database(databaseFilePath(dir, DESK_DATABASE_NAME), { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM "items__v0" WHERE assumed = 1').pluck().get() as number;
  } finally {
    db.close();
  }
}

interface Committed {
  items: number;
  /** Items with a meta row: written out, or carried by the item's row. */
  metaRows: number;
  downSeq: number | undefined;
}

/** What the desk's file holds as committed, read on a connection of its own. */
function committed(): Committed {
  const db = new Database(databaseFilePath(dir, DESK_DATABASE_NAME), { readonly: true });
  try {
    const items = db.prepare('SELECT count(*) FROM "items__v0"').pluck().get() as number;
    const carried = db
      .prepare('SELECT count(*) FROM "items__v0" WHERE assumed = 1')
      .pluck()
      .get() as number;
    const tables = db
      .prepare("SELECT name FROM carrel_tables WHERE name LIKE 'rx-replication-meta-%'")
      .pluck()
      .all() as string[];
    for (const table of tables) {
      const quoted = `"${table.replaceAll('"', '""')}"`;
      const written = db
        .prepare(
          `SELECT count(*) FROM ${quoted} WHERE json_extract(data, '$.docData.barcode') IS NOT NULL`,
        )
        .pluck()
        .get() as number;
      const linked =
        db
          .prepare('SELECT 1 FROM carrel_assumed_meta WHERE meta_table = ? AND fork_table = ?')
          .get(table, 'items__v0') !== undefined;
      const metaRows = written + (linked ? carried : 0);
      const checkpoint = db
        .prepare(`SELECT data FROM ${quoted} WHERE id = 'down|1'`)
        .pluck()
        .get() as string | undefined;
      const isItems = metaRows > 0 || (checkpoint !== undefined && items === 0);
      if (!isItems) continue;
      const data = checkpoint === undefined ? undefined : (JSON.parse(checkpoint) as object);
      const seq = (data as { checkpointData?: { seq?: number } } | undefined)?.checkpointData?.seq;
      return { items, metaRows, downSeq: seq };
    }
    return { items, metaRows: 0, downSeq: undefined };
  } finally {
    db.close();
  }
}

describe('first sync', () => {
  it('commits every page with its meta rows and checkpoint together, then syncs as RxDB does', async () => {
    const seen: Committed[] = [];
    const d = await firstSync(() => {
      seen.push(committed());
    });
    seen.push(committed());
    // At every moment another connection could look, the documents, their meta rows and the
    // checkpoint agree: the library's row took seq 1, the items 2..2501.
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const state of seen) {
      expect(state.metaRows).toBe(state.items);
      if (state.items > 0) expect(state.downSeq).toBe(state.items + 1);
    }
    expect(seen.at(-1)).toEqual({ items: ITEMS, metaRows: ITEMS, downSeq: ITEMS + 1 });
    // None of them was written out: each item's row carries its own.
    expect(carriedItems()).toBe(ITEMS);

    // The meta rows are what a push is based on: a local change goes through at once (the
    // scripted server takes a row only if its assumed master state is the server's).
    await changeAtDesk(d, 7, 'lost');
    // The changed item's meta row was written out; the others are still carried.
    expect(carriedItems()).toBe(ITEMS - 1);
    // And what the server changes later arrives as an update.
    server?.put('items', [{ ...item(8), title: 'Renamed on the server' }]);
    await until(
      async () =>
        (await d.store.data.get('items', item(8).barcode))?.title === 'Renamed on the server',
      'the server change at the desk',
    );
    expect(carriedItems()).toBe(ITEMS - 2);
    expect(committed()).toMatchObject({ items: ITEMS, metaRows: ITEMS });
  });

  it('goes on after a restart in the middle, and pushes a change to an item pulled before it', async () => {
    // The third page is held at the server while the desk closes; the pages written before
    // carry their meta rows, the rest comes through RxDB's own pull after the restart.
    let pulls = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const started = await startServer(async () => {
      if (++pulls === 3) await held;
    });
    desk = await startDesk({ dataDir: dir, sync: { ...fast, log: () => undefined } });
    const enrol = { serverUrl: started.url, code: 'GOOD-CODE', deskName: 'Desk' };
    expect((await desk.api.sync.enrol(enrol)).ok).toBe(true);
    await until(() => pulls >= 3 && committed().items > 0, 'a page written, the third asked');
    await desk.close();
    desk = undefined;
    release();
    const before = carriedItems();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(ITEMS);

    desk = await startDesk({ dataDir: dir, sync: { ...fast, log: () => undefined } });
    await onlineWithNothingPending(desk, 'online with nothing pending after the restart');
    expect(committed()).toEqual({ items: ITEMS, metaRows: ITEMS, downSeq: ITEMS + 1 });
    expect(carriedItems()).toBe(before);

    // An item whose meta row its row carried: the change goes through at once.
    await changeAtDesk(desk, 1, 'missing');
    expect(carriedItems()).toBe(before - 1);
  });

  it('keeps pages whole when the server commits ids out of order', async () => {
    // The server serves in commit order; an ILS import need not be in barcode order.
    const seen: Committed[] = [];
    await firstSync(() => {
      seen.push(committed());
    }, 'descending');
    seen.push(committed());
    for (const state of seen) expect(state.metaRows).toBe(state.items);
    expect(seen.at(-1)).toEqual({ items: ITEMS, metaRows: ITEMS, downSeq: ITEMS + 1 });
    expect(handedOver()).toEqual([]); // every page took the one-transaction path
  });

  it('hands the rest to RxDB when the collection is written to meanwhile, losing nothing', async () => {
    const barcode = item(3).barcode;
    let pulls = 0;
    const d = await firstSync(async (current) => {
      if (++pulls !== 3) return;
      // Before the third page: once the first is written, change a pulled item here.
      await until(
        async () => (await current.store.data.get('items', barcode)) !== undefined,
        'item 3',
      );
      const stored = await current.store.data.get('items', barcode);
      if (stored) await current.store.data.update('items', stored, { status: 'damaged' });
    });
    await until(
      () =>
        server?.documents('items').find((doc) => doc['barcode'] === barcode)?.['status'] ===
        'damaged',
      'the local change on the server',
    );
    expect(await d.store.db.items.count().exec()).toBe(ITEMS);
    expect(handedOver()).toHaveLength(1);
    // The pushed change took the next seq on the server and came back in a pull.
    await until(() => committed().downSeq === ITEMS + 2, 'the push pulled back');
    expect(committed()).toMatchObject({ items: ITEMS, metaRows: ITEMS });
  });

  it('leaves a page to RxDB when it holds a document already written, and keeps the newer state', async () => {
    let pulls = 0;
    const d = await firstSync(() => {
      if (++pulls !== 2) return;
      // Item 1 came in the first page; changed now, it comes again in the last one.
      server?.put('items', [{ ...item(1), title: 'Renamed during the first sync' }]);
    });
    await until(
      async () =>
        (await d.store.data.get('items', item(1).barcode))?.title ===
        'Renamed during the first sync',
      'the newer state of item 1',
    );
    expect(await d.store.db.items.count().exec()).toBe(ITEMS);
    expect(committed()).toMatchObject({ items: ITEMS, metaRows: ITEMS, downSeq: ITEMS + 2 });
    expect(d.sync.status().state).toBe('online');
  });
});
