// What the server knows of each desk's sync, for the metrics: when it last pulled and pushed,
// and how long changes for its library have waited for it (its sync lag).
//
// Why lag is not "time since the last pull": a desk pulls when its live stream says its
// library changed, so a desk at a quiet library can go a whole night without pulling and be
// perfectly up to date. Lag is measured from the other end: the oldest commit concerning the
// desk's library that the desk has not yet pulled. A commit is pulled once a pull of that
// collection answers a checkpoint at or past the commit's seq (the store serves a library's
// versions in seq order, replication-store.ts), so lag is exact, not guessed.
//
// Kept in memory: after a restart a desk shows up again at its first pull or push. With
// several server instances on one PostgreSQL database each instance knows the desks that
// talk to it and the commits it heard of (docs/admin/monitoring.md says how to aggregate).

/** At most this many unpulled commits per desk and collection are remembered. */
const MAX_PENDING = 1000;

interface PendingCommit {
  readonly seq: number;
  readonly at: number;
}

interface Backlog {
  /** Unpulled commits, oldest first (seq and time both increase). */
  readonly commits: PendingCommit[];
  /** Set when commits were dropped past MAX_PENDING: the newest seq among them. */
  overflowSeq: number | null;
}

interface DeskActivity {
  readonly deskId: string;
  readonly library: string;
  lastPullAt: number | null;
  lastPushAt: number | null;
  readonly backlog: Map<string, Backlog>;
}

export interface DeskSyncState {
  readonly deskId: string;
  readonly library: string;
  readonly lastPullAt: number | null;
  readonly lastPushAt: number | null;
  /** Milliseconds the oldest unpulled commit for this desk has waited; 0 when caught up. */
  readonly lagMs: number;
}

export class SyncActivity {
  private readonly desks = new Map<string, DeskActivity>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly everyLibrary = '*',
  ) {}

  /** A commit to `collection` at `seq` that the desks of `libraries` have yet to pull. */
  committed(collection: string, seq: number, libraries: readonly string[]): void {
    const everyone = libraries.includes(this.everyLibrary);
    const at = this.now();
    for (const desk of this.desks.values()) {
      if (!everyone && !libraries.includes(desk.library)) continue;
      const backlog = this.backlogOf(desk, collection);
      if (backlog.commits.length < MAX_PENDING) backlog.commits.push({ seq, at });
      else backlog.overflowSeq = seq;
    }
  }

  /** A pull of `collection` by a desk answered `checkpointSeq`: what it served is caught up. */
  pulled(deskId: string, library: string, collection: string, checkpointSeq: number): void {
    const desk = this.deskOf(deskId, library);
    desk.lastPullAt = this.now();
    const backlog = desk.backlog.get(collection);
    if (backlog === undefined) return;
    const firstUnpulled = backlog.commits.findIndex((commit) => commit.seq > checkpointSeq);
    backlog.commits.splice(0, firstUnpulled === -1 ? backlog.commits.length : firstUnpulled);
    if (backlog.overflowSeq !== null && backlog.overflowSeq <= checkpointSeq) {
      backlog.overflowSeq = null;
    } else if (backlog.overflowSeq !== null && backlog.commits.length === 0) {
      // Only dropped commits remain, and their times are gone: count from now, which
      // understates the lag of a desk that was away for a thousand commits (and says so by
      // staying above zero until it catches up).
      backlog.commits.push({ seq: checkpointSeq + 1, at: this.now() });
    }
  }

  pushed(deskId: string, library: string): void {
    this.deskOf(deskId, library).lastPushAt = this.now();
  }

  /** Every desk seen since the server started, as of now. */
  snapshot(): DeskSyncState[] {
    const now = this.now();
    return [...this.desks.values()].map((desk) => {
      let oldest = now;
      for (const backlog of desk.backlog.values()) {
        const first = backlog.commits[0];
        if (first !== undefined) oldest = Math.min(oldest, first.at);
      }
      return {
        deskId: desk.deskId,
        library: desk.library,
        lastPullAt: desk.lastPullAt,
        lastPushAt: desk.lastPushAt,
        lagMs: now - oldest,
      };
    });
  }

  /** A revoked desk stops being reported. */
  forget(deskId: string): void {
    this.desks.delete(deskId);
  }

  private deskOf(deskId: string, library: string): DeskActivity {
    let desk = this.desks.get(deskId);
    if (desk === undefined) {
      desk = { deskId, library, lastPullAt: null, lastPushAt: null, backlog: new Map() };
      this.desks.set(deskId, desk);
    }
    return desk;
  }

  private backlogOf(desk: DeskActivity, collection: string): Backlog {
    let backlog = desk.backlog.get(collection);
    if (backlog === undefined) {
      backlog = { commits: [], overflowSeq: null };
      desk.backlog.set(collection, backlog);
    }
    return backlog;
  }
}
