// Fuzzing with fast-check (issue #6 item 4). Three targets, each a function the short vitest
// run and `npm run test:faults` share:
//
//  - every server route over real HTTP with hostile requests: wrong types, unknown fields,
//    huge and deeply nested bodies, odd unicode, injection strings, missing, wrong and
//    revoked tokens, other libraries' documents. No answer may be a 5xx, the server must keep
//    answering, and afterwards every document it serves must still pass its schema;
//  - every desk API method through the dispatcher with hostile arguments: the call never
//    rejects and answers `ok` or a stable error code (never `internal`, a handler that threw);
//  - the scanner-input parser (shared/rules/barcode.ts) and the ILS CSV import's parsing
//    (server/admin/ils-import.ts): never an uncaught exception.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDesk } from '../../main/app.js';
import { importIlsFile } from '../../server/admin/ils-import.js';
import { startConsortiumServer } from '../../server/app.js';
import { domainCollections, openSqliteReplicationStore } from '../../server/store/index.js';
import { HttpError } from '../../server/sync/sync-routes.js';
import {
  cleanScan,
  codabarCheckDigit,
  createDocumentValidator,
  deskMethodNames,
  deskMethodSchema,
  readScan,
  replicatedCollections,
  type DeskCollectionName,
} from '../../shared/index.js';
import { sampleDocuments } from '../../shared/schemas/sample-documents.js';
import { consortium, hold, item, itemBarcode } from '../support/desk.js';
import { serverView } from '../support/server-view.js';

export interface FuzzReport {
  readonly cases: number;
  /** Answers with a 5xx status (or no answer at all). */
  readonly serverErrors: number;
  /** Documents the server serves afterwards that fail their schema. */
  readonly acceptedInvalid: number;
  /** Pushes the server took (2xx): the hostile ones that were valid after all. */
  readonly acceptedPushes?: number;
  /** How many answers had each status (server fuzz): shows what the cases reached. */
  readonly statuses?: Record<number, number>;
  readonly problems: string[];
}

const INJECTIONS = [
  "'; DROP TABLE documents; --",
  '" OR 1=1 --',
  '$where',
  '{"$gt": ""}',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  '%00',
  '\u0000',
  '<script>alert(1)</script>',
  '${7*7}',
  '\ud800',
  '\u202e\u2066',
  'e\u0301',
  '🏳️‍🌈',
  'ＭＡＩＮ',
];

/** Hostile JSON values: the odd ones first, then anything. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, 0.1),
  fc.constantFrom('x'.repeat(70_000), '9'.repeat(5_000)),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A nesting `depth` levels deep: stack-hungry parsers and validators choke on these. */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

const DESK_PLACEHOLDER = '01JQZZZZZZZZZZZZZZZZZZZZZZ';

/** A valid document of a collection with one field changed, removed or added. */
function mutatedDocument(collection: DeskCollectionName): fc.Arbitrary<Record<string, unknown>> {
  const base: Record<string, unknown> = {
    ...(sampleDocuments[collection] as Record<string, unknown>),
    // Filled in with the pushing desk's id when sent, so rows get past the "wrote it" rule
    // and reach validation and the write rules.
    deskId: DESK_PLACEHOLDER,
    _deleted: false,
  };
  const keys = Object.keys(base);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), hostileValue).map(([key, value]) => ({
      ...base,
      [key]: value,
    })),
    fc.constantFrom(...keys).map((key) => {
      const copy = { ...base };
      delete copy[key];
      return copy;
    }),
    fc
      .tuple(fc.constantFrom(...INJECTIONS, 'extra', 'admin', 'role'), hostileValue)
      .map(([key, value]) => ({ ...base, [key]: value })),
    fc.constant(base),
  );
}

type Token = 'none' | 'garbage' | 'main' | 'east' | 'revoked' | 'admin' | 'malformed';

interface HostileRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly token: Token;
  readonly body?: unknown;
  readonly rawBody?: string;
}

