// Whether a downloaded update may be installed now. Installing restarts the desk and may
// migrate its database; scans the server has not acknowledged yet exist only in that
// database, so they get a fresh backup first. Pure: the clock and the counts come in.
import type { UpdateDecision } from '../../shared/index.js';

/** A backup younger than this covers the desk's unsynced changes (nothing much happened since). */
export const FRESH_BACKUP_MS = 5 * 60 * 1000;
/** An update never restarts the desk under staff's hands: it waits this long after a scan. */
export const QUIET_AFTER_SCAN_MS = 10 * 60 * 1000;

export interface UpdateFacts {
  /** The version electron-updater has downloaded and verified; null if none. */
  readonly downloadedVersion: string | null;
  /** Documents changed at this desk that the server has not acknowledged (sync `pending`). */
  readonly unsyncedChanges: number;
  readonly lastBackupAt: Date | null;
  /** The desk's latest check-in or crate scan; null if none this session. */
  readonly lastScanAt: Date | null;
  /** Staff asked for the update now ("Restart to update"): no waiting for a quiet desk. */
  readonly staffAsked: boolean;
  readonly now: Date;
}

export function decideUpdate(facts: UpdateFacts): UpdateDecision {
  if (facts.downloadedVersion === null) {
    return { action: 'wait', reason: 'No update has been downloaded.' };
  }
  const sinceScan =
    facts.lastScanAt === null ? Infinity : facts.now.getTime() - facts.lastScanAt.getTime();
  if (!facts.staffAsked && sinceScan >= 0 && sinceScan < QUIET_AFTER_SCAN_MS) {
    return {
      action: 'wait',
      reason: `Version ${facts.downloadedVersion} installs when the desk has been quiet for ${
        QUIET_AFTER_SCAN_MS / 60_000
      } minutes, or when the app closes.`,
    };
  }
  if (facts.unsyncedChanges === 0) {
    return {
      action: 'install',
      reason: `Everything is synced: version ${facts.downloadedVersion} can be installed.`,
    };
  }
  const backupAge =
    facts.lastBackupAt === null ? Infinity : facts.now.getTime() - facts.lastBackupAt.getTime();
  if (backupAge >= 0 && backupAge < FRESH_BACKUP_MS) {
    return {
      action: 'install',
      reason: `${facts.unsyncedChanges} unsynced changes are in the backup just taken: version ${facts.downloadedVersion} can be installed.`,
    };
  }
  return {
    action: 'back-up-then-install',
    reason: `${facts.unsyncedChanges} changes are not synced yet: the desk backs its database up before installing version ${facts.downloadedVersion}.`,
  };
}
