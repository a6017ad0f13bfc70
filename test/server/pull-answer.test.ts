// The pull route's answer over real HTTP on loopback, with its real SQLite store: the JSON text
// the route sends as the store made it (ReplicationStore.pullJson) is the answer the route sent
// when it serialised pull's documents, byte for byte, compressed as the desk asks (br or gzip),
// page by page. The reference is the same file's pull, through a second store on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsortiumServer, type ConsortiumServer } from '../../server/app.js';
import {
  domainCollections,
  openSqliteReplicationStore,
  type Checkpoint,
  type ReplicationStore,
} from '../../server/store/index.js';
import { HISTORY_HEADER, type PullResponse } from '../../shared/index.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';

let dir: string;
let server: ConsortiumServer;
let reference: ReplicationStore;
let token: string;

/** Titles a serialiser could get wrong: escapes, astral characters, line separators. */
const titles = [
  'Plain',
  'Quotes "inside" and a backslash \\ and a slash /',
  'Astral 😀 𝄞 𠜎, accents é ñ, a line\nbreak and a tab\t',
  'Separators \u2028 \u2029 and a NUL \u0000 and </script>',
  '{"looks":"like JSON"}',
];
const movedHold = hold('bib-moved', 'EAST', { patronRef: 'patron-who-moved' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carrel-pull-answer-'));
  server = await startConsortiumServer({ dataDir: dir });
  await server.importDocuments('libraries', consortium);
  await server.importDocuments(
    'items',
    Array.from({ length: 40 }, (_, n) =>
      item(itemBarcode('33908', n + 1), 'EAST', { title: `${titles[n % titles.length]} ${n}` }),
    ),
  );
  // A hold moved from EAST to WEST: EAST is served it once more, trimmed, as a deletion.
  await server.importDocuments('holds', [movedHold, hold('bib-stays', 'EAST')]);
  await server.importDocuments('holds', [{ ...movedHold, pickupLibrary: 'WEST' }]);
  const code = await server.createEnrolmentCode('EAST');
  const enrolled = await fetch(`${server.url}/v1/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, deskName: 'EAST desk' }),
  });
  token = ((await enrolled.json()) as { token: string }).token;
  reference = await openSqliteReplicationStore(join(dir, 'consortium.sqlite'));
  for (const registration of domainCollections) reference.register(registration);
});
afterAll(async () => {
  await reference?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body as sent, decompressed as its content-encoding says. */
  readonly text: string;
}

function get(path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = request(`${server.url}${path}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        const encoding = response.headers['content-encoding'];
        const decoded =
          encoding === 'gzip'
            ? gunzipSync(body)
            : encoding === 'br'
              ? brotliDecompressSync(body)
              : body;
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: decoded.toString('utf8'),
        });
      });
    });
    sent.on('error', reject);
    sent.end();
  });
}

const pullPath = (collection: string, limit: number, after: Checkpoint | null) =>
  `/v1/sync/${collection}/pull?limit=${limit}${after === null ? '' : `&after=${after.seq}`}`;

