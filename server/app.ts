// The consortium server: one process serving replication to every desk, on an SQLite file in
// its data folder or on PostgreSQL (several instances may share one database). Errors are JSON with a stable code and never a
// stack trace; bodies are validated without coercion and unknown properties are refused.
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { monotonicFactory } from 'ulid';
import {
  replicatedCollections,
  type DeskCollectionName,
  type EnrolResponse,
} from '../shared/index.js';
import { adminRoutes } from './admin/index.js';
import { registerOperations, serverVersion } from './ops/index.js';
import { registerUpdateFeed } from './ops/update-feed.js';
import type { DeskRole } from './store/desk-registry.js';
import { domainCollections, openBackend, type ReplicationStore } from './store/index.js';
import { HttpError, primaryKeyOf, registerSyncRoutes, StreamHub } from './sync/sync-routes.js';

export interface ConsortiumServerOptions {
  readonly dataDir: string;
  /**
   * A `postgres://` URL: the data lives in that PostgreSQL database instead of SQLite files in
   * `dataDir`, and every instance started on it serves the same consortium.
   */
  readonly database?: string;
  /** Loopback by default; a consortium puts the server behind its HTTPS proxy. */
  readonly host?: string;
  readonly port?: number;
  /** The administrator's bearer token; a random one is made (and must be kept) if absent. */
  readonly adminToken?: string;
  /** A read-only bearer token for GET /metrics (Prometheus); the admin token works too. */
  readonly metricsToken?: string;
  /**
   * A folder of desk app releases (electron-builder's release/ output) served at
   * /v1/updates/ for the desks' updater; no feed without it.
   */
  readonly updatesDir?: string;
  readonly logger?: boolean;
}

export interface ConsortiumServer {
  readonly url: string;
  readonly adminToken: string;
  readonly app: FastifyInstance;
  /** A one-time code enrolling one desk of `library` (24 hours). */
  createEnrolmentCode(library: string, role?: DeskRole): Promise<string>;
  /** Writes documents as the ILS import does (the server's own writes). */
  importDocuments(
    collection: DeskCollectionName,
    docs: readonly Record<string, unknown>[],
  ): Promise<void>;
  close(): Promise<void>;
}

const ENROLMENT_TTL_MS = 24 * 3_600_000;

/**
 * Request ids for the log: ULIDs (sortable, unique across instances), their random part
 * drawn from a pool of random bytes. ulid's own generator asks the system for every
 * character, which took several percent of the server's time at a few hundred requests a
 * second.
 */
const requestId = monotonicFactory(
  (() => {
    let pool = Buffer.alloc(0);
    let next = 0;
    return () => {
      if (next >= pool.length) [pool, next] = [randomBytes(4096), 0];
      return (pool[next++] ?? 0) / 256;
    };
  })(),
);

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Server-side writes: the documents as the server wants them, over whatever it holds now. */
async function importInto(
  store: ReplicationStore,
  collection: DeskCollectionName,
  docs: readonly Record<string, unknown>[],
): Promise<void> {
  const key = primaryKeyOf(collection);
  const current = new Map(
    (
      await store.get(
        collection,
        docs.map((doc) => String(doc[key])),
      )
    ).map((doc) => [String(doc[key]), doc]),
  );
  const rows = docs.map((doc) => ({
    assumedMasterState: current.get(String(doc[key])) ?? null,
    newDocumentState: { ...doc, _deleted: false },
  }));
  const { conflicts } = await store.push(collection, rows, { deskId: 'server', library: '*' });
  if (conflicts.length > 0) throw new Error(`import into ${collection} raced with a desk; retry`);
}

