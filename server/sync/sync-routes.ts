// The replication endpoints under /v1/sync: pull by checkpoint (one page, or several in one
// answer for a first sync), push with conflict answers, and the live stream that tells desks
// to pull. Desk identity comes from the bearer token.
//
// The routes are generic: they serve every collection registered on the store and marked
// `replicatedToDesks`, validating pushed rows against the registration's schema and judging
// them by its write rule (write-rules.ts, checkWrite). Any other name is refused as a
// malformed request (400 `invalid_request`), before the desk's token is looked at.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  MAX_PULL_LIMIT,
  MAX_PULL_PAGES,
  PULL_PAGES_TYPE,
  collectionSchemas,
  MAX_PUSH_ROWS,
  compileDocumentValidator,
  replicatedCollections,
  type DeskCollectionName,
  type PushResponse,
  type StreamMessage,
  type WireDocument,
  HISTORY_HEADER,
  RESYNC_HEADER,
} from '../../shared/index.js';
import type { DeskRegistry, EnrolledDesk } from '../store/desk-registry.js';
import {
  departedView,
  documentFields,
  EVERY_LIBRARY,
  sameDocumentState,
  scopeIncludes,
  type Checkpoint,
  type CollectionRegistration,
  type JsonDocument,
  type PullJson,
  type ReplicationStore,
} from '../store/index.js';
import { checkWrite, type ServerState } from './write-rules.js';

const isReplicated = (name: string): boolean =>
  (replicatedCollections as readonly string[]).includes(name);

/**
 * The registration of `collection` if the store has it and desks replicate it; what the sync
 * routes serve.
 */
