// What every desk capability works with: the store, who this desk is, the clock, id
// generation, the signed-in staff member and the events it pushes to the UI. Built once by
// createDeskContext; capabilities take it as their first argument.
import { monotonicFactory } from 'ulid';
import type { DeskEventName, DeskEvents, StaffSession } from '../shared/index.js';
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
}

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
  // Libraries change rarely (sync, setup); drop the cached map whenever they do.
  options.store.db.libraries.$.subscribe(() => {
    libraries = undefined;
  });
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
  };
}

/** The library this desk works for, or undefined before setup. */
export async function deskLibrary(ctx: DeskContext): Promise<Library | undefined> {
  const code = ctx.settings().libraryCode;
  if (code === null) return undefined;
  return (await ctx.libraries()).get(code);
}
