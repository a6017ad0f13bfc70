// The consortium server's limits on what one request may carry, over real HTTP on loopback
// with its real SQLite store: at most MAX_PUSH_ROWS rows in a push, and a body limit on plain
// JSON as on gzipped JSON (server-api.test.ts). Past a limit the whole request is refused and
// nothing of it is stored; at the limit it is taken. And a time limit: a request that stalls
// before it has arrived whole is closed.
import { once } from 'node:events';
import { connect } from 'node:net';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PUSH_ROWS } from '../../shared/index.js';
import { consortium, itemBarcode, T0 } from '../support/desk.js';
import { startAdminTestServer, type AdminTestServer } from './admin-support.js';

let t: AdminTestServer;
let desk: { deskId: string; token: string };

beforeAll(async () => {
  t = await startAdminTestServer();
  await t.server.importDocuments('libraries', consortium);
  desk = await t.enrolDesk('MAIN');
});
afterAll(async () => {
  await t?.close();
});

/** `count` valid check-ins of the desk's own library, each a new document. */
function checkinRows(count: number, firstSerial: number) {
  return Array.from({ length: count }, (_, n) => ({
    assumedMasterState: null,
    newDocumentState: {
      id: ulid(),
      barcode: itemBarcode('33907', firstSerial + n),
      library: 'MAIN',
      staff: 'AB',
      scannedAt: T0,
      outcome: { route: 'reshelve' },
      updatedAt: T0,
      deskId: desk.deskId,
      _deleted: false,
    },
  }));
}

const storedIds = async () =>
  new Set((await t.pull(desk.token, 'checkins')).documents.map((doc) => doc['id']));

describe('the limits on one request', () => {
  it('refuses a push of one row more than MAX_PUSH_ROWS whole, and takes MAX_PUSH_ROWS', async () => {
    const tooMany = checkinRows(MAX_PUSH_ROWS + 1, 1);
    const refused = await t.push(desk.token, 'checkins', tooMany);
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    const afterRefusal = await storedIds();
    expect(tooMany.filter((row) => afterRefusal.has(row.newDocumentState['id']))).toEqual([]);

    const atLimit = checkinRows(MAX_PUSH_ROWS, 10_000);
    const taken = await t.push(desk.token, 'checkins', atLimit);
    expect(taken).toMatchObject({ status: 200, body: { conflicts: [] } });
    const afterTaken = await storedIds();
    expect(atLimit.every((row) => afterTaken.has(row.newDocumentState['id']))).toBe(true);
  });

  it('refuses a plain JSON body past the body limit, stores nothing of it, and keeps answering', async () => {
    // One valid row whose document carries 3 MiB of text: larger than the 2 MiB body limit.
    const [row] = checkinRows(1, 20_000);
    const oversize = { rows: [{ ...row, padding: 'x'.repeat(3 * 1024 * 1024) }] };
    const answer = await t.call<{ error: { code: string } }>(
      'POST',
      '/v1/sync/checkins/push',
      { json: oversize },
      desk.token,
    );
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('body_too_large');
    expect((await storedIds()).has(row!.newDocumentState['id'])).toBe(false);
    expect(
      (await t.call('GET', '/v1/sync/checkins/pull?limit=1', undefined, desk.token)).status,
    ).toBe(200);
  });
});

describe('a request that stalls mid-body', () => {
  let slow: AdminTestServer;
  beforeAll(async () => {
    slow = await startAdminTestServer({ requestTimeoutMs: 500 });
    await slow.server.importDocuments('libraries', consortium);
  });
  afterAll(async () => {
    await slow?.close();
  });

  it(
    'is closed by the server, which answers other requests meanwhile',
    { timeout: 20_000 },
    async () => {
      const { token } = await slow.enrolDesk('MAIN');
      const { hostname, port } = new URL(slow.server.url);
      const socket = connect(Number(port), hostname);
      await once(socket, 'connect');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const closed = once(socket, 'close');
      // Headers and the start of a body promised at 1,000 bytes, then nothing more.
      socket.write(
        [
          'POST /v1/sync/checkins/push HTTP/1.1',
          `Host: ${hostname}`,
          `Authorization: Bearer ${token}`,
          'Content-Type: application/json',
          'Content-Length: 1000',
          '',
          '{"rows":[',
        ].join('\r\n'),
      );
      expect((await slow.call('GET', '/v1/health', undefined, null)).status).toBe(200);
      // Without the time limit the socket stays open and this waits until the test times out.
      await closed;
      // Closed silently (the connection's time limit) or answered 408 (the request's).
      const answer = Buffer.concat(received).toString('latin1');
      expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
      expect(
        (await slow.call('GET', '/v1/sync/checkins/pull?limit=1', undefined, token)).status,
      ).toBe(200);
    },
  );
});
