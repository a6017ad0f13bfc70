// The desk's replication with the consortium server: one RxDB replication
// (`replicateRxCollection`) per replicated collection over the wire protocol of
// shared/sync/wire.ts, one shared live stream telling them when to pull, and the status the
// UI shows. Invariants and decisions:
// - Retries are ours, not RxDB's: a pull or push handler retries inside the shared
//   ServerLink (exponential back-off with jitter, one back-off for every request), so RxDB
//   sees a handler that answers late rather than one that throws. A handler throws only when
//   sync stops or the server refuses the desk's token; RxDB's own `retryTime` is then moot
//   (the replications are cancelled at once).
//   The server's Retry-After (429, 503) holds every request back, "sync now" included.
// - A token the server does not know or has revoked (`unauthorized`, `revoked`) stops sync
//   for good: status `error` until the desk is enrolled again. Everything else is retried,
//   and the status shows the newest failure of any channel (a collection's pull or push,
//   the stream) until that channel works again.
// - `pending` is counted from RxDB's own state: see pendingIn.
// - A first sync of a large library comes in pages of MAX_PULL_LIMIT documents, up to
//   MAX_PULL_PAGES of them in one answer (the pages endpoint: one round trip per 50 pages, not
//   per page). The desk parses a page only once it wrote the one before; what the server sent
//   meanwhile waits in the connection's buffers (on loopback, about ten uncompressed pages
//   while the desk's writes were held back), never more than one answer. Pulls after it
//   (RxDB's own) never get more than two pages ahead of what is written (RxDB itself would
//   fetch on while writes lag behind).
// - While a collection is in its first sync (it held nothing when the pull began), the store
//   writes each page with RxDB's meta rows and both checkpoints in one transaction
//   (main/store/first-sync.ts) instead of RxDB's per-document downstream and its three or
//   four commits per page; RxDB takes over from the stored checkpoint after the last page, or
//   at the first page the collection is no longer in its first sync.
// - A push row whose new state equals the state it was based on changes nothing and is not
//   sent (RxDB sends a resolved conflict again even when the resolution is the server's
//   version, which the server would refuse as another desk's row).
// - A resync's first run (a new server history, desk-sync.ts) pushes a document only once the
//   first pull has shown what the server holds: see settleAgainstPulled.
// - Note attachments do not replicate yet: pulled notes keep the attachments this desk has,
//   pushed notes go without them (see wire-documents.ts).
import type { Subscription } from 'rxjs';
import { Subject, filter, firstValueFrom, merge } from 'rxjs';
import {
  getAssumedMasterState,
  getChangedDocumentsSince,
  getMetaWriteRow,
  getComposedPrimaryKeyOfDocumentData,
  type RxCollection,
  type RxReplicationPullStreamItem,
  type RxReplicationWriteToMasterRow,
  type RxStorageInstanceReplicationState,
  type WithDeleted,
} from 'rxdb';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import {
  MAX_PULL_LIMIT,
  MAX_PULL_PAGES,
  MAX_PUSH_ROWS,
  PULL_PAGES_TYPE,
  SYNC_PROTOCOL_VERSION,
  replicatedCollections,
  type DeskCollectionName,
  type DeskDocuments,
  type PullResponse,
  type PushResponse,
  type StreamMessage,
  type SyncCheckpoint,
  type SyncStatus,
  type WireDocument,
} from '../../shared/index.js';
import type { DeskContext } from '../context.js';
import { isCollectionEmpty, writeFirstSyncPage } from '../store/index.js';
import type { BackoffPolicy } from './backoff.js';
import { combineOffset, offsetEstimate, type OffsetInterval } from './clock-offset.js';
import { ServerLink, SyncRequestError, SyncStoppedError } from './server-link.js';
import { openSyncStream, type SyncStream } from './sync-stream.js';
import {
  statusChanged,
  stoppedFacts,
  syncStatusOf,
  type RequestFailure,
  type SyncFacts,
  type SyncProblem,
} from './sync-status.js';
import { sameWireDocument, toWire } from './wire-documents.js';

