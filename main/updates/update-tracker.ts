// What `maintenance.updateStatus` answers, kept up to date from electron-updater's events by
// the Electron adapter. A desk running in plain Node (tests, the browser UI) has no updater:
// its status stays `unavailable`.
import type { UpdateDecision, UpdateStatus } from '../../shared/index.js';

export interface UpdateTracker {
  status(): UpdateStatus;
  feed(url: string | null): void;
  checking(): void;
  upToDate(): void;
  downloading(version: string): void;
  downloaded(version: string): void;
  decided(decision: UpdateDecision): void;
  failed(message: string): void;
}

export function createUpdateTracker(currentVersion: string, now = () => new Date()): UpdateTracker {
  let status: UpdateStatus = {
    state: 'unavailable',
    currentVersion,
    availableVersion: null,
    feedUrl: null,
    lastCheckedAt: null,
    decision: null,
    error: null,
  };
  const set = (change: Partial<UpdateStatus>) => {
    status = { ...status, ...change };
  };
  return {
    status: () => status,
    feed: (url) =>
      set(url === null ? { state: 'unavailable', feedUrl: null } : { state: 'idle', feedUrl: url }),
    checking: () => set({ state: 'checking', error: null }),
    upToDate: () =>
      set({ state: 'idle', lastCheckedAt: now().toISOString(), availableVersion: null }),
    downloading: (version) =>
      set({ state: 'downloading', availableVersion: version, lastCheckedAt: now().toISOString() }),
    downloaded: (version) => set({ state: 'ready', availableVersion: version }),
    decided: (decision) => set({ decision }),
    // A failed check keeps a downloaded update: it can still be installed.
    failed: (message) =>
      set({ state: status.state === 'ready' ? 'ready' : 'error', error: message }),
  };
}