export async function startConsortiumServer(
  options: ConsortiumServerOptions,
): Promise<ConsortiumServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const { store, registry } = await openBackend(options);
  for (const registration of domainCollections) store.register(registration);
  // A database from a server without item loans gets them once (holds and crates lend).
  await store.catchUpGrants();
  const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
  const adminDigest = digest(adminToken);
  const streams = new StreamHub();

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 2 * 1024 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    // Validation refuses: no type coercion, no silent removal of unknown properties.
    ajv: {
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
      },
    },
    genReqId: () => requestId(),
  });
  await app.register(compress, { global: true, encodings: ['br', 'gzip'] });
  await app.register(rateLimit, {
    max: 600,
    timeWindow: 60_000,
    // Per desk (token), not per address: desks of one library often share one.
    keyGenerator: (request) => digest(request.headers.authorization ?? request.ip).toString('hex'),
  });

  app.setErrorHandler((error: FastifyError | HttpError, _request, reply) => {
    if (error instanceof HttpError) {
      return reply
        .status(error.statusCode)
        .send({ error: { code: error.code, message: error.message } });
    }
    if (error.validation) {
      return reply.status(400).send({
        error: { code: 'invalid_request', message: `The request is not valid: ${error.message}` },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) app.log.error(error);
    return reply.status(status).send({
      error: {
        code: status === 429 ? 'rate_limited' : status >= 500 ? 'internal' : 'bad_request',
        message:
          status >= 500 ? 'The server could not do that; it has been logged.' : error.message,
      },
    });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: 'No such endpoint.' } }),
  );

  const requireAdmin = (authorization: string | undefined) => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(token), adminDigest)) {
      throw new HttpError(401, 'unauthorized', 'The administrator token is required.');
    }
  };

  app.get('/v1/health', () => ({ ok: true }));

  app.post<{ Body: { code: string; deskName: string } }>(
    '/v1/enrol',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'deskName'],
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 64 },
            deskName: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
    async (request): Promise<EnrolResponse> => {
      const enrolled = await registry.enrol(request.body.code, request.body.deskName);
      if (!enrolled) {
        throw new HttpError(
          403,
          'enrol_refused',
          'That enrolment code is unknown, used or expired.',
        );
      }
      return enrolled;
    },
  );

  app.post<{ Body: { library: string; role?: DeskRole } }>(
    '/v1/admin/enrolment-codes',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['library'],
          properties: {
            library: { type: 'string', minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_.-]+$' },
            role: { type: 'string', enum: ['desk', 'editor'] },
          },
        },
      },
    },
    async (request) => {
      requireAdmin(request.headers.authorization);
      return {
        code: await registry.createEnrolmentCode(
          request.body.library,
          request.body.role ?? 'desk',
          ENROLMENT_TTL_MS,
        ),
      };
    },
  );

  app.post<{
    Params: { collection: DeskCollectionName };
    Body: { documents: Record<string, unknown>[] };
  }>(
    '/v1/admin/import/:collection',
    {
      schema: {
        params: {
          type: 'object',
          required: ['collection'],
          properties: { collection: { type: 'string', enum: [...replicatedCollections] } },
        },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['documents'],
          properties: { documents: { type: 'array', maxItems: 5000, items: { type: 'object' } } },
        },
      },
    },
    async (request) => {
      requireAdmin(request.headers.authorization);
      await importInto(store, request.params.collection, request.body.documents);
      return { imported: request.body.documents.length };
    },
  );

  // Every commit, whoever made it (a desk's push, an import), wakes the streams of the
  // libraries it concerns.
  const stopStreaming = store.onCommit((change) =>
    streams.changed(change.collection, change.checkpoint.seq, change.libraries),
  );
  registerOperations(app, {
    store,
    registry,
    requireAdmin,
    version: serverVersion(),
    ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }),
  });
  registerSyncRoutes(app, { store, registry, streams });
  await app.register(adminRoutes, { store, registry, requireAdmin });
  if (options.updatesDir !== undefined) await registerUpdateFeed(app, options.updatesDir);

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url: address,
    adminToken,
    app,
    createEnrolmentCode: (library, role = 'desk') =>
      registry.createEnrolmentCode(library, role, ENROLMENT_TTL_MS),
    async importDocuments(collection, docs) {
      await importInto(store, collection, docs);
    },
    async close() {
      stopStreaming();
      streams.closeAll();
      await app.close();
      await registry.close();
      await store.close();
    },
  };
}