/** Every route the server has (and any it may grow under /v1), with hostile parameters. */
function hostileRequest(): fc.Arbitrary<HostileRequest> {
  const collection = fc.oneof(
    fc.constantFrom(...replicatedCollections),
    fc.constantFrom(
      ...INJECTIONS.filter((text) => !text.includes('\ud800')).map(encodeURIComponent),
      'users',
      '..%2f..',
    ),
  );
  const token = fc.constantFrom<Token>(
    'none',
    'garbage',
    'main',
    'east',
    'revoked',
    'admin',
    'malformed',
  );
  const query = fc
    .dictionary(
      fc.constantFrom(
        'after',
        'limit',
        'pages',
        'format',
        'library',
        'from',
        'to',
        'x',
        '__proto__',
      ),
      fc.oneof(
        fc.constantFrom('0', '-1', '1e3', '99999999999999999', '', 'NaN', '2026-13-45'),
        fc.string({ maxLength: 10 }),
      ),
      { maxKeys: 3 },
    )
    .map((params) => {
      const text = new URLSearchParams(params).toString();
      return text === '' ? '' : `?${text}`;
    });
  const pushBody = fc
    .tuple(collection, fc.constantFrom(...replicatedCollections))
    .chain(([name, shape]) =>
      fc
        .oneof(
          mutatedDocument(shape).map((doc) => ({
            rows: [{ assumedMasterState: null, newDocumentState: doc }],
          })),
          fc.array(mutatedDocument(shape), { maxLength: 3 }).map((docs) => ({
            rows: docs.map((doc) => ({ assumedMasterState: doc, newDocumentState: doc })),
          })),
          fc.constant({ rows: Array.from({ length: 600 }, () => ({})) }),
          hostileValue,
          fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 4 }),
        )
        .map((body) => ({ method: 'POST' as const, path: `/v1/sync/${name}/push`, body })),
    );
  const anyBody = fc.oneof(
    hostileValue,
    fc.dictionary(
      fc.constantFrom('code', 'deskName', 'library', 'role', 'documents', 'name', 'x', '__proto__'),
      hostileValue,
      { maxKeys: 4 },
    ),
    fc.constant({ documents: Array.from({ length: 6_000 }, () => ({})) }),
  );
  const simple = fc.tuple(
    fc.constantFrom<[HostileRequest['method'], string]>(
      ['GET', '/v1/health'],
      ['GET', '/health'],
      ['GET', '/metrics'],
      ['POST', '/v1/enrol'],
      ['POST', '/v1/admin/desks/enrolment-codes'],
      ['GET', '/v1/admin/desks'],
      ['POST', '/v1/admin/desks/01JQ0000000000000000000000/revoke'],
      ['GET', '/v1/admin/libraries'],
      ['POST', '/v1/admin/libraries'],
      ['PATCH', '/v1/admin/libraries/MAIN'],
      ['GET', '/v1/admin/exports/checkins'],
      ['GET', '/v1/admin/reports/turnaround'],
      ['POST', '/v1/admin/ils-import/items'],
      ['DELETE', '/v1/sync/items/push'],
      ['PUT', '/v1/admin/libraries'],
    ),
    query,
    anyBody,
  );
  return fc.oneof(
    fc.tuple(pushBody, token).map(([request, who]) => ({ ...request, token: who })),
    fc
      .tuple(collection, fc.constantFrom('pull', 'pages'), query, token)
      .map(([name, route, q, who]) => ({
        method: 'GET' as const,
        path: `/v1/sync/${name}/${route}${q}`,
        token: who,
      })),
    // The JSON import with documents that are valid (for some collection), mutated or no
    // documents at all: with the admin token only a list valid for its collection gets in.
    fc
      .tuple(
        collection,
        fc.constantFrom(...replicatedCollections).chain((shape) =>
          fc.array(
            mutatedDocument(shape).map(({ _deleted: _flag, ...doc }) => doc),
            { maxLength: 3 },
          ),
        ),
        fc.constantFrom<unknown[]>([], ['items'], [sampleDocuments.items, 'items']),
        token,
      )
      .map(([name, docs, odd, who]) => ({
        method: 'POST' as const,
        path: `/v1/admin/json-import/${name}`,
        token: who,
        body: { documents: [...docs, ...odd] },
      })),
    fc.tuple(simple, token).map(([[[method, path], q, body], who]) => ({
      method,
      path: `${path}${q}`,
      token: who,
      ...(method === 'GET' ? {} : { body }),
    })),
    fc
      .tuple(fc.constantFrom('{', '{"rows": [', '\u0000', '[]'.repeat(10_000)), token)
      .map(([rawBody, who]) => ({
        method: 'POST' as const,
        path: '/v1/sync/checkins/push',
        token: who,
        rawBody,
      })),
  );
}