export interface DeskSyncOptions {
  /** The server's base URL, without a trailing slash (as enrolment stored it). */
  readonly serverUrl: string;
  readonly token: string;
  /** fetch to use (tests); the global one by default. */
  readonly fetchImpl?: typeof fetch;
  readonly backoff?: BackoffPolicy;
  readonly requestTimeoutMs?: number;
  /** Silence on the live stream after which it is reconnected (default 60 s). */
  readonly streamIdleTimeoutMs?: number;
  /** Where faults are written (default console.error); never a token or a document. */
  readonly log?: (line: string) => void;
  /**
   * The server history this desk synced everything again for (DeskSyncSettings): part of
   * the replication's identifier, so a new one starts RxDB's replication from nothing.
   */
  readonly resyncedFor?: string;
  /**
   * This run starts the resync for `resyncedFor` (its replication holds nothing yet): pushes
   * wait for the first pull (settleAgainstPulled). Not set when the desk restarts during a
   * resync; its pushes then go out as RxDB makes them, and the server answers them.
   */
  readonly resyncing?: boolean;
  /** Told the history every answer names (desk-sync.ts restarts sync when it changed). */
  readonly onHistory?: (history: string) => void;
}

export interface DeskSyncSession {
  status(): SyncStatus;
  /**
   * Retries at once whatever waits for its back-off, pulls and pushes every collection, and
   * resolves with the status when that round finished (`online`) or a request failed.
   */
  syncNow(): Promise<SyncStatus>;
  /** Stops every replication and the stream; resolves when they have stopped. */
  stop(): Promise<void>;
}

type Replication<Name extends DeskCollectionName = DeskCollectionName> = RxReplicationState<
  DeskDocuments[Name],
  SyncCheckpoint
>;

const PENDING_SCAN_BATCH = 500;
/** How often `pending` is recounted at most while documents change. */
const PENDING_DEBOUNCE_MS = 300;
/**
 * A recount waits at least this many times as long as the last one took: counting reads
 * every changed document, and a desk with a long day of offline scans to send must keep
 * most of its time for scanning (the count stays exact, only less fresh).
 */
const PENDING_COUNT_SPACING = 4;
/** Longest a pull waits for the desk database to catch up before it fetches on anyway. */
const PULL_PACING_LIMIT_MS = 60_000;

