// The consortium server: one process serving replication to every desk, on an SQLite file in
// its data folder or on PostgreSQL (several instances may share one database). Errors are JSON with a stable code and never a
// stack trace; bodies are validated without coercion and unknown properties are refused.
import compress from '@fastify/compress';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { monotonicFactory } from 'ulid';
import type { DeskCollectionName, EnrolResponse } from '../shared/index.js';
import { refusalCode } from './errors.js';
import { adminRoutes, ENROLMENT_CODE_TTL_MS, importDocuments } from './admin/index.js';
import { registerOperations, serverVersion } from './ops/index.js';
import { registerUpdateFeed } from './ops/update-feed.js';
import type { DeskRegistry, DeskRole } from './store/desk-registry.js';
import {
  domainCollections,
  openBackend,
  type CollectionRegistration,
  type JsonDocument,
} from './store/index.js';
import { watchHistory } from './sync/history.js';
import { deskOfRequest, HttpError, registerSyncRoutes, StreamHub } from './sync/sync-routes.js';

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
  /**
   * The reverse proxies in front of the server, whose `X-Forwarded-For` names the client:
   * addresses, CIDR ranges and proxy-addr's range names, comma-separated (`127.0.0.1`,
   * `10.0.0.0/8`, `loopback`); see `trustedProxies`. With it, the client's address (the
   * rightmost one in the header that is not a trusted proxy) is what the rate limit counts for
   * requests without an enrolled desk's token and what the log shows; without it (the default)
   * the header is ignored and that address is the socket's peer, which behind a proxy is the
   * proxy itself.
   */
  readonly trustProxy?: string;
  /**
   * Start a new history of the database (ReplicationStore.history): after restoring a backup
   * that the server cannot tell is one (docs/admin/backups.md). Every desk syncs everything
   * again. A restore into the same data folder is noticed without it, and so is one that a
   * desk's pull shows (server/sync/history.ts).
   */
  readonly newHistory?: boolean;
  /** Requests a minute each rate-limit key may make (600): tests set a few. */
  readonly rateLimitMax?: number;
  /**
   * How long a request may take to arrive whole, and a connection may stay silent, before the
   * server closes it (30 s): a client that stalls mid-request holds no socket for longer. The
   * live stream writes a keep-alive every 25 s, so below that a quiet stream is closed too
   * (and the desk reconnects): tests set less.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Collections to register besides the domain ones (after them): a test's own collection.
   * Those marked `replicatedToDesks` are served under /v1/sync like the domain collections,
   * validated against their schema and judged by their write rule.
   */
  readonly collections?: readonly CollectionRegistration<JsonDocument>[];
}

export interface ConsortiumServer {
  readonly url: string;
  readonly adminToken: string;
  readonly app: FastifyInstance;
  /** A one-time code enrolling one desk of `library` (24 hours). */
  createEnrolmentCode(library: string, role?: DeskRole): Promise<string>;
  /**
   * Writes whole documents as the server, as given (the JSON import's write, without its
   * schema check: for tests and benchmarks that build a consortium).
   */
  importDocuments(
    collection: DeskCollectionName,
    docs: readonly Record<string, unknown>[],
  ): Promise<void>;
  close(): Promise<void>;
}

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

/** The range names Fastify's trust check (proxy-addr) knows besides addresses and CIDRs. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * The trusted proxies `list` names, each checked, or an Error saying what is wrong with it:
 * checked before the server opens its data, so a typo stops the start with a message instead
 * of a stack from inside Fastify. A hop count is refused: Fastify (5.12.1 and newer) no longer
 * trusts by hop count, because a count trusts whichever peer connects and a client reaching
 * the server directly could then name any address; `true` (trust every peer) likewise.
 */
export function trustedProxies(list: string): string[] {
  const entries = list.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (PROXY_RANGE_NAMES.has(entry)) continue;
    if (/^\d+$/.test(entry) || entry === 'true') {
      throw new Error(
        `trust proxy: "${entry}" is not a proxy address. Name the proxies ` +
          '(127.0.0.1 for nginx or Caddy on this machine): a hop count or "true" would ' +
          'trust any client that writes X-Forwarded-For itself.',
      );
    }
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !validBits || rest.length > 0) {
      throw new Error(
        `trust proxy: "${entry}" is not an IP address, a CIDR range (10.0.0.0/8) or one of ` +
          `${[...PROXY_RANGE_NAMES].join(', ')}.`,
      );
    }
  }
  return entries;
}

/**
 * The rate limit's key for each request. A request with the token of an enrolled, unrevoked
 * desk counts against that desk: desks of one library often share one address. Any other (no
 * token, a malformed, unknown or revoked one) counts against its client's address (see
 * `trustProxy`), all together: a made-up token buys no fresh budget. The administrator's and
 * the metrics token (`named`, as digests) have a budget each: they cannot be made up, are
 * checked without a lookup, and keep the admin and Prometheus served when the address they
 * share with others (everyone's, behind a proxy without `trustProxy`) is used up. The desk is
 * looked up once for the request (deskOfRequest): its route asks the same lookup.
 */