/** Hostile requests against a real server on a temp folder; `runs` cases. */
export async function fuzzServer(options: { seed: number; runs: number }): Promise<FuzzReport> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-fuzz-server-'));
  // Every request here comes from one address, most without an enrolled desk's token, so
  // they share the address's budget of the rate limit (test/server/rate-limit.test.ts tests
  // it): thousands of cases a minute would be refused 429 from the 600th on, and the health
  // probe after each with them. The limit is set out of reach: what is fuzzed is the rest.
  const server = await startConsortiumServer({
    dataDir: dir,
    adminToken: 'fuzz-admin-token',
    rateLimitMax: 1_000_000,
  });
  const problems: string[] = [];
  let serverErrors = 0;
  let cases = 0;
  let accepted = 0;
  const statuses: Record<number, number> = {};
  try {
    const barcode = itemBarcode('33907', 1);
    await server.importDocuments('libraries', consortium);
    await server.importDocuments('items', [item(barcode, 'MAIN')]);
    await server.importDocuments('holds', [hold(`bib-${barcode.slice(-6)}`, 'EAST')]);
    const enrol = async (library: string) => {
      const response = await fetch(`${server.url}/v1/enrol`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: await server.createEnrolmentCode(library), deskName: 'fuzz' }),
      });
      return (await response.json()) as { deskId: string; token: string };
    };
    const main = await enrol('MAIN');
    const east = await enrol('EAST');
    const revoked = await enrol('WEST');
    const revokedOk = await fetch(`${server.url}/v1/admin/desks/${revoked.deskId}/revoke`, {
      method: 'POST',
      headers: { authorization: 'Bearer fuzz-admin-token' },
    }).then((response) => response.ok);
    const tokens: Record<Token, string | undefined> = {
      none: undefined,
      garbage: 'A'.repeat(43),
      main: main.token,
      east: east.token,
      // Without the admin route to revoke, an unknown token stands in for a revoked one.
      revoked: revokedOk ? revoked.token : 'B'.repeat(43),
      admin: 'fuzz-admin-token',
      malformed: `${main.token}\u0000; DROP`,
    };

    await fc.assert(
      fc.asyncProperty(hostileRequest(), async (request) => {
        cases += 1;
        const token = tokens[request.token];
        const body =
          request.rawBody ??
          (request.body === undefined ? undefined : JSON.stringify(request.body));
        let status: number;
        try {
          const response = await fetch(`${server.url}${request.path}`, {
            method: request.method,
            headers: {
              ...(token === undefined
                ? {}
                : { authorization: `Bearer ${token.replace(/[^\x20-\x7e]/g, '?')}` }),
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body }),
          });
          status = response.status;
          await response.arrayBuffer();
        } catch (error) {
          status = 599;
          problems.push(`${request.method} ${request.path}: no answer (${String(error)})`);
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status < 300 && request.path.includes('/push')) accepted += 1;
        if (status >= 500) {
          serverErrors += 1;
          problems.push(
            `${request.method} ${request.path.slice(0, 80)} (${request.token}): ${status}`,
          );
        }
        // The server keeps answering.
        const health = await fetch(`${server.url}/v1/health`).then((r) => r.status);
        if (health !== 200) throw new Error(`the server stopped answering after ${request.path}`);
      }),
      { seed: options.seed, numRuns: options.runs, endOnFailure: true },
    );

    // Whatever got in must be valid: every document the server serves passes its schema.
    let acceptedInvalid = 0;
    for (const token of [main.token, east.token]) {
      const view = await serverView(server.url, token);
      for (const [name, docs] of view) {
        const validate = createDocumentValidator(name, { withDeletedFlag: true });
        for (const doc of docs) {
          if (!validate(doc)) {
            acceptedInvalid += 1;
            problems.push(`the server serves an invalid ${name} document`);
          }
        }
      }
    }
    return { cases, serverErrors, acceptedInvalid, acceptedPushes: accepted, statuses, problems };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Hostile arguments for every desk API method, through the dispatcher of a real desk. */
