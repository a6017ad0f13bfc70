// A push written against an older master (a stale row) is answered as a conflict with the
// master state, never refused: the desk's conflict handler merges and pushes again. Two ways
// to get there, both found by the network-fault run (test/faults/network-faults.ts) while the
// server still checked write rules against the current master first and refused the row with
// 403 `forbidden`, so the desk's push failed on every retry and nothing behind it synced:
//
// 1. Contested hold: two libraries capture copies for one title hold while apart. The pickup
//    library shelves its copy (on_shelf) and pushes first; the pull library pushes its
//    capture (in_transit) assuming the hold is still pending.
// 2. Lost answer (the proxy's `lose` fault, a server restart, a duplicated request): the
//    origin desk seals a crate, the server commits it, the answer is lost; the destination
//    receives and closes the crate; the origin retries its push (open -> sealed).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import type { PullResponse, PushResponse, WireDocument } from '../../shared/index.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';

let dir: string;
let server: ConsortiumServer;
const tokens: Record<string, { deskId: string; token: string }> = {};
const bibId = 'bib-contested';
const mainCopy = itemBarcode('33907', 71);
const eastCopy = itemBarcode('33908', 72);
// Picked up at MAIN, pulled at EAST: both libraries' desks see it and may capture it.
const contested = hold(bibId, 'MAIN', { pullLibrary: 'EAST' });

async function call<T>(path: string, token: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-contested-'));
  server = await startConsortiumServer({ dataDir: dir });
  await server.importDocuments('libraries', consortium);
  await server.importDocuments('items', [
    item(mainCopy, 'MAIN', { bibId }),
    item(eastCopy, 'EAST', { bibId }),
  ]);
  await server.importDocuments('holds', [contested]);
  for (const library of ['MAIN', 'EAST']) {
    const response = await fetch(`${server.url}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code: await server.createEnrolmentCode(library),
        deskName: `${library} desk`,
      }),
    });
    tokens[library] = (await response.json()) as { deskId: string; token: string };
  }
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a push written against an older master', () => {
  it('a hold captured by two libraries while apart: a conflict for the later push, not 403', async () => {
    const main = tokens['MAIN']!;
    const east = tokens['EAST']!;
    const pulled = await call<PullResponse>('/v1/sync/holds/pull?limit=100', main.token);
    const pending = pulled.body.documents.find((doc) => doc['id'] === contested.id)!;
    expect(pending['status']).toBe('pending');

    const shelved: WireDocument = {
      ...pending,
      status: 'on_shelf',
      capturedAt: '2026-11-23T15:00:02.000Z',
      capturedItemBarcode: mainCopy,
      shelvedAt: '2026-11-23T15:00:02.000Z',
      expiresOn: '2026-11-30',
      updatedAt: '2026-11-23T15:00:02.000Z',
      deskId: main.deskId,
    };
    const first = await call<PushResponse>('/v1/sync/holds/push', main.token, {
      rows: [{ assumedMasterState: pending, newDocumentState: shelved }],
    });
    expect(first).toMatchObject({ status: 200, body: { conflicts: [] } });

    // EAST captured its copy a second earlier, offline, and ships it: it still assumes
    // the hold is pending.
    const shipped: WireDocument = {
      ...pending,
      status: 'in_transit',
      capturedAt: '2026-11-23T15:00:01.000Z',
      capturedItemBarcode: eastCopy,
      updatedAt: '2026-11-23T15:00:01.000Z',
      deskId: east.deskId,
    };
    const second = await call<PushResponse & { error?: unknown }>(
      '/v1/sync/holds/push',
      east.token,
      { rows: [{ assumedMasterState: pending, newDocumentState: shipped }] },
    );
    expect(second.status).toBe(200);
    expect(second.body.conflicts).toHaveLength(1);
    expect(second.body.conflicts[0]).toMatchObject({ status: 'on_shelf' });
  });

  it('a crate seal retried after its answer was lost and the crate closed: a conflict, not 403', async () => {
    const main = tokens['MAIN']!;
    const east = tokens['EAST']!;
    const open: WireDocument = {
      id: '01JP9ZTGBRJXBAH7JWA44VFXVY',
      labelBarcode: 'CR-MAIN-0042',
      origin: 'MAIN',
      destination: 'EAST',
      status: 'open',
      openedAt: '2026-11-23T15:00:00.000Z',
      counts: { packed: 0, received: 0, missing: 0, extra: 0 },
      discrepancies: [],
      updatedAt: '2026-11-23T15:00:00.000Z',
      deskId: main.deskId,
      _deleted: false,
    };
    const push = (token: string, assumed: WireDocument | null, next: WireDocument) =>
      call<PushResponse>('/v1/sync/crates/push', token, {
        rows: [{ assumedMasterState: assumed, newDocumentState: next }],
      });
    expect((await push(main.token, null, open)).status).toBe(200);
    const sealed = { ...open, status: 'sealed', sealedAt: '2026-11-23T15:01:00.000Z' };
    // Committed; the proxy loses this answer, so the desk still assumes `open`.
    expect((await push(main.token, open, sealed)).status).toBe(200);
    const received = {
      ...sealed,
      status: 'received',
      receivedAt: '2026-11-23T16:00:00.000Z',
      updatedAt: '2026-11-23T16:00:00.000Z',
      deskId: east.deskId,
    };
    expect((await push(east.token, sealed, received)).status).toBe(200);
    const closed = { ...received, status: 'closed', closedAt: '2026-11-23T16:05:00.000Z' };
    expect((await push(east.token, received, closed)).status).toBe(200);

    const retried = await push(main.token, open, sealed);
    expect(retried.status).toBe(200);
    expect(retried.body.conflicts).toHaveLength(1);
    expect(retried.body.conflicts[0]).toMatchObject({ status: 'closed' });
  });
});
