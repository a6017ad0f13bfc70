// A real desk for tests: a real SQLite store in a temporary folder, the desk context and the
// API handlers over it, a clock the test moves, and the events the desk pushed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeskHandlers } from '../../main/api/desk-handlers.js';
import { createDeskContext, type DeskContext } from '../../main/context.js';
import { loadDeskSettings, openDeskStore, saveDeskSettings } from '../../main/store/index.js';
import {
  codabarCheckDigit,
  type DeskEventName,
  type DeskEvents,
  type DeskHandlers,
  type Hold,
  type Item,
  type Library,
} from '../../shared/index.js';

export const T0 = '2026-11-23T15:00:00.000Z';

/** A valid 14-digit Codabar item barcode: 5-digit prefix, serial, check digit. */
export function itemBarcode(prefix: string, serial: number): string {
  const first13 = `${prefix}${String(serial).padStart(13 - prefix.length, '0')}`;
  return `${first13}${codabarCheckDigit(first13)}`;
}

const stamp = { updatedAt: T0, deskId: 'server' };

export function library(code: string, prefix: string, extra: Partial<Library> = {}): Library {
  return {
    code,
    name: `${code[0]}${code.slice(1).toLowerCase()} Library`,
    barcodePrefixes: [prefix],
    barcodeRule: { lengths: [14], checkDigit: 'codabar-mod10' },
    floatingRules: { libraries: [], callNumberPrefixes: [] },
    localPickupFirst: true,
    timeZone: 'America/Chicago',
    crateCapacity: 40,
    holdShelfDays: 7,
    courierStop: `STOP-${code}`,
    ...stamp,
    ...extra,
  };
}

export const consortium: Library[] = [
  library('MAIN', '33907'),
  library('EAST', '33908'),
  library('WEST', '33909'),
];

export function item(barcode: string, owner: string, extra: Partial<Item> = {}): Item {
  return {
    barcode,
    bibId: `bib-${barcode.slice(-6)}`,
    title: `Title ${barcode.slice(-6)}`,
    author: 'Author, A.',
    callNumber: 'FIC',
    owner,
    location: owner,
    floating: false,
    status: 'checked_out',
    ...stamp,
    ...extra,
  };
}

let holdSerial = 0;
export function hold(bibId: string, pickupLibrary: string, extra: Partial<Hold> = {}): Hold {
  holdSerial += 1;
  return {
    id: `01JQ0000000000000000${String(holdSerial).padStart(6, '0')}`,
    bibId,
    patronRef: `p-${holdSerial}`,
    shelfName: `SHELF-${holdSerial}`,
    pickupLibrary,
    pullLibrary: 'MAIN',
    status: 'pending',
    requestedAt: '2026-11-01T10:00:00.000Z',
    ...stamp,
    ...extra,
  };
}

export interface TestDesk {
  readonly ctx: DeskContext;
  readonly api: DeskHandlers;
  readonly events: { name: DeskEventName; payload: DeskEvents[DeskEventName] }[];
  /** The `data.changed` events, apart: they follow writes on a short timer. */
  readonly changes: DeskEvents['data.changed'][];
  readonly dataDir: string;
  /** Moves the desk's clock on. */
  advance(ms: number): void;
  /** Works as another library's desk on the same store (as if synced), for crate transfers. */
  becomeLibrary(code: string): void;
  close(): Promise<void>;
}

export async function openTestDesk(options: {
  library: string;
  libraries?: Library[];
  items?: Item[];
  holds?: Hold[];
  staff?: string;
  dataDir?: string;
}): Promise<TestDesk> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'carrel-desk-'));
  const store = await openDeskStore({ dataDir });
  let clock = Date.parse(T0);
  const settings = { ...loadDeskSettings(dataDir), libraryCode: options.library };
  saveDeskSettings(dataDir, settings);
  const events: TestDesk['events'] = [];
  const changes: DeskEvents['data.changed'][] = [];
  const ctx = createDeskContext({
    store,
    version: '0.0.0-test',
    settings,
    saveSettings: (next) => saveDeskSettings(dataDir, next),
    events: {
      // `data.changed` comes on a timer after writes; tests of it read `changes`.
      emit: (name, payload) =>
        name === 'data.changed'
          ? changes.push(payload as DeskEvents['data.changed'])
          : events.push({ name, payload }),
    },
    now: () => new Date(clock),
  });
  if (options.libraries ?? consortium) {
    await store.db.libraries.bulkUpsert(options.libraries ?? consortium);
  }
  if (options.items) await store.db.items.bulkInsert(options.items);
  if (options.holds) await store.db.holds.bulkInsert(options.holds);
  const api = createDeskHandlers(ctx);
  if (options.staff !== '') {
    const signed = await api.staff.signIn({ initials: options.staff ?? 'JD' });
    if (!signed.ok) throw new Error(signed.error.message);
  }
  return {
    ctx,
    api,
    events,
    changes,
    dataDir,
    advance: (ms) => {
      clock += ms;
    },
    becomeLibrary: (code) => ctx.updateSettings((current) => ({ ...current, libraryCode: code })),
    close: async () => {
      await store.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
