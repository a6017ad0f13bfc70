// The desk's replication client end to end against a scripted stand-in for the server's wire
// (main/testing/wire-server.ts): the whole desk as startDesk makes it, real fetch, real
// SQLite. The stand-in lets each test break the server the way it needs: drop connections,
// refuse the token, skew its clock, hold pulls back. test/sync/two-desks.test.ts runs desks
// against the real server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import type { Checkin, DeskCollectionName, Note, SyncStatus } from '../../shared/index.js';
import { startDesk, type Desk } from '../app.js';
import {
  startScriptedWireServer,
  type ScriptedAnswer,
  type ScriptedRequest,
  type ScriptedWireServer,
  wireItem as item,
  wireLibrary as library,
  wireStamp,
} from '../testing/index.js';

const TOKEN = 'desk-token-0123456789abcdef';
const DESK_ID = '01JDESKSYNC000000000000001';
const fast = {
  backoff: { initialMs: 20, maxMs: 200, jitter: 0.5 },
  requestTimeoutMs: 3_000,
  streamIdleTimeoutMs: 5_000,
};

let dir: string;
let desk: Desk | undefined;
let server: ScriptedWireServer | undefined;
let hook: (request: ScriptedRequest) => ScriptedAnswer | Promise<ScriptedAnswer> = () => undefined;
const logged: string[] = [];

afterEach(async () => {
  await desk?.close();
  await server?.close();
  desk = undefined;
  server = undefined;
  hook = () => undefined;
  logged.length = 0;
  rmSync(dir, { recursive: true, force: true });
});

const checkin = (deskId: string): Checkin => ({
  id: ulid(),
  barcode: '33907000000011',
  library: 'MAIN',
  staff: 'JD',
  scannedAt: new Date().toISOString(),
  outcome: { route: 'reshelve' },
  updatedAt: new Date().toISOString(),
  deskId,
});

async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A desk enrolled (through the API) with a fresh scripted server holding `seed`. */
async function enrolledDesk(
  seed: Partial<Record<DeskCollectionName, Record<string, unknown>[]>> = {},
  { pages = true }: { pages?: boolean } = {},
): Promise<{ desk: Desk; server: ScriptedWireServer; statuses: SyncStatus[] }> {
  dir = mkdtempSync(join(tmpdir(), 'carrel-sync-'));
  server = await startScriptedWireServer({
    token: TOKEN,
    pages,
    hook: (request) => {
      if (request.path === '/enrol') {
        const body = request.body as { code?: string };
        return body.code === 'GOOD-CODE'
          ? { status: 200, body: { deskId: DESK_ID, token: TOKEN, library: 'MAIN' } }
          : { status: 403, body: { error: { code: 'enrol_refused', message: 'Unknown code.' } } };
      }
      return hook(request);
    },
  });
  server.put('libraries', [library('MAIN', '33907'), library('EAST', '33908')]);
  for (const [name, docs] of Object.entries(seed)) {
    server.put(name as DeskCollectionName, docs);
  }
  desk = await startDesk({ dataDir: dir, sync: { ...fast, log: (line) => logged.push(line) } });
  const statuses: SyncStatus[] = [];
  desk.events.subscribe((event, payload) => {
    if (event === 'sync.status') statuses.push(payload as SyncStatus);
  });
  const enrolled = await desk.api.sync.enrol({
    serverUrl: `${server.url}/`,
    code: 'GOOD-CODE',
    deskName: 'Front desk',
  });
  expect(enrolled).toMatchObject({
    ok: true,
    value: { deskId: DESK_ID, libraryCode: 'MAIN', serverUrl: server.url },
  });
  return { desk, server, statuses };
}

async function syncNow(d: Desk): Promise<SyncStatus> {
  const answer = await d.api.sync.now({});
  if (!answer.ok) throw new Error(answer.error.message);
  return answer.value;
}

