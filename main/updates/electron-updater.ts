// The Electron-only adapter around electron-updater (which needs Electron's `app` and cannot
// load in plain Node): main/index.ts starts it in an installed app. Everything it decides is
// in desk-updates.ts and update-policy.ts, which run and are tested in plain Node.
//
// The feed is the generic provider at `<server>/v1/updates/` of the consortium server the
// desk is enrolled with (a desk enrolled after start gets updates from its next start).
// Updates download by themselves; they install only when the policy says so, never simply
// because the app quits (autoInstallOnAppQuit is off: that path would skip the backup).
import electronUpdater from 'electron-updater';
import { deskUpdatesOf, type UpdatableDesk } from './desk-updates.js';
import { updateFeedUrl } from './update-feed.js';

/** How often the feed is asked for a new version. */
const CHECK_EVERY_MS = 4 * 60 * 60 * 1000;
/** How often a downloaded update is considered again (it waits for a quiet desk). */
const CONSIDER_EVERY_MS = 5 * 60 * 1000;

/** Starts checking the feed of the server `serverUrl` (none: not enrolled, no updates). */
export function startElectronUpdates(
  desk: UpdatableDesk,
  serverUrl: string | undefined,
): () => void {
  if (serverUrl === undefined) {
    desk.updates.feed(null);
    return () => undefined;
  }
  const parts = { tracker: desk.updates, updates: deskUpdatesOf(desk), log: desk.log };
  const { autoUpdater } = electronUpdater;
  const feedUrl = updateFeedUrl(serverUrl);
  autoUpdater.setFeedURL({ provider: 'generic', url: feedUrl });
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = false;
  autoUpdater.logger = {
    info: (message?: unknown) => parts.log(`update: ${String(message)}`),
    warn: (message?: unknown) => parts.log(`update: ${String(message)}`),
    error: (message?: unknown) => parts.log(`update: ${String(message)}`),
  };
  parts.tracker.feed(feedUrl);
  const install = () => autoUpdater.quitAndInstall(false, true);
  const consider = () => {
    parts.updates.consider(install).catch((error: unknown) => {
      parts.log(`update: ${(error as Error).message}`);
    });
  };
  autoUpdater.on('checking-for-update', () => parts.tracker.checking());
  autoUpdater.on('update-not-available', () => parts.tracker.upToDate());
  autoUpdater.on('update-available', (info) => parts.tracker.downloading(info.version));
  autoUpdater.on('update-downloaded', (info) => {
    parts.tracker.downloaded(info.version);
    consider();
  });
  autoUpdater.on('error', (error) => parts.tracker.failed(error.message));
  const check = () => {
    autoUpdater.checkForUpdates().catch((error: unknown) => {
      parts.tracker.failed((error as Error).message);
    });
  };
  check();
  const checking = setInterval(check, CHECK_EVERY_MS);
  const considering = setInterval(() => {
    if (parts.tracker.status().state === 'ready') consider();
  }, CONSIDER_EVERY_MS);
  return () => {
    clearInterval(checking);
    clearInterval(considering);
    parts.updates.stop();
  };
}