describe('the pull route', () => {
  it.each([
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['identity', undefined],
  ])(
    'answers Accept-Encoding: %s with the pull, as JSON, byte for byte, page by page',
    async (accepted, encoding) => {
      for (const collection of ['items', 'holds']) {
        let after: Checkpoint | null = null;
        let served = 0;
        let compressible = 0;
        for (;;) {
          const answer = await get(pullPath(collection, 16, after), {
            authorization: `Bearer ${token}`,
            'accept-encoding': accepted,
          });
          const expected = await reference.pull(collection, { library: 'EAST', after, limit: 16 });
          expect(answer.status).toBe(200);
          expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
          expect(answer.headers[HISTORY_HEADER]).toEqual(expect.any(String));
          // A page under a kilobyte (a short one) is sent as it is.
          if (answer.text.length > 1024) {
            expect(answer.headers['content-encoding']).toBe(encoding);
            compressible += 1;
          }
          const parsed = JSON.parse(answer.text) as PullResponse;
          expect(parsed).toEqual(expected);
          expect(answer.text).toBe(JSON.stringify(expected));
          served += parsed.documents.length;
          if (parsed.documents.length < 16) break;
          after = parsed.checkpoint;
        }
        expect(served).toBe(collection === 'items' ? 40 : 2);
        if (collection === 'items') expect(compressible).toBeGreaterThan(0);
      }
    },
  );

  it('compresses a big page, and serves a library a document left its trimmed deletion', async () => {
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' };
    const items = await get(pullPath('items', 100, null), headers);
    expect(items.headers['content-encoding']).toBe('gzip');
    const titlesServed = (JSON.parse(items.text) as PullResponse).documents.map(
      (doc) => doc['title'],
    );
    expect(titlesServed).toContain(`${titles[2]} 2`);
    expect(titlesServed).toContain(`${titles[3]} 3`);

    const holds = JSON.parse(
      (await get(pullPath('holds', 100, null), headers)).text,
    ) as PullResponse;
    const moved = holds.documents.find((doc) => doc['id'] === movedHold.id);
    expect(moved).toMatchObject({ _deleted: true, pickupLibrary: 'WEST' });
    expect(moved).not.toHaveProperty('patronRef');
  });

  it('answers past the end with nothing at the same checkpoint, and errors as before', async () => {
    const { checkpoint } = await reference.pull('items', {
      library: 'EAST',
      after: null,
      limit: 100,
    });
    const end = await get(pullPath('items', 100, checkpoint), { authorization: `Bearer ${token}` });
    expect(end.text).toBe(`{"documents":[],"checkpoint":{"seq":${checkpoint.seq}}}`);
    const refused = await get(pullPath('items', 100, null), {});
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'unauthorized' } });
    const malformed = await get('/v1/sync/items/pull?after=x', {
      authorization: `Bearer ${token}`,
    });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

const pagesPath = (collection: string, limit: number, pages: number, after: Checkpoint | null) =>
  `/v1/sync/${collection}/pages?limit=${limit}&pages=${pages}${after === null ? '' : `&after=${after.seq}`}`;

/** The pulls a pages answer stands for: each from the checkpoint of the one before. */
async function successivePulls(
  collection: string,
  limit: number,
  pages: number,
  after: Checkpoint | null,
): Promise<PullResponse[]> {
  const expected: PullResponse[] = [];
  let from = after;
  while (expected.length < pages) {
    const page = await reference.pull(collection, { library: 'EAST', after: from, limit });
    expected.push(page);
    if (page.documents.length < limit) break;
    from = page.checkpoint;
  }
  return expected;
}

describe('the pages route', () => {
  it.each([['gzip'], ['br'], ['identity']])(
    'answers Accept-Encoding: %s with successive pulls, one JSON line each, to the end',
    async (accepted) => {
      for (const collection of ['items', 'holds']) {
        let after: Checkpoint | null = null;
        let served = 0;
        for (let answers = 0; ; answers += 1) {
          expect(answers).toBeLessThan(10);
          const answer = await get(pagesPath(collection, 7, 3, after), {
            authorization: `Bearer ${token}`,
            'accept-encoding': accepted,
          });
          expect(answer.status).toBe(200);
          expect(answer.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
          expect(answer.headers[HISTORY_HEADER]).toEqual(expect.any(String));
          const expected = await successivePulls(collection, 7, 3, after);
          expect(answer.text).toBe(expected.map((page) => `${JSON.stringify(page)}\n`).join(''));
          served += expected.reduce((sum, page) => sum + page.documents.length, 0);
          const last = expected.at(-1);
          if (!last || last.documents.length < 7) break;
          after = last.checkpoint;
        }
        expect(served).toBe(collection === 'items' ? 40 : 2);
      }
    },
  );

  it('compresses its answer as asked, and stops at the pages asked for', async () => {
    const answer = await get(pagesPath('items', 10, 2, null), {
      authorization: `Bearer ${token}`,
      'accept-encoding': 'gzip',
    });
    expect(answer.headers['content-encoding']).toBe('gzip');
    const lines = answer.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(2);
    const pages = lines.map((line) => JSON.parse(line) as PullResponse);
    expect(pages.map((page) => page.documents.length)).toEqual([10, 10]);
  });

  it('refuses as the pull route does, before any page', async () => {
    const refused = await get(pagesPath('items', 10, 2, null), {});
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'unauthorized' } });
    for (const query of ['pages=x', 'pages=1000', 'limit=1&pages=2&extra=1']) {
      const malformed = await get(`/v1/sync/items/pages?${query}`, {
        authorization: `Bearer ${token}`,
      });
      expect(malformed.status).toBe(400);
      expect(JSON.parse(malformed.text)).toMatchObject({ error: { code: 'invalid_request' } });
    }
    const unknown = await get('/v1/sync/patrons/pages?pages=2', {
      authorization: `Bearer ${token}`,
    });
    expect(unknown.status).toBe(400);
  });

  it('lets a desk go away in the middle of an answer', async () => {
    // One document a page: the answer is many small writes, cut after the first bytes.
    await new Promise<void>((resolve, reject) => {
      const sent = request(
        `${server.url}${pagesPath('items', 1, 40, null)}`,
        { headers: { authorization: `Bearer ${token}` } },
        (response) => {
          response.once('data', () => {
            sent.destroy();
            resolve();
          });
          response.on('error', () => undefined);
        },
      );
      sent.on('error', (error) => (sent.destroyed ? undefined : reject(error)));
      sent.end();
    });
    const after = await get(pagesPath('items', 100, 1, null), { authorization: `Bearer ${token}` });
    expect(after.status).toBe(200);
    expect((JSON.parse(after.text) as PullResponse).documents).toHaveLength(40);
  });
});