/** Collections whose rows the server checks against another collection's (push that first). */
const pushAfter: Partial<Record<DeskCollectionName, DeskCollectionName>> = {
  crateScans: 'crates',
  noteRevisions: 'notes',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWireDocument(value: unknown): value is WireDocument {
  return isRecord(value) && typeof value['_deleted'] === 'boolean';
}

export function readPullResponse(answer: unknown): PullResponse | undefined {
  if (!isRecord(answer) || !Array.isArray(answer['documents'])) return undefined;
  const checkpoint = answer['checkpoint'];
  if (!isRecord(checkpoint) || typeof checkpoint['seq'] !== 'number') return undefined;
  if (!answer['documents'].every(isWireDocument)) return undefined;
  return { documents: answer['documents'], checkpoint: { seq: checkpoint['seq'] } };
}

export function readPushResponse(answer: unknown): PushResponse | undefined {
  if (!isRecord(answer) || !Array.isArray(answer['conflicts'])) return undefined;
  return answer['conflicts'].every(isWireDocument) ? { conflicts: answer['conflicts'] } : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The wrapped error of an RxDB replication error: ours (already in the status) or not. */
function isOurRequestError(error: unknown): boolean {
  const parameters = isRecord(error) ? error['parameters'] : undefined;
  const errors = isRecord(parameters) ? parameters['errors'] : undefined;
  const names = Array.isArray(errors)
    ? errors.map((inner) => (isRecord(inner) ? inner['name'] : undefined))
    : [isRecord(error) ? error['name'] : undefined];
  return names.some((name) => name === 'SyncRequestError' || name === 'SyncStoppedError');
}

/**
 * The replication's persisted checkpoint for `direction`, read from its meta storage
 * without touching RxDB's cached copy.
 */
async function storedCheckpoint(
  state: RxStorageInstanceReplicationState<unknown>,
  direction: 'up' | 'down',
): Promise<unknown> {
  const cached = state.lastCheckpointDoc[direction];
  if (cached) return cached.checkpointData;
  const meta = state.input.metaInstance;
  const id = getComposedPrimaryKeyOfDocumentData(meta.schema, {
    isCheckpoint: '1',
    itemId: direction,
  });
  const [doc] = await meta.findDocumentsById([id], false);
  return doc?.checkpointData;
}

/** A document's id in a replication's collection. */
function idIn(state: { readonly primaryPath: string }, doc: object): string {
  return String((doc as Record<string, unknown>)[state.primaryPath]);
}

/**
 * Documents of one collection changed at this desk and not yet acknowledged by the server:
 * those written since RxDB's upstream checkpoint (how far its push has got, ordered by the
 * `_meta.lwt` index RxDB keeps on every collection), less those equal to the state the
 * replication last knew the server to have (its assumed master state: pulled documents, and
 * pushed ones once the server took them). Reads them a batch at a time.
 */
async function pendingIn(replication: Replication): Promise<number> {
  const state = replication.internalReplicationState as
    RxStorageInstanceReplicationState<unknown> | undefined;
  if (!state || replication.isStopped()) return 0;
  let checkpoint = await storedCheckpoint(state, 'up');
  let pending = 0;
  for (;;) {
    const { documents, checkpoint: next } = await getChangedDocumentsSince<unknown, unknown>(
      state.input.forkInstance,
      PENDING_SCAN_BATCH,
      checkpoint,
    );
    if (documents.length === 0) break;
    const ids = documents.map((doc) => idIn(state, doc));
    const assumed = await getAssumedMasterState(state, ids);
    documents.forEach((doc, index) => {
      const master = assumed[ids[index] ?? ''];
      if (!master || !sameWireDocument(master.docData, doc)) pending += 1;
    });
    checkpoint = next;
    if (documents.length < PENDING_SCAN_BATCH) break;
  }
  return pending;
}

/**
 * A resync's pulled page: documents this desk already holds in the same state get RxDB's meta
 * row (the server has this state), which RxDB's downstream does not write for them. It takes
 * a document it holds without a meta row for a change made here and not yet pushed, and leaves
 * it to the upstream, which would then push it assuming the server has nothing. Writing the
 * row for an equal state is what the downstream itself does for one it recognises.
 */
async function recordPulledStates<Doc>(
  state: RxStorageInstanceReplicationState<Doc>,
  documents: readonly WithDeleted<Doc>[],
): Promise<void> {
  const idOf = (doc: object) => idIn(state, doc);
  const ids = documents.map(idOf);
  const [held, known] = await Promise.all([
    state.input.forkInstance.findDocumentsById(ids, true),
    getAssumedMasterState(state, ids),
  ]);
  const heldById = new Map(held.map((doc) => [idOf(doc), doc]));
  const rows = [];
  for (const doc of documents) {
    const mine = heldById.get(idOf(doc));
    if (mine && !known[idOf(doc)] && sameWireDocument(mine, doc)) {
      rows.push(await getMetaWriteRow(state, doc));
    }
  }
  if (rows.length > 0) await state.input.metaInstance.bulkWrite(rows, 'carrel-resync-pulled');
}

/**
 * A resync's push rows checked against what its first pull brought. RxDB's upstream starts
 * with its downstream, so in a resync it pushes every document the desk holds before the
 * server's copy has been pulled, each assuming the server has nothing, and the server would
 * answer nearly every one with its own state: a large library's worth of requests. Rows that
 * assume nothing wait here for the downstream's first pass (recordPulledStates), then:
 * - a document equal to the pulled one is not sent (RxDB then takes it as the server's);
 * - one that differs from it is answered here with the pulled state as a conflict, as the
 *   server would answer it; RxDB resolves it and pushes the result assuming that state;
 * - one without a pulled state (the server lacks it, or this desk changed it) is sent.
 * Resolves undefined when sync stopped meanwhile.
 */
async function settleAgainstPulled<Doc>(
  state: RxStorageInstanceReplicationState<Doc>,
  rows: readonly RxReplicationWriteToMasterRow<Doc>[],
): Promise<
  { send: RxReplicationWriteToMasterRow<Doc>[]; conflicts: WithDeleted<Doc>[] } | undefined
> {
  if (rows.every((row) => row.assumedMasterState)) return { send: [...rows], conflicts: [] };
  const done = state.firstSyncDone.down;
  const canceled = state.events.canceled;
  await firstValueFrom(
    merge(done, canceled).pipe(filter(() => done.getValue() || canceled.getValue())),
  );
  if (canceled.getValue()) return undefined;
  const idOf = (doc: object) => idIn(state, doc);
  const open = rows.filter((row) => !row.assumedMasterState);
  const known = await getAssumedMasterState(
    state,
    open.map((row) => idOf(row.newDocumentState)),
  );
  const send: RxReplicationWriteToMasterRow<Doc>[] = [];
  const conflicts: WithDeleted<Doc>[] = [];
  for (const row of rows) {
    const master = row.assumedMasterState ? undefined : known[idOf(row.newDocumentState)];
    if (!master) send.push(row);
    else if (!sameWireDocument(row.newDocumentState, master.docData))
      conflicts.push(master.docData);
  }
  return { send, conflicts };
}

/**
 * Names the desk's replications (RxDB keeps their checkpoints and meta rows under it): per
 * server and desk id, and per history the desk synced everything again for.
 */
function replicationIdentifier(serverUrl: string, deskId: string, resyncedFor?: string): string {
  return (
    `carrel-v${SYNC_PROTOCOL_VERSION}|${serverUrl}|${deskId}` +
    (resyncedFor === undefined ? '' : `|${resyncedFor}`)
  );
}

/**
 * Removes what RxDB kept for replications under an identifier no longer used (the one before
 * a resync): their meta rows hold a copy of every document, as large as the collection.
 * Sync must not be running under that identifier.
 */
export async function removeReplicationMeta(
  ctx: DeskContext,
  serverUrl: string,
  resyncedFor: string | undefined,
): Promise<void> {
  const identifier = replicationIdentifier(serverUrl, ctx.settings().deskId, resyncedFor);
  for (const name of replicatedCollections) {
    const collection = ctx.store.db[name] as unknown as RxCollection;
    // Never started: remove() opens the meta storage, deletes it and closes it. RxDB wants a
    // direction; its handler is never called.
    const unused = replicateRxCollection({
      replicationIdentifier: identifier,
      collection,
      live: false,
      autoStart: false,
      pull: {
        handler: () => Promise.reject(new Error('a replication only being removed never pulls')),
      },
    });
    await unused.remove();
  }
}

export function startDeskSync(ctx: DeskContext, options: DeskSyncOptions): DeskSyncSession {
  const log = options.log ?? ((line: string) => console.error(line));
  const deskId = ctx.settings().deskId;
  const identifier = replicationIdentifier(options.serverUrl, deskId, options.resyncedFor);
  let facts: SyncFacts = { ...stoppedFacts, running: true };
  let published = syncStatusOf(facts, ctx.now());
  let offset: OffsetInterval | undefined;
  let stopping: Promise<void> | undefined;
  const subscriptions: Subscription[] = [];
  const activeCollections = new Set<DeskCollectionName>();

  function publish(): void {
    const status = syncStatusOf(facts, ctx.now());
    if (statusChanged(published, status)) ctx.events.emit('sync.status', status);
    published = status;
  }

  function update(change: Partial<SyncFacts>): void {
    facts = { ...facts, ...change };
    publish();
  }

  /** A round ended well: nothing running, no channel failing, nothing fatal. */
  function settle(): void {
    if (
      facts.running &&
      !facts.fatal &&
      facts.firstRoundDone &&
      activeCollections.size === 0 &&
      !facts.requestFailure
    ) {
      update({ active: false, lastSuccessAt: ctx.now().toISOString(), localFailure: null });
    }
  }

  // The history this session's checkpoints belong to: the one it started in (the desk's
  // settings move on to a new one before this session has stopped), or the first answer's.
  let checkpointsOf = options.resyncedFor ?? ctx.settings().sync?.history;
  const link = new ServerLink({
    serverUrl: options.serverUrl,
    token: options.token,
    now: ctx.now,
    history: () => checkpointsOf,
    ...(options.fetchImpl === undefined ? {} : { fetchImpl: options.fetchImpl }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
    onSuccess(sample) {
      if (!sample) return;
      offset = combineOffset(offset, sample);
      if (offset) {
        const estimate = offsetEstimate(offset);
        ctx.clock.offsetMs = estimate;
        update({ clockOffsetMs: estimate });
      }
    },
    onHistory(history) {
      checkpointsOf ??= history;
      options.onHistory?.(history);
    },
    ...(options.resyncedFor === undefined ? {} : { resyncedFor: options.resyncedFor }),
    onFailure(failure) {
      if (failure.kind !== 'fatal') return;
      update({ fatal: failure, requestFailure: null });
      log(`sync: stopped, the server refused this desk (${failure.code})`);
      void halt();
    },
  });

  /**
   * The failing channels (a collection's pull or push, the stream), newest failure last. A
   * channel's success clears its own failure only: a push the server keeps refusing keeps
   * the status at `error` while pulls succeed.
   */
  const failing = new Map<string, RequestFailure>();
  function channelFailed(channel: string, failure: RequestFailure): void {
    if (failure.kind === 'fatal') return;
    failing.delete(channel);
    failing.set(channel, failure);
    update({ requestFailure: failure });
  }
  function channelWorks(channel: string): void {
    if (!failing.delete(channel)) return;
    update({ requestFailure: [...failing.values()].at(-1) ?? null });
  }
  /** One attempt on `channel`, its outcome kept for the status. */
  async function attempt<T>(channel: string, request: () => Promise<T>): Promise<T> {
    try {
      const answer = await request();
      channelWorks(channel);
      return answer;
    } catch (error) {
      if (error instanceof SyncRequestError) channelFailed(channel, error.failure);
      throw error;
    }
  }

  const pullStreams = new Map<
    DeskCollectionName,
    Subject<RxReplicationPullStreamItem<never, SyncCheckpoint>>
  >(replicatedCollections.map((name) => [name, new Subject()]));
  function onStreamMessage(message: StreamMessage): void {
    // Either way the collection pulls from its own checkpoint: the message's checkpoint only
    // says that there is something newer.
    const targets = message.type === 'RESYNC' ? replicatedCollections : [message.collection];
    for (const name of targets) pullStreams.get(name)?.next('RESYNC');
  }

  const replications = new Map<DeskCollectionName, Replication>();
  /** Checkpoints each collection's pull handler answered in this run, newest last. */
  const pulledPages = new Map<DeskCollectionName, number[]>();

  /**
   * Back-pressure for the first sync: before fetching the page after `after`, waits until the
   * page before that one is written to the desk database (RxDB persists a page's checkpoint
   * after its documents). So at most two pages are held in memory at any time.
   */
  async function pacePull(name: DeskCollectionName, after: SyncCheckpoint | undefined) {
    const pages = pulledPages.get(name) ?? [];
    if (after === undefined || pages.length < 2 || pages.at(-1) !== after.seq) return;
    const previous = pages.at(-2) ?? 0;
    const state = replications.get(name)?.internalReplicationState;
    const started = performance.now();
    while (state && !link.stopped && performance.now() - started < PULL_PACING_LIMIT_MS) {
      const persisted = state.lastCheckpointDoc.down?.checkpointData as SyncCheckpoint | undefined;
      if (persisted !== undefined && persisted.seq >= previous) return;
      if (state.events.canceled.getValue()) return;
      await sleep(10);
    }
  }

  function fetchPage(
    name: DeskCollectionName,
    after: SyncCheckpoint | undefined,
    limit: number,
  ): Promise<PullResponse> {
    const query = new URLSearchParams();
    if (after !== undefined) query.set('after', String(after.seq));
    query.set('limit', String(limit));
    return link.retrying(() =>
      attempt(`${name} pull`, () =>
        link.json('GET', `/sync/${name}/pull?${query.toString()}`, undefined, readPullResponse),
      ),
    );
  }

  /** Whether the server answers pages requests; one that does not is asked page by page. */
  let pagesAnswered = true;

  /**
   * The pages after `after`, as many as the server sends in one answer to a pages request
   * (MAX_PULL_PAGES at most), or one page from the pull endpoint if the server has no pages
   * endpoint (a server older than this desk answers 404 `not_found`).
   */
  async function* pagesAfter(
    name: DeskCollectionName,
    after: SyncCheckpoint | undefined,
    limit: number,
  ): AsyncGenerator<PullResponse, void, undefined> {
    if (!pagesAnswered) {
      yield await fetchPage(name, after, limit);
      return;
    }
    const query = new URLSearchParams();
    if (after !== undefined) query.set('after', String(after.seq));
    query.set('limit', String(limit));
    query.set('pages', String(MAX_PULL_PAGES));
    const pages = link.lines(`/sync/${name}/pages?${query.toString()}`, PULL_PAGES_TYPE, (value) =>
      readPullResponse(value),
    );
    try {
      for (;;) {
        let next: IteratorResult<PullResponse, void>;
        try {
          next = await attempt(`${name} pull`, () => pages.next());
        } catch (error) {
          if (error instanceof SyncRequestError && error.failure.code === 'not_found') {
            log(`sync: the server has no pages endpoint; ${name} pulls page by page`);
            pagesAnswered = false;
            yield await fetchPage(name, after, limit);
            return;
          }
          throw error;
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Left early (the store would not write a page): the answer is closed, not read on.
      await pages.return();
    }
  }

  /**
   * The first sync of a collection that holds nothing yet: pulls every page, many per answer
   * (the server's pages endpoint: a page per round trip would make a first sync over a slow
   * link mostly waiting), and has the store write each one (the documents, each carrying
   * RxDB's meta row, and both checkpoints) in one transaction (see main/store/first-sync.ts)
   * while the next arrives. An answer that breaks off is asked again from the last page
   * written, after the link's back-off. Answers RxDB with no documents once the last page is
   * durable, so RxDB ends its pull there and carries on from the stored checkpoint; or with
   * the first page the store would not write (the collection changed meanwhile), which RxDB
   * then writes its own way and continues after.
   * Undefined when the collection is not empty: RxDB pulls as usual.
   */
  async function pullFirstSync<Doc>(
    name: DeskCollectionName,
    collection: RxCollection<Doc>,
    limit: number,
  ): Promise<{ documents: WithDeleted<Doc>[]; checkpoint: SyncCheckpoint } | undefined> {
    const state = replications.get(name)?.internalReplicationState as
      RxStorageInstanceReplicationState<Doc> | undefined;
    if (!state || !(await isCollectionEmpty(collection))) return undefined;
    let written: SyncCheckpoint | undefined;
    for (;;) {
      // A try whose answer breaks off is made again by `retrying`, from the last page written.
      const outcome = await link.retrying(async () => {
        for await (const page of pagesAfter(name, written, limit)) {
          const documents = page.documents as unknown as WithDeleted<Doc>[];
          if (documents.length === 0) return { documents, checkpoint: written ?? page.checkpoint };
          const done = await writeFirstSyncPage(
            ctx.store,
            collection,
            state,
            documents,
            page.checkpoint,
            written,
          );
          if (!done) {
            log(`sync: ${name}: first sync handed to RxDB after seq ${written?.seq ?? 0}`);
            return { documents, checkpoint: page.checkpoint };
          }
          written = page.checkpoint;
          if (documents.length < limit) return { documents: [], checkpoint: written };
        }
        // The answer's pages all written and more to come: the next answer.
        return undefined;
      });
      if (outcome) return outcome;
    }
  }

  function replicate<Name extends DeskCollectionName>(name: Name): Replication<Name> {
    type Doc = DeskDocuments[Name];
    const collection = ctx.store.db[name] as unknown as RxCollection<Doc>;
    const withAttachments = collection.schema.jsonSchema.attachments !== undefined;
    const pullStream = pullStreams.get(name);
    if (!pullStream) throw new Error(`no pull stream for ${name}`);
    return replicateRxCollection<Doc, SyncCheckpoint>({
      replicationIdentifier: identifier,
      collection,
      live: true,
      // Used by RxDB only after a handler threw, which ours do only when sync stops.
      retryTime: 5_000,
      waitForLeadership: false,
      autoStart: true,
      pull: {
        batchSize: MAX_PULL_LIMIT,
        stream$: pullStream.asObservable(),
        handler: async (after, batchSize) => {
          const limit = Math.min(batchSize, MAX_PULL_LIMIT);
          if (after === undefined && !withAttachments) {
            const first = await pullFirstSync(name, collection, limit);
            if (first) return first;
          }
          await pacePull(name, after);
          const answer = await fetchPage(name, after, limit);
          const state = replications.get(name)?.internalReplicationState;
          if (options.resyncing === true && state && !withAttachments) {
            await recordPulledStates(
              state as unknown as RxStorageInstanceReplicationState<Doc>,
              answer.documents as unknown as WithDeleted<Doc>[],
            );
          }
          const pages = pulledPages.get(name) ?? [];
          pages.push(answer.checkpoint.seq);
          pulledPages.set(name, pages.slice(-2));
          return {
            documents: answer.documents as unknown as WithDeleted<Doc>[],
            checkpoint: answer.checkpoint,
          };
        },
        ...(withAttachments
          ? {
              // Attachments do not replicate: a pulled note keeps this desk's attachments
              // (their stubs; the bytes stay where they are) instead of losing them. RxDB
              // wants `_attachments` on every state of such a collection it keeps.
              modifier: async (doc: WithDeleted<Doc>) => {
                const id = (doc as { id?: unknown }).id;
                const [local] =
                  typeof id === 'string'
                    ? await collection.storageInstance.findDocumentsById([id], true)
                    : [];
                return { ...doc, _attachments: local?._attachments ?? {} };
              },
            }
          : {}),
      },
      push: {
        batchSize: MAX_PUSH_ROWS,
        handler: async (rows) => {
          const first = pushAfter[name];
          const before = first ? replications.get(first)?.internalReplicationState : undefined;
          if (before) await before.streamQueue.up;
          const state = replications.get(name)?.internalReplicationState as
            RxStorageInstanceReplicationState<Doc> | undefined;
          const settled =
            options.resyncing === true && state
              ? await settleAgainstPulled(state, rows)
              : { send: rows, conflicts: [] };
          if (!settled) throw new SyncStoppedError();
          const wireRows = settled.send
            .filter(
              (row) =>
                !(
                  row.assumedMasterState &&
                  sameWireDocument(row.newDocumentState, row.assumedMasterState)
                ),
            )
            .map((row) => ({
              assumedMasterState: row.assumedMasterState ? toWire(row.assumedMasterState) : null,
              newDocumentState: toWire(row.newDocumentState),
            }));
          if (wireRows.length === 0) return settled.conflicts;
          const answer = await link.retrying(() =>
            attempt(`${name} push`, () =>
              link.json('POST', `/sync/${name}/push`, { rows: wireRows }, readPushResponse),
            ),
          );
          // The server's states go into RxDB's meta data as what the server has; for a
          // collection with attachments RxDB wants the field there (none replicate).
          const conflicts = withAttachments
            ? answer.conflicts.map((doc) => ({ ...doc, _attachments: {} }))
            : answer.conflicts;
          return [...settled.conflicts, ...(conflicts as unknown as WithDeleted<Doc>[])];
        },
      },
    });
  }

  // ---- pending count --------------------------------------------------------------------
  let pendingTimer: ReturnType<typeof setTimeout> | undefined;
  let counting: Promise<void> | undefined;
  let lastCountMs = 0;

  async function countPending(): Promise<void> {
    const started = performance.now();
    let total = 0;
    for (const replication of replications.values()) total += await pendingIn(replication);
    lastCountMs = performance.now() - started;
    if (!stopping) update({ pending: total });
  }

  function refreshPending(): Promise<void> {
    counting = (counting ?? Promise.resolve())
      .then(countPending)
      .catch((error: unknown) => log(`sync: counting pending changes failed: ${String(error)}`));
    return counting;
  }

  function schedulePending(): void {
    if (pendingTimer !== undefined || stopping) return;
    pendingTimer = setTimeout(
      () => {
        pendingTimer = undefined;
        void refreshPending();
      },
      Math.max(PENDING_DEBOUNCE_MS, PENDING_COUNT_SPACING * lastCountMs),
    );
  }

  // ---- start ----------------------------------------------------------------------------
  for (const name of replicatedCollections) {
    const replication: Replication = replicate(name);
    replications.set(name, replication);
    subscriptions.push(
      replication.active$.subscribe((active) => {
        if (active) activeCollections.add(name);
        else activeCollections.delete(name);
        if (activeCollections.size > 0) update({ active: true });
        else settle();
        schedulePending();
      }),
      replication.error$.subscribe((error: unknown) => {
        if (isOurRequestError(error) || link.stopped) return;
        const problem: SyncProblem = {
          code: 'sync_internal',
          message: `The desk could not apply what the server sent for ${name}; its log has the detail.`,
        };
        log(`sync: ${name}: ${error instanceof Error ? error.message : String(error)}`);
        update({ localFailure: problem });
      }),
      replication.sent$.subscribe(() => schedulePending()),
      // Local writes (and pulled ones): the pending count may have changed.
      replication.collection.$.subscribe(() => schedulePending()),
    );
  }
  const stream: SyncStream = openSyncStream({
    link,
    onMessage: onStreamMessage,
    onConnection: (failure) =>
      failure ? channelFailed('stream', failure) : channelWorks('stream'),
    ...(options.streamIdleTimeoutMs === undefined
      ? {}
      : { idleTimeoutMs: options.streamIdleTimeoutMs }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
  });
  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    markStopped = resolve;
  });
  void Promise.all([...replications.values()].map((r) => r.awaitInitialReplication()))
    .then(() => {
      if (stopping) return;
      update({ firstRoundDone: true });
      settle();
      schedulePending();
    })
    .catch(() => undefined);
  publish();

  /** Stops everything; the status keeps a fatal error if there was one. */
  function halt(): Promise<void> {
    stopping ??= (async () => {
      link.stop();
      markStopped();
      stream.close();
      if (pendingTimer !== undefined) clearTimeout(pendingTimer);
      await Promise.all([...replications.values()].map((r) => r.cancel()));
      for (const subscription of subscriptions) subscription.unsubscribe();
      for (const subject of pullStreams.values()) subject.complete();
      await counting;
      activeCollections.clear();
      update({ running: false, active: false, requestFailure: null });
    })();
    return stopping;
  }

  let round: Promise<SyncStatus> | undefined;
  return {
    status: () => syncStatusOf(facts, ctx.now()),
    syncNow() {
      // One round at a time: a second "sync now" during a round waits for that round.
      round ??= syncRound().finally(() => {
        round = undefined;
      });
      return round;
    },
    stop: halt,
  };

  async function syncRound(): Promise<SyncStatus> {
    if (stopping) return syncStatusOf(facts, ctx.now());
    const failure = link.nextFailure();
    link.wake();
    stream.reconnectNow();
    for (const replication of replications.values()) replication.reSync();
    // Let the RESYNCs reach RxDB's queues before asking whether they are idle.
    await new Promise((resolve) => setImmediate(resolve));
    const outcome = await Promise.race([
      Promise.all([...replications.values()].map((r) => r.awaitInSync())).then(() => 'done'),
      failure.failed.then(() => 'failed'),
      stopped.then(() => 'stopped'),
    ]);
    failure.cancel();
    if (outcome === 'done') {
      settle();
      await refreshPending();
    }
    return syncStatusOf(facts, ctx.now());
  }
}

export { SyncRequestError, SyncStoppedError };