function deskRateLimitKey(
  registry: DeskRegistry,
  named: readonly { readonly digest: Buffer; readonly key: string }[],
): (request: FastifyRequest) => Promise<string> {
  return async (request) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token !== undefined) {
      const tokenDigest = digest(token);
      for (const secret of named) {
        if (timingSafeEqual(tokenDigest, secret.digest)) return secret.key;
      }
    }
    // A registry that fails answers the route too; the request counts by address here.
    const desk = await deskOfRequest(registry, request).catch(() => null);
    if (desk && !desk.revoked) return `desk:${desk.deskId}`;
    // The plugin's own default: an IPv6 client counts by its /64, which it is given whole.
    return `address:${normalizeIP(request.ip)}`;
  };
}

const COMPRESSIBLE =
  /^text\/(?!event-stream)|(?:\+|\/)json(?:;|$)|(?:\+|\/)text(?:;|$)|(?:\+|\/)xml(?:;|$)|octet-stream(?:;|$)|^application\/x-ndjson(?:;|$)/u;

export async function startConsortiumServer(
  options: ConsortiumServerOptions,
): Promise<ConsortiumServer> {
  const trustProxy =
    options.trustProxy === undefined ? undefined : trustedProxies(options.trustProxy);
  mkdirSync(options.dataDir, { recursive: true });
  const { store, registry } = await openBackend(options);
  const collections = [...domainCollections, ...(options.collections ?? [])];
  try {
    for (const registration of collections) store.register(registration);
  } catch (error) {
    // A registration the store refuses (a test's own collection): nothing stays open.
    await Promise.allSettled([store.close(), registry.close()]);
    throw error;
  }
  // A database from a server without item loans gets them once (holds and crates lend).
  await store.catchUpGrants();
  const history = await watchHistory(store, {
    file: join(options.dataDir, 'history.json'),
    collections: collections.map((registration) => registration.name),
    ...(options.newHistory === undefined ? {} : { newHistory: options.newHistory }),
    log: (line) => console.warn(line),
  });
  const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
  const adminDigest = digest(adminToken);
  const rateLimitKey = deskRateLimitKey(registry, [
    { digest: adminDigest, key: 'admin' },
    ...(options.metricsToken === undefined
      ? []
      : [{ digest: digest(options.metricsToken), key: 'metrics' }]),
  ]);
  const streams = new StreamHub();

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 2 * 1024 * 1024,
    connectionTimeout: options.requestTimeoutMs ?? 30_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
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
    ...(trustProxy === undefined ? {} : { trustProxy }),
  });
  await app.register(compress, {
    global: true,
    encodings: ['br', 'gzip'],
    // @fastify/compress's own list (text but the event stream, JSON, XML, octet streams) and a
    // pull's pages (JSON lines), which it does not know; the event stream stays uncompressed,
    // a compressor would hold its events back.
    customTypes: (type: string) => COMPRESSIBLE.test(type),
  });
  await app.register(rateLimit, {
    max: options.rateLimitMax ?? 600,
    timeWindow: 60_000,
    // Per enrolled desk, else per client address: see deskRateLimitKey.
    keyGenerator: rateLimitKey,
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
        code: refusalCode(error),
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
      // Enrolment takes no token, so its budget (its own, 600 a minute) is the client's
      // address alone: a made-up Authorization header must not buy a fresh budget of code
      // guesses. Behind a proxy that address is the forwarded one only with `trustProxy`.
      config: { rateLimit: { keyGenerator: (request) => `address:${normalizeIP(request.ip)}` } },
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

  // Every commit, whoever made it (a desk's push, an import), wakes the streams of the
  // libraries it concerns.
  const stopStreaming = store.onCommit((change) =>
    streams.changed(change.collection, change.checkpoint.seq, change.libraries, change.pushedBy),
  );
  registerOperations(app, {
    store,
    registry,
    requireAdmin,
    version: serverVersion(),
    ...(options.metricsToken === undefined ? {} : { metricsToken: options.metricsToken }),
  });
  registerSyncRoutes(app, {
    store,
    registry,
    streams,
    history: () => history.current(),
    pulledPast: (collection, seq, deskHistory, desk) =>
      history.pulledPast(collection, seq, deskHistory, desk),
  });
  await app.register(adminRoutes, { store, registry, requireAdmin });
  if (options.updatesDir !== undefined) await registerUpdateFeed(app, options.updatesDir);

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url: address,
    adminToken,
    app,
    createEnrolmentCode: (library, role = 'desk') =>
      registry.createEnrolmentCode(library, role, ENROLMENT_CODE_TTL_MS),
    // In-process and trusted (tests, benchmarks): unchecked, unlike the route's documents.
    importDocuments: (collection, docs) => importDocuments(store, collection, docs),
    async close() {
      stopStreaming();
      history.close();
      streams.closeAll();
      await app.close();
      await registry.close();
      await store.close();
    },
  };
}
