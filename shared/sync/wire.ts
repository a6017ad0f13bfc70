// The replication wire protocol between a desk and the consortium server, version 1. Both
// sides use these types: the desk's replication handlers (main/sync) and the server's routes
// and their schemas (server/sync). Anything not here is not on the wire.
//
// A desk authenticates every request with `Authorization: Bearer <desk token>`; the token is
// issued once at enrolment and stored hashed on the server. The desk's library and role come
// from the token, never from a request body.

import type { DeskCollectionName } from '../schemas/collections.js';

export const SYNC_PROTOCOL_VERSION = 1;
export const SYNC_BASE_PATH = '/v1';

/**
 * The response header naming the server database's history (server/store: `history`). A
 * desk keeps the id it synced with; an answer with another id means the database went back
 * in time (restored from a backup), and the desk syncs everything again: it pulls from the
 * start and pushes every document it holds that the pull did not bring in the same state, so
 * what it recorded since the backup reaches the server again. A desk names the history it
 * knows in the same header on its requests: a pull from a checkpoint past the database's end
 * in that history tells the server its database went back in time (server/sync/history.ts).
 */
export const HISTORY_HEADER = 'carrel-history';

/**
 * The request header of a desk that synced everything again for a new history: it names that
 * history. Its pushes then hold rows that assume no master for documents the server has, and
 * other desks' records; the server answers those with its state (or, for a record it lacks
 * and this desk did not write, a deletion) instead of refusing the push, which would stop
 * the desk's sync. Nothing is written for such rows either way.
 */
export const RESYNC_HEADER = 'carrel-resync';

/**
 * A position in one collection's change feed: the server's commit sequence number of the last
 * document version served. Sequence numbers follow commit order (see server/store).
 */
export interface SyncCheckpoint {
  readonly seq: number;
}

/** A document on the wire: the collection's fields plus `_deleted`. No `_rev`, no `_meta`. */
export type WireDocument = Record<string, unknown> & { readonly _deleted: boolean };

/** GET {base}/sync/:collection/pull?after=<seq>&limit=<n> (after omitted = from the start). */
export interface PullResponse {
  readonly documents: readonly WireDocument[];
  readonly checkpoint: SyncCheckpoint;
}

/**
 * GET {base}/sync/:collection/pages?after=<seq>&limit=<n>&pages=<k>: the answers of up to `k`
 * pulls one after the other, each from the checkpoint of the one before, in one response
 * (`application/x-ndjson`, PULL_PAGES_TYPE): one PullResponse per line, each line complete
 * JSON. The answer ends after `k` pages or after the first page of fewer than `limit`
 * documents (the end of what the library sees). A first sync takes a whole library in a few
 * round trips this way, not one per page: over a link of 300 ms round trip, 200 pages cost a
 * minute of waiting.
 */
export const PULL_PAGES_TYPE = 'application/x-ndjson';

/** One row of a push: RxDB's replication row. */
export interface PushRow {
  /** The state the desk last got from the server for this document; null for a new one. */
  readonly assumedMasterState: WireDocument | null;
  readonly newDocumentState: WireDocument;
}

/** POST {base}/sync/:collection/push, body { rows }. */
export interface PushRequest {
  readonly rows: readonly PushRow[];
}

/**
 * The server's current state of every row it did not apply because the desk's assumed
 * state was stale; the desk's conflict handler resolves them. Rows already applied before
 * (a retried push) are not conflicts.
 */
export interface PushResponse {
  readonly conflicts: readonly WireDocument[];
}

/**
 * GET {base}/sync/stream: server-sent events. `data` is JSON of a StreamMessage. On every
 * (re)connect the server first sends RESYNC, so a desk that was away pulls what it missed.
 */
export type StreamMessage =
  | { readonly type: 'RESYNC' }
  | {
      readonly type: 'changed';
      readonly collection: DeskCollectionName;
      readonly checkpoint: SyncCheckpoint;
    };

/** POST {base}/enrol, body { code, deskName } with a one-time code from the consortium. */
export interface EnrolRequest {
  readonly code: string;
  readonly deskName: string;
}

export interface EnrolResponse {
  readonly deskId: string;
  readonly token: string;
  readonly library: string;
}

/** Every error answer: a stable code and a message; never a stack trace. */
export interface WireError {
  readonly error: { readonly code: string; readonly message: string };
}

/** Collections that replicate, in the order a first sync pulls them. */
export const replicatedCollections: readonly DeskCollectionName[] = [
  'libraries',
  'items',
  'holds',
  'crates',
  'crateScans',
  'checkins',
  'notes',
  'noteRevisions',
];

/** Most documents one pull answers, and most rows one push may carry. */
export const MAX_PULL_LIMIT = 1000;
/** Most pages one `pages` request answers (MAX_PULL_LIMIT documents each). */
export const MAX_PULL_PAGES = 50;
export const MAX_PUSH_ROWS = 500;
