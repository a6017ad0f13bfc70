// The administration over HTTP, under /v1/admin: libraries, desks, ILS imports, JSON document
// imports, check-in exports and reports. Every route needs the administrator's bearer token
// (checked before the body is even read: 401 `unauthorized`); bodies and query strings are
// validated strictly (unknown properties refused, nothing coerced: the server's Ajv settings)
// and errors are the server's `{ error: { code, message } }`.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { replicatedCollections } from '../../shared/index.js';
import type { DeskRegistry } from '../store/desk-registry.js';
import type { ReplicationStore } from '../store/index.js';
import { exportCheckins, exportFormats } from './checkin-exports.js';
import { createEnrolmentCode, listDesks, revokeDesk } from './desks.js';
import { checkDocuments, importDocuments, MAX_IMPORTED_DOCUMENTS } from './document-import.js';
import { importIlsFile, ImportRefused } from './ils-import.js';
import { ilsFormats, importKinds } from './ils-mappings.js';
import {
  addLibrary,
  changeLibrary,
  libraryChangeBody,
  listLibraries,
  newLibraryBody,
  type LibraryInput,
  type NewLibrary,
} from './libraries.js';
import { cratesWaiting, holdFill, lending, reportNames, turnaround } from './reports.js';
import type { AdminDeps } from './server-data.js';

export interface AdminRoutesOptions {
  readonly store: ReplicationStore;
  readonly registry: DeskRegistry;
  /** Throws the server's 401 unless the Authorization header carries the admin token. */
  readonly requireAdmin: (authorization: string | undefined) => void;
  readonly now?: () => Date;
}

/** ILS exports of a large library run to tens of megabytes; JSON bodies keep the server's 2 MB. */
const CSV_BODY_LIMIT = 128 * 1024 * 1024;

/** One of a list of strings, typed as that union. */
const literals = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });
const strict = { additionalProperties: false } as const;
const libraryCode = Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_.-]+$' });
const day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const yesNo = literals(['true', 'false'] as const);

