// The desk API, written once: the argument schema of every method (validated at both bridges
// before a handler runs), the answer types, and the events main pushes to the UI. The IPC
// and WebSocket bridges and the preload are generated from `deskMethodNames`; handlers in
// main end in `satisfies DeskHandlers[capability]`, so the compiler checks them against this.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { CheckinOutcome } from '../schemas/checkins.js';
import type { CrateStatus } from '../schemas/crates.js';
import type { HoldStatus } from '../schemas/holds.js';
import type { DeskResult } from './result.js';

const strict = { additionalProperties: false } as const;
const noArgs = () => Type.Object({}, strict);
const id = Type.String({ minLength: 1, maxLength: 64 });
const libraryCode = Type.String({ minLength: 1, maxLength: 20, pattern: '^[A-Za-z0-9_.-]+$' });
const day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
/** A scan as the scanner typed it; cleaning and checking it is the desk's job (barcode.ts). */
const rawScan = Type.String({ maxLength: 200 });

export const deskContract = {
  desk: {
    /** Which library this desk is, who is signed in, the app version. Offline: yes. */
    status: noArgs(),
  },
  staff: {
    /**
     * Signs staff in by initials (and PIN where the library wants one); every record after
     * says who. Offline: yes. Errors: pin_required, pin_wrong, desk_not_set_up.
     */
    signIn: Type.Object(
      {
        initials: Type.String({ minLength: 1, maxLength: 8, pattern: '^[A-Za-z0-9]+$' }),
        pin: Type.Optional(Type.String({ pattern: '^[0-9]{4,8}$' })),
      },
      strict,
    ),
    /** Offline: yes. */
    signOut: noArgs(),
  },
  checkin: {
    /**
     * Checks an item in: cleans and checks the scan, routes it, records it durably, and only
     * then answers where the item goes (and which crate it was dropped into). Offline: yes,
     * fully. Errors: not_signed_in, desk_not_set_up, barcode_empty, barcode_malformed,
     * barcode_wrong_length, barcode_bad_check_digit (nothing is recorded for those).
     */
    scan: Type.Object({ barcode: rawScan }, strict),
    /** The desk's latest check-ins, newest first. Offline: yes. */
    recent: Type.Object(
      { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
      strict,
    ),
  },
  crates: {
    /**
     * Opens a crate to another library, or answers the one already open to it (one open
     * crate per destination). Offline: yes. Errors: not_signed_in, library_unknown,
     * crate_to_self.
     */
    open: Type.Object({ destination: libraryCode }, strict),
    /** Crates from (outgoing) or to (incoming) this library, newest first. Offline: yes. */
    list: Type.Object(
      {
        direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')]),
        status: Type.Optional(
          Type.Array(
            Type.Union([
              Type.Literal('open'),
              Type.Literal('sealed'),
              Type.Literal('received'),
              Type.Literal('closed'),
            ]),
            { maxItems: 4 },
          ),
        ),
      },
      strict,
    ),
    /** One crate with its items. Offline: yes. Errors: crate_not_found. */
    get: Type.Object({ crateId: id }, strict),
    /**
     * Packs an item into an open crate of this library. Offline: yes. Errors: not_signed_in,
     * crate_not_found, crate_wrong_library, crate_wrong_state, crate_item_already_in_crate,
     * barcode_*.
     */
    addItem: Type.Object({ crateId: id, barcode: rawScan }, strict),
    /** Takes an item out of an open crate. Errors: as addItem, crate_item_not_in_crate. */
    removeItem: Type.Object({ crateId: id, barcode: rawScan }, strict),
    /** Seals an open crate: its manifest is frozen. Errors: crate_not_found, crate_wrong_state. */
    seal: Type.Object({ crateId: id }, strict),
    /** The label of a sealed crate as PDF. Errors: crate_not_found, crate_wrong_state. */
    label: Type.Object({ crateId: id }, strict),
    /** The manifest of a sealed crate as PDF or CSV. Errors: crate_not_found, crate_wrong_state. */
    manifest: Type.Object(
      { crateId: id, format: Type.Union([Type.Literal('pdf'), Type.Literal('csv')]) },
      strict,
    ),
    /**
     * Scans a crate label on arrival: answers what the crate should hold and what was ticked
     * off so far. Offline: yes. Errors: not_signed_in, crate_not_found, crate_wrong_library,
     * crate_wrong_state.
     */
    receive: Type.Object({ labelBarcode: rawScan }, strict),
    /**
     * Ticks an item off on receipt and routes it like a check-in (hold shelf, onward crate).
     * Errors: as receive, barcode_*.
     */
    receiveItem: Type.Object({ crateId: id, barcode: rawScan }, strict),
    /**
     * Closes a received crate, recording every missing and extra item as a discrepancy.
     * Errors: not_signed_in, crate_not_found, crate_wrong_library, crate_wrong_state.
     */
    close: Type.Object(
      { crateId: id, note: Type.Optional(Type.String({ maxLength: 1000 })) },
      strict,
    ),
  },
  holds: {
    /** Holds this library is asked to pull, oldest first. Offline: as of the last sync. */
    pullList: Type.Object({ pickupLibrary: Type.Optional(libraryCode) }, strict),
    /** Holds on this library's hold shelf, by shelf name. Offline: yes. */
    holdShelf: noArgs(),
    /** Holds to take off the shelf: expired or cancelled. Offline: yes. */
    clearShelf: noArgs(),
    /** The hold slip of a hold on this library's shelf, as PDF. Errors: hold_not_found. */
    slip: Type.Object({ holdId: id }, strict),
  },
  exports: {
    /**
     * This library's check-ins in a date range (local days, inclusive) as a Koha offline
     * circulation file. Offline: yes. Errors: range_invalid, desk_not_set_up.
     */
    checkinsKoc: Type.Object({ from: day, to: day }, strict),
    /** The same as CSV. Errors: range_invalid, desk_not_set_up. */
    checkinsCsv: Type.Object({ from: day, to: day }, strict),
  },
} as const satisfies Record<string, Record<string, TSchema>>;

export type DeskContract = typeof deskContract;
export type DeskCapability = keyof DeskContract;
export type DeskArgs<
  C extends DeskCapability,
  M extends keyof DeskContract[C],
> = DeskContract[C][M] extends TSchema ? Static<DeskContract[C][M]> : never;

// ---- Answers --------------------------------------------------------------------------------

export interface LibraryRef {
  readonly code: string;
  readonly name: string;
  readonly courierStop?: string;
}

export interface StaffSession {
  readonly initials: string;
  readonly since: string;
}

export interface DeskStatus {
  readonly version: string;
  readonly library: LibraryRef | null;
  readonly deskId: string;
  readonly staff: StaffSession | null;
}

export interface CrateSummary {
  readonly crateId: string;
  readonly labelBarcode: string;
  readonly origin: LibraryRef;
  readonly destination: LibraryRef;
  readonly status: CrateStatus;
  /** Items in the crate now (open), on its manifest (sealed and later). */
  readonly count: number;
  readonly capacity: number;
  readonly openedAt: string;
  readonly sealedAt?: string;
  readonly receivedAt?: string;
  readonly closedAt?: string;
}

export interface CrateItem {
  readonly barcode: string;
  readonly title?: string;
  readonly callNumber?: string;
  /** The pickup library when the item travels for a hold. */
  readonly forHoldAt?: string;
}

export interface CrateView extends CrateSummary {
  readonly items: readonly CrateItem[];
}

/** A crate being received: the manifest against what was scanned so far. */
export interface CrateReceipt {
  readonly crate: CrateSummary;
  readonly expected: readonly CrateItem[];
  readonly received: readonly string[];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly duplicates: readonly string[];
}

export interface DeskWarning {
  readonly code: 'crate_over_capacity' | 'crate_opened';
  readonly message: string;
}

export interface CheckinAnswer {
  readonly checkinId: string;
  readonly barcode: string;
  readonly scannedAt: string;
  readonly staff: string;
  readonly outcome: CheckinOutcome;
  readonly title?: string;
  readonly callNumber?: string;
  /** Where the item goes, when it goes somewhere (hold transit, home). */
  readonly destination?: LibraryRef;
  /** The open crate check-in dropped the item into. */
  readonly crate?: CrateSummary;
  /** For hold_here: what the slip shows. The shelf name is never logged. */
  readonly holdSlip?: {
    readonly holdId: string;
    readonly shelfName: string;
    readonly expiresOn: string;
  };
  readonly warnings: readonly DeskWarning[];
}

export interface CrateItemAnswer {
  readonly crate: CrateSummary;
  readonly barcode: string;
  readonly warnings: readonly DeskWarning[];
}

export interface ReceiveItemAnswer {
  readonly receipt: CrateReceipt;
  /** How the received item was routed on (hold shelf here, onward crate...). */
  readonly checkin: CheckinAnswer;
}

export interface PullListEntry {
  readonly holdId: string;
  readonly holdType: 'title' | 'item';
  readonly bibId: string;
  readonly title?: string;
  readonly author?: string;
  readonly callNumber?: string;
  readonly itemBarcode?: string;
  readonly pickupLibrary: string;
  readonly requestedAt: string;
}

export interface HoldShelfEntry {
  readonly holdId: string;
  readonly shelfName: string;
  readonly itemBarcode?: string;
  readonly title?: string;
  readonly callNumber?: string;
  readonly status: HoldStatus;
  readonly expiresOn?: string;
  /** Why it should come off the shelf (clear-shelf list only). */
  readonly clearReason?: 'expired' | 'cancelled';
}

/** A file for staff to print or save; base64 so both bridges carry it as JSON. */
export interface DeskDocument {
  readonly fileName: string;
  readonly mimeType: 'application/pdf' | 'text/csv' | 'text/plain';
  readonly base64: string;
}

/** What each method answers. Must list exactly the methods of `deskContract`. */
export interface DeskAnswers {
  desk: { status: DeskStatus };
  staff: { signIn: StaffSession; signOut: null };
  checkin: { scan: CheckinAnswer; recent: CheckinAnswer[] };
  crates: {
    open: CrateSummary;
    list: CrateSummary[];
    get: CrateView;
    addItem: CrateItemAnswer;
    removeItem: CrateItemAnswer;
    seal: CrateSummary;
    label: DeskDocument;
    manifest: DeskDocument;
    receive: CrateReceipt;
    receiveItem: ReceiveItemAnswer;
    close: CrateSummary;
  };
  holds: {
    pullList: PullListEntry[];
    holdShelf: HoldShelfEntry[];
    clearShelf: HoldShelfEntry[];
    slip: DeskDocument;
  };
  exports: { checkinsKoc: DeskDocument; checkinsCsv: DeskDocument };
}

type SameKeys<A, B> = [keyof A] extends [keyof B]
  ? [keyof B] extends [keyof A]
    ? true
    : false
  : false;
type AnswersMatchContract = {
  [C in DeskCapability]: SameKeys<DeskContract[C], DeskAnswers[C]>;
}[DeskCapability];
// A compile error here means DeskAnswers and deskContract list different methods.
const answersMatchContract: AnswersMatchContract = true;
void answersMatchContract;

/** The desk API as a caller sees it (renderer, tests): one async function per method. */
export type DeskApi = {
  [C in DeskCapability]: {
    [M in keyof DeskContract[C] & keyof DeskAnswers[C]]: (
      args: DeskArgs<C, M>,
    ) => Promise<DeskResult<DeskAnswers[C][M]>>;
  };
};

/** What main implements per capability: the same functions (answers may be synchronous). */
export type DeskHandlers = {
  [C in DeskCapability]: {
    [M in keyof DeskContract[C] & keyof DeskAnswers[C]]: (
      args: DeskArgs<C, M>,
    ) => Promise<DeskResult<DeskAnswers[C][M]>> | DeskResult<DeskAnswers[C][M]>;
  };
};

/** `capability.method` for every method, the one list both bridges are built from. */
export const deskMethodNames: readonly string[] = Object.entries(deskContract).flatMap(
  ([capability, methods]) => Object.keys(methods).map((method) => `${capability}.${method}`),
);

/** The argument schema of `capability.method`, or undefined for an unknown name. */
export function deskMethodSchema(name: string): TSchema | undefined {
  const [capability, method, ...rest] = name.split('.');
  if (capability === undefined || method === undefined || rest.length > 0) return undefined;
  if (!Object.hasOwn(deskContract, capability)) return undefined;
  const methods = deskContract[capability as DeskCapability] as Record<string, TSchema>;
  return Object.hasOwn(methods, method) ? methods[method] : undefined;
}

// ---- Events main pushes to the UI ---------------------------------------------------------

export interface DeskEvents {
  /** A check-in was recorded (at this desk, through any bridge). */
  'checkin.recorded': CheckinAnswer;
  /** A crate of this library changed (opened, item added or removed, sealed, received, closed). */
  'crates.changed': CrateSummary;
}

export const deskEventNames = [
  'checkin.recorded',
  'crates.changed',
] as const satisfies readonly (keyof DeskEvents)[];
export type DeskEventName = keyof DeskEvents;

/** `window.carrel` in the desk app, and the WebSocket client in a browser. */
export type DeskClient = DeskApi & {
  readonly version: string;
  on<E extends DeskEventName>(event: E, listener: (payload: DeskEvents[E]) => void): () => void;
};
