// The consortium server over real HTTP on loopback, with its real SQLite store: enrolment,
// pull and push with conflicts, and the write rules and validation every push goes through.
import { mkdtempSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import type { PullResponse, PushResponse, WireDocument } from '../../shared/index.js';
import { requestBody } from '../../main/sync/server-link.js';
import { consortium, hold, item, itemBarcode, T0 } from '../support/desk.js';

let dir: string;
let server: ConsortiumServer;
const desks: Record<string, { deskId: string; token: string }> = {};
const mainItem = itemBarcode('33907', 1);
const waiting = hold(`bib-${mainItem.slice(-6)}`, 'EAST');

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-server-'));
  server = await startConsortiumServer({ dataDir: dir });
  await server.importDocuments('libraries', consortium);
  await server.importDocuments('items', [item(mainItem, 'MAIN')]);
  await server.importDocuments('holds', [waiting]);
  for (const library of ['MAIN', 'EAST', 'WEST']) {
    const code = await server.createEnrolmentCode(library);
    const enrolled = await call<{ deskId: string; token: string; library: string }>(
      'POST',
      '/v1/enrol',
      undefined,
      { code: code.toLowerCase(), deskName: `${library} desk 1` },
    );
    expect(enrolled.status).toBe(200);
    expect(enrolled.body.library).toBe(library);
    desks[library] = enrolled.body;
    // One-time: the same code never enrols a second desk.
    expect((await call('POST', '/v1/enrol', undefined, { code, deskName: 'again' })).status).toBe(
      403,
    );
  }
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const token = (library: string) => desks[library]?.token ?? '';
const deskId = (library: string) => desks[library]?.deskId ?? '';

describe('the consortium server', () => {
  it('refuses requests without a valid token, and an admin route without the admin token', async () => {
    expect((await call('GET', '/v1/sync/items/pull', undefined)).status).toBe(401);
    expect((await call('GET', '/v1/sync/items/pull', 'x'.repeat(43))).status).toBe(401);
    const admin = await call<{ error: { code: string } }>(
      'POST',
      '/v1/admin/desks/enrolment-codes',
      token('MAIN'),
      { library: 'MAIN' },
    );
    expect(admin).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
  });

  it('serves each desk only what its library sees', async () => {
    const main = await call<PullResponse>('GET', '/v1/sync/holds/pull?limit=100', token('MAIN'));
    const west = await call<PullResponse>('GET', '/v1/sync/holds/pull?limit=100', token('WEST'));
    expect(main.body.documents.map((d) => d['id'])).toEqual([waiting.id]);
    expect(west.body.documents).toEqual([]);
    const libraries = await call<PullResponse>('GET', '/v1/sync/libraries/pull', token('WEST'));
    expect(libraries.body.documents).toHaveLength(3);
  });

  it('applies a push whose assumed state is current, answers a stale one with the master', async () => {
    const pulled = await call<PullResponse>('GET', '/v1/sync/holds/pull', token('MAIN'));
    const master = pulled.body.documents[0]!;
    const captured: WireDocument = {
      ...master,
      status: 'in_transit',
      capturedAt: T0,
      capturedItemBarcode: mainItem,
      updatedAt: T0,
      deskId: deskId('MAIN'),
    };
    const push = await call<PushResponse>('POST', '/v1/sync/holds/push', token('MAIN'), {
      rows: [{ assumedMasterState: master, newDocumentState: captured }],
    });
    expect(push).toMatchObject({ status: 200, body: { conflicts: [] } });
    // The same push again (a lost response, retried) changes nothing and is no conflict.
    const retry = await call<PushResponse>('POST', '/v1/sync/holds/push', token('MAIN'), {
      rows: [{ assumedMasterState: master, newDocumentState: captured }],
    });
    expect(retry.body.conflicts).toEqual([]);
    // EAST (the pickup library) pushes from the old state: it gets the master back.
    const stale = await call<PushResponse>('POST', '/v1/sync/holds/push', token('EAST'), {
      rows: [
        {
          assumedMasterState: master,
          newDocumentState: {
            ...master,
            status: 'cancelled',
            updatedAt: T0,
            deskId: deskId('EAST'),
          },
        },
      ],
    });
    expect(stale.body.conflicts).toMatchObject([{ id: waiting.id, status: 'in_transit' }]);
    const after = await call<PullResponse>('GET', '/v1/sync/holds/pull', token('EAST'));
    expect(after.body.documents.map((d) => d['status'])).toEqual(['in_transit']);
  });

  it.each([
    [
      'an unknown field',
      { rows: [{ assumedMasterState: null, newDocumentState: { _deleted: false }, extra: 1 }] },
      400,
    ],
    ['rows that are not an array', { rows: 'all of them' }, 400],
    [
      'a document of the wrong shape',
      { rows: [{ assumedMasterState: null, newDocumentState: { id: 5, _deleted: false } }] },
      422,
    ],
  ])('refuses %s without storing anything', async (_name, body, status) => {
    const answer = await call<{ error: { code: string; message: string } }>(
      'POST',
      '/v1/sync/checkins/push',
      token('MAIN'),
      body,
    );
    expect(answer.status).toBe(status);
    expect(answer.body.error.message).not.toMatch(/at .*\.ts:\d+/);
    const pulled = await call<PullResponse>('GET', '/v1/sync/checkins/pull', token('MAIN'));
    expect(pulled.body.documents).toEqual([]);
  });

  it("refuses writes outside the desk's rights", async () => {
    const checkin = {
      id: '01JS0000000000000000000001',
      barcode: mainItem,
      library: 'EAST',
      staff: 'AB',
      scannedAt: T0,
      outcome: { route: 'reshelve' },
      updatedAt: T0,
      deskId: deskId('MAIN'),
      _deleted: false,
    };
    // MAIN recording a check-in as EAST.
    const forged = await call<{ error: { code: string } }>(
      'POST',
      '/v1/sync/checkins/push',
      token('MAIN'),
      {
        rows: [{ assumedMasterState: null, newDocumentState: checkin }],
      },
    );
    expect(forged).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    // A desk writing a library.
    const library = await call<{ error: { code: string } }>(
      'POST',
      '/v1/sync/libraries/push',
      token('MAIN'),
      {
        rows: [
          {
            assumedMasterState: null,
            newDocumentState: { ...consortium[0], deskId: deskId('MAIN'), _deleted: false },
          },
        ],
      },
    );
    expect(library.status).toBe(403);
    // Its own check-in is fine.
    const own = await call<PushResponse>('POST', '/v1/sync/checkins/push', token('MAIN'), {
      rows: [{ assumedMasterState: null, newDocumentState: { ...checkin, library: 'MAIN' } }],
    });
    expect(own).toMatchObject({ status: 200, body: { conflicts: [] } });
  });

  it('shows a pickup library the copy on its hold, and takes its changes while the hold is open', async () => {
    const copy = { ...item(itemBarcode('33909', 7), 'WEST'), status: 'available' as const };
    const wanted = hold(`bib-${copy.barcode.slice(-6)}`, 'EAST', {
      pullLibrary: 'WEST',
      itemBarcode: copy.barcode,
    });
    await server.importDocuments('items', [copy]);
    await server.importDocuments('holds', [wanted]);
    const pulled = await call<PullResponse>('GET', '/v1/sync/items/pull?limit=1000', token('EAST'));
    const seen = pulled.body.documents.find((doc) => doc['barcode'] === copy.barcode);
    expect(seen).toMatchObject({ title: copy.title, _deleted: false });

    const change = (from: WireDocument, status: string, by: string) => ({
      rows: [
        {
          assumedMasterState: from,
          newDocumentState: { ...from, status, updatedAt: T0, deskId: deskId(by) },
        },
      ],
    });
    const shelved = await call<PushResponse>(
      'POST',
      '/v1/sync/items/push',
      token('EAST'),
      change(seen!, 'on_hold_shelf', 'EAST'),
    );
    expect(shelved).toMatchObject({ status: 200, body: { conflicts: [] } });
    const [master] = (
      await call<PullResponse>('GET', '/v1/sync/items/pull?limit=1000', token('WEST'))
    ).body.documents.filter((doc) => doc['barcode'] === copy.barcode);
    expect(master).toMatchObject({ status: 'on_hold_shelf' });

    // The hold ends while EAST is offline with another change to the copy: the copy no
    // longer concerns EAST, so the change is answered with a deletion (EAST drops its copy)
    // instead of a refusal that EAST would retry for ever. Nothing is written. The deletion
    // is EAST's own row: a library is told nothing of a document it no longer sees.
    await server.importDocuments('holds', [{ ...wanted, status: 'cancelled' }]);
    const late = await call<PushResponse>(
      'POST',
      '/v1/sync/items/push',
      token('EAST'),
      change(master!, 'available', 'EAST'),
    );
    expect(late).toMatchObject({
      status: 200,
      body: { conflicts: [{ barcode: copy.barcode, status: 'available', _deleted: true }] },
    });
    // A desk of a library the copy never concerned changes nothing either.
    const stranger = await call<PushResponse>(
      'POST',
      '/v1/sync/items/push',
      token('MAIN'),
      change(master!, 'available', 'MAIN'),
    );
    expect(stranger.body.conflicts).toHaveLength(1);
    const after = (
      await call<PullResponse>('GET', '/v1/sync/items/pull?limit=1000', token('WEST'))
    ).body.documents.find((doc) => doc['barcode'] === copy.barcode);
    expect(after).toMatchObject({ status: 'on_hold_shelf', _deleted: false });
  });

  it('lets the scanning desk void its check-in once, and nothing else change it', async () => {
    const recorded = {
      id: '01JS0000000000000000000002',
      barcode: mainItem,
      library: 'MAIN',
      staff: 'AB',
      scannedAt: T0,
      outcome: { route: 'reshelve' },
      updatedAt: T0,
      deskId: deskId('MAIN'),
      _deleted: false,
    };
    const push = (assumed: unknown, next: unknown) =>
      call<PushResponse & { error?: { code: string } }>(
        'POST',
        '/v1/sync/checkins/push',
        token('MAIN'),
        { rows: [{ assumedMasterState: assumed, newDocumentState: next }] },
      );
    expect((await push(null, recorded)).status).toBe(200);
    const voided = { ...recorded, voidedAt: T0, updatedAt: T0 };
    expect(await push(recorded, voided)).toMatchObject({ status: 200, body: { conflicts: [] } });
    // Voided stays voided; no other field changes.
    const unvoided: Record<string, unknown> = { ...voided };
    delete unvoided['voidedAt'];
    expect((await push(voided, unvoided)).status).toBe(403);
    expect((await push(voided, { ...voided, staff: 'ZZ' })).status).toBe(403);
  });

  it('lets the desk whose capture the server holds release it, and no other desk', async () => {
    const captured = {
      ...waiting,
      status: 'in_transit',
      capturedAt: T0,
      capturedItemBarcode: mainItem,
      updatedAt: T0,
      deskId: deskId('MAIN'),
      _deleted: false,
    };
    const push = (library: string, assumed: unknown, next: unknown) =>
      call<PushResponse>('POST', '/v1/sync/holds/push', token(library), {
        rows: [{ assumedMasterState: assumed, newDocumentState: next }],
      });
    const [current] = (
      await call<PullResponse>('GET', '/v1/sync/holds/pull?limit=100', token('MAIN'))
    ).body.documents.filter((doc: WireDocument) => doc['id'] === waiting.id);
    expect(current).toBeDefined();
    expect(await push('MAIN', current, captured)).toMatchObject({
      status: 200,
      body: { conflicts: [] },
    });
    const releasedFields: Record<string, unknown> = { ...captured };
    delete releasedFields['capturedAt'];
    delete releasedFields['capturedItemBarcode'];
    // EAST (the pickup library) may move the hold, but not take back MAIN's capture.
    const byEast = { ...releasedFields, status: 'pending', deskId: deskId('EAST') };
    expect((await push('EAST', captured, byEast)).status).toBe(403);
    const released = { ...releasedFields, status: 'pending' };
    expect(await push('MAIN', captured, released)).toMatchObject({
      status: 200,
      body: { conflicts: [] },
    });
  });

  it('answers a late offline capture with the earlier one as a conflict, not a refusal', async () => {
    const contested = hold('bib-contested', 'EAST', { pullLibrary: 'MAIN' });
    await server.importDocuments('holds', [contested]);
    const pulled = async (library: string) =>
      (
        await call<PullResponse>('GET', '/v1/sync/holds/pull?limit=1000', token(library))
      ).body.documents.find((doc: WireDocument) => doc['id'] === contested.id)!;
    const pending = await pulled('EAST');
    // EAST captured first and reached the server first: on its shelf.
    const atEast = {
      ...pending,
      status: 'on_shelf',
      capturedAt: '2026-11-23T15:00:00.000Z',
      capturedItemBarcode: itemBarcode('33908', 40),
      shelvedAt: '2026-11-23T15:00:00.000Z',
      updatedAt: '2026-11-23T15:00:00.000Z',
      deskId: deskId('EAST'),
    };
    expect(
      await call<PushResponse>('POST', '/v1/sync/holds/push', token('EAST'), {
        rows: [{ assumedMasterState: pending, newDocumentState: atEast }],
      }),
    ).toMatchObject({ status: 200, body: { conflicts: [] } });
    // MAIN captured another copy offline a minute later, starting from the pending hold.
    const atMain = {
      ...pending,
      status: 'in_transit',
      capturedAt: '2026-11-23T15:01:00.000Z',
      capturedItemBarcode: mainItem,
      updatedAt: '2026-11-23T15:01:00.000Z',
      deskId: deskId('MAIN'),
    };
    const late = await call<PushResponse>('POST', '/v1/sync/holds/push', token('MAIN'), {
      rows: [{ assumedMasterState: pending, newDocumentState: atMain }],
    });
    expect(late.status).toBe(200);
    expect(late.body.conflicts).toEqual([expect.objectContaining({ status: 'on_shelf' })]);
    expect(late.body.conflicts[0]).toMatchObject({
      capturedItemBarcode: atEast.capturedItemBarcode,
    });
    // The same move pushed as if on the current state is judged, and refused: never backwards.
    const backwards = await call<{ error: { code: string } }>(
      'POST',
      '/v1/sync/holds/push',
      token('MAIN'),
      { rows: [{ assumedMasterState: atEast, newDocumentState: atMain }] },
    );
    expect(backwards).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  });

  it('takes a gzipped push, as desks send long bodies, and answers it like any other', async () => {
    const rows = Array.from({ length: 40 }, (_, n) => ({
      assumedMasterState: null,
      newDocumentState: {
        id: `01JS00000000000000000G${String(n).padStart(4, '0')}`,
        barcode: mainItem,
        library: 'MAIN',
        staff: 'AB',
        scannedAt: T0,
        outcome: { route: 'reshelve' },
        updatedAt: T0,
        deskId: deskId('MAIN'),
        _deleted: false,
      },
    }));
    const payload = requestBody({ rows });
    expect(payload.headers['content-encoding']).toBe('gzip');
    const plainLength = JSON.stringify({ rows }).length;
    expect(payload.body.length).toBeLessThan(plainLength / 5);
    const response = await fetch(`${server.url}/v1/sync/checkins/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('MAIN')}`, ...payload.headers },
      body: payload.body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ conflicts: [] });
    const pulled = await call<PullResponse>(
      'GET',
      '/v1/sync/checkins/pull?limit=1000',
      token('MAIN'),
    );
    const ids = new Set(pulled.body.documents.map((doc: WireDocument) => doc['id']));
    expect(rows.every((row) => ids.has(row.newDocumentState.id))).toBe(true);
  });

  it('refuses a gzipped body that inflates past the body limit, and keeps answering', async () => {
    const bomb = gzipSync(Buffer.from(`{"rows":[${'0,'.repeat(20_000_000)}0]}`));
    expect(bomb.length).toBeLessThan(200_000);
    const response = await fetch(`${server.url}/v1/sync/checkins/push`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token('MAIN')}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: new Uint8Array(bomb),
    });
    expect(response.status).toBe(413);
    expect((await call('GET', '/v1/sync/checkins/pull?limit=1', token('MAIN'))).status).toBe(200);
  });
});