describe('enrolment', () => {
  it('stores who the server says the desk is, then syncs as that desk', async () => {
    const { desk: d, statuses } = await enrolledDesk({ items: [item(1)] });
    expect(d.context.settings()).toMatchObject({
      deskId: DESK_ID,
      libraryCode: 'MAIN',
      sync: { serverUrl: server!.url, token: TOKEN, deskId: DESK_ID, library: 'MAIN' },
    });
    const status = await syncNow(d);
    expect(status).toMatchObject({ state: 'online', error: null, pending: 0, dataAgeSeconds: 0 });
    expect(await d.store.data.get('items', item(1).barcode)).toMatchObject({ title: 'Title 1' });
    expect(statuses.map((s) => s.state)).toContain('online');
    expect(
      server!.requests.every((r) => r.path === '/enrol' || r.authorization === `Bearer ${TOKEN}`),
    ).toBe(true);
  });

  it('answers enrol_refused, server_unreachable and invalid_arguments, changing nothing', async () => {
    const { desk: d } = await enrolledDesk();
    const before = d.context.settings();
    const refused = await d.api.sync.enrol({ serverUrl: server!.url, code: 'BAD', deskName: 'x' });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'enrol_refused', message: 'Unknown code.' },
    });
    const unreachable = await d.api.sync.enrol({
      serverUrl: 'http://127.0.0.1:9',
      code: 'GOOD-CODE',
      deskName: 'x',
    });
    expect(unreachable).toMatchObject({ ok: false, error: { code: 'server_unreachable' } });
    hook = (request) =>
      request.path === '/enrol' ? { status: 200, body: { hello: 1 } } : undefined;
    const invalid = await d.dispatcher.call('sync.enrol', {
      serverUrl: 'ftp://example.org',
      code: 'GOOD-CODE',
      deskName: 'x',
    });
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    const withCredentials = await d.api.sync.enrol({
      serverUrl: 'http://user:pw@127.0.0.1:9',
      code: 'GOOD-CODE',
      deskName: 'x',
    });
    expect(withCredentials).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(d.context.settings()).toEqual(before);
  });

  it('answers desk_not_set_up for sync now before enrolment, and status disabled', async () => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-sync-'));
    desk = await startDesk({ dataDir: dir });
    expect(await desk.api.sync.now({})).toMatchObject({
      ok: false,
      error: { code: 'desk_not_set_up' },
    });
    expect(desk.api.sync.status({})).toMatchObject({
      ok: true,
      value: { state: 'disabled', pending: 0 },
    });
  });

  it('resumes syncing at the next start from the stored settings', async () => {
    const { desk: d } = await enrolledDesk({ items: [item(1)] });
    await syncNow(d);
    await d.close();
    desk = await startDesk({ dataDir: dir, sync: fast });
    server!.put('items', [item(2)]);
    await until(() => desk!.store.data.get('items', item(2).barcode), 'item 2 after restart');
  });
});

