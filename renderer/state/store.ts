// The page's state: one zustand store made of slices (session, sync, scan station), each
// owning its part and the desk calls that change it. Lists that belong to one screen (crates,
// holds, notes) stay in that screen and re-read on `data.changed` (lib/use-desk-query.ts).
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeskClient } from '../../shared/api/index.js';
import { createScanSlice, type ScanSlice } from './scan-slice.js';
import { createSessionSlice, type SessionSlice } from './session-slice.js';
import { createSyncSlice, type SyncSlice } from './sync-slice.js';

export type DeskState = SessionSlice & SyncSlice & ScanSlice;
export type DeskStore = StoreApi<DeskState>;
export type SliceCreator<T> = (
  client: DeskClient,
  set: StoreApi<DeskState>['setState'],
  get: StoreApi<DeskState>['getState'],
) => T;

export function createDeskStore(client: DeskClient): DeskStore {
  const store = createStore<DeskState>()((set, get) => ({
    ...createSessionSlice(client, set, get),
    ...createSyncSlice(client, set, get),
    ...createScanSlice(client, set, get),
  }));
  // Main pushes what changed; the page never polls for it.
  client.on('sync.status', (status) => {
    store.setState({ sync: status });
    // Just enrolled: the desk knows its library once the first pull brought its record.
    if (!store.getState().status?.library && status.state !== 'disabled') {
      void store.getState().refreshStatus();
    }
  });
  client.on('holds.captureLost', (lost) =>
    store.setState((state) => ({ captureLost: [...state.captureLost, lost] })),
  );
  // The page's own scans already put their answers in the list: re-reading it after each one
  // would only compete with the next scan for the desk. Re-read once a burst is over (undo or
  // a re-routing made elsewhere is then shown a moment later).
  let recentTimer: ReturnType<typeof setTimeout> | undefined;
  client.on('data.changed', ({ collections }) => {
    if (collections.includes('checkins')) {
      clearTimeout(recentTimer);
      recentTimer = setTimeout(() => void store.getState().refreshRecent(), 400);
    }
    if (collections.includes('libraries')) void store.getState().refreshStatus();
  });
  return store;
}
