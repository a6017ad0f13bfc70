// The desk's replication status, as main pushes it (`sync.status`), read once at start.
import type { SyncStatus } from '../../shared/api/index.js';
import type { SliceCreator } from './store.js';

export interface SyncSlice {
  sync: SyncStatus | null;
  refreshSync: () => Promise<void>;
  /** Asks for a sync round now (the status bar's button). */
  syncNow: () => Promise<void>;
}

export const createSyncSlice: SliceCreator<SyncSlice> = (client, set) => ({
  sync: null,
  async refreshSync() {
    const answer = await client.sync.status({});
    if (answer.ok) set({ sync: answer.value });
  },
  async syncNow() {
    set((state) => (state.sync ? { sync: { ...state.sync, state: 'syncing' } } : {}));
    const answer = await client.sync.now({});
    if (answer.ok) set({ sync: answer.value });
  },
});