describe('pull', () => {
  it('takes a first sync in answers of many pages, and goes on after one that breaks off', async () => {
    const items = Array.from({ length: 3_500 }, (_, i) => item(i + 1));
    hook = (request) => {
      // The first answer breaks off in the middle of its third page.
      if (request.path === '/sync/items/pages' && !request.query.has('after')) {
        server!.cutPagesAfter = 2;
      }
    };
    const { desk: d, server: s, statuses } = await enrolledDesk({ items });
    await until(
      async () => (await d.store.data.find('items', { selector: {} })).length === 3_500,
      'all items',
    );
    expect(await syncNow(d)).toMatchObject({ state: 'online', pending: 0 });
    const answers = s.requests.filter((r) => r.path === '/sync/items/pages');
    expect(answers.map((r) => r.query.get('pages'))).toEqual(['50', '50']);
    // Again from the last whole page written: the 2,000th item's change.
    const written = await d.store.data.find('items', { selector: {} });
    expect(written).toHaveLength(3_500);
    expect(answers.map((r) => r.query.get('after'))).toEqual([null, expect.any(String)]);
    expect(Number(answers[1]?.query.get('after'))).toBe(2 + 2_000);
    expect(
      s.requests.filter((r) => r.path === '/sync/items/pull' && !r.query.has('after')),
    ).toEqual([]);
    // The broken answer was a failure like any other, and the status said so while it lasted.
    expect(statuses.some((status) => status.error?.code === 'server_unreachable')).toBe(true);
  });

  it('pulls page by page from a server without the pages endpoint, never more than two pages ahead of the database', async () => {
    const items = Array.from({ length: 3_500 }, (_, i) => item(i + 1));
    const seen: { page: number; stored: number }[] = [];
    let page = 0;
    let held = false;
    hook = async (request) => {
      if (request.path !== '/sync/items/pull') return;
      const stored = (await desk?.store.data.find('items', { selector: {} }))?.length ?? 0;
      seen.push({ page, stored });
      page += 1;
      if (!held && desk) {
        held = true;
        // Hold the database's writes back for a while: pulls must wait, not run ahead.
        void desk.store.atomically(() => new Promise((resolve) => setTimeout(resolve, 1_500)));
      }
    };
    const { desk: d } = await enrolledDesk({ items }, { pages: false });
    await until(
      async () => (await d.store.data.find('items', { selector: {} })).length === 3_500,
      'all items',
    );
    expect(logged).toContain(
      'sync: the server has no pages endpoint; libraries pulls page by page',
    );
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const { page: p, stored } of seen) expect(stored).toBeGreaterThanOrEqual((p - 1) * 1_000);
    const limits = server!.requests
      .filter((r) => r.path === '/sync/items/pull')
      .map((r) => r.query.get('limit'));
    expect(new Set(limits)).toEqual(new Set(['1000']));
  });

  it('pulls what the stream says changed, and reconnects a dropped stream', async () => {
    const { desk: d, server: s } = await enrolledDesk();
    await syncNow(d);
    s.put('items', [item(7)]);
    await until(() => d.store.data.get('items', item(7).barcode), 'item 7 by the stream');
    const opened = s.streamsOpened();
    s.dropStreams();
    await until(() => s.streamsOpened() > opened, 'a new stream');
    s.put('items', [item(8)]);
    await until(() => d.store.data.get('items', item(8).barcode), 'item 8 after reconnecting');
  });

  it('pulls what changed while the stream was down, on the RESYNC of the reconnect', async () => {
    // The desk has no periodic pull (only the stream, and "sync now", which this test never
    // calls): the change made while the stream was down can only arrive through the RESYNC
    // that starts the new connection.
    const { desk: d, server: s } = await enrolledDesk({ items: [item(1)] });
    await until(() => d.store.data.get('items', item(1).barcode), 'the first sync');
    await until(() => s.streamsOpened() === 1, 'the stream');
    // Settled: nothing pulling any more.
    await until(() => d.sync.status().state === 'online', 'online');

    // The stream is cut and kept down: every attempt to open it again is dropped.
    let streamDown = true;
    hook = (request) => (streamDown && request.path === '/sync/stream' ? 'drop' : undefined);
    const attempts = () => s.requests.filter((r) => r.path === '/sync/stream').length;
    const attemptsBefore = attempts();
    s.dropStreams();
    await until(() => attempts() >= attemptsBefore + 2, 'the desk failing to reconnect');

    // Changed at the server while no stream is open: no event reaches the desk.
    const itemPulls = () => s.requests.filter((r) => r.path === '/sync/items/pull').length;
    const pullsBefore = itemPulls();
    s.put('items', [item(2)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await d.store.data.get('items', item(2).barcode)).toBeFalsy();
    expect(itemPulls()).toBe(pullsBefore);
    expect(s.streamsOpened()).toBe(1);

    // The stream is let back: its RESYNC makes the desk pull from its checkpoint.
    streamDown = false;
    await until(() => s.streamsOpened() === 2, 'the stream back');
    await until(
      () => d.store.data.get('items', item(2).barcode),
      'item 2 after reconnecting',
      3_000,
    );
    expect(itemPulls()).toBeGreaterThan(pullsBefore);
  });
});

describe('server history', () => {
  it('keeps the first history, syncs everything again for a new one, ignores one it left', async () => {
    const { desk: d, server: s } = await enrolledDesk({ items: [item(1), item(2)] });
    s.history = 'history-1';
    await syncNow(d);
    expect(d.context.settings().sync).toMatchObject({ history: 'history-1' });
    expect(d.context.settings().sync?.resyncedFor).toBeUndefined();
    const written = checkin(DESK_ID);
    await d.store.data.insert('checkins', [written]);
    await until(() => s.documents('checkins').length === 1, 'the check-in pushed');

    // The server's database went back in time and lost the check-in: the desk pulls from the
    // start, and pushes again, saying why, what the server lacks; not the items, which the
    // server has as the desk does.
    const fromStart = () =>
      s.requests.filter((r) => r.path === '/sync/items/pull' && !r.query.has('after')).length;
    const pulledFromStart = fromStart();
    const itemPushes = () => s.requests.filter((r) => r.path === '/sync/items/push').length;
    const itemPushesBefore = itemPushes();
    s.forget('checkins', written.id);
    s.history = 'history-2';
    await until(
      () =>
        d.context.settings().sync?.resyncedFor === 'history-2' &&
        fromStart() > pulledFromStart &&
        s.requests.some((r) => r.path === '/sync/checkins/push' && r.resync === 'history-2'),
      'the desk syncing everything again',
    );
    expect(await syncNow(d)).toMatchObject({ state: 'online', pending: 0 });
    expect(s.documents('checkins').map((doc) => doc['id'])).toEqual([written.id]);
    expect(itemPushes()).toBe(itemPushesBefore);
    expect(d.context.settings().sync).toMatchObject({
      history: 'history-2',
      leftHistories: ['history-1'],
    });

    // A server instance still on the old data: its answers change nothing.
    const settled = fromStart();
    s.history = 'history-1';
    await syncNow(d);
    await syncNow(d);
    expect(d.context.settings().sync).toMatchObject({ history: 'history-2' });
    expect(fromStart()).toBe(settled);
    expect(logged.filter((line) => line.includes('already left behind'))).toHaveLength(1);
  });
});