export function servedRegistration(
  store: ReplicationStore,
  collection: string,
): CollectionRegistration<JsonDocument> | undefined {
  const registration = store.registration(collection);
  return registration?.replicatedToDesks === true ? registration : undefined;
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The desk each request authenticated as, for the hooks that run after its route (metrics):
 * one registry lookup per request, not one per reader. Held weakly: gone with the request.
 */
const authenticatedDesks = new WeakMap<FastifyRequest, EnrolledDesk>();

/** A desk token as a bearer credential; anything else is not looked up. */
const DESK_TOKEN = /^Bearer ([A-Za-z0-9_-]{20,200})$/;

const deskLookups = new WeakMap<FastifyRequest, Promise<EnrolledDesk | null>>();

/**
 * The desk whose token `request` carries (revoked or not), null if its header holds no desk
 * token or the registry knows none such. Looked up once per request: the rate limit's key
 * (app.ts) and the route both ask.
 */
export function deskOfRequest(
  registry: DeskRegistry,
  request: FastifyRequest,
): Promise<EnrolledDesk | null> {
  let lookup = deskLookups.get(request);
  if (lookup === undefined) {
    const token = DESK_TOKEN.exec(request.headers.authorization ?? '')?.[1];
    lookup = token === undefined ? Promise.resolve(null) : registry.authenticate(token);
    deskLookups.set(request, lookup);
  }
  return lookup;
}

/** The desk behind the request's bearer token; refuses missing, unknown and revoked tokens. */
export async function authenticate(
  registry: DeskRegistry,
  request: FastifyRequest,
): Promise<EnrolledDesk> {
  if (!DESK_TOKEN.test(request.headers.authorization ?? '')) {
    throw new HttpError(401, 'unauthorized', 'A desk token is required.');
  }
  const desk = await deskOfRequest(registry, request);
  if (!desk) throw new HttpError(401, 'unauthorized', 'This desk token is not known.');
  if (desk.revoked) throw new HttpError(403, 'revoked', 'This desk was revoked; enrol it again.');
  authenticatedDesks.set(request, desk);
  return desk;
}

/** The desk `request` was authenticated as by its route, if it was (never a revoked one). */
export function authenticatedDesk(request: FastifyRequest): EnrolledDesk | undefined {
  return authenticatedDesks.get(request);
}

/** The checkpoint each pull was answered with, for the hooks that run after its route. */
const pulledCheckpoints = new WeakMap<FastifyRequest, Checkpoint>();

/**
 * The checkpoint a pull request was answered with, if it was (metrics: the answer is JSON
 * text, so there is no object to read it from).
 */
export function pulledCheckpoint(request: FastifyRequest): Checkpoint | undefined {
  return pulledCheckpoints.get(request);
}

/** A page as the wire's PullResponse, in JSON text: the documents as the store made them. */
function pullResponseJson({ documents, checkpoint }: PullJson): string {
  return `{"documents":${documents},"checkpoint":{"seq":${checkpoint.seq}}}`;
}

/** Any name here; which collections are served is the store's to say (servedRegistration). */
const collectionParam = {
  type: 'object',
  additionalProperties: false,
  required: ['collection'],
  properties: { collection: { type: 'string' } },
} as const;

/** A `changed` event may name any served collection; desks ignore those they do not know. */
type SentMessage =
  | StreamMessage
  | {
      readonly type: 'changed';
      readonly collection: string;
      readonly checkpoint: Checkpoint;
    };

/**
 * A desk is told at most once per this window per collection: the first change at once, later
 * ones in the window together at its end (with the newest seq). At a busy consortium every
 * event costs the desk a pull, and pulls set off by every single commit were most of the
 * PostgreSQL push latency under load (bench:sync).
 */
export const STREAM_WINDOW_MS = 150;

interface StreamEntry {
  readonly desk: EnrolledDesk;
  readonly reply: FastifyReply;
  /** Changes held back in the current window: collection -> newest seq. */
  readonly pending: Map<string, number>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Live streams by desk, to tell them a collection changed. */
export class StreamHub {
  private readonly streams = new Set<StreamEntry>();
  /** The collections desks are told of: the shared list until the routes name theirs. */
  private serves: (collection: string) => boolean = isReplicated;

  /**
   * Tells of changes to the collections `serves` accepts only (registerSyncRoutes: those it
   * serves), every other commit staying unannounced.
   */
  serveCollections(serves: (collection: string) => boolean): void {
    this.serves = serves;
  }

  add(desk: EnrolledDesk, reply: FastifyReply): () => void {
    const entry: StreamEntry = { desk, reply, pending: new Map(), timer: undefined };
    this.streams.add(entry);
    return () => {
      if (entry.timer) clearTimeout(entry.timer);
      this.streams.delete(entry);
    };
  }

  /**
   * Tells the connected desks of `libraries` (`'*'`: every desk) to pull `collection`; a
   * desk whose library saw nothing change is not woken (a consortium of hundreds of desks
   * would otherwise pull after every scan anywhere), nor the desk whose own push the change
   * is and that holds all of it (`pushedBy`, CommittedChange): it would pull its own rows
   * back, a quarter of all pulls at a library with four desks.
   */
  changed(
    collection: string,
    seq: number,
    libraries: readonly string[] = [EVERY_LIBRARY],
    pushedBy?: string | null,
  ): void {
    if (!this.serves(collection)) return;
    const everyone = libraries.includes(EVERY_LIBRARY);
    for (const entry of this.streams) {
      if (!everyone && !libraries.includes(entry.desk.library)) continue;
      if (typeof pushedBy === 'string' && entry.desk.deskId === pushedBy) continue;
      if (entry.timer === undefined) {
        send(entry.reply, { type: 'changed', collection, checkpoint: { seq } });
        entry.timer = setTimeout(() => this.flush(entry), STREAM_WINDOW_MS);
      } else {
        entry.pending.set(collection, Math.max(entry.pending.get(collection) ?? 0, seq));
      }
    }
  }

  /** The end of a window: what was held back goes out, and a new window starts if it did. */
  private flush(entry: StreamEntry): void {
    entry.timer = undefined;
    if (entry.pending.size === 0 || !this.streams.has(entry)) return;
    for (const [collection, seq] of entry.pending) {
      send(entry.reply, { type: 'changed', collection, checkpoint: { seq } });
    }
    entry.pending.clear();
    entry.timer = setTimeout(() => this.flush(entry), STREAM_WINDOW_MS);
  }

  closeAll(): void {
    for (const entry of this.streams) {
      if (entry.timer) clearTimeout(entry.timer);
      entry.reply.raw.end();
    }
    this.streams.clear();
  }
}

function send(reply: FastifyReply, message: SentMessage): void {
  reply.raw.write(`data: ${JSON.stringify(message)}\n\n`);
}

export function registerSyncRoutes(
  app: FastifyInstance,
  deps: {
    store: ReplicationStore;
    registry: DeskRegistry;
    streams: StreamHub;
    /** The database's history id now, named on every sync answer (HISTORY_HEADER). */
    history: () => string;
    /** A desk pulls after `seq` in `deskHistory` (server/sync/history.ts, pulledPast). */
    pulledPast: (
      collection: string,
      seq: number,
      deskHistory: string,
      desk: string,
    ) => Promise<void>;
  },
): void {
  const { store, registry, streams, history } = deps;
  streams.serveCollections((name) => servedRegistration(store, name) !== undefined);

  /**
   * The served registration a route's `:collection` names. Checked before the schema checks
   * of the query and body, as a malformed parameter is, so an unknown name answers the same
   * whatever else the request holds, and before the desk's token is looked at.
   */
  const served = (collection: string): CollectionRegistration<JsonDocument> => {
    const registration = servedRegistration(store, collection);
    if (registration === undefined) {
      throw new HttpError(
        400,
        'invalid_request',
        'The request is not valid: params/collection names no collection desks replicate.',
      );
    }
    return registration;
  };
  const servedCollection = (
    request: FastifyRequest<{ Params: { collection: string } }>,
    _reply: FastifyReply,
    done: (error?: Error) => void,
  ): void => {
    served(request.params.collection); // a throw here is the request's error answer
    done();
  };

  const pullQuery = {
    after: { type: 'string', pattern: '^[0-9]{1,15}$' },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
  };

  /**
   * What every pull starts with: the desk from its token, the checkpoint it pulls after, the
   * check that its history's checkpoint is not past the database's end (a desk names the
   * history its checkpoint belongs to; one past the database's end means the database went
   * back in time, and the answer names the new history), the history header, the page size.
   */
  async function pullRequest(
    request: FastifyRequest<{
      Params: { collection: string };
      Querystring: { after?: string; limit?: string };
    }>,
    reply: FastifyReply,
  ): Promise<{ library: string; after: Checkpoint | null; limit: number }> {
    const desk = await authenticate(registry, request);
    const after = request.query.after === undefined ? null : { seq: Number(request.query.after) };
    const deskHistory = request.headers[HISTORY_HEADER];
    if (after !== null && typeof deskHistory === 'string') {
      await deps.pulledPast(request.params.collection, after.seq, deskHistory, desk.deskId);
    }
    void reply.header(HISTORY_HEADER, history());
    const limit = Math.min(Math.max(Number(request.query.limit ?? 100), 1), MAX_PULL_LIMIT);
    return { library: desk.library, after, limit };
  }

  app.get<{
    Params: { collection: string };
    Querystring: { after?: string; limit?: string };
  }>(
    '/v1/sync/:collection/pull',
    {
      preValidation: servedCollection,
      schema: {
        params: collectionParam,
        querystring: { type: 'object', additionalProperties: false, properties: pullQuery },
      },
    },
    async (request, reply): Promise<string> => {
      const page = await store.pullJson(
        request.params.collection,
        await pullRequest(request, reply),
      );
      pulledCheckpoints.set(request, page.checkpoint);
      // Sent as the store made it (PullJson): a string with a JSON type is not serialised again.
      void reply.type('application/json; charset=utf-8');
      return pullResponseJson(page);
    },
  );

  app.get<{
    Params: { collection: string };
    Querystring: { after?: string; limit?: string; pages?: string };
  }>(
    '/v1/sync/:collection/pages',
    {
      preValidation: servedCollection,
      schema: {
        params: collectionParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pullQuery, pages: { type: 'string', pattern: '^[0-9]{1,3}$' } },
        },
      },
    },
    async (request, reply) => {
      const { library, after, limit } = await pullRequest(request, reply);
      const pages = Math.min(Math.max(Number(request.query.pages ?? 1), 1), MAX_PULL_PAGES);
      const { collection } = request.params;
      // The first page before the answer starts, so a refused pull is an error answer; a page
      // after it that fails cuts the answer short, and the desk pulls again from the last
      // whole line it read.
      const first = await store.pullJson(collection, { library, after, limit });
      pulledCheckpoints.set(request, first.checkpoint);
      async function* lines(): AsyncGenerator<string> {
        let page = first;
        for (let n = 1; ; n += 1) {
          yield `${pullResponseJson(page)}\n`;
          if (n >= pages || page.count < limit) return;
          page = await store.pullJson(collection, { library, after: page.checkpoint, limit });
          pulledCheckpoints.set(request, page.checkpoint);
        }
      }
      void reply.type(`${PULL_PAGES_TYPE}; charset=utf-8`);
      // Not in object mode: the stream holds at most one page ahead of what the connection
      // (and its compressor) took, so a slow desk slows its pages rather than fill memory.
      return reply.send(Readable.from(lines(), { objectMode: false }));
    },
  );

  app.post<{
    Params: { collection: string };
    Body: { rows: { assumedMasterState: WireDocument | null; newDocumentState: WireDocument }[] };
  }>(
    '/v1/sync/:collection/push',
    {
      preValidation: servedCollection,
      schema: {
        params: collectionParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['rows'],
          properties: {
            rows: {
              type: 'array',
              maxItems: MAX_PUSH_ROWS,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['assumedMasterState', 'newDocumentState'],
                properties: {
                  assumedMasterState: { anyOf: [{ type: 'object' }, { type: 'null' }] },
                  newDocumentState: { type: 'object' },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply): Promise<PushResponse> => {
      const desk = await authenticate(registry, request);
      void reply.header(HISTORY_HEADER, history());
      const resyncing = request.headers[RESYNC_HEADER] !== undefined;
      const collection = request.params.collection;
      const registration = served(collection);
      // Compiled once per schema (shared/schemas/validate.ts): strict, no coercion, no defaults.
      const validate = compileDocumentValidator(registration.schema, { withDeletedFlag: true });
      const rows = request.body.rows;
      for (const row of rows) {
        // Every document against the shared schema: unknown fields and wrong types refused.
        if (!validate(row.newDocumentState)) {
          const first = validate.errors?.[0];
          throw new HttpError(
            422,
            'invalid_document',
            `A ${collection} document is not valid${first ? `: ${first.instancePath || '/'} ${first.message ?? ''}` : ''}.`,
          );
        }
      }
      const key = registration.primaryKey;
      const ids = rows.map((row) => String(row.newDocumentState[key]));
      const masters = new Map(
        (await store.get(collection, ids)).map((doc) => [String(doc[key]), doc]),
      );
      const state: ServerState = {
        get: async (name, id) => (await store.get(name, [id]))[0],
        seenBy: (name, doc) => store.scopeOf(name, doc),
      };
      /**
       * Rows on documents the desk's library does not (or no longer) see, answered with a
       * deletion so its desk drops its copy. The deletion is built from the desk's own row,
       * never from the server's document: what a library does not see, it is not told, even
       * when its desk names the document.
       */
      const unseen: WireDocument[] = [];
      const dropped = (row: (typeof rows)[number]) => {
        unseen.push(departedView(registration, documentFields(row.newDocumentState)));
      };
      const writable: typeof rows = [];
      for (const [i, row] of rows.entries()) {
        const master = masters.get(ids[i] ?? '');
        if (resyncing && row.assumedMasterState === null) {
          // A desk syncing everything again after the server's database went back in time
          // (shared/sync/wire.ts, RESYNC_HEADER) pushes, assuming no master, every document it
          // holds that its pull did not bring in the same state.
          if (master !== undefined) {
            // The store cannot write it (no master was assumed, and there is one): it answers
            // the master, or a deletion where the library does not see it. Nothing is
            // written, so there is nothing to judge.
            writable.push(row);
            continue;
          }
          if (row.newDocumentState['deskId'] !== desk.deskId) {
            // Another desk's record the server no longer has: this desk cannot vouch for
            // it, and drops its copy; the desk that wrote it sends it again.
            dropped(row);
            continue;
          }
        }
        // A row based on a state the server no longer holds is a conflict: the store answers
        // it with the master state and writes nothing. Such a row is judged as the change the
        // desk made, from the state it started from, not against the server's newer state:
        // a capture made offline after another desk's reached the server is late, not
        // forbidden, and the desk must get the conflict to merge (the earlier capture wins)
        // instead of a refusal that would leave it stuck. Nothing unjudged is ever written:
        // the store writes a row only when its assumed state is the master state.
        const conflicting =
          master !== undefined &&
          !sameDocumentState(row.assumedMasterState, master) &&
          !sameDocumentState(row.newDocumentState, master);
        // Whether the library sees the document is the server's to say, not the assumed
        // state's: a desk could name any state it likes there. A conflict on a document the
        // library does not see is answered with a deletion, whatever the row.
        if (conflicting && !scopeIncludes(await store.scopeOf(collection, master), desk.library)) {
          dropped(row);
          continue;
        }
        const refusal = await checkWrite(
          registration,
          desk,
          row.newDocumentState,
          conflicting ? (row.assumedMasterState ?? undefined) : master,
          state,
        );
        if (refusal?.code === 'not_seen' && master !== undefined) {
          dropped(row);
          continue;
        }
        if (refusal) throw new HttpError(403, 'forbidden', refusal.message);
        writable.push(row);
      }
      const result =
        writable.length === 0
          ? { conflicts: [] }
          : await store.push(collection, writable, {
              deskId: desk.deskId,
              library: desk.library,
            });
      // The store's commit feed tells the streams (app.ts), each desk about its own library.
      return { conflicts: [...unseen, ...result.conflicts] };
    },
  );

  app.get('/v1/sync/stream', async (request, reply) => {
    const desk = await authenticate(registry, request);
    reply.hijack();
    reply.raw.writeHead(200, {
      [HISTORY_HEADER]: history(),
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    send(reply, { type: 'RESYNC' });
    const remove = streams.add(desk, reply);
    const heartbeat = setInterval(() => reply.raw.write(': keep-alive\n\n'), 25_000);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      remove();
    });
  });
}

/** The primary key of a replicated collection, from its schema (one source: shared/schemas). */
export function primaryKeyOf(collection: DeskCollectionName): string {
  return collectionSchemas[collection].primaryKey as string;
}
