// The desk side of updates, in plain Node: notices when staff last scanned, and when an
// update is downloaded asks the policy, backs up if it says so, and installs when safe.
// The Electron adapter feeds it electron-updater's events and its quitAndInstall.
import type { DeskEventName, SyncStatus, UpdateDecision } from '../../shared/index.js';
import { installWhenSafe } from './update-installer.js';
import type { UpdateTracker } from './update-tracker.js';

/** Events that mean staff are working at the desk right now. */
const STAFF_EVENTS = new Set(['checkin.recorded', 'crates.changed']);

export interface DeskUpdatesParts {
  readonly subscribe: (listener: (event: string) => void) => () => void;
  readonly unsyncedChanges: () => number;
  readonly lastBackupAt: () => Date | null;
  readonly takeBackup: () => Promise<unknown>;
  readonly tracker: UpdateTracker;
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface DeskUpdates {
  /**
   * Decides about a downloaded update and installs it (`install`) if the policy allows,
   * taking a backup first when unsynced changes have none. Answers the decision.
   */
  consider(install: () => void, staffAsked?: boolean): Promise<UpdateDecision>;
  stop(): void;
}

export function createDeskUpdates(parts: DeskUpdatesParts): DeskUpdates {
  const now = parts.now ?? (() => new Date());
  let lastScanAt: Date | null = null;
  let considering: Promise<UpdateDecision> | undefined;
  const stop = parts.subscribe((event) => {
    if (STAFF_EVENTS.has(event)) lastScanAt = now();
  });
  return {
    consider(install, staffAsked = false) {
      considering ??= (async () => {
        const status = parts.tracker.status();
        const decision = await installWhenSafe({
          facts: () => ({
            downloadedVersion: status.state === 'ready' ? status.availableVersion : null,
            unsyncedChanges: parts.unsyncedChanges(),
            lastScanAt,
            staffAsked,
          }),
          lastBackupAt: parts.lastBackupAt,
          takeBackup: parts.takeBackup,
          install,
          now,
          log: parts.log,
        });
        parts.tracker.decided(decision);
        return decision;
      })().finally(() => {
        considering = undefined;
      });
      return considering;
    },
    stop,
  };
}

/** What of a running desk (main/app.ts `Desk`) updates use. */
export interface UpdatableDesk {
  readonly events: { subscribe(listener: (event: DeskEventName) => void): () => void };
  readonly sync: { status(): Pick<SyncStatus, 'state' | 'pending'> };
  readonly backups: {
    list(): readonly { readonly takenAt: string }[];
    takeBackup(): Promise<unknown>;
  };
  readonly updates: UpdateTracker;
  readonly log: (line: string) => void;
}

/**
 * Only a desk `online` knows its pending count is complete (it has pushed and is listening).
 * Offline, failing, just started or not enrolled, a 0 may be a count not made yet: such a
 * desk counts as holding unsynced changes, so an update takes a backup first.
 */
export function unsyncedChanges(status: Pick<SyncStatus, 'state' | 'pending'>): number {
  return status.state === 'online' ? status.pending : Math.max(1, status.pending);
}

/** The updates of a running desk: its events, sync's pending count and its backups. */
export function deskUpdatesOf(desk: UpdatableDesk): DeskUpdates {
  return createDeskUpdates({
    subscribe: (listener) => desk.events.subscribe((event) => listener(event)),
    unsyncedChanges: () => unsyncedChanges(desk.sync.status()),
    lastBackupAt: () => {
      const newest = desk.backups.list()[0];
      return newest ? new Date(newest.takenAt) : null;
    },
    takeBackup: () => desk.backups.takeBackup(),
    tracker: desk.updates,
    log: desk.log,
  });
}