export async function fuzzDeskApi(options: { seed: number; runs: number }): Promise<FuzzReport> {
  const dir = mkdtempSync(join(tmpdir(), 'carrel-fuzz-desk-'));
  const desk = await startDesk({ dataDir: dir, sync: { log: () => undefined } });
  const problems: string[] = [];
  let cases = 0;
  let failures = 0;
  try {
    desk.context.updateSettings((settings) => ({ ...settings, libraryCode: 'MAIN' }));
    await desk.database.libraries.bulkUpsert(consortium);
    await desk.database.items.bulkUpsert([item(itemBarcode('33907', 1), 'MAIN')]);
    await desk.api.staff.signIn({ initials: 'FZ' });
    const methods = deskMethodNames.filter((name) => name !== 'sync.enrol');
    const argsFor = (name: string) => {
      const schema = deskMethodSchema(name) as { properties?: Record<string, unknown> } | undefined;
      const fields = Object.keys(schema?.properties ?? {});
      return fc.oneof(
        hostileValue,
        fc.dictionary(fc.constantFrom(...fields, 'x', '__proto__', 'constructor'), hostileValue, {
          maxKeys: 4,
        }),
        fc.constant(nested(500)),
      );
    };
    await fc.assert(
      fc.asyncProperty(
        fc
          .oneof(
            fc.constantFrom(...methods),
            fc.constantFrom('__proto__', 'desk.__proto__', 'toString', 'checkin.scan.x', ''),
          )
          .chain((name) => fc.tuple(fc.constant(name), argsFor(name))),
        async ([name, args]) => {
          cases += 1;
          let answer: unknown;
          try {
            answer = await desk.dispatcher.call(name, args);
          } catch (error) {
            failures += 1;
            problems.push(`${name} threw: ${String(error)}`);
            return;
          }
          const result = answer as { ok?: unknown; error?: { code?: unknown } };
          if (result.ok === true) return;
          const code = result.error?.code;
          if (typeof code !== 'string' || !/^[a-z][a-z_]*$/.test(code) || code === 'internal') {
            failures += 1;
            problems.push(`${name} answered ${JSON.stringify(code)}`);
          }
        },
      ),
      { seed: options.seed, numRuns: options.runs, endOnFailure: true },
    );
    return { cases, serverErrors: failures, acceptedInvalid: 0, problems };
  } finally {
    await desk.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Scanner input and ILS CSV files: parsed or refused, never an uncaught exception. */
export async function fuzzParsers(options: { seed: number; runs: number }): Promise<FuzzReport> {
  const problems: string[] = [];
  let cases = 0;
  const scan = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.constantFrom(...INJECTIONS),
    fc.nat().map((n) => {
      const first13 = `33907${String(n).padStart(8, '0')}`.slice(0, 13);
      return `\u0002A${first13}${codabarCheckDigit(first13)}B\r\n`;
    }),
  );
  fc.assert(
    fc.property(scan, (raw) => {
      cases += 1;
      try {
        cleanScan(raw);
        readScan(raw, consortium);
      } catch (error) {
        problems.push(`scanner input threw: ${String(error)}`);
      }
    }),
    { seed: options.seed, numRuns: options.runs },
  );

  const dir = mkdtempSync(join(tmpdir(), 'carrel-fuzz-csv-'));
  const store = await openSqliteReplicationStore(join(dir, 'consortium.sqlite'));
  for (const registration of domainCollections) store.register(registration);
  try {
    const cell = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('"', '""', '"a,b"', '\r', '\n', '\ufeff', ...INJECTIONS),
    );
    const csv = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 500 }),
      fc
        .array(fc.array(cell, { maxLength: 8 }), { maxLength: 8 })
        .map((rows) => rows.map((row) => row.join(',')).join('\n')),
      fc
        .array(fc.array(cell, { maxLength: 4 }), { maxLength: 4 })
        .map(
          (rows) =>
            `barcode,biblionumber,title,author,itemcallnumber,homebranch,holdingbranch\n${rows.map((row) => row.join(',')).join('\r\n')}`,
        ),
    );
    await fc.assert(
      fc.asyncProperty(
        csv,
        fc.constantFrom('items', 'holds'),
        fc.constantFrom('koha', 'evergreen', 'symphony'),
        async (text, kind, format) => {
          cases += 1;
          try {
            await importIlsFile(
              { store, now: () => new Date('2026-11-23T12:00:00Z') },
              { kind, format, csv: text, dryRun: true, skipBadRows: true },
            );
          } catch (error) {
            // A refusal with a stable code is the parser's answer; anything else escaped it.
            if (!(error instanceof HttpError)) {
              problems.push(`CSV import threw ${String(error)}`);
            }
          }
        },
      ),
      { seed: options.seed, numRuns: Math.ceil(options.runs / 2) },
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { cases, serverErrors: problems.length, acceptedInvalid: 0, problems };
}
