// The desk's sync as one object for the app: the running replication session (if the desk
// is enrolled), enrolment, and the `sync` capability's handlers over them. startDesk makes
// one, resumes it when the settings say the desk is enrolled, and stops it before the store
// closes.
import {
  fail,
  ok,
  type DeskArgs,
  type DeskHandlers,
  type DeskResult,
  type SyncEnrolment,
  type SyncStatus,
} from '../../shared/index.js';
import type { DeskContext } from '../context.js';
import type { BackoffPolicy } from './backoff.js';
import { requestEnrolment } from './enrolment.js';
import { removeReplicationMeta, startDeskSync, type DeskSyncSession } from './replication.js';
import { stoppedFacts, syncStatusOf } from './sync-status.js';

/** What a desk's sync uses besides its settings (tests shorten the waits). */
export interface DeskSyncParts {
  readonly fetchImpl?: typeof fetch;
  readonly backoff?: BackoffPolicy;
  readonly requestTimeoutMs?: number;
  readonly streamIdleTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface DeskSync {
  status(): SyncStatus;
  /** A sync round now; desk_not_set_up when the desk is not enrolled. */
  syncNow(): Promise<DeskResult<SyncStatus>>;
  enrol(args: DeskArgs<'sync', 'enrol'>): Promise<DeskResult<SyncEnrolment>>;
  /** Starts syncing if the settings say the desk is enrolled and it does not sync yet. */
  resume(): void;
  stop(): Promise<void>;
}

export function createDeskSync(ctx: DeskContext, parts: DeskSyncParts = {}): DeskSync {
  let session: DeskSyncSession | undefined;
  /** Set while sync restarts for a new server history (historyNamed). */
  let restarting: Promise<void> | undefined;
  let staleHistoryLogged = false;
  const log = parts.log ?? ((line: string) => console.error(line));
  const disabled = () => syncStatusOf(stoppedFacts, ctx.now());

  /** `resyncing`: this start begins the resync for a new history (DeskSyncOptions). */
  function start(resyncing = false): void {
    const settings = ctx.settings().sync;
    if (!settings || session) return;
    session = startDeskSync(ctx, {
      serverUrl: settings.serverUrl,
      token: settings.token,
      ...(settings.resyncedFor === undefined ? {} : { resyncedFor: settings.resyncedFor }),
      ...(resyncing ? { resyncing } : {}),
      onHistory: historyNamed,
      ...parts,
    });
  }

  /**
   * An answer named the server database's history. The first one is kept. Another one means
   * the database went back in time (a restored backup): it lacks what this desk recorded
   * since, and this desk's checkpoints point past its end. Sync starts over under a new
   * replication identifier: RxDB pulls everything, then pushes what differs from what it
   * pulled (replication.ts, settleAgainstPulled); the server keeps what it lacks.
   */
  function historyNamed(history: string): void {
    const current = ctx.settings().sync;
    if (!current || current.history === history) return;
    if (current.leftHistories?.includes(history)) {
      if (!staleHistoryLogged) {
        staleHistoryLogged = true;
        log(
          'sync: a server answered for data this desk already left behind (an instance not restarted after a restore?)',
        );
      }
      return;
    }
    const known = current.history;
    const previousReplication = current.resyncedFor;
    ctx.updateSettings((settings) =>
      settings.sync === undefined
        ? settings
        : {
            ...settings,
            sync: {
              ...settings.sync,
              history,
              ...(known === undefined
                ? {}
                : {
                    resyncedFor: history,
                    leftHistories: [...(settings.sync.leftHistories ?? []), known].slice(-10),
                  }),
            },
          },
    );
    if (known === undefined) return;
    log(
      'sync: the server database went back in time (restored from a backup?): syncing everything again',
    );
    restarting = stop()
      .then(() => removeReplicationMeta(ctx, current.serverUrl, previousReplication))
      .catch((error: unknown) =>
        log(`sync: removing the old sync records failed: ${String(error)}`),
      )
      .then(() => start(true))
      .catch((error: unknown) =>
        log(`sync: restarting for the new history failed: ${String(error)}`),
      )
      .finally(() => {
        restarting = undefined;
      });
  }

  async function stop(): Promise<void> {
    const current = session;
    session = undefined;
    await current?.stop();
    if (current) ctx.events.emit('sync.status', disabled());
  }

  return {
    status: () => session?.status() ?? disabled(),
    async syncNow() {
      await restarting; // "sync now" during a restart for a new history waits for it
      if (!session) {
        return fail('desk_not_set_up', 'This desk is not enrolled with a consortium server.');
      }
      return ok(await session.syncNow());
    },
    async enrol(args) {
      const enrolled = await requestEnrolment({
        ...args,
        ...(parts.fetchImpl === undefined ? {} : { fetchImpl: parts.fetchImpl }),
        ...(parts.requestTimeoutMs === undefined ? {} : { timeoutMs: parts.requestTimeoutMs }),
      });
      if (!enrolled.ok) return enrolled;
      const { serverUrl, token, deskId, library } = enrolled.value;
      await stop();
      ctx.updateSettings((current) => ({
        ...current,
        deskId,
        libraryCode: library,
        sync: { serverUrl, token, deskId, library, enrolledAt: ctx.now().toISOString() },
      }));
      start();
      return ok({
        deskId,
        libraryCode: library,
        serverUrl,
        status: session?.status() ?? disabled(),
      });
    },
    resume: () => start(),
    stop,
  };
}

/** The `sync` capability of the desk API over a desk's sync. */
export function syncHandlers(sync: DeskSync) {
  return {
    status: () => ok(sync.status()),
    now: () => sync.syncNow(),
    enrol: (args) => sync.enrol(args),
  } satisfies DeskHandlers['sync'];
}
