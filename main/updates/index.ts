// The updates capability: the policy (when a downloaded update may be installed), the
// installer that follows it, the feed URL and the status the desk API answers. The Electron
// adapter (electron-updater.ts) is imported by main/index.ts only.
export { decideUpdate, FRESH_BACKUP_MS, QUIET_AFTER_SCAN_MS } from './update-policy.js';
export type { UpdateFacts } from './update-policy.js';
export { installWhenSafe } from './update-installer.js';
export type { UpdateInstallParts } from './update-installer.js';
export { updateFeedUrl } from './update-feed.js';
export { createUpdateTracker } from './update-tracker.js';
export type { UpdateTracker } from './update-tracker.js';
export { createDeskUpdates, deskUpdatesOf, unsyncedChanges } from './desk-updates.js';
export type { DeskUpdates, DeskUpdatesParts, UpdatableDesk } from './desk-updates.js';
