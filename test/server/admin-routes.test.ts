// The administration routes for libraries, desks and the JSON document import through a real
// server: the admin token, strict bodies, stable error codes, and a revoked desk locked out of
// sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Library } from '../../shared/index.js';
import { item, itemBarcode, library, T0 } from '../support/desk.js';
import { startAdminTestServer, type AdminTestServer } from './admin-support.js';

let t: AdminTestServer;
beforeAll(async () => {
  t = await startAdminTestServer();
});
afterAll(async () => {
  await t.close();
});

type Failure = { error: { code: string; message: string } };

describe('libraries', () => {
  it('adds a library with defaults, sent to every desk', async () => {
    const added = await t.call<{ library: Library }>('POST', '/v1/admin/libraries', {
      json: {
        code: 'NORTH',
        name: 'North Library',
        timeZone: 'America/Chicago',
        barcodePrefixes: ['31234'],
        floatingRules: { libraries: ['SOUTH'], callNumberPrefixes: ['FIC'] },
        holdShelfDays: 10,
        courierStop: 'N1',
      },
    });
    expect(added.status).toBe(201);
    expect(added.body.library).toMatchObject({
      code: 'NORTH',
      barcodeRule: { lengths: [], checkDigit: 'none' },
      localPickupFirst: true,
      crateCapacity: 40,
      holdShelfDays: 10,
      courierStop: 'N1',
      deskId: 'server',
    });
    const desk = await t.enrolDesk('NORTH');
    const pulled = await t.pull(desk.token, 'libraries');
    expect(pulled.documents).toEqual([{ ...added.body.library, _deleted: false }]);
  });

  it('refuses a duplicate code, an overlapping prefix, an unknown zone, loose bodies', async () => {
    const base = { name: 'X', timeZone: 'America/Chicago' };
    const cases: [unknown, number, string][] = [
      [{ ...base, code: 'NORTH' }, 409, 'library_exists'],
      [{ ...base, code: 'SOUTH', barcodePrefixes: ['3123'] }, 409, 'prefix_taken'],
      [{ ...base, code: 'SOUTH', timeZone: 'Mars/Olympus' }, 400, 'invalid_time_zone'],
      [{ ...base, code: 'SOUTH', holdShelfDays: '7' }, 400, 'invalid_request'],
      [{ ...base, code: 'SOUTH', patronEmail: 'x@example.org' }, 400, 'invalid_request'],
      [{ ...base, code: 'SOUTH', updatedAt: '2026-11-23T15:00:00.000Z' }, 400, 'invalid_request'],
      [{ ...base, code: 'no spaces' }, 400, 'invalid_request'],
      [{ code: 'SOUTH' }, 400, 'invalid_request'],
    ];
    for (const [json, status, code] of cases) {
      const refused = await t.call<Failure>('POST', '/v1/admin/libraries', { json });
      expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status, code });
    }
    const list = await t.call<{ libraries: Library[] }>('GET', '/v1/admin/libraries');
    expect(list.body.libraries.map((library) => library.code)).toEqual(['NORTH']);
  });

  it('changes only the fields given, and writes nothing when nothing changes', async () => {
    const changed = await t.call<{ library: Library; changed: boolean }>(
      'PATCH',
      '/v1/admin/libraries/NORTH',
      { json: { holdShelfDays: 14, courierStop: 'N2' } },
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      changed: true,
      library: { holdShelfDays: 14, courierStop: 'N2', name: 'North Library' },
    });
    const same = await t.call<{ changed: boolean }>('PATCH', '/v1/admin/libraries/NORTH', {
      json: { holdShelfDays: 14 },
    });
    expect(same.body.changed).toBe(false);
    const unknown = await t.call<Failure>('PATCH', '/v1/admin/libraries/NOWHERE', {
      json: { holdShelfDays: 14 },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'unknown_library']);
    const recode = await t.call<Failure>('PATCH', '/v1/admin/libraries/NORTH', {
      json: { code: 'SOUTH' },
    });
    expect([recode.status, recode.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('answers 401 without the admin token, before looking at the body', async () => {
    for (const token of [null, 'wrong', 'x'.repeat(43)]) {
      const refused = await t.call<Failure>('POST', '/v1/admin/libraries', { json: {} }, token);
      expect([refused.status, refused.body.error.code]).toEqual([401, 'unauthorized']);
      const listed = await t.call<Failure>('GET', '/v1/admin/desks', undefined, token);
      expect(listed.status).toBe(401);
    }
  });
});

describe('desks', () => {
  it('makes enrolment codes for member libraries only', async () => {
    const code = await t.call<{ code: string; library: string; role: string; expiresAt: string }>(
      'POST',
      '/v1/admin/desks/enrolment-codes',
      { json: { library: 'NORTH', role: 'editor' } },
    );
    expect(code.status).toBe(201);
    expect(code.body).toMatchObject({ library: 'NORTH', role: 'editor' });
    expect(code.body.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
    const unknown = await t.call<Failure>('POST', '/v1/admin/desks/enrolment-codes', {
      json: { library: 'NOWHERE' },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'unknown_library']);
    const badRole = await t.call<Failure>('POST', '/v1/admin/desks/enrolment-codes', {
      json: { library: 'NORTH', role: 'admin' },
    });
    expect(badRole.status).toBe(400);
  });

  it('lists desks without their tokens, and a revoked desk can no longer sync', async () => {
    const desk = await t.enrolDesk('NORTH');
    const listed = await t.call<{ desks: Record<string, unknown>[] }>(
      'GET',
      '/v1/admin/desks?library=NORTH',
    );
    expect(listed.body.desks).toContainEqual({
      deskId: desk.deskId,
      library: 'NORTH',
      role: 'desk',
      name: 'NORTH desk',
      revoked: false,
    });
    expect(listed.text).not.toContain(desk.token);

    expect((await t.pull(desk.token, 'libraries')).documents).toHaveLength(1);
    const revoked = await t.call<{ desk: { revoked: boolean } }>(
      'POST',
      `/v1/admin/desks/${desk.deskId}/revoke`,
    );
    expect([revoked.status, revoked.body.desk.revoked]).toEqual([200, true]);
    const locked = await t.call<Failure>('GET', '/v1/sync/libraries/pull', undefined, desk.token);
    expect([locked.status, locked.body.error.code]).toEqual([403, 'revoked']);
    const again = await t.call('POST', `/v1/admin/desks/${desk.deskId}/revoke`);
    expect(again.status).toBe(200);

    const unknown = await t.call<Failure>(
      'POST',
      '/v1/admin/desks/01JQ0000000000000000000000/revoke',
    );
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'unknown_desk']);
    const notAnId = await t.call<Failure>('POST', '/v1/admin/desks/nope/revoke');
    expect(notAnId.status).toBe(400);
  });
});

