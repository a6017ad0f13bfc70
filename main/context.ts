// What every desk capability works with: the store, who this desk is, the clock, id
// generation, the signed-in staff member and the events it pushes to the UI. Built once by
// createDeskContext; capabilities take it as their first argument.
import type { RxCollection } from 'rxdb';
import { monotonicFactory } from 'ulid';
import { deskCollectionNames } from '../shared/index.js';
import type {
  DeskCollectionName,
  DeskEventName,
  DeskEvents,
  StaffSession,
} from '../shared/index.js';
import type { Library } from '../shared/index.js';
import type { DeskSettings, DeskStore } from './store/index.js';

export interface DeskEventSink {
  emit<E extends DeskEventName>(event: E, payload: DeskEvents[E]): void;
}

export interface DeskContext {
  readonly store: DeskStore;
  readonly version: string;
  settings(): DeskSettings;
  updateSettings(change: (current: DeskSettings) => DeskSettings): void;
  readonly now: () => Date;
  /** ULIDs, monotonic within this process (ids made in one millisecond still sort in order). */
  readonly newId: () => string;
  readonly events: DeskEventSink;
  /** Every member library, kept in memory and refreshed when the collection changes. */
  libraries(): Promise<ReadonlyMap<string, Library>>;
  staff: { current: StaffSession | null };
  /**
   * The server's clock minus this desk's (ms), as sync last measured it; null before sync
   * has measured it. Check-ins carry it so a wrong desk clock can be corrected later.
   */
  readonly clock: { offsetMs: number | null };
}

/** Changes within this many ms reach the UI as one `data.changed` event. */
const CHANGE_BATCH_MS = 150;

export interface DeskContextOptions {
  readonly store: DeskStore;
  readonly version: string;
  readonly settings: DeskSettings;
  readonly saveSettings: (settings: DeskSettings) => void;
  readonly events: DeskEventSink;
  readonly now?: () => Date;
}

export function createDeskContext(options: DeskContextOptions): DeskContext {
  let settings = options.settings;
  const now = options.now ?? (() => new Date());
  const ulid = monotonicFactory();
  let libraries: Promise<ReadonlyMap<string, Library>> | undefined;
  const pendingChanges = new Set<DeskCollectionName>();
  let changeTimer: ReturnType<typeof setTimeout> | undefined;
  const flushChanges = () => {
    changeTimer = undefined;
    const collections = [...pendingChanges].sort();
    pendingChanges.clear();
    if (collections.length > 0) options.events.emit('data.changed', { collections });
  };
  const changed = (collection: DeskCollectionName) => {
    pendingChanges.add(collection);
    changeTimer ??= setTimeout(flushChanges, CHANGE_BATCH_MS);
  };
  // Libraries change rarely (sync, setup); drop the cached map whenever they do.
  options.store.db.libraries.$.subscribe(() => {
    libraries = undefined;
  });
  // Every write, the desk's own and sync's, tells the UI which lists are out of date.
  for (const name of deskCollectionNames) {
    (options.store.db[name] as RxCollection).$.subscribe(() => changed(name));
  }
  return {
    store: options.store,
    version: options.version,
    settings: () => settings,
    updateSettings(change) {
      const next = change(settings);
      options.saveSettings(next);
      settings = next;
    },
    now,
    newId: () => ulid(now().getTime()),
    events: options.events,
    libraries() {
      libraries ??= options.store.db.libraries
        .find()
        .exec()
        .then((docs) => new Map(docs.map((doc) => [doc.code, doc.toMutableJSON()])));
      return libraries;
    },
    staff: { current: null },
    clock: { offsetMs: null },
  };
}

/** The library this desk works for, or undefined before setup. */
export async function deskLibrary(ctx: DeskContext): Promise<Library | undefined> {
  const code = ctx.settings().libraryCode;
  if (code === null) return undefined;
  return (await ctx.libraries()).get(code);
}