describe('push, offline and back', () => {
  it('counts every change waiting, however many', async () => {
    const { desk: d } = await enrolledDesk();
    await syncNow(d);
    hook = (request) => (request.path !== '/enrol' ? 'drop' : undefined);
    // A long day of scans offline: more than one collection's worth of the old 5,000 cap.
    const written = Array.from({ length: 5_300 }, () => checkin(DESK_ID));
    await d.store.db.checkins.bulkInsert(written);
    await until(() => {
      const status = d.sync.status();
      return status.pending === 5_300 ? status : undefined;
    }, '5,300 pending');
  });

  it('keeps working offline, counts what waits, and catches up', async () => {
    const { desk: d, server: s } = await enrolledDesk();
    await syncNow(d);
    let offline = true;
    hook = (request) => (offline && request.path !== '/enrol' ? 'drop' : undefined);
    s.dropStreams();
    const written = [checkin(DESK_ID), checkin(DESK_ID), checkin(DESK_ID)];
    await d.store.data.insert('checkins', written);
    const down = await until(() => {
      const status = d.sync.status();
      return status.state === 'offline' && status.pending === 3 ? status : undefined;
    }, 'offline with 3 pending');
    expect(down.error).toMatchObject({ code: 'server_unreachable' });
    expect(await syncNow(d)).toMatchObject({ state: 'offline' });

    offline = false;
    const back = await syncNow(d);
    expect(back).toMatchObject({ state: 'online', pending: 0, error: null });
    expect(
      s
        .documents('checkins')
        .map((doc) => doc['id'])
        .sort(),
    ).toEqual(written.map((c) => c.id).sort());
    // Nothing of RxDB's bookkeeping goes on the wire.
    for (const doc of s.documents('checkins')) {
      expect(Object.keys(doc).filter((key) => key.startsWith('_'))).toEqual(['_deleted']);
    }
  });

  it('backs off while the server is down instead of hammering it', async () => {
    const { desk: d, server: s } = await enrolledDesk();
    await syncNow(d);
    hook = () => 'drop';
    s.dropStreams();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const count = s.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // With the back-off at its 200 ms cap, 9 requests (8 collections and the stream) go out
    // at most once per 100-200 ms together: far fewer than without it.
    expect(s.requests.length - count).toBeLessThan(120);
    expect(d.sync.status().state).toBe('offline');
  });
});

describe('a push the server refuses', () => {
  it('keeps the status at error while other requests succeed, until it goes through', async () => {
    const { desk: d, server: s } = await enrolledDesk();
    await syncNow(d);
    let refuse = true;
    hook = (request) =>
      refuse && request.path === '/sync/checkins/push'
        ? { status: 403, body: { error: { code: 'forbidden', message: 'Not yours.' } } }
        : undefined;
    await d.store.data.insert('checkins', [checkin(DESK_ID)]);
    s.put('items', [item(9)]);
    await until(() => d.store.data.get('items', item(9).barcode), 'item 9 pulled meanwhile');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(d.sync.status()).toMatchObject({
      state: 'error',
      pending: 1,
      error: { code: 'forbidden', message: 'Not yours.' },
    });
    refuse = false;
    expect(await syncNow(d)).toMatchObject({ state: 'online', pending: 0, error: null });
  });
});

describe('a token the server refuses', () => {
  it.each(['unauthorized', 'revoked'])('%s: stops sync and says so, no retries', async (code) => {
    const { desk: d, server: s } = await enrolledDesk();
    await syncNow(d);
    hook = () => ({
      status: code === 'revoked' ? 403 : 401,
      body: { error: { code, message: `Token ${code}.` } },
    });
    await d.store.data.insert('checkins', [checkin(DESK_ID)]);
    const status = await until(() => {
      const current = d.sync.status();
      return current.state === 'error' ? current : undefined;
    }, 'state error');
    expect(status.error).toEqual({ code, message: `Token ${code}.` });
    const count = s.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(s.requests.length).toBe(count);
    expect(await syncNow(d)).toMatchObject({ state: 'error', error: { code } });
  });
});