describe('JSON document import', () => {
  it('writes whole documents as given, and a desk of their library pulls them', async () => {
    const books = [item(itemBarcode('31234', 1), 'NORTH'), item(itemBarcode('31234', 2), 'NORTH')];
    const imported = await t.call('POST', '/v1/admin/json-import/items', {
      json: { documents: books },
    });
    expect([imported.status, imported.body]).toEqual([200, { imported: 2 }]);
    const desk = await t.enrolDesk('NORTH');
    const pulled = await t.pull(desk.token, 'items');
    // Their own stamps kept (the ILS import would stamp them now, as the server).
    expect(pulled.documents).toEqual(books.map((book) => ({ ...book, _deleted: false })));

    // Written again over what the server holds: a change, not a conflict.
    const changed = { ...books[0]!, status: 'available' as const, updatedAt: T0 };
    const again = await t.call('POST', '/v1/admin/json-import/items', {
      json: { documents: [changed] },
    });
    expect(again.status).toBe(200);
    expect((await t.pull(desk.token, 'items')).documents).toContainEqual({
      ...changed,
      _deleted: false,
    });
  });

  it('refuses the whole list if one document is not valid for its collection', async () => {
    const good = item(itemBarcode('31234', 3), 'NORTH');
    const cases: [unknown, number, string][] = [
      [
        { documents: [good, { ...good, barcode: 'x', patronEmail: 'a@b' }] },
        422,
        'invalid_document',
      ],
      [{ documents: [good, { ...good, _deleted: true }] }, 422, 'invalid_document'],
      [{ documents: [library('EAST', '31239')] }, 422, 'invalid_document'],
      [{ documents: [good, 'not a document'] }, 400, 'invalid_request'],
      [{ documents: Array.from({ length: 5001 }, () => good) }, 400, 'invalid_request'],
      [{ documents: [good], extra: true }, 400, 'invalid_request'],
    ];
    for (const [json, status, code] of cases) {
      const refused = await t.call<Failure>('POST', '/v1/admin/json-import/items', { json });
      expect({ status: refused.status, code: refused.body.error.code }).toEqual({ status, code });
    }
    const unknown = await t.call<Failure>('POST', '/v1/admin/json-import/patrons', {
      json: { documents: [] },
    });
    expect(unknown.status).toBe(400);
    // Nothing of a refused list was written, not even its valid first document.
    const desk = await t.enrolDesk('NORTH');
    const barcodes = (await t.pull(desk.token, 'items')).documents.map((doc) => doc['barcode']);
    expect(barcodes).not.toContain(good.barcode);
  });

  it('needs the administrator token, not a desk token', async () => {
    const desk = await t.enrolDesk('NORTH');
    for (const token of [null, desk.token]) {
      const refused = await t.call<Failure>(
        'POST',
        '/v1/admin/json-import/items',
        { json: { documents: [] } },
        token,
      );
      expect([refused.status, refused.body.error.code]).toEqual([401, 'unauthorized']);
    }
  });

  it('no longer has the old /v1/admin/enrolment-codes and /v1/admin/import routes', async () => {
    for (const [path, json] of [
      ['/v1/admin/enrolment-codes', { library: 'NORTH' }],
      ['/v1/admin/import/items', { documents: [] }],
    ] as const) {
      const gone = await t.call<Failure>('POST', path, { json });
      expect([gone.status, gone.body.error.code]).toEqual([404, 'not_found']);
    }
  });
});
