// The sync status the UI shows, derived from a few facts the replication keeps. Pure, so
// every transition is a table row in sync-status.test.ts.
import type { SyncState, SyncStatus } from '../../shared/index.js';

export interface SyncProblem {
  readonly code: string;
  readonly message: string;
}

/** A failed request, sorted by what it means for the desk. */
export interface RequestFailure extends SyncProblem {
  /**
   * `offline`: the server could not be reached or is overloaded (retried with back-off);
   * `refused`: the server answered no (retried, but a person has to look);
   * `fatal`: the desk's token is unknown or revoked (sync stops until enrolled again).
   */
  readonly kind: 'offline' | 'refused' | 'fatal';
}

export interface SyncFacts {
  /** Sync runs (the desk is enrolled and it was not stopped). */
  readonly running: boolean;
  /** Sync stopped for good on this failure (token refused). */
  readonly fatal: SyncProblem | null;
  /** The most recent request failed, and none succeeded since. */
  readonly requestFailure: RequestFailure | null;
  /** Applying what the server sent failed (a write, a conflict handler); cleared by a round. */
  readonly localFailure: SyncProblem | null;
  /** Some collection is pulling or pushing. */
  readonly active: boolean;
  /** Every collection finished its first round since sync started. */
  readonly firstRoundDone: boolean;
  readonly lastSuccessAt: string | null;
  readonly pending: number;
  readonly clockOffsetMs: number | null;
}

export const stoppedFacts: SyncFacts = {
  running: false,
  fatal: null,
  requestFailure: null,
  localFailure: null,
  active: false,
  firstRoundDone: false,
  lastSuccessAt: null,
  pending: 0,
  clockOffsetMs: null,
};

export function syncState(facts: SyncFacts): SyncState {
  if (facts.fatal) return 'error';
  if (!facts.running) return 'disabled';
  if (facts.requestFailure) return facts.requestFailure.kind === 'offline' ? 'offline' : 'error';
  if (facts.localFailure) return 'error';
  if (facts.active || !facts.firstRoundDone) return 'syncing';
  return 'online';
}

/** The status at `now` (desk clock): `dataAgeSeconds` grows while the desk is not online. */
export function syncStatusOf(facts: SyncFacts, now: Date): SyncStatus {
  const state = syncState(facts);
  const problem = facts.fatal ?? facts.requestFailure ?? facts.localFailure;
  const since = facts.lastSuccessAt === null ? NaN : Date.parse(facts.lastSuccessAt);
  return {
    state,
    lastSuccessAt: facts.lastSuccessAt,
    error: problem ? { code: problem.code, message: problem.message } : null,
    pending: facts.pending,
    dataAgeSeconds: Number.isNaN(since)
      ? null
      : state === 'online'
        ? 0
        : Math.max(0, Math.floor((now.getTime() - since) / 1000)),
    clockOffsetMs: facts.clockOffsetMs,
  };
}

/**
 * Whether two statuses differ enough to tell the UI: any field but the data age, which grows
 * every second by itself (the UI counts it on from `lastSuccessAt`).
 */
export function statusChanged(a: SyncStatus, b: SyncStatus): boolean {
  return (
    a.state !== b.state ||
    a.lastSuccessAt !== b.lastSuccessAt ||
    a.error?.code !== b.error?.code ||
    a.error?.message !== b.error?.message ||
    a.pending !== b.pending ||
    a.clockOffsetMs !== b.clockOffsetMs
  );
}

/** WireError codes after which retrying cannot help: the desk must be enrolled again. */
const fatalCodes = new Set(['unauthorized', 'revoked']);

/**
 * What a request's failure means. `status` is the HTTP status (undefined: no answer at all),
 * `code`/`message` the WireError the server sent, if it sent one.
 */
export function classifyFailure(failure: {
  status?: number | undefined;
  code?: string | undefined;
  message?: string | undefined;
}): RequestFailure {
  const { status, code } = failure;
  if (status === undefined) {
    return {
      kind: 'offline',
      code: 'server_unreachable',
      message: failure.message ?? 'The consortium server cannot be reached.',
    };
  }
  if ((code !== undefined && fatalCodes.has(code)) || (code === undefined && status === 401)) {
    return {
      kind: 'fatal',
      code: code ?? 'unauthorized',
      message:
        failure.message ??
        'The consortium server no longer accepts this desk. Enrol the desk again.',
    };
  }
  const transient = status === 408 || status === 429 || status >= 500;
  return {
    kind: transient ? 'offline' : 'refused',
    code: code ?? (transient ? 'server_unreachable' : 'server_error'),
    message: failure.message ?? `The consortium server answered HTTP ${status}.`,
  };
}