describe('clock offset', () => {
  it("measures the desk clock against the server's Date header", async () => {
    const { desk: d, server: s } = await enrolledDesk();
    s.clockSkewMs = 120_000;
    await syncNow(d);
    const offset = d.sync.status().clockOffsetMs;
    expect(offset).not.toBeNull();
    expect(Math.abs(offset! - 120_000)).toBeLessThanOrEqual(1_500);
  });
});

describe('conflicts over the wire', () => {
  it('keeps a note edit that lost as a conflict copy, pushed like any note', async () => {
    const original: Note = {
      id: ulid(),
      title: 'Opening',
      body: 'Unlock the door.',
      tags: ['open'],
      scope: 'library',
      libraryCode: 'MAIN',
      author: 'AB',
      revisionNumber: 1,
      ...wireStamp,
    };
    const { desk: d, server: s } = await enrolledDesk({ notes: [original] });
    await syncNow(d);
    let holdNotes = true;
    hook = (request) => (holdNotes && request.path === '/sync/notes/push' ? 'drop' : undefined);
    const local = await d.store.data.get('notes', original.id);
    await d.store.data.update('notes', local!, {
      body: 'Unlock both doors.',
      revisionNumber: 2,
      author: 'JD',
      updatedAt: new Date().toISOString(),
      deskId: DESK_ID,
    });
    const theirs = { ...original, body: 'Unlock the side door.', revisionNumber: 2, author: 'KM' };
    s.put('notes', [theirs]);
    await until(() => s.requests.some((r) => r.path === '/sync/notes/push'), 'a held push');
    holdNotes = false;
    await syncNow(d);
    await until(
      async () => (await d.store.data.find('notes', { selector: {} })).length === 2,
      'the copy',
    );
    const notes = await d.store.data.find('notes', { selector: {} });
    const kept = notes.find((n) => n.id === original.id);
    const copy = notes.find((n) => n.id !== original.id);
    expect(kept).toMatchObject({ body: 'Unlock the side door.', author: 'KM' });
    expect(copy).toMatchObject({
      title: 'Opening (conflict copy)',
      body: 'Unlock both doors.',
      conflictOf: original.id,
      deskId: DESK_ID,
    });
    await syncNow(d);
    const onServer = await until(
      () => s.documents('notes').find((n) => n['id'] === copy!.id),
      'the copy on the server',
    );
    expect(onServer['conflictOf']).toBe(original.id);
    expect(s.documents('notes').find((n) => n['id'] === original.id)).toMatchObject({
      body: 'Unlock the side door.',
    });
  });

  it('keeps the earlier of two captures of a hold', async () => {
    const hold = {
      id: ulid(),
      bibId: 'bib-1',
      patronRef: 'p-1',
      shelfName: 'SMITH J',
      pickupLibrary: 'EAST',
      pullLibrary: 'MAIN',
      status: 'pending' as const,
      requestedAt: '2026-11-01T10:00:00.000Z',
      ...wireStamp,
    };
    const { desk: d, server: s } = await enrolledDesk({ holds: [hold] });
    await syncNow(d);
    let holdPush = true;
    hook = (request) => (holdPush && request.path === '/sync/holds/push' ? 'drop' : undefined);
    const local = await d.store.data.get('holds', hold.id);
    await d.store.data.update('holds', local!, {
      status: 'in_transit',
      capturedAt: '2026-11-23T09:00:00.000Z',
      capturedItemBarcode: '33907000000011',
      updatedAt: '2026-11-23T09:00:00.000Z',
      deskId: DESK_ID,
    });
    s.put('holds', [
      {
        ...hold,
        status: 'in_transit',
        capturedAt: '2026-11-23T11:00:00.000Z',
        capturedItemBarcode: '33909000000029',
        updatedAt: '2026-11-23T11:00:00.000Z',
        deskId: '01JOTHERDESK00000000000001',
      },
    ]);
    await until(() => s.requests.some((r) => r.path === '/sync/holds/push'), 'a held push');
    holdPush = false;
    await syncNow(d);
    await until(
      () => s.documents('holds')[0]?.['capturedItemBarcode'] === '33907000000011',
      'the earlier capture on the server',
    );
    expect(s.documents('holds')[0]).toMatchObject({ status: 'in_transit', deskId: DESK_ID });
    expect(await d.store.data.get('holds', hold.id)).toMatchObject({
      capturedItemBarcode: '33907000000011',
    });
  });
});