const codeParams = Type.Object({ code: libraryCode }, strict);
const enrolmentBody = Type.Object(
  { library: libraryCode, role: Type.Optional(literals(['desk', 'editor'] as const)) },
  strict,
);
const desksQuery = Type.Object({ library: Type.Optional(libraryCode) }, strict);
const deskParams = Type.Object(
  { deskId: Type.String({ pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' }) },
  strict,
);
const importParams = Type.Object({ kind: literals(importKinds) }, strict);
const importQuery = Type.Object(
  {
    format: literals(ilsFormats),
    skipBadRows: Type.Optional(yesNo),
    dryRun: Type.Optional(yesNo),
  },
  strict,
);
const jsonImportParams = Type.Object({ collection: literals(replicatedCollections) }, strict);
// Each document is checked against its collection's schema in the handler (which schema
// depends on the collection); here only that the body is a list of objects.
const jsonImportBody = Type.Object(
  {
    documents: Type.Array(Type.Unsafe<Record<string, unknown>>({ type: 'object' }), {
      maxItems: MAX_IMPORTED_DOCUMENTS,
    }),
  },
  strict,
);
const exportQuery = Type.Object(
  { library: libraryCode, from: day, to: day, format: literals(exportFormats) },
  strict,
);
const reportParams = Type.Object({ report: literals(reportNames) }, strict);
const reportQuery = Type.Object({ from: Type.Optional(day), to: Type.Optional(day) }, strict);

export async function adminRoutes(
  app: FastifyInstance,
  options: AdminRoutesOptions,
): Promise<void> {
  const deps: AdminDeps = {
    store: options.store,
    now: options.now ?? (() => new Date()),
  };
  const { registry } = options;

  // This plugin's own context: the token check and the CSV parser apply to its routes only.
  app.addHook('onRequest', (request, _reply, done) => {
    options.requireAdmin(request.headers.authorization);
    done();
  });
  app.addContentTypeParser(
    ['text/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );

  app.get('/v1/admin/libraries', async () => ({ libraries: await listLibraries(deps) }));

  app.post<{ Body: NewLibrary }>(
    '/v1/admin/libraries',
    { schema: { body: newLibraryBody } },
    async (request, reply) =>
      reply.code(201).send({ library: await addLibrary(deps, request.body) }),
  );

  app.patch<{ Params: Static<typeof codeParams>; Body: Partial<Omit<LibraryInput, 'code'>> }>(
    '/v1/admin/libraries/:code',
    { schema: { params: codeParams, body: libraryChangeBody } },
    async (request) => changeLibrary(deps, request.params.code, request.body),
  );

  app.post<{ Body: Static<typeof enrolmentBody> }>(
    '/v1/admin/desks/enrolment-codes',
    { schema: { body: enrolmentBody } },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await createEnrolmentCode(
            deps,
            registry,
            request.body.library,
            request.body.role ?? 'desk',
          ),
        ),
  );

  app.get<{ Querystring: Static<typeof desksQuery> }>(
    '/v1/admin/desks',
    { schema: { querystring: desksQuery } },
    async (request) => ({ desks: await listDesks(registry, request.query.library) }),
  );

  app.post<{ Params: Static<typeof deskParams> }>(
    '/v1/admin/desks/:deskId/revoke',
    { schema: { params: deskParams } },
    async (request) => ({ desk: await revokeDesk(registry, request.params.deskId) }),
  );

  app.post<{
    Params: Static<typeof importParams>;
    Querystring: Static<typeof importQuery>;
    Body: string;
  }>(
    '/v1/admin/ils-import/:kind',
    {
      bodyLimit: CSV_BODY_LIMIT,
      schema: { params: importParams, querystring: importQuery, body: Type.String() },
    },
    async (request, reply) => {
      try {
        return await importIlsFile(deps, {
          kind: request.params.kind,
          format: request.query.format,
          csv: request.body,
          skipBadRows: request.query.skipBadRows === 'true',
          dryRun: request.query.dryRun === 'true',
        });
      } catch (error) {
        if (!(error instanceof ImportRefused)) throw error;
        // The report goes with the refusal: it says which lines to fix.
        return reply.code(422).send({
          error: { code: error.code, message: error.message },
          report: error.report,
        });
      }
    },
  );

  app.post<{ Params: Static<typeof jsonImportParams>; Body: Static<typeof jsonImportBody> }>(
    '/v1/admin/json-import/:collection',
    { schema: { params: jsonImportParams, body: jsonImportBody } },
    async (request) => {
      const { collection } = request.params;
      const { documents } = request.body;
      checkDocuments(collection, documents);
      await importDocuments(options.store, collection, documents);
      return { imported: documents.length };
    },
  );

  app.get<{ Querystring: Static<typeof exportQuery> }>(
    '/v1/admin/exports/checkins',
    { schema: { querystring: exportQuery } },
    async (request, reply) => {
      const file = await exportCheckins(deps, request.query);
      return reply
        .header('content-type', file.contentType)
        .header('content-disposition', `attachment; filename="${file.filename}"`)
        .header('x-carrel-checkins', String(file.checkins))
        .send(file.text);
    },
  );

  app.get<{ Params: Static<typeof reportParams>; Querystring: Static<typeof reportQuery> }>(
    '/v1/admin/reports/:report',
    { schema: { params: reportParams, querystring: reportQuery } },
    async (request) => {
      const { report } = request.params;
      if (report === 'crates-waiting') return cratesWaiting(deps);
      // A range defaults to the last 30 days, up to today (UTC).
      const today = deps.now().toISOString().slice(0, 10);
      const monthAgo = new Date(deps.now().getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
      const range = { from: request.query.from ?? monthAgo, to: request.query.to ?? today };
      if (report === 'turnaround') return turnaround(deps, range);
      if (report === 'lending') return lending(deps, range);
      return holdFill(deps, range);
    },
  );
  return Promise.resolve();
}
